#include "base/yaml.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <regex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include "base/error.hpp"
#include "base/values.hpp"

namespace mlt::core::yaml {
namespace {

constexpr const char* str_tag = "tag:yaml.org,2002:str";

// U+0085, U+2028 and U+2029: line breaks to PyYAML (YAML 1.1), so never left bare
bool unicode_break(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  if (at(i) == 0xC2 && i + 1 < s.size() && at(i + 1) == 0x85) return true;
  return at(i) == 0xE2 && i + 2 < s.size() && at(i + 1) == 0x80 && (at(i + 2) == 0xA8 || at(i + 2) == 0xA9);
}

bool plain_safe(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f || unicode_break(s, i)) return false;
  }
  char f = s.front();
  if (std::string_view(",[]{}#&*!|>'\"%@`?:").find(f) != std::string_view::npos) return false;
  if (f == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  return true;
}

std::string quote(std::string_view s) {
  bool single = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f || unicode_break(s, i)) single = false;
  }
  std::string out;
  if (single) {
    out += '\'';
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
    return out;
  }
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (unicode_break(s, i)) {
      out += c == 0xC2 ? "\\u0085" : (static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += c == 0xC2 ? 1 : 2;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case 0: out += "\\0"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02X}", c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsNull()) return "null";
  const std::string& s = n.Scalar();
  const std::string& tag = n.Tag();
  if (tag == "!" || tag == str_tag) return plain_safe(s) && !ambiguous(s) ? s : quote(s);
  std::string prefix;
  if (tag.starts_with("tag:yaml.org,2002:")) {
    if (tag.size() > 18) prefix = "!!" + tag.substr(18) + " ";   // "!! x" (no suffix) would not read back
  }
  else if (!tag.empty() && tag != "?") prefix = "!<" + tag + "> ";
  return prefix + (plain_safe(s) ? s : quote(s));
}

std::string key_text(const YAML::Node& k) {
  if (!k.IsScalar() && !k.IsNull())
    throw Error(ExitCode::usage, "cannot write a YAML mapping whose key is not a scalar");
  return scalar_text(k);
}

bool empty_collection(const YAML::Node& n, std::string& text) {
  if (n.IsMap() && n.size() == 0) { text = "{}"; return true; }
  if (n.IsSequence() && n.size() == 0) { text = "[]"; return true; }
  return false;
}

class Writer {
 public:
  Writer(std::string& out, const EmitOptions& opt) : out_(out), opt_(opt) {}

  // A mapping at `indent`; when `inline_first`, the first key continues the current line.
  void map(const YAML::Node& n, int indent, bool inline_first) {
    // Sorted through indices: assigning a YAML::Node rebinds the node it refers to in its tree,
    // so nodes must never be swapped or assigned.
    std::vector<std::string> keys, raw;   // as written, and the key itself (PyYAML sorts by that)
    std::vector<YAML::Node> values;
    for (auto it = n.begin(); it != n.end(); ++it) {
      keys.push_back(key_text(it->first));
      raw.push_back(it->first.IsScalar() ? it->first.Scalar() : std::string());
      values.push_back(it->second);
    }
    std::vector<std::size_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (opt_.sort_keys)
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return raw[a] < raw[b]; });
    bool first = true;
    for (std::size_t i : order) {
      const std::string& k = keys[i];
      const YAML::Node& v = values[i];
      if (!(first && inline_first)) out_.append(indent, ' ');
      first = false;
      out_ += k;
      out_ += ':';
      value(v, indent);
    }
  }

  // A sequence whose dashes sit at `indent`.
  void seq(const YAML::Node& n, int indent, bool inline_first) {
    bool first = true;
    for (const auto& item : n) {
      if (!(first && inline_first)) out_.append(indent, ' ');
      first = false;
      out_ += '-';
      std::string e;
      if (item.IsMap() && !empty_collection(item, e)) {
        out_ += ' ';
        map(item, indent + 2, true);
      } else if (item.IsSequence() && !empty_collection(item, e)) {
        out_ += ' ';
        seq(item, indent + 2, true);
      } else {
        out_ += ' ';
        out_ += e.empty() ? scalar_text(item) : e;
        out_ += '\n';
      }
    }
  }

 private:
  // The value of a mapping entry whose key sits at `indent`.
  void value(const YAML::Node& v, int indent) {
    std::string e;
    if (empty_collection(v, e)) {
      out_ += ' ' + e + '\n';
    } else if (v.IsMap()) {
      out_ += '\n';
      map(v, indent + 2, false);
    } else if (v.IsSequence()) {
      out_ += '\n';
      seq(v, indent, false);   // indentless, as PyYAML writes it
    } else {
      out_ += ' ' + scalar_text(v) + '\n';
    }
  }

  std::string& out_;
  const EmitOptions& opt_;
};

}  // namespace

namespace {

// The forms of ambiguous() that a long scalar can take, checked in one pass: std::regex recurses
// once per character and overflows the stack on a scalar of some 10,000 digits. Conservative (a
// string taken for ambiguous is only quoted when written).
bool long_ambiguous(std::string_view s) {
  static const std::regex date("[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}");
  for (std::size_t n : {8u, 9u, 10u})
    if (s.size() >= n && std::regex_match(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n), date) &&
        (s.size() == n || s[n] == 'T' || s[n] == 't' || s[n] == ' '))
      return true;
  std::string_view t = s;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
  if (t.starts_with("0x") || t.starts_with("0o") || t.starts_with("0b")) t.remove_prefix(2);
  bool digit = false;
  for (char c : t) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digit = true;
    else if (c != '_' && c != '.' && c != ':' && c != '+' && c != '-') return false;
  }
  return digit;
}

}  // namespace

bool ambiguous(std::string_view s) {
  if (s.size() > 64) return long_ambiguous(s);
  static const std::regex re(
      "|~|null|Null|NULL|[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
      "|[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?)"
      "|[-+]?(\\.[0-9_]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
      "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
      "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"
      "|<<|=");
  return std::regex_match(s.begin(), s.end(), re);
}

bool is_string(const YAML::Node& n) {
  if (!n.IsScalar()) return false;
  const std::string& tag = n.Tag();
  if (tag == "!" || tag == str_tag) return true;
  return (tag.empty() || tag == "?") && !ambiguous(n.Scalar());
}

namespace {

// Walks a document's parse events before it is loaded, to refuse what would make a walk of the
// loaded tree recurse or run without bound: nesting deeper than max_nesting, an alias inside the
// node it names (a cycle), and aliases that multiply the document (each alias stands for a copy
// of its node, so a few lines can mean billions of nodes).
class Bounds : public YAML::EventHandler {
 public:
  explicit Bounds(const std::string& where) : where_(where) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { names_.push_back(name); }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = done_.find(anchor);
    if (it == done_.end())
      fail(mark, fmt::format("the alias '*{}' refers to a node that contains it", name(anchor)),
           "an alias must name a node that is complete before it; remove the cycle");
    added_ += it->second.nodes;
    if (added_ > max_alias_nodes)
      fail(mark, fmt::format("aliases expand to more than {} nodes", max_alias_nodes),
           "write the values out instead of repeating them through aliases");
    if (open_.size() + it->second.depth > max_nesting) too_deep(mark);
    add(it->second);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnSequenceEnd() override { end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnMapEnd() override { end(); }

 private:
  struct Size {
    std::size_t nodes = 1, depth = 1;   // nodes with aliases expanded; levels including itself
  };
  struct Open {
    YAML::anchor_t anchor;
    Size size;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what, const std::string& hint) {
    throw Error(ExitCode::usage, fmt::format("{}:{}:{}: {}", where_, mark.line + 1, mark.column + 1, what), hint);
  }
  [[noreturn]] void too_deep(const YAML::Mark& mark) {
    fail(mark, fmt::format("YAML nested more than {} levels deep", max_nesting),
         "flatten the file; mlt reads mappings and lists nested at most that deep");
  }
  std::string name(YAML::anchor_t a) const { return a >= 1 && a <= names_.size() ? names_[a - 1] : "?"; }

  void add(const Size& s) {
    if (open_.empty()) return;
    auto& parent = open_.back().size;
    parent.nodes += s.nodes;
    parent.depth = std::max(parent.depth, s.depth + 1);
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (open_.size() + 1 > max_nesting) too_deep(mark);
    Size s;
    if (anchor != YAML::NullAnchor) done_[anchor] = s;
    add(s);
  }
  void start(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (open_.size() + 1 > max_nesting) too_deep(mark);
    open_.push_back({anchor, Size{}});
  }
  void end() {
    if (open_.empty()) return;
    Open o = open_.back();
    open_.pop_back();
    if (o.anchor != YAML::NullAnchor) done_[o.anchor] = o.size;
    add(o.size);
  }

  const std::string& where_;
  std::vector<std::string> names_;              // anchor names, in the order of their ids
  std::vector<Open> open_;                      // collections being read, outermost first
  std::unordered_map<YAML::anchor_t, Size> done_;   // complete anchored nodes
  std::size_t added_ = 0;                       // nodes the aliases stand for
};

}  // namespace

YAML::Node parse(const std::string& text, const std::string& where) {
  // YAML allows no raw control characters but tab and line breaks (they must be escaped in a
  // double-quoted scalar); yaml-cpp reads them anyway, into scalars no writer can reproduce.
  // Refused like PyYAML does, naming where.
  // Likewise text that is not UTF-8: a YAML stream is Unicode text.
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto refuse = [&](const std::string& what) {
      throw Error(ExitCode::usage, fmt::format("{}:{}:{}: invalid YAML: {}", where, line, col, what),
                  "fix the file; YAML must be valid before mlt can read it");
    };
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
      refuse(fmt::format("control character 0x{:02x} (write it as an escape in a double-quoted string)", c));
    if (c >= 0x80) {  // one whole character, checked by valid_utf8 (overlong forms, surrogates, range)
      std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + len > text.size() || !valid_utf8(std::string_view(text).substr(i, len))) refuse("text that is not UTF-8");
      i += len - 1;
    }
    if (c == '\n') line++, col = 1;
    else col++;
  }
  try {
    {
      std::istringstream in(text);
      YAML::Parser parser(in);
      Bounds bounds(where);
      parser.HandleNextDocument(bounds);
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ExitCode::usage,
                fmt::format("{}:{}:{}: invalid YAML: {}", where, e.mark.line + 1, e.mark.column + 1, e.msg),
                "fix the file; YAML must be valid before mlt can read it");
  }
}

YAML::Node str(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("!");
  return n;
}

YAML::Node plain(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("?");
  return n;
}

std::string emit(const YAML::Node& n, const EmitOptions& opt) {
  std::string out, e;
  Writer w(out, opt);
  if (empty_collection(n, e)) return e + "\n";
  if (n.IsMap()) w.map(n, 0, false);
  else if (n.IsSequence()) w.seq(n, 0, false);
  else if (n.IsDefined()) out = scalar_text(n) + "\n";
  return out;
}

nlohmann::ordered_json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      auto j = nlohmann::ordered_json::object();
      for (auto it = n.begin(); it != n.end(); ++it) j[it->first.Scalar()] = to_json(it->second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      auto j = nlohmann::ordered_json::array();
      for (const auto& e : n) j.push_back(to_json(e));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (!is_string(n)) {
        if (auto i = parse_int64(s)) return *i;
        if (auto d = parse_double(s); d && std::isfinite(*d)) return *d;
        if (s == "true" || s == "True" || s == "TRUE") return true;
        if (s == "false" || s == "False" || s == "FALSE") return false;
      }
      return s;
    }
    default: return nullptr;
  }
}

bool equal(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return true;
    case YAML::NodeType::Scalar: return a.Scalar() == b.Scalar() && is_string(a) == is_string(b);
    case YAML::NodeType::Sequence: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!equal(a[i], b[i])) return false;
      return true;
    }
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      for (auto ia = a.begin(); ia != a.end(); ++ia) {
        bool found = false;
        for (auto ib = b.begin(); ib != b.end(); ++ib) {
          if (equal(ia->first, ib->first)) {
            if (!equal(ia->second, ib->second)) return false;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace mlt::core::yaml
