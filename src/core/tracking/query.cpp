#include "core/tracking/query.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "base/values.hpp"

namespace mlt::core {
namespace {


const std::vector<std::string> attribute_names = {"run_id",   "run_name", "name",     "status",     "user",
                                                  "user_id",  "start_time", "end_time", "duration", "experiment",
                                                  "exit_code"};

// MLflow's other spellings of attributes: `created` is the start time, `Run name` the run's name.
std::string canonical_attribute(std::string name) {
  if (name == "created") return "start_time";
  if (name == "run name") return "run_name";
  return name;
}

// Names quoted as the filter language reads them: plain when they can be, else in backticks.
std::string quote_name(const std::string& n) {
  bool plain = !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-' || c == ':';
  });
  if (plain) return n;
  std::string q = "`";
  for (char c : n) q += c == '`' ? std::string("``") : c == '\\' ? std::string("\\\\") : std::string(1, c);   // reads back
  return q + "`";
}

// How deeply NOT and parentheses may nest: beyond any real filter, and within what SQLite's
// parser takes (its stack is about a hundred entries, a few for each level of nesting). Bounds
// the recursion of our parser too, so hostile input is an error and never a stack overflow.
constexpr int max_depth = 20;
// How many different metrics, params and tags one search may name: each is a join, and SQLite
// joins at most 64 tables (runs, experiments and the sort key take three).
constexpr std::size_t max_keys = 60;

// A scanner over the filter text; every error shows the text with a caret under the column.
class Parser {
 public:
  explicit Parser(const std::string& text, std::string_view context = "filter") : s_(text), context_(context) {}

  [[noreturn]] void fail(const std::string& what, std::size_t pos, std::string hint = {}) const {
    // a long text is shown as a window around the column, so the caret stays on screen
    const std::size_t before = 40, after = 40;
    std::size_t from = s_.size() <= 100 || pos <= before ? 0 : pos - before;
    std::size_t to = s_.size() <= 100 ? s_.size() : std::min(s_.size(), pos + after);
    std::string shown = (from > 0 ? "..." : "") + s_.substr(from, to - from) + (to < s_.size() ? "..." : "");
    std::string caret(pos - from + (from > 0 ? 3 : 0), ' ');
    if (hint.empty())
      hint = context_ == "filter" ? "see 'man mlt-runs' (e.g. \"metrics.loss < 0.3 AND params.lr = '0.1'\")"
                                  : "see 'man mlt-runs' (keys such as metrics.loss, params.lr, min(metrics.loss))";
    throw Error(ExitCode::usage,
                fmt::format("invalid {} at column {}: {}\n  {}\n  {}^", context_, pos + 1, what, shown, caret), hint);
  }

  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool at_end() {
    ws();
    return i_ >= s_.size();
  }
  std::size_t pos() {
    ws();
    return i_;
  }

  static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // A keyword at the cursor (case-insensitive, not followed by an identifier character).
  bool keyword(std::string_view kw) {
    ws();
    if (s_.size() - i_ < kw.size()) return false;
    for (std::size_t k = 0; k < kw.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(s_[i_ + k])) != kw[k]) return false;
    if (i_ + kw.size() < s_.size() && ident_char(s_[i_ + kw.size()])) return false;
    i_ += kw.size();
    return true;
  }
  bool punct(std::string_view p) {
    ws();
    if (s_.compare(i_, p.size(), p) != 0) return false;
    i_ += p.size();
    return true;
  }
  void expect(std::string_view p, const char* what) {
    if (!punct(p)) fail(fmt::format("expected {}", what), pos());
  }

  std::string word() {
    ws();
    std::size_t start = i_;
    while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::string quoted(char q) {
    std::size_t start = i_;
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size() && (s_[i_] == q || s_[i_] == '\\')) {
        out += s_[i_++];  // \' and \\ ; any other backslash stays, for LIKE's escapes (\_ \%)
      } else if (c == q) {
        if (i_ < s_.size() && s_[i_] == q) {  // '' inside '...'
          out += q;
          ++i_;
        } else {
          return out;
        }
      } else {
        out += c;
      }
    }
    fail(fmt::format("unterminated {}", q == '`' ? "back-quoted name" : "string"), start);
  }

  // the name after "metrics." etc.: an identifier (dots, slashes and dashes allowed), or quoted
  std::string key_name() {
    std::size_t start = i_;
    if (i_ < s_.size() && (s_[i_] == '`' || s_[i_] == '"')) return quoted(s_[i_]);
    while (i_ < s_.size() && (ident_char(s_[i_]) || s_[i_] == '.' || s_[i_] == '/' || s_[i_] == '-' || s_[i_] == ':'))
      ++i_;
    if (i_ == start) fail("expected a key name after '.'", start);
    return s_.substr(start, i_ - start);
  }

  // A key: PREFIX.NAME, AGG(metrics.NAME), or a bare attribute name (as MLflow reads `status`).
  // The prefix may be back-quoted or double-quoted (MLflow accepts `metrics`.loss).
  QueryKey key(bool allow_agg = true) {
    std::size_t start = pos();
    bool quoted_word = i_ < s_.size() && (s_[i_] == '`' || s_[i_] == '"');
    std::string raw = quoted_word ? quoted(s_[i_]) : word();
    if (raw.empty() && !quoted_word)
      fail("expected a key such as metrics.loss, params.lr, tags.x or attributes.status", start);
    std::string w = ascii_lower(raw);
    QueryKey k;
    k.pos = start;
    if (!quoted_word && (w == "min" || w == "max" || w == "last" || w == "count")) {
      if (!punct("(")) fail(fmt::format("expected '(' after '{}'", w), pos());
      if (!allow_agg) fail(fmt::format("{}() cannot be nested inside another aggregate", w), start);
      k = key(false);
      if (k.kind != KeyKind::metric) fail(fmt::format("{}() takes a metric, e.g. {}(metrics.loss)", w, w), k.pos);
      k.agg = w == "min" ? Agg::min : w == "max" ? Agg::max : w == "count" ? Agg::count : Agg::last;
      k.pos = start;
      expect(")", "')'");
      return k;
    }
    bool dotted = i_ < s_.size() && s_[i_] == '.';
    if (w == "metrics" || w == "metric") k.kind = KeyKind::metric;
    else if (w == "params" || w == "param" || w == "parameters" || w == "parameter") k.kind = KeyKind::param;
    else if (w == "tags" || w == "tag") k.kind = KeyKind::tag;
    else if (w == "attributes" || w == "attribute" || w == "attr" || w == "run") k.kind = KeyKind::attribute;
    else if (w == "datasets" || w == "dataset") k.kind = KeyKind::dataset;
    else if (dotted)
      fail(fmt::format("unknown key type '{}': use metrics., params., tags., attributes. or datasets.", raw), start);
    else
      return bare_attribute(raw, start);
    if (!dotted) {
      // `run` alone is not an attribute either; every prefix wants a name after its dot
      fail(fmt::format("expected '.' after '{}'", raw), i_);
    }
    ++i_;
    std::size_t name_pos = i_;
    k.name = key_name();
    if (k.kind == KeyKind::attribute) {
      k.name = canonical_attribute(ascii_lower(k.name));
      no_artifact_uri(k.name, name_pos);
      if (std::find(attribute_names.begin(), attribute_names.end(), k.name) == attribute_names.end())
        fail(fmt::format("unknown attribute '{}': use one of {}", k.name, fmt::join(attribute_names, ", ")), name_pos);
    }
    if (k.kind == KeyKind::dataset) {
      k.name = ascii_lower(k.name);
      if (k.name != "name" && k.name != "digest" && k.name != "context" && k.name != "version")
        fail(fmt::format("unknown dataset field '{}': use datasets.name, digest, context or version", k.name), name_pos);
    }
    return k;
  }

  // MLflow's artifact_uri names a location mlt does not have: say where artifacts are instead.
  void no_artifact_uri(const std::string& name, std::size_t at) const {
    if (name == "artifact_uri")
      fail("mlt runs have no artifact_uri: a run's artifacts are runs:/RUN_ID/PATH", at,
           "filter on attributes.run_id, and see 'mlt artifact ls RUN'");
  }

  // A name without a prefix is an attribute, as in MLflow: `run_name = 'baseline'`, `status`.
  QueryKey bare_attribute(const std::string& raw, std::size_t start) {
    QueryKey k;
    k.kind = KeyKind::attribute;
    k.pos = start;
    k.name = canonical_attribute(ascii_lower(raw));
    if (std::find(attribute_names.begin(), attribute_names.end(), k.name) != attribute_names.end()) return k;
    no_artifact_uri(k.name, start);
    std::string close;   // a likely misspelling of an attribute
    for (auto& a : attribute_names)
      if (close.empty() && edit_distance(k.name, a) <= (a.size() >= 5 ? 2u : 1u)) close = a;
    std::string name = quote_name(raw);
    std::string hint =
        close.empty()
            ? fmt::format("did you mean params.{0}, metrics.{0} or tags.{0}? A name without a prefix is an attribute: {1}",
                          name, fmt::join(attribute_names, ", "))
            : fmt::format("did you mean '{}'? (or params.{}, metrics.{} or tags.{})", close, name, name, name);
    fail(fmt::format("unknown attribute '{}'", raw), start, hint);
  }

  QueryValue value() {
    std::size_t start = pos();
    QueryValue v;
    v.pos = start;
    if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"')) {
      v.type = QueryValue::string;
      v.str = quoted(s_[i_]);
      return v;
    }
    if (keyword("null")) fail("use IS NULL or IS NOT NULL to test for a missing key", start);
    std::size_t end = i_;
    while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '.' || s_[end] == '-' ||
                               s_[end] == '+'))
      ++end;
    auto d = parse_double(std::string_view(s_).substr(i_, end - i_));
    if (end == i_ || !d) fail("expected a value: a number or a 'quoted string'", start);
    v.type = QueryValue::number;
    v.num = *d;
    v.str = s_.substr(i_, end - i_);
    i_ = end;
    return v;
  }

  std::unique_ptr<Expr> cond() {
    auto e = std::make_unique<Expr>();
    e->key = key();
    std::size_t op_pos = pos();
    if (keyword("is")) {
      e->type = Expr::is_null;
      e->negated = keyword("not");
      if (!keyword("null")) fail("expected NULL after IS", pos());
      return e;
    }
    bool negated = keyword("not");
    if (keyword("in")) {
      e->type = Expr::in;
      e->negated = negated;
      expect("(", "'(' after IN");
      do e->values.push_back(value());
      while (punct(","));
      expect(")", "')' or ',' in the IN list");
      return e;
    }
    if (keyword("like") || keyword("ilike")) {
      e->type = Expr::like;
      e->negated = negated;
      e->op = ascii_lower(std::string_view(s_).substr(op_pos, i_ - op_pos));
      e->op = e->op.ends_with("ilike") ? "ILIKE" : "LIKE";
      e->values.push_back(value());
      if (e->values[0].type != QueryValue::string) fail(fmt::format("{} takes a 'quoted pattern'", e->op), e->values[0].pos);
      if (e->key.kind == KeyKind::metric) fail(fmt::format("{} compares text; metrics are numbers", e->op), op_pos);
      return e;
    }
    if (negated) fail("expected IN, LIKE or ILIKE after NOT", pos());
    e->type = Expr::cmp;
    for (const char* op : {"==", "!=", "<>", "<=", ">=", "=", "<", ">"}) {
      if (punct(op)) {
        e->op = op;
        break;
      }
    }
    if (e->op.empty()) fail("expected an operator: = != < <= > >= LIKE ILIKE IN IS", op_pos);
    if (e->op == "==") e->op = "=";
    if (e->op == "<>") e->op = "!=";
    e->values.push_back(value());
    if (e->key.kind == KeyKind::metric && e->values[0].type == QueryValue::string) {
      auto d = parse_double(e->values[0].str);
      if (!d) fail("metrics compare with numbers", e->values[0].pos);
      e->values[0].type = QueryValue::number;
      e->values[0].num = *d;
    }
    return e;
  }

  // Nesting (NOT, parentheses) is counted so that hostile input ends in an error, not a crash.
  struct Nest {
    Parser& p;
    Nest(Parser& parser, std::size_t at) : p(parser) {
      if (++p.depth_ > max_depth)
        p.fail(fmt::format("NOT and parentheses nest more than {} deep", max_depth), at,
               "write the filter with fewer nested NOTs and parentheses");
    }
    ~Nest() { --p.depth_; }
  };

  std::unique_ptr<Expr> unary() {
    std::size_t start = pos();
    if (keyword("not")) {
      Nest nest(*this, start);
      auto e = std::make_unique<Expr>();
      e->type = Expr::negate;
      e->children.push_back(unary());
      return e;
    }
    if (punct("(")) {
      Nest nest(*this, start);
      auto e = disjunction();
      expect(")", "')'");
      return e;
    }
    if (at_end()) fail("expected a condition", start);
    return cond();
  }

  std::unique_ptr<Expr> conjunction() {
    auto first = unary();
    if (!keyword("and")) return first;
    auto e = std::make_unique<Expr>();
    e->type = Expr::all;
    e->children.push_back(std::move(first));
    do e->children.push_back(unary());
    while (keyword("and"));
    return e;
  }

  std::unique_ptr<Expr> disjunction() {
    auto first = conjunction();
    if (!keyword("or")) return first;
    auto e = std::make_unique<Expr>();
    e->type = Expr::any;
    e->children.push_back(std::move(first));
    do e->children.push_back(conjunction());
    while (keyword("or"));
    return e;
  }

  std::unique_ptr<Expr> filter() {
    auto e = disjunction();
    if (!at_end()) fail("expected AND, OR or the end of the filter", pos());
    return e;
  }

  const std::string& s_;
  std::string_view context_;   // what the text is, for messages: "filter", "'-s' order key", ...
  std::size_t i_ = 0;
  int depth_ = 0;
};

// 'YYYY-MM-DD[THH:MM[:SS]][Z]' (UTC) -> epoch ms
std::optional<std::int64_t> parse_time_literal(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  std::string t = s;
  if (!t.empty() && (t.back() == 'Z' || t.back() == 'z')) t.pop_back();
  int n = 0;
  // the whole text must be one of: date, date T hh:mm, date T hh:mm:ss (UTC)
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && static_cast<std::size_t>(used) == t.size()) n = 3;
  else if (std::sscanf(t.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5 &&
           static_cast<std::size_t>(used) == t.size()) n = 5;
  else if (std::sscanf(t.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) == 6 &&
           static_cast<std::size_t>(used) == t.size()) n = 6;
  if (n == 0 || (n == 3 && s.back() == 'Z')) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = n >= 4 ? h : 0;
  tm.tm_min = n >= 5 ? mi : 0;
  tm.tm_sec = n >= 6 ? sec : 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Compiles an AST to SQL with numbered parameters; joins one summary/param/tag row per key.
class Compiler {
 public:
  explicit Compiler(store::Db& db) : db_(db) {}

  using Bound = std::variant<std::int64_t, double, std::string>;
  std::vector<Bound> binds;
  std::string joins;

  std::string param(Bound b) {
    binds.push_back(std::move(b));
    return fmt::format("?{}", binds.size());
  }

  std::string alias(const QueryKey& k) {
    std::string id = fmt::format("{}:{}", static_cast<int>(k.kind), k.name);
    if (auto it = aliases_.find(id); it != aliases_.end()) return it->second;
    if (aliases_.size() >= max_keys)
      throw Error(ExitCode::usage,
                  fmt::format("invalid filter at column {}: more than {} different metrics, params and tags in one "
                              "search ('{}')", k.pos + 1, max_keys, k.text()),
                  "search in steps, or name fewer keys");
    std::string a = fmt::format("k{}", aliases_.size());
    aliases_[id] = a;
    if (k.kind == KeyKind::metric) {
      std::int64_t key_id = -1;
      store::Stmt q(db_, "SELECT id FROM metric_keys WHERE key = ?1");
      q.bind(1, k.name);
      if (q.step()) key_id = q.int64(0);
      joins += fmt::format(" LEFT JOIN metric_summary {0} ON {0}.run_id = r.id AND {0}.key_id = {1}", a, param(key_id));
    } else if (k.kind == KeyKind::param || k.kind == KeyKind::tag) {
      joins += fmt::format(" LEFT JOIN {0} {1} ON {1}.run_id = r.id AND {1}.key = {2}",
                           k.kind == KeyKind::param ? "params" : "tags", a, param(k.name));
    }
    return a;
  }

  // The SQL expression of a key's value, and whether it is numeric.
  std::pair<std::string, bool> column(const QueryKey& k) {
    if (k.kind == KeyKind::attribute) {
      static const std::map<std::string, std::pair<std::string, bool>> cols = {
          {"run_id", {"r.uuid", false}},        {"run_name", {"r.name", false}},     {"name", {"r.name", false}},
          {"status", {"r.status", false}},      {"user", {"r.user", false}},         {"user_id", {"r.user", false}},
          {"start_time", {"r.start_ms", true}}, {"end_time", {"r.end_ms", true}},    {"experiment", {"e.name", false}},
          {"duration", {"(r.end_ms - r.start_ms)", true}},                           {"exit_code", {"r.exit_code", true}}};
      return cols.at(k.name);
    }
    if (k.kind == KeyKind::dataset) {
      if (k.name == "name") return {"ds.name", false};
      if (k.name == "digest") return {"dv.digest", false};
      if (k.name == "context") return {"ri.context", false};
      return {"dv.version", true};
    }
    std::string a = alias(k);
    if (k.kind != KeyKind::metric) return {a + ".value", false};
    switch (k.agg) {
      case Agg::last: return {a + ".last_value", true};
      case Agg::min: return {a + ".min_value", true};
      case Agg::max: return {a + ".max_value", true};
      case Agg::count: return {"coalesce(" + a + ".count, 0)", true};
    }
    return {a + ".last_value", true};
  }

  // A condition on a run's inputs holds when any one input meets it.
  static std::string any_input(const std::string& cond) {
    return "EXISTS (SELECT 1 FROM run_inputs ri JOIN data_versions dv ON dv.id = ri.data_version_id "
           "JOIN datasets ds ON ds.id = dv.dataset_id WHERE ri.run_id = r.id AND " + cond + ")";
  }

  std::string missing(const QueryKey& k) {
    if (k.kind == KeyKind::dataset) return "NOT EXISTS (SELECT 1 FROM run_inputs ri WHERE ri.run_id = r.id)";
    if (k.kind == KeyKind::metric) return k.agg == Agg::count ? "(0 = 1)" : alias(k) + ".count IS NULL";
    return column(k).first + " IS NULL";
  }

  Bound literal(const QueryKey& k, const QueryValue& v, bool numeric_column) {
    if (k.kind == KeyKind::attribute && (k.name == "start_time" || k.name == "end_time") &&
        v.type == QueryValue::string) {
      auto t = parse_time_literal(v.str);
      if (!t)
        throw Error(ExitCode::usage,
                    fmt::format("invalid time '{}' for attributes.{}: use epoch milliseconds or YYYY-MM-DD[THH:MM:SS]",
                                v.str, k.name));
      return *t;
    }
    if (k.kind == KeyKind::attribute && k.name == "status") {
      std::string up = v.str;
      for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return up;
    }
    if (k.kind == KeyKind::dataset && k.name == "digest" && v.str.starts_with("sha256:")) return v.str.substr(7);
    if (k.kind == KeyKind::dataset && k.name == "version" && v.type == QueryValue::string && !parse_double(v.str))
      throw Error(ExitCode::usage, fmt::format("datasets.version compares with numbers, not '{}'", v.str));
    if (numeric_column && v.type == QueryValue::number) return v.num;
    if (numeric_column) {
      auto d = parse_double(v.str);
      if (d) return *d;
    }
    return v.str;
  }

  // a AND b AND c ... as a balanced tree: SQLite parses a flat chain of n terms n levels deep,
  // and refuses expressions deeper than 1000
  static std::string balanced(const std::vector<std::string>& parts, std::size_t from, std::size_t to,
                              const char* op) {
    if (to - from == 1) return parts[from];
    std::size_t mid = from + (to - from) / 2;
    return "(" + balanced(parts, from, mid, op) + op + balanced(parts, mid, to, op) + ")";
  }

  // A LIKE pattern as the man page reads it, for SQLite's LIKE ... ESCAPE '\': a backslash makes
  // the next % or _ (or backslash) literal; a backslash before anything else is itself literal.
  static std::string like_pattern(const std::string& p) {
    std::string out;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != '\\') {
        out += p[i];
      } else if (i + 1 < p.size() && (p[i + 1] == '%' || p[i + 1] == '_' || p[i + 1] == '\\')) {
        out += '\\';
        out += p[++i];
      } else {
        out += "\\\\";
      }
    }
    return out;
  }

  std::string compile(const Expr& e) {
    switch (e.type) {
      case Expr::all:
      case Expr::any: {
        std::vector<std::string> parts;
        for (auto& c : e.children) parts.push_back(compile(*c));
        return balanced(parts, 0, parts.size(), e.type == Expr::all ? " AND " : " OR ");
      }
      case Expr::negate: {
        // NOT of a condition on a missing key is true: the key's absence makes the inner false.
        // Every compiled condition is 1, 0 or NULL (unknown, which counts as false), so NOT is
        // "IS NOT 1", and NOT NOT x is x: SQLite's parser stack is shallow (a few dozen levels).
        const Expr* inner = e.children[0].get();
        bool odd = true;
        while (inner->type == Expr::negate) {
          inner = inner->children[0].get();
          odd = !odd;
        }
        return odd ? "(" + compile(*inner) + " IS NOT 1)" : compile(*inner);
      }
      case Expr::is_null:
        return "(" + std::string(e.negated ? "NOT " : "") + "(" + missing(e.key) + "))";
      case Expr::like: {
        auto [col, num] = column(e.key);
        std::string pattern = e.values[0].str;
        if (e.key.kind == KeyKind::dataset && e.key.name == "digest" && pattern.starts_with("sha256:"))
          pattern = pattern.substr(7);   // stored as bare hex, shown as sha256:HEX
        pattern = like_pattern(pattern);
        if (pattern.size() > 50000)   // SQLite's SQLITE_MAX_LIKE_PATTERN_LENGTH
          throw Error(ExitCode::usage, fmt::format("{} pattern for {} is longer than 50000 bytes", e.op, e.key.text()));
        std::string p = param(pattern);
        std::string test = e.op == "ILIKE" ? fmt::format("lower({}) LIKE lower({}) ESCAPE '\\'", col, p)
                                           : fmt::format("{} LIKE {} ESCAPE '\\'", col, p);
        auto cond = fmt::format("({} IS NOT NULL AND {}({}))", col, e.negated ? "NOT " : "", test);
        return e.key.kind == KeyKind::dataset ? "(" + any_input(cond) + ")" : cond;
      }
      case Expr::in: {
        auto [col, num] = column(e.key);
        bool all_numbers = std::all_of(e.values.begin(), e.values.end(),
                                       [](const QueryValue& v) { return v.type == QueryValue::number; });
        std::string lhs = col;
        bool numeric = num;
        if (!num && all_numbers && (e.key.kind == KeyKind::param || e.key.kind == KeyKind::tag)) {
          lhs = "mlt_number(" + col + ")";
          numeric = true;
        }
        std::vector<std::string> ps;
        for (auto& v : e.values) {
          bool time = e.key.kind == KeyKind::attribute && (e.key.name == "start_time" || e.key.name == "end_time");
          if (numeric && !time && v.type == QueryValue::string && !parse_double(v.str))
            throw Error(ExitCode::usage, fmt::format("{} compares with numbers, not '{}'", e.key.text(), v.str));
          ps.push_back(param(literal(e.key, v, numeric)));
        }
        auto cond = fmt::format("({} IS NOT NULL AND {} {}IN ({}))", lhs, lhs, e.negated ? "NOT " : "", fmt::join(ps, ", "));
        return e.key.kind == KeyKind::dataset ? "(" + any_input(cond) + ")" : cond;
      }
      case Expr::cmp: {
        auto [col, num] = column(e.key);
        const QueryValue& v = e.values[0];
        std::string lhs = col;
        bool numeric = num;
        if (!num && v.type == QueryValue::number && (e.key.kind == KeyKind::param || e.key.kind == KeyKind::tag)) {
          lhs = "mlt_number(" + col + ")";
          numeric = true;
        }
        if (num && v.type == QueryValue::string && e.key.kind == KeyKind::attribute &&
            e.key.name != "start_time" && e.key.name != "end_time" && !parse_double(v.str))
          throw Error(ExitCode::usage, fmt::format("attributes.{} compares with numbers, not '{}'", e.key.name, v.str));
        std::string p = param(literal(e.key, v, numeric));
        auto cond = fmt::format("({} {} {})", lhs, e.op, p);
        return e.key.kind == KeyKind::dataset ? "(" + any_input(cond) + ")" : cond;
      }
    }
    return "1";
  }

  // ORDER BY terms: present values first (NaN metrics after numbers), missing keys last.
  std::string order(const OrderKey& o) {
    if (o.key.kind == KeyKind::dataset)
      throw Error(ExitCode::usage, fmt::format("cannot order by {}: a run may have several inputs", o.key.text()),
                  "order by a metric, param, tag or attribute");
    auto [col, num] = column(o.key);
    const char* dir = o.desc ? "DESC" : "ASC";
    if (o.key.kind == KeyKind::metric)
      return fmt::format("({}), ({} IS NULL), {} {}", missing(o.key), col, col, dir);
    if (o.key.kind == KeyKind::param || o.key.kind == KeyKind::tag)
      // numbers first, in numeric order (equal numbers tie, whatever their text), then text
      return fmt::format("({0} IS NULL), (mlt_number({0}) IS NULL), mlt_number({0}) {1}, "
                         "(CASE WHEN mlt_number({0}) IS NULL THEN {0} END) {1}",
                         col, dir);
    return fmt::format("({} IS NULL), {} {}", col, col, dir);
  }

 private:
  store::Db& db_;
  std::map<std::string, std::string> aliases_;
};

void collect_keys(const Expr& e, std::vector<QueryKey>& out) {
  if (e.type == Expr::all || e.type == Expr::any || e.type == Expr::negate) {
    for (auto& c : e.children) collect_keys(*c, out);
    return;
  }
  auto t = e.key.text();
  if (std::none_of(out.begin(), out.end(), [&](const QueryKey& k) { return k.text() == t; })) out.push_back(e.key);
}

}  // namespace

std::string QueryKey::text() const {
  const auto& quote = quote_name;
  switch (kind) {
    case KeyKind::metric: {
      std::string base = "metrics." + quote(name);
      switch (agg) {
        case Agg::last: return base;
        case Agg::min: return "min(" + base + ")";
        case Agg::max: return "max(" + base + ")";
        case Agg::count: return "count(" + base + ")";
      }
      return base;
    }
    case KeyKind::param: return "params." + quote(name);
    case KeyKind::tag: return "tags." + quote(name);
    case KeyKind::attribute: return "attributes." + name;
    case KeyKind::dataset: return "datasets." + name;
  }
  return name;
}

std::unique_ptr<Expr> parse_filter(const std::string& text) { return Parser(text).filter(); }

QueryKey parse_key(const std::string& text, std::string_view context) {
  Parser p(text, context);
  auto k = p.key();
  if (!p.at_end()) p.fail("unexpected text after the key", p.pos());
  return k;
}

OrderKey parse_order(const std::string& text, std::string_view context) {
  Parser p(text, context);
  OrderKey o{p.key(), false};
  if (p.keyword("desc")) o.desc = true;
  else p.keyword("asc");
  if (!p.at_end()) p.fail("expected ASC, DESC or the end of the order key", p.pos());
  return o;
}

std::vector<QueryKey> filter_keys(const Expr& e) {
  std::vector<QueryKey> out;
  collect_keys(e, out);
  return out;
}

namespace {

enum class Part { all, present, absent };

// One search query. `part` splits on the first order key when it is a metric: `present` takes
// the runs whose value is a number, driven by the (key_id, value) index in sort order, so that a
// LIMIT stops early instead of sorting every run; `absent` takes the rest (NaN, then missing).
std::vector<std::int64_t> run_search(store::Db& db, const SearchSpec& spec, const Expr* filter,
                                     const std::vector<OrderKey>& order, Part part,
                                     std::optional<std::int64_t> limit) {
  Compiler c(db);
  std::string from = "runs r";
  std::string lead;  // the sort column of the `present` part
  if (part == Part::present) {
    const QueryKey& k = order[0].key;
    std::int64_t key_id = -1;
    store::Stmt q(db, "SELECT id FROM metric_keys WHERE key = ?1");
    q.bind(1, k.name);
    if (q.step()) key_id = q.int64(0);
    lead = std::string("s0.") + (k.agg == Agg::min ? "min_value" : k.agg == Agg::max ? "max_value" : "last_value");
    std::string kid = c.param(key_id);
    from = fmt::format("metric_summary s0 CROSS JOIN runs r ON r.id = s0.run_id AND s0.key_id = {}", kid);
  }
  // (parameters are numbered in the order param() is called: never two calls in one expression)
  std::string wanted = c.param(std::string(spec.lifecycle == Lifecycle::deleted ? "deleted" : "active"));
  std::string any = c.param(std::string(spec.lifecycle == Lifecycle::all ? "all" : ""));
  std::string where = fmt::format("(r.lifecycle = {} OR {} = 'all')", wanted, any);
  if (part == Part::present) where += " AND " + lead + " IS NOT NULL";
  if (part == Part::absent) where += " AND " + c.column(order[0].key).first + " IS NULL";
  if (!spec.experiments.empty()) {
    std::vector<std::string> ps;
    for (auto& name : spec.experiments) ps.push_back(c.param(get_experiment(db, name).id));
    where += fmt::format(" AND r.experiment_id IN ({})", fmt::join(ps, ", "));
  }
  if (spec.only_run) where += " AND r.id = " + c.param(*spec.only_run);
  if (filter) where += " AND coalesce(" + c.compile(*filter) + ", 0)";
  std::string order_sql;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i == 0 && part == Part::present) order_sql += fmt::format("{} {}, ", lead, order[0].desc ? "DESC" : "ASC");
    else order_sql += c.order(order[i]) + ", ";
  }
  order_sql += "r.start_ms DESC, r.id DESC";
  std::string sql = fmt::format("SELECT r.id FROM {} JOIN experiments e ON e.id = r.experiment_id{} WHERE {} ORDER BY {}",
                                from, c.joins, where, order_sql);
  if (limit) sql += " LIMIT " + c.param(*limit);
  std::optional<store::Stmt> prepared;
  try {
    prepared.emplace(db, sql);
  } catch (const Error& e) {
    // what the nesting bound does not foresee (a long AND list deep inside parentheses) ends
    // here: say so without the SQL
    std::string what = e.what();
    if (what.find("parser stack overflow") == std::string::npos && what.find("too large") == std::string::npos) throw;
    throw Error(ExitCode::usage, "invalid filter: too deeply nested for the database",
                "nest fewer NOTs and parentheses around long AND or OR lists");
  }
  store::Stmt& q = *prepared;
  for (std::size_t i = 0; i < c.binds.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    std::visit([&](auto& v) { q.bind(idx, v); }, c.binds[i]);
  }
  std::vector<std::int64_t> out;
  while (q.step()) out.push_back(q.int64(0));
  return out;
}

}  // namespace

std::vector<std::int64_t> search_runs(store::Db& db, const SearchSpec& spec) {
  std::unique_ptr<Expr> filter;
  if (!spec.filter.empty()) filter = parse_filter(spec.filter);
  std::vector<OrderKey> order;
  for (auto& o : spec.order) order.push_back(parse_order(o));
  db.register_number_function();
  db.exec("PRAGMA case_sensitive_like = ON");
  bool split = spec.limit && !order.empty() && order[0].key.kind == KeyKind::metric && order[0].key.agg != Agg::count;
  if (!split) return run_search(db, spec, filter.get(), order, Part::all, spec.limit);
  auto out = run_search(db, spec, filter.get(), order, Part::present, spec.limit);
  if (static_cast<std::int64_t>(out.size()) < *spec.limit) {
    auto rest = run_search(db, spec, filter.get(), order, Part::absent, *spec.limit - static_cast<std::int64_t>(out.size()));
    out.insert(out.end(), rest.begin(), rest.end());
  }
  return out;
}

std::optional<std::string> key_value(store::Db& db, std::int64_t run_id, const QueryKey& key) {
  if (key.kind == KeyKind::dataset) {   // every input's value, comma-separated
    store::Stmt q(db,
                  "SELECT ds.name, dv.digest, ri.context, dv.version FROM run_inputs ri "
                  "JOIN data_versions dv ON dv.id = ri.data_version_id JOIN datasets ds ON ds.id = dv.dataset_id "
                  "WHERE ri.run_id = ?1 ORDER BY ds.name, dv.version, ri.context");
    q.bind(1, run_id);
    std::vector<std::string> values;
    while (q.step())
      values.push_back(key.name == "name" ? q.text(0) : key.name == "digest" ? "sha256:" + q.text(1)
                       : key.name == "context"                               ? q.text(2)
                                                                             : std::to_string(q.int64(3)));
    if (values.empty()) return std::nullopt;
    return fmt::format("{}", fmt::join(values, ","));
  }
  Compiler c(db);
  auto [col, num] = c.column(key);
  std::string sql = fmt::format(
      "SELECT {}, {} FROM runs r JOIN experiments e ON e.id = r.experiment_id{} WHERE r.id = {}", col,
      key.kind == KeyKind::metric ? c.missing(key) : col + " IS NULL", c.joins, c.param(run_id));
  store::Stmt q(db, sql);
  for (std::size_t i = 0; i < c.binds.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    std::visit([&](auto& v) { q.bind(idx, v); }, c.binds[i]);
  }
  if (!q.step() || q.int64(1)) return std::nullopt;
  if (q.is_null(0)) return std::string("nan");
  if (num) return format_double(q.real(0));
  return q.text(0);
}

}  // namespace mlt::core
