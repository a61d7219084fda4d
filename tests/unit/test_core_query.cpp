// core/query: the filter language. The parser (every operator, precedence, quoting, keys and
// aliases, values, errors with their column and caret), parse_key, parse_order, filter_keys, and
// search_runs / key_value semantics on a small project (missing keys, NaN, params as numbers or
// text, aggregates, LIKE/ILIKE, IN, NOT, ordering, limit, lifecycle, times, status), plus hostile
// keys and values that must stay bound values, never SQL.
#include "core/tracking/query.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/tracking/metrics.hpp"
#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;
using mlt::test::thrown;

namespace {

std::string show_value(const QueryValue& v) {
  switch (v.type) {
    case QueryValue::number: {
      std::ostringstream o;
      o << "#" << v.num;
      return o.str();
    }
    case QueryValue::string: return "'" + v.str + "'";
    case QueryValue::null: return "NULL";
  }
  return "?";
}

// An S-expression of the AST: (AND ..), (OR ..), (NOT ..) and [key op value] leaves.
std::string dump(const Expr& e) {
  std::string out;
  auto kids = [&](const char* name) {
    std::string s = std::string("(") + name;
    for (auto& c : e.children) s += " " + dump(*c);
    return s + ")";
  };
  switch (e.type) {
    case Expr::all: return kids("AND");
    case Expr::any: return kids("OR");
    case Expr::negate: return kids("NOT");
    case Expr::cmp: return "[" + e.key.text() + " " + e.op + " " + show_value(e.values.at(0)) + "]";
    case Expr::is_null: return "[" + e.key.text() + (e.negated ? " IS NOT NULL]" : " IS NULL]");
    case Expr::like:
      return "[" + e.key.text() + (e.negated ? " NOT " : " ") + e.op + " " + show_value(e.values.at(0)) + "]";
    case Expr::in: {
      out = "[" + e.key.text() + (e.negated ? " NOT IN" : " IN");
      for (std::size_t i = 0; i < e.values.size(); ++i) out += (i ? "," : " ") + show_value(e.values[i]);
      return out + "]";
    }
  }
  return "?";
}

std::string parsed(const std::string& text) { return dump(*parse_filter(text)); }

// The message of the usage error that parsing `text` raises ("" when none is raised).
std::string parse_error(const std::string& text) {
  auto e = thrown([&] { parse_filter(text); });
  if (!e) return "";
  CHECK(e->code() == ExitCode::usage);
  return e->what();
}

// The error names column `col` (1-based), says `what`, and shows the text with a caret under col.
void check_error_at(const std::string& text, std::size_t col, const std::string& what) {
  CAPTURE(text);
  auto e = thrown([&] { parse_filter(text); });
  REQUIRE_MESSAGE(e, "no error for: " << text);
  CHECK(e->code() == ExitCode::usage);
  std::string msg = e->what();
  CAPTURE(msg);
  CHECK(contains(msg, "at column " + std::to_string(col) + ":"));
  CHECK(contains(msg, what));
  std::string expected_tail = "\n  " + text + "\n  " + std::string(col - 1, ' ') + "^";
  CHECK(msg.size() >= expected_tail.size());
  CHECK(msg.ends_with(expected_tail));
}

QueryKey key_of(const std::string& text) { return parse_key(text); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parser

TEST_CASE("query parser: every comparison operator, == and <> normalized") {
  CHECK(parsed("metrics.loss = 1") == "[metrics.loss = #1]");
  CHECK(parsed("metrics.loss == 1") == "[metrics.loss = #1]");
  CHECK(parsed("metrics.loss != 1") == "[metrics.loss != #1]");
  CHECK(parsed("metrics.loss <> 1") == "[metrics.loss != #1]");
  CHECK(parsed("metrics.loss < 1") == "[metrics.loss < #1]");
  CHECK(parsed("metrics.loss <= 1") == "[metrics.loss <= #1]");
  CHECK(parsed("metrics.loss > 1") == "[metrics.loss > #1]");
  CHECK(parsed("metrics.loss >= 1") == "[metrics.loss >= #1]");
  // no space needed around operators
  CHECK(parsed("metrics.loss<=1") == "[metrics.loss <= #1]");
  CHECK(parsed("metrics.loss>=-1") == "[metrics.loss >= #-1]");
  CHECK(parsed("params.lr<>'x'") == "[params.lr != 'x']");
  CHECK(parsed("  params.lr   =   'x'  ") == "[params.lr = 'x']");
}

TEST_CASE("query parser: LIKE, ILIKE, NOT LIKE, NOT ILIKE") {
  CHECK(parsed("params.opt LIKE 'ad%'") == "[params.opt LIKE 'ad%']");
  CHECK(parsed("params.opt ILIKE 'AD%'") == "[params.opt ILIKE 'AD%']");
  CHECK(parsed("params.opt NOT LIKE 'a_'") == "[params.opt NOT LIKE 'a_']");
  CHECK(parsed("params.opt NOT ILIKE \"x\"") == "[params.opt NOT ILIKE 'x']");
  CHECK(parsed("tags.t like 'x'") == "[tags.t LIKE 'x']");
  CHECK(parsed("tags.t not ilike 'x'") == "[tags.t NOT ILIKE 'x']");
  CHECK(parsed("attributes.run_name Like 'r%'") == "[attributes.run_name LIKE 'r%']");
  auto e = parse_filter("params.opt NOT ILIKE 'x'");
  CHECK(e->type == Expr::like);
  CHECK(e->negated);
  CHECK(e->op == "ILIKE");
}

TEST_CASE("query parser: IN and NOT IN lists") {
  CHECK(parsed("params.bs IN (32)") == "[params.bs IN #32]");
  CHECK(parsed("params.bs IN (32, 64,128)") == "[params.bs IN #32,#64,#128]");
  CHECK(parsed("params.opt NOT IN ('adam', \"sgd\")") == "[params.opt NOT IN 'adam','sgd']");
  CHECK(parsed("params.x in (1, 'a')") == "[params.x IN #1,'a']");
  CHECK(parsed("params.x NoT iN (-1.5)") == "[params.x NOT IN #-1.5]");
  CHECK(parsed("metrics.m IN (1,2)") == "[metrics.m IN #1,#2]");
  auto e = parse_filter("params.x NOT IN (1, 2)");
  CHECK(e->type == Expr::in);
  CHECK(e->negated);
  REQUIRE(e->values.size() == 2);
  CHECK(e->values[1].type == QueryValue::number);
  CHECK(e->values[1].num == 2);
}

TEST_CASE("query parser: IS NULL and IS NOT NULL") {
  CHECK(parsed("params.seed IS NULL") == "[params.seed IS NULL]");
  CHECK(parsed("params.seed IS NOT NULL") == "[params.seed IS NOT NULL]");
  CHECK(parsed("metrics.loss is null") == "[metrics.loss IS NULL]");
  CHECK(parsed("count(metrics.loss) Is Not Null") == "[count(metrics.loss) IS NOT NULL]");
  auto e = parse_filter("tags.x IS NOT NULL");
  CHECK(e->type == Expr::is_null);
  CHECK(e->negated);
  CHECK(e->values.empty());
}

TEST_CASE("query parser: precedence NOT > AND > OR") {
  CHECK(parsed("metrics.a < 1 OR metrics.b < 2 AND metrics.c < 3") ==
        "(OR [metrics.a < #1] (AND [metrics.b < #2] [metrics.c < #3]))");
  CHECK(parsed("metrics.a < 1 AND metrics.b < 2 OR metrics.c < 3") ==
        "(OR (AND [metrics.a < #1] [metrics.b < #2]) [metrics.c < #3])");
  CHECK(parsed("NOT metrics.a < 1 AND metrics.b < 2") == "(AND (NOT [metrics.a < #1]) [metrics.b < #2])");
  CHECK(parsed("NOT metrics.a < 1 OR metrics.b < 2") == "(OR (NOT [metrics.a < #1]) [metrics.b < #2])");
  CHECK(parsed("metrics.a < 1 OR NOT metrics.b < 2 AND metrics.c < 3") ==
        "(OR [metrics.a < #1] (AND (NOT [metrics.b < #2]) [metrics.c < #3]))");
  CHECK(parsed("NOT NOT params.x = 1") == "(NOT (NOT [params.x = #1]))");
  // chains are flat
  CHECK(parsed("params.a = 1 OR params.b = 2 OR params.c = 3") ==
        "(OR [params.a = #1] [params.b = #2] [params.c = #3])");
  CHECK(parsed("params.a = 1 AND params.b = 2 AND params.c = 3") ==
        "(AND [params.a = #1] [params.b = #2] [params.c = #3])");
  CHECK(parsed("params.a = 1 AND params.b = 2 OR params.c = 3 AND params.d = 4") ==
        "(OR (AND [params.a = #1] [params.b = #2]) (AND [params.c = #3] [params.d = #4]))");
}

TEST_CASE("query parser: parentheses group") {
  CHECK(parsed("(metrics.a < 1 OR metrics.b < 2) AND metrics.c < 3") ==
        "(AND (OR [metrics.a < #1] [metrics.b < #2]) [metrics.c < #3])");
  CHECK(parsed("NOT (metrics.a < 1 AND metrics.b < 2)") == "(NOT (AND [metrics.a < #1] [metrics.b < #2]))");
  CHECK(parsed("NOT(metrics.a < 1)") == "(NOT [metrics.a < #1])");
  CHECK(parsed("((params.x = 1))") == "[params.x = #1]");
  CHECK(parsed("( ( params.x = 1 ) OR ( params.y = 2 ) )") == "(OR [params.x = #1] [params.y = #2])");
  CHECK(parsed("params.a = 1 AND (params.b = 2 OR (params.c = 3 AND NOT params.d IS NULL))") ==
        "(AND [params.a = #1] (OR [params.b = #2] (AND [params.c = #3] (NOT [params.d IS NULL]))))");
}

TEST_CASE("query parser: keywords in any case; keywords need a word boundary") {
  CHECK(parsed("METRICS.loss < 1 and not Attr.STATUS = 'FAILED'") ==
        "(AND [metrics.loss < #1] (NOT [attributes.status = 'FAILED']))");
  CHECK(parsed("params.a = 1 Or params.b = 2 aNd params.c Is nOt NuLl") ==
        "(OR [params.a = #1] (AND [params.b = #2] [params.c IS NOT NULL]))");
  // a key whose name starts like a keyword is a key
  CHECK(parsed("params.notes = 'x' OR params.order = 1") == "(OR [params.notes = 'x'] [params.order = #1])");
  CHECK(parsed("params.android = 1") == "[params.android = #1]");
  // "ORDER" is not "OR" followed by DER
  CHECK(!parse_error("params.a = 1 ORDER params.b = 2").empty());
}

TEST_CASE("query parser: key prefixes and their aliases") {
  struct Case {
    const char* text;
    KeyKind kind;
    const char* name;
    const char* canonical;
  };
  const Case cases[] = {
      {"metrics.loss", KeyKind::metric, "loss", "metrics.loss"},
      {"metric.loss", KeyKind::metric, "loss", "metrics.loss"},
      {"METRICS.loss", KeyKind::metric, "loss", "metrics.loss"},
      {"params.lr", KeyKind::param, "lr", "params.lr"},
      {"param.lr", KeyKind::param, "lr", "params.lr"},
      {"parameters.lr", KeyKind::param, "lr", "params.lr"},
      {"Params.lr", KeyKind::param, "lr", "params.lr"},
      {"tags.team", KeyKind::tag, "team", "tags.team"},
      {"tag.team", KeyKind::tag, "team", "tags.team"},
      {"TAGS.team", KeyKind::tag, "team", "tags.team"},
      {"attributes.status", KeyKind::attribute, "status", "attributes.status"},
      {"attribute.status", KeyKind::attribute, "status", "attributes.status"},
      {"attr.status", KeyKind::attribute, "status", "attributes.status"},
      {"run.status", KeyKind::attribute, "status", "attributes.status"},
      {"Attr.STATUS", KeyKind::attribute, "status", "attributes.status"},
  };
  for (auto& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    auto k = key_of(c.text);
    CHECK(k.kind == c.kind);
    CHECK(k.name == c.name);
    CHECK(k.agg == Agg::last);
    CHECK(k.text() == c.canonical);
    auto e = parse_filter(std::string(c.text) + " IS NULL");
    CHECK(e->key.kind == c.kind);
    CHECK(e->key.name == c.name);
  }
  // metric, param and tag names keep their case
  CHECK(key_of("metrics.Val_Loss").name == "Val_Loss");
  CHECK(key_of("params.LR").name == "LR");
  CHECK(key_of("tags.Team").name == "Team");
}

TEST_CASE("query parser: every attribute, in any case") {
  for (const char* a : {"run_id", "run_name", "name", "status", "user", "user_id", "start_time", "end_time", "duration",
                        "experiment", "exit_code"}) {
    std::string attr = a;
    CAPTURE(attr);
    auto k = key_of(std::string("attributes.") + a);
    CHECK(k.kind == KeyKind::attribute);
    CHECK(k.name == a);
    CHECK(k.text() == std::string("attributes.") + a);
    std::string upper = a;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(key_of("run." + upper).name == a);
  }
}

TEST_CASE("query parser: unquoted names with dots, slashes, dashes and colons") {
  CHECK(key_of("metrics.val/loss").name == "val/loss");
  CHECK(key_of("metrics.step-time").name == "step-time");
  CHECK(key_of("params.optimizer.lr").name == "optimizer.lr");
  CHECK(key_of("tags.mlt.git.branch").name == "mlt.git.branch");
  CHECK(key_of("tags.a:b").name == "a:b");
  CHECK(key_of("metrics.val/loss").text() == "metrics.val/loss");
  CHECK(parsed("metrics.val/loss<0.5") == "[metrics.val/loss < #0.5]");
  CHECK(parsed("metrics.train-loss>=1e-3 AND params.model.depth=4") ==
        "(AND [metrics.train-loss >= #0.001] [params.model.depth = #4])");
}

TEST_CASE("query parser: back-quoted and double-quoted names") {
  CHECK(key_of("metrics.`val loss`").name == "val loss");
  CHECK(key_of("metrics.\"val loss\"").name == "val loss");
  CHECK(key_of("params.`batch-size.x`").name == "batch-size.x");
  CHECK(key_of("params.\"a,b (c)\"").name == "a,b (c)");
  CHECK(key_of("tags.`it's`").name == "it's");
  CHECK(key_of("tags.`a``b`").name == "a`b");
  CHECK(key_of("tags.\"a\"\"b\"").name == "a\"b");
  CHECK(key_of("tags.`a\\`b`").name == "a`b");
  CHECK(key_of("metrics.`f1 score`").text() == "metrics.`f1 score`");
  CHECK(key_of("min(metrics.`f1 score`)").text() == "min(metrics.`f1 score`)");
  CHECK(key_of("params.\"a,b\"").text() == "params.`a,b`");
  CHECK(key_of("params.`plain`").text() == "params.plain");
  CHECK(parsed("metrics.`val loss` < 0.5 AND params.\"batch size\" = 32") ==
        "(AND [metrics.`val loss` < #0.5] [params.`batch size` = #32])");
  // quoted attribute names are attribute names too
  CHECK(key_of("attributes.`status`").name == "status");
}

TEST_CASE("query parser: aggregates min, max, last, count") {
  auto k = key_of("min(metrics.loss)");
  CHECK(k.kind == KeyKind::metric);
  CHECK(k.name == "loss");
  CHECK(k.agg == Agg::min);
  CHECK(k.text() == "min(metrics.loss)");
  CHECK(key_of("max(metrics.loss)").agg == Agg::max);
  CHECK(key_of("max(metrics.loss)").text() == "max(metrics.loss)");
  CHECK(key_of("count(metrics.loss)").agg == Agg::count);
  CHECK(key_of("count(metrics.loss)").text() == "count(metrics.loss)");
  CHECK(key_of("last(metrics.loss)").agg == Agg::last);
  CHECK(key_of("last(metrics.loss)").text() == "metrics.loss");   // last() is the plain key
  CHECK(key_of("MIN(metric.loss)").text() == "min(metrics.loss)");
  CHECK(key_of("Count ( metrics.val/loss )").text() == "count(metrics.val/loss)");
  CHECK(parsed("min(metrics.loss) < 0.2 AND metrics.loss > 0.3") ==
        "(AND [min(metrics.loss) < #0.2] [metrics.loss > #0.3])");
  CHECK(parsed("count(metrics.loss) IN (1, 2)") == "[count(metrics.loss) IN #1,#2]");
  // the position of an aggregate key is the aggregate's
  CHECK(parse_filter("params.a = 1 AND max(metrics.x) > 1")->children.at(1)->key.pos == 17);
}

TEST_CASE("query parser: strings with quotes and escapes") {
  CHECK(parsed("params.s = 'it''s'") == "[params.s = 'it's']");
  CHECK(parsed("params.s = 'it\\'s'") == "[params.s = 'it's']");
  CHECK(parsed("params.s = \"say \"\"hi\"\"\"") == "[params.s = 'say \"hi\"']");
  CHECK(parsed("params.s = \"it's\"") == "[params.s = 'it's']");
  CHECK(parsed("params.s = 'a\\\\b'") == "[params.s = 'a\\b']");      // \\ is one backslash
  CHECK(parsed("params.s = ''") == "[params.s = '']");
  CHECK(parsed("params.s = 'a AND b OR (c)'") == "[params.s = 'a AND b OR (c)']");
  CHECK(parsed("params.s = '10'") == "[params.s = '10']");            // quoted: a string
  auto e = parse_filter("params.s = 'x'");
  CHECK(e->values.at(0).type == QueryValue::string);
  CHECK(e->values.at(0).pos == 11);
}

TEST_CASE("query parser: numbers, signed, with exponents, nan and inf") {
  auto num = [](const std::string& v) {
    auto e = parse_filter("params.x = " + v);
    REQUIRE(e->values.size() == 1);
    CHECK(e->values[0].type == QueryValue::number);
    CHECK(e->values[0].str == v);   // the text as written, for text comparisons
    return e->values[0].num;
  };
  CHECK(num("3") == 3);
  CHECK(num("-2") == -2);
  CHECK(num("+5") == 5);
  CHECK(num("0.001") == doctest::Approx(0.001));
  CHECK(num("1e-3") == doctest::Approx(0.001));
  CHECK(num("-1.5E+2") == -150);
  CHECK(num("2.50") == 2.5);
  CHECK(std::isnan(num("nan")));
  CHECK(std::isnan(num("NaN")));
  CHECK(num("inf") == HUGE_VAL);
  CHECK(num("-inf") == -HUGE_VAL);
  CHECK(num("Infinity") == HUGE_VAL);
  // a metric compared with a quoted number compares with the number
  auto e = parse_filter("metrics.loss < '0.3'");
  CHECK(e->values.at(0).type == QueryValue::number);
  CHECK(e->values.at(0).num == doctest::Approx(0.3));
}

TEST_CASE("query parser: errors give the column and a caret") {
  // missing value at the end
  check_error_at("metrics.loss < 0.3 AND params.lr =", 35, "expected a value");
  check_error_at("metrics.loss <", 15, "expected a value");
  check_error_at("params.x = abc", 12, "expected a value");
  check_error_at("params.x IN ()", 14, "expected a value");
  // empty and blank filters
  check_error_at("", 1, "expected a condition");
  check_error_at("   ", 4, "expected a condition");
  check_error_at("params.a = 1 AND", 17, "expected a condition");
  // unknown prefix, missing key, unknown attribute
  check_error_at("foo.bar = 1", 1, "unknown key type 'foo'");
  check_error_at("params.a = 1 OR bogus.x = 2", 17, "unknown key type 'bogus'");
  check_error_at("= 1", 1, "expected a key");
  check_error_at("attributes.colour = 'red'", 12, "unknown attribute 'colour'");
  check_error_at("run.colour > 0", 5, "unknown attribute 'colour'");
  check_error_at("colour = 'red'", 1, "unknown attribute 'colour'");
  check_error_at("metrics.a < 1 OR `metricz`.a < 1", 18, "unknown key type 'metricz'");
  check_error_at("attributes.artifact_uri LIKE 'x%'", 12, "no artifact_uri");
  check_error_at("metrics = 1", 8, "expected '.' after 'metrics'");
  check_error_at("metrics . loss = 1", 8, "expected '.'");
  check_error_at("metrics. = 1", 9, "expected a key name");
  // unterminated strings and names: the column of the opening quote
  check_error_at("params.opt = 'adam", 14, "unterminated string");
  check_error_at("params.opt = \"adam", 14, "unterminated string");
  check_error_at("params.opt = 'it\\'", 14, "unterminated string");
  check_error_at("metrics.`val loss < 1", 9, "unterminated");
  // parentheses
  check_error_at("(metrics.a < 1", 15, "expected ')'");
  check_error_at("(metrics.a < 1 OR (metrics.b < 2)", 34, "expected ')'");
  check_error_at("params.x IN (1, 2", 18, "')' or ','");
  check_error_at("params.x IN 1", 13, "'(' after IN");
  check_error_at("metrics.a < 1)", 14, "expected AND, OR or the end");
  // trailing garbage
  check_error_at("metrics.a < 1 foo", 15, "expected AND, OR or the end of the filter");
  check_error_at("metrics.a < 1 AND metrics.b < 2 metrics.c < 3", 33, "expected AND, OR or the end");
  // operators
  check_error_at("metrics.a 1", 11, "expected an operator");
  check_error_at("metrics.a NOT = 1", 15, "expected IN, LIKE or ILIKE after NOT");
  check_error_at("params.a IS 1", 13, "expected NULL after IS");
  // NULL is not a value
  check_error_at("params.seed = NULL", 15, "IS NULL");
  check_error_at("params.seed != null", 16, "IS NULL");
  check_error_at("params.seed IN (1, NULL)", 20, "IS NULL");
  // LIKE: a quoted pattern, never on a metric
  check_error_at("metrics.loss LIKE '0.%'", 14, "metrics are numbers");
  check_error_at("metrics.loss NOT ILIKE '0.%'", 14, "metrics are numbers");
  check_error_at("params.opt LIKE 5", 17, "'quoted pattern'");
  // a metric compares with numbers
  check_error_at("metrics.loss = 'abc'", 16, "metrics compare with numbers");
  // aggregates take metrics
  check_error_at("min(params.lr) < 1", 5, "min() takes a metric");
  check_error_at("count(tags.x) = 0", 7, "count() takes a metric");
  check_error_at("max(attributes.duration) > 0", 5, "max() takes a metric");
  check_error_at("min metrics.loss < 1", 5, "expected '(' after 'min'");
  check_error_at("min(metrics.loss < 1", 18, "expected ')'");
  // datasets.* take name, digest, context or version; they cannot order runs
  check_error_at("datasets.size = 'x'", 10, "unknown dataset field 'size'");
  check_error_at("params.a = 1 AND dataset.colour = 'x'", 26, "unknown dataset field");
}

TEST_CASE("query parser: back-quoted and double-quoted prefixes, as MLflow accepts them") {
  struct Case {
    const char* text;
    const char* canonical;
  };
  const Case cases[] = {
      {"`metrics`.loss", "metrics.loss"},         {"`metric`.acc", "metrics.acc"},
      {"`params`.lr", "params.lr"},               {"`param`.lr", "params.lr"},
      {"`parameter`.lr", "params.lr"},            {"`parameters`.lr", "params.lr"},
      {"`tags`.`source name`", "tags.`source name`"}, {"`tag`.team", "tags.team"},
      {"`attributes`.status", "attributes.status"}, {"`attr`.run_name", "attributes.run_name"},
      {"`run`.status", "attributes.status"},      {"`datasets`.name", "datasets.name"},
      {"\"metrics\".loss", "metrics.loss"},       {"max(`metrics`.loss)", "max(metrics.loss)"},
      {"parameter.lr", "params.lr"},
  };
  for (auto& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    CHECK(key_of(c.text).text() == c.canonical);
    CHECK(parse_filter(std::string(c.text) + " IS NULL")->key.text() == c.canonical);
  }
  CHECK(parse_order("`metrics`.loss DESC").key.text() == "metrics.loss");
  CHECK(parse_order("`metrics`.loss DESC").desc);
  // a back-quoted aggregate name is not an aggregate
  CHECK(parse_error("`min`(metrics.loss) < 1") != "");
}

TEST_CASE("query parser: a name without a prefix is an attribute, as in MLflow") {
  CHECK(parsed("run_name = 'baseline'") == "[attributes.run_name = 'baseline']");
  CHECK(parsed("status = 'FINISHED' AND metrics.loss < 1") ==
        "(AND [attributes.status = 'FINISHED'] [metrics.loss < #1])");
  CHECK(parsed("run_id IN ('a', 'b')") == "[attributes.run_id IN 'a','b']");
  CHECK(parsed("NOT start_time > 5") == "(NOT [attributes.start_time > #5])");
  CHECK(parsed("end_time IS NULL") == "[attributes.end_time IS NULL]");
  CHECK(parsed("user_id = 'ada'") == "[attributes.user_id = 'ada']");
  CHECK(parsed("created > 5") == "[attributes.start_time > #5]");
  CHECK(parsed("Created > 5") == "[attributes.start_time > #5]");
  CHECK(parsed("run.created > 5") == "[attributes.start_time > #5]");
  CHECK(parsed("`Run name` = 'x'") == "[attributes.run_name = 'x']");
  CHECK(parsed("`Run Name` LIKE 'x%'") == "[attributes.run_name LIKE 'x%']");
  CHECK(parsed("\"run_name\" = 'x'") == "[attributes.run_name = 'x']");
  for (const char* a : {"run_id", "run_name", "name", "status", "user", "user_id", "start_time", "end_time", "duration",
                        "experiment", "exit_code"}) {
    std::string attr = a;
    CAPTURE(attr);
    CHECK(key_of(a).kind == KeyKind::attribute);
    CHECK(key_of(a).text() == "attributes." + attr);
  }
  CHECK(parse_order("run_name DESC").key.text() == "attributes.run_name");
  // unknown names: the error suggests the prefixes, or the attribute meant
  auto e = thrown([] { parse_filter("lr = 0.1"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "at column 1: unknown attribute 'lr'"));
  CHECK(contains(e->hint(), "did you mean params.lr, metrics.lr or tags.lr?"));
  e = thrown([] { parse_filter("stauts = 'x'"); });
  REQUIRE(e);
  CHECK(contains(e->hint(), "did you mean 'status'?"));
  e = thrown([] { parse_filter("`val loss` < 1"); });
  REQUIRE(e);
  CHECK(contains(e->hint(), "params.`val loss`"));
  check_error_at("metrics < 1", 8, "expected '.' after 'metrics'");
}

TEST_CASE("query parser: nesting is bounded, hostile depth is an error and never a crash") {
  auto nots = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "NOT ";
    return s + "metrics.loss < 1";
  };
  auto parens = [](int n) { return std::string(n, '(') + "metrics.loss < 1" + std::string(n, ')'); };
  CHECK(parse_filter(nots(20)));
  CHECK(parse_filter(parens(20)));
  CHECK(parse_filter(parens(10) + " AND " + nots(10)));
  check_error_at(nots(21), 81, "NOT and parentheses nest more than 20 deep");
  check_error_at(parens(21), 21, "NOT and parentheses nest more than 20 deep");
  check_error_at("NOT (" + nots(19) + ")", 78, "nest more than 20 deep");
  for (const auto& hostile : {nots(20000), parens(20000), std::string(100000, '(')}) {
    auto e = thrown([&] { parse_filter(hostile); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "nest more than 20 deep"));
    CHECK(std::string(e->what()).size() < 400);   // a window of the text around the column
  }
  std::string aggs;
  for (int i = 0; i < 20000; ++i) aggs += "min(";
  aggs += "metrics.loss" + std::string(20000, ')') + " < 1";
  check_error_at("min(max(metrics.loss)) < 1", 5, "max() cannot be nested");
  auto e = thrown([&] { parse_filter(aggs); });
  REQUIRE(e);
  CHECK(contains(e->what(), "cannot be nested"));
}

TEST_CASE("query parser: parse_key") {
  auto k = parse_key("  params.lr  ");
  CHECK(k.kind == KeyKind::param);
  CHECK(k.name == "lr");
  CHECK(k.pos == 2);
  CHECK(parse_key("max(metrics.acc)").agg == Agg::max);
  for (const char* bad : {"", "params.lr DESC", "params.lr = 1", "foo.x", "min(params.x)", "metrics.", "attributes.x"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { parse_key(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid key at column"));
  }
  auto e = thrown([&] { parse_key("params.lr x"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "at column 11:"));
  CHECK(std::string(e->what()).ends_with("\n  params.lr x\n  " + std::string(10, ' ') + "^"));
}

TEST_CASE("query parser: parse_order") {
  auto o = parse_order("metrics.loss");
  CHECK(o.key.text() == "metrics.loss");
  CHECK_FALSE(o.desc);
  CHECK_FALSE(parse_order("metrics.loss ASC").desc);
  CHECK_FALSE(parse_order("metrics.loss asc").desc);
  CHECK(parse_order("metrics.loss DESC").desc);
  CHECK(parse_order("metrics.acc desc").desc);
  CHECK(parse_order("  min(metrics.loss)   Desc  ").desc);
  CHECK(parse_order("min(metrics.loss) DESC").key.agg == Agg::min);
  CHECK(parse_order("attr.start_time DESC").key.text() == "attributes.start_time");
  CHECK(parse_order("params.`batch size` DESC").key.name == "batch size");
  for (const char* bad : {"", "metrics.loss SIDEWAYS", "metrics.loss DESC ASC", "metrics.loss DESCENDING", "DESC",
                          "metrics.loss, params.lr"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { parse_order(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
  auto e = thrown([&] { parse_order("metrics.loss SIDEWAYS"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "at column 14:"));
  CHECK(contains(e->what(), "ASC, DESC"));
  CHECK(std::string(e->what()).ends_with("\n  metrics.loss SIDEWAYS\n  " + std::string(13, ' ') + "^"));
}

TEST_CASE("query parser: filter_keys in order of appearance, without repeats") {
  auto e = parse_filter(
      "metrics.loss < 1 AND (params.lr = 0.1 OR NOT metrics.loss > 0) AND min(metrics.loss) < 1 AND "
      "param.lr IN (1) AND run.status = 'x' AND attributes.status IS NULL AND tags.t LIKE 'x'");
  auto keys = filter_keys(*e);
  std::vector<std::string> texts;
  for (auto& k : keys) texts.push_back(k.text());
  CHECK(texts == std::vector<std::string>{"metrics.loss", "params.lr", "min(metrics.loss)", "attributes.status",
                                          "tags.t"});
  CHECK(filter_keys(*parse_filter("params.a = 1")).size() == 1);
}

TEST_CASE("query QueryKey::text canonical forms read back as the same key") {
  for (const char* text : {"metrics.loss", "min(metrics.val/loss)", "count(metrics.`f1 score`)", "params.`a,b`",
                           "tags.mlt.git.branch", "attributes.start_time", "params.`it's`", "metrics.`x\"y`"}) {
    std::string what = text;
    CAPTURE(what);
    auto k = parse_key(text);
    CHECK(k.text() == text);
    auto again = parse_key(k.text());
    CHECK(again.kind == k.kind);
    CHECK(again.name == k.name);
    CHECK(again.agg == k.agg);
  }
}

// A name holding a backtick is written `a`b` by text(), which does not parse back: the backtick
// inside should be doubled (`a``b`), as the parser reads it.
TEST_CASE("query QueryKey::text of a name with a backtick reads back as the same key") {
  QueryKey k{KeyKind::param, "a`b"};
  CHECK(k.text() == "params.`a``b`");
  auto e = thrown([&] {
    auto again = parse_key(k.text());
    CHECK(again.name == "a`b");
  });
  CHECK_FALSE(e);
}

// ---------------------------------------------------------------------------------------------
// search_runs and key_value on a small project

namespace {

constexpr std::int64_t day = 86'400'000;
constexpr std::int64_t jan1 = 1'704'067'200'000;   // 2024-01-01T00:00:00Z

// five runs, one day apart from 2024-01-01 (four at noon):
//  one   Default  lr=10   opt=adam  bs=32  team=cv   loss 0.9,0.5,0.7  acc 0.8   FINISHED after 90 s
//  two   Default  lr=9    opt=Adam  bs=64  team=CV   loss 0.4          acc nan   FAILED exit 3 after 10 s
//  three Default  lr=1e-3 opt=sgd   bs=32.0 team=nlp loss nan          -         RUNNING
//  four  other    lr=abc  -         -      -         -                 -         KILLED after 1 ms
//  five  Default  -       opt=adamw -      -         loss 0.2,nan      -         deleted
struct Fixture {
  TempProject p;
  ScopedEnv clock{"MLT_NOW_MS", std::nullopt};
  RunRef one, two, three, four, five;

  RunRef make(const std::string& name, std::int64_t start, std::vector<KeyValue> params, std::vector<KeyValue> tags,
              const std::string& experiment = {}) {
    clock.set(std::to_string(start));
    NewRun spec;
    spec.name = name;
    spec.experiment = experiment;
    spec.user = "ada";
    spec.params = std::move(params);
    spec.tags = std::move(tags);
    return create_run(p.db(), spec).ref;
  }
  void end(const RunRef& r, std::int64_t at, RunStatus s, std::optional<int> code) {
    clock.set(std::to_string(at));
    end_run(p.db(), r, s, code);
  }

  Fixture() {
    const double nan = std::nan("");
    one = make("one", jan1, {{"lr", "10"}, {"opt", "adam"}, {"bs", "32"}}, {{"team", "cv"}});
    two = make("two", jan1 + day, {{"lr", "9"}, {"opt", "Adam"}, {"bs", "64"}}, {{"team", "CV"}});
    three = make("three", jan1 + 2 * day, {{"lr", "1e-3"}, {"opt", "sgd"}, {"bs", "32.0"}}, {{"team", "nlp"}});
    four = make("four", jan1 + 3 * day + day / 2, {{"lr", "abc"}}, {}, "other");
    five = make("five", jan1 + 4 * day, {{"opt", "adamw"}}, {});
    log_metrics(p.db(), one, {{"loss", 0.9}, {"acc", 0.8}}, 0, 1);
    log_metrics(p.db(), one, {{"loss", 0.5}}, 1, 2);
    log_metrics(p.db(), one, {{"loss", 0.7}}, 2, 3);
    log_metrics(p.db(), two, {{"loss", 0.4}, {"acc", nan}}, 0, 1);
    log_metrics(p.db(), three, {{"loss", nan}}, 0, 1);
    log_metrics(p.db(), five, {{"loss", 0.2}}, 0, 1);
    log_metrics(p.db(), five, {{"loss", nan}}, 1, 2);
    end(one, jan1 + 90'000, RunStatus::finished, std::nullopt);
    end(two, jan1 + day + 10'000, RunStatus::failed, 3);
    end(four, jan1 + 3 * day + day / 2 + 1, RunStatus::killed, std::nullopt);
    set_run_deleted(p.db(), five, true);
  }

  std::vector<std::string> names(const SearchSpec& spec) {
    std::vector<std::string> out;
    for (auto& r : load_runs(p.db(), search_runs(p.db(), spec))) out.push_back(r.name);
    return out;
  }
  std::vector<std::string> where(const std::string& filter, Lifecycle lc = Lifecycle::active) {
    SearchSpec s;
    s.filter = filter;
    s.lifecycle = lc;
    return names(s);
  }
  std::vector<std::string> sorted(std::vector<std::string> order, Lifecycle lc = Lifecycle::active) {
    SearchSpec s;
    s.order = std::move(order);
    s.lifecycle = lc;
    return names(s);
  }
};

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("query search_runs: no filter lists newest first; lifecycle; limit; experiments; only_run") {
  Fixture f;
  CHECK(f.where("") == Names{"four", "three", "two", "one"});
  CHECK(f.where("", Lifecycle::all) == Names{"five", "four", "three", "two", "one"});
  CHECK(f.where("", Lifecycle::deleted) == Names{"five"});
  CHECK(f.where("params.opt LIKE 'adam%'", Lifecycle::all) == Names{"five", "one"});
  CHECK(f.where("params.opt LIKE 'adam%'", Lifecycle::deleted) == Names{"five"});

  SearchSpec s;
  s.limit = 2;
  CHECK(f.names(s) == Names{"four", "three"});
  s.limit = 0;
  CHECK(f.names(s).empty());
  s.limit = 2;
  s.order = {"metrics.loss"};
  CHECK(f.names(s) == Names{"two", "one"});

  SearchSpec e;
  e.experiments = {"other"};
  CHECK(f.names(e) == Names{"four"});
  e.experiments = {"Default", "other"};
  CHECK(f.names(e) == Names{"four", "three", "two", "one"});
  e.experiments = {"Default"};
  e.filter = "params.lr > 0";
  CHECK(f.names(e) == Names{"three", "two", "one"});
  e.experiments = {"nope"};
  auto err = thrown([&] { f.names(e); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::not_found);

  SearchSpec o;
  o.only_run = f.two.id;
  CHECK(f.names(o) == Names{"two"});
  o.filter = "metrics.loss < 0.5";
  CHECK(f.names(o) == Names{"two"});
  o.filter = "metrics.loss > 0.5";
  CHECK(f.names(o).empty());
  o.only_run = f.five.id;   // deleted: only with Lifecycle::all
  o.filter = "";
  CHECK(f.names(o).empty());
  o.lifecycle = Lifecycle::all;
  CHECK(f.names(o) == Names{"five"});

  // a bad filter or order is a usage error
  SearchSpec bad;
  bad.filter = "metrics.loss <";
  err = thrown([&] { f.names(bad); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
  bad.filter = "";
  bad.order = {"metrics.loss UP"};
  err = thrown([&] { f.names(bad); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
}

TEST_CASE("query search_runs: a missing key never matches a comparison but matches IS NULL") {
  Fixture f;
  CHECK(f.where("params.bs = 32") == Names{"three", "one"});   // 32.0 is 32
  CHECK(f.where("params.bs != 32") == Names{"two"});           // four lacks bs
  CHECK(f.where("params.bs < 1000") == Names{"three", "two", "one"});
  CHECK(f.where("params.bs IS NULL") == Names{"four"});
  CHECK(f.where("params.bs IS NOT NULL") == Names{"three", "two", "one"});
  CHECK(f.where("params.nope = 1").empty());
  CHECK(f.where("params.nope != 1").empty());
  CHECK(f.where("params.nope NOT IN (1, 2)").empty());
  CHECK(f.where("params.nope NOT LIKE 'x%'").empty());
  CHECK(f.where("params.nope IS NULL") == Names{"four", "three", "two", "one"});
  CHECK(f.where("tags.team IS NULL") == Names{"four"});
  CHECK(f.where("metrics.acc IS NULL") == Names{"four", "three"});
  CHECK(f.where("metrics.acc IS NOT NULL") == Names{"two", "one"});
  CHECK(f.where("attributes.end_time IS NULL") == Names{"three"});
  CHECK(f.where("attributes.duration IS NULL") == Names{"three"});
  CHECK(f.where("attributes.exit_code IS NULL") == Names{"four", "three", "one"});
  CHECK(f.where("attributes.exit_code = 3") == Names{"two"});
  CHECK(f.where("attributes.exit_code != 3").empty());
}

TEST_CASE("query search_runs: NOT over a missing key is true") {
  Fixture f;
  CHECK(f.where("NOT params.bs = 32") == Names{"four", "two"});
  CHECK(f.where("NOT params.nope = 1") == Names{"four", "three", "two", "one"});
  CHECK(f.where("NOT metrics.acc > 0.5") == Names{"four", "three", "two"});
  CHECK(f.where("NOT params.lr IN (9, 10)") == Names{"four", "three"});
  CHECK(f.where("params.lr NOT IN (9, 10)") == Names{"three"});   // abc is not a number: fails
  CHECK(f.where("NOT (params.bs = 32 OR tags.team = 'CV')") == Names{"four"});
  CHECK(f.where("NOT NOT params.bs = 32") == Names{"three", "one"});
  CHECK(f.where("NOT params.bs IS NULL") == Names{"three", "two", "one"});
}

TEST_CASE("query search_runs: a NaN metric is present and fails every comparison") {
  Fixture f;
  // two's acc is NaN; three's last loss is NaN (and its only value)
  CHECK(f.where("metrics.acc != 0.8").empty());
  CHECK(f.where("metrics.acc = nan").empty());
  CHECK(f.where("metrics.acc >= -inf") == Names{"one"});
  CHECK(f.where("metrics.acc <= inf") == Names{"one"});
  CHECK(f.where("metrics.loss != 0") == Names{"two", "one"});
  CHECK(f.where("metrics.loss IN (0.4, 0.7)") == Names{"two", "one"});
  CHECK(f.where("metrics.loss NOT IN (0.4)") == Names{"one"});
  CHECK(f.where("metrics.loss IS NOT NULL") == Names{"three", "two", "one"});
  CHECK(f.where("metrics.loss IS NOT NULL AND NOT metrics.loss >= -inf") == Names{"three"});
  CHECK(f.where("metrics.loss IS NOT NULL AND NOT metrics.loss >= -inf", Lifecycle::all) == Names{"five", "three"});
  CHECK(f.where("NOT metrics.acc != 0.8") == Names{"four", "three", "two", "one"});
  // min/max of all-NaN values: present, never compared true
  CHECK(f.where("min(metrics.loss) IS NOT NULL") == Names{"three", "two", "one"});
  CHECK(f.where("min(metrics.loss) >= -inf") == Names{"two", "one"});
  // five: last NaN, but min and max ignore it
  CHECK(f.where("min(metrics.loss) = 0.2", Lifecycle::all) == Names{"five"});
  CHECK(f.where("max(metrics.loss) < 0.3", Lifecycle::all) == Names{"five"});
  CHECK(f.where("metrics.loss < 0.3", Lifecycle::all).empty());
}

TEST_CASE("query search_runs: aggregates min, max, last, count") {
  Fixture f;
  CHECK(f.where("min(metrics.loss) = 0.5") == Names{"one"});
  CHECK(f.where("max(metrics.loss) = 0.9") == Names{"one"});
  CHECK(f.where("last(metrics.loss) = 0.7") == Names{"one"});
  CHECK(f.where("metrics.loss = 0.7") == Names{"one"});
  CHECK(f.where("min(metrics.loss) < 0.6 AND metrics.loss > 0.6") == Names{"one"});
  CHECK(f.where("max(metrics.loss) <= 0.4") == Names{"two"});
  CHECK(f.where("count(metrics.loss) = 3") == Names{"one"});
  CHECK(f.where("count(metrics.loss) = 1") == Names{"three", "two"});   // a NaN point counts
  CHECK(f.where("count(metrics.loss) = 2", Lifecycle::all) == Names{"five"});
  // count() of a missing metric is 0, never missing
  CHECK(f.where("count(metrics.acc) = 0") == Names{"four", "three"});
  CHECK(f.where("count(metrics.nope) = 0") == Names{"four", "three", "two", "one"});
  CHECK(f.where("count(metrics.nope) IS NULL").empty());
  CHECK(f.where("count(metrics.nope) IS NOT NULL") == Names{"four", "three", "two", "one"});
  CHECK(f.where("count(metrics.loss) < 2") == Names{"four", "three", "two"});
  CHECK(f.where("count(metrics.loss) IN (0, 3)") == Names{"four", "one"});
  CHECK(f.where("min(metrics.nope) IS NULL") == Names{"four", "three", "two", "one"});
}

TEST_CASE("query search_runs: params compare as numbers with unquoted numbers, as text with strings") {
  Fixture f;
  CHECK(f.where("params.lr > 9") == Names{"one"});           // '10' > 9 as numbers
  CHECK(f.where("params.lr >= 9") == Names{"two", "one"});
  CHECK(f.where("params.lr > '9'") == Names{"four"});        // as text '10' < '9', and 'abc' > '9'
  CHECK(f.where("params.lr < '9'") == Names{"three", "one"});
  CHECK(f.where("params.lr = 0.001") == Names{"three"});     // 1e-3 spells 0.001
  CHECK(f.where("params.lr = 1E-3") == Names{"three"});
  CHECK(f.where("params.lr = '0.001'").empty());
  CHECK(f.where("params.lr = '1e-3'") == Names{"three"});
  CHECK(f.where("params.lr = 'abc'") == Names{"four"});
  CHECK(f.where("params.lr != 10") == Names{"three", "two"});   // abc is not a number: fails
  CHECK(f.where("params.lr != '10'") == Names{"four", "three", "two"});
  CHECK(f.where("params.lr < 100") == Names{"three", "two", "one"});
  CHECK(f.where("params.bs = 32.0") == Names{"three", "one"});
  CHECK(f.where("params.bs = '32'") == Names{"one"});
  CHECK(f.where("params.bs = +32") == Names{"three", "one"});
  // IN: numbers only compare as numbers; any string makes the list text, numbers as written
  CHECK(f.where("params.lr IN (9, 10)") == Names{"two", "one"});
  CHECK(f.where("params.bs IN (32)") == Names{"three", "one"});
  CHECK(f.where("params.lr IN (0.001, 'abc')") == Names{"four"});
  CHECK(f.where("params.lr IN (9, 'abc')") == Names{"four", "two"});
  CHECK(f.where("params.lr IN ('9', '10')") == Names{"two", "one"});
  CHECK(f.where("params.bs IN ('32.0')") == Names{"three"});
  // tags too
  CHECK(f.where("tags.team = 'cv'") == Names{"one"});
  CHECK(f.where("tags.team > 'a'") == Names{"three", "one"});
}

TEST_CASE("query search_runs: LIKE is case-sensitive, ILIKE is not; escapes in patterns") {
  Fixture f;
  CHECK(f.where("params.opt LIKE 'adam'") == Names{"one"});
  CHECK(f.where("params.opt LIKE 'a%'") == Names{"one"});
  CHECK(f.where("params.opt LIKE 'A%'") == Names{"two"});
  CHECK(f.where("params.opt LIKE '%dam'") == Names{"two", "one"});
  CHECK(f.where("params.opt LIKE '_dam'") == Names{"two", "one"});
  CHECK(f.where("params.opt ILIKE 'ADAM'") == Names{"two", "one"});
  CHECK(f.where("params.opt ILIKE 'adam%'", Lifecycle::all) == Names{"five", "two", "one"});
  CHECK(f.where("params.opt NOT LIKE 'a%'") == Names{"three", "two"});     // four lacks opt
  CHECK(f.where("params.opt NOT ILIKE 'a%'") == Names{"three"});
  CHECK(f.where("NOT params.opt ILIKE 'a%'") == Names{"four", "three"});
  CHECK(f.where("tags.team ILIKE 'cv'") == Names{"two", "one"});
  CHECK(f.where("tags.team LIKE 'cv'") == Names{"one"});
  CHECK(f.where("attributes.name LIKE 't%'") == Names{"three", "two"});
  CHECK(f.where("attributes.name ILIKE 'T%'") == Names{"three", "two"});
  CHECK(f.where("attributes.run_id LIKE '" + f.two.uuid.substr(0, 6) + "%'") == Names{"two"});
  CHECK(f.where("attributes.run_id = '" + f.three.uuid + "'") == Names{"three"});

  TempProject q;
  int n = 0;
  for (const char* opt : {"adam_w", "adamXw", "50%", "5000", "back\\slash"}) {
    NewRun spec;
    spec.name = "r" + std::to_string(++n);
    spec.params = {{"opt", opt}};
    create_run(q.db(), spec);
  }
  auto opts = [&](const std::string& filter) {
    SearchSpec s;
    s.filter = filter;
    std::vector<std::string> out;
    for (auto& r : load_runs(q.db(), search_runs(q.db(), s))) out.push_back(r.params.at("opt"));
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(opts("params.opt LIKE 'adam\\\\_%'") == Names{"adam_w"});
  CHECK(opts("params.opt LIKE 'adam\\_%'") == Names{"adam_w"});   // a lone backslash reaches LIKE
  CHECK(opts("params.opt LIKE 'adam_%'") == Names{"adamXw", "adam_w"});
  CHECK(opts("params.opt LIKE '%\\\\%'") == Names{"50%"});
  CHECK(opts("params.opt LIKE '5%'") == Names{"50%", "5000"});
  CHECK(opts("params.opt = 'back\\\\slash'") == Names{"back\\slash"});
}

TEST_CASE("query search_runs: in LIKE a backslash makes only the next %, _ or backslash literal") {
  TempProject q;
  int n = 0;
  for (const char* opt : {"adamw", "adam\\w", "C:\\temp\\data", "C:temp", "50%", "C:\\%x"}) {
    NewRun spec;
    spec.name = "r" + std::to_string(++n);
    spec.params = {{"opt", opt}};
    create_run(q.db(), spec);
  }
  auto opts = [&](const std::string& filter) {
    SearchSpec s;
    s.filter = filter;
    std::vector<std::string> out;
    for (auto& r : load_runs(q.db(), search_runs(q.db(), s))) out.push_back(r.params.at("opt"));
    std::sort(out.begin(), out.end());
    return out;
  };
  // \w is no escape: the backslash is a backslash (it used to match "adamw")
  CHECK(opts("params.opt LIKE 'adam\\w'") == Names{"adam\\w"});
  CHECK(opts("params.opt ILIKE 'ADAM\\W'") == Names{"adam\\w"});
  // a backslash before a letter, then a wildcard (it used to match nothing)
  CHECK(opts("params.opt LIKE 'C:\\temp%'") == Names{"C:\\temp\\data"});
  CHECK(opts("params.opt LIKE '%\\data'") == Names{"C:\\temp\\data"});
  CHECK(opts("params.opt LIKE 'C:\\temp\\data'") == Names{"C:\\temp\\data"});
  // a backslash at the end is a backslash
  CHECK(opts("params.opt LIKE 'adam\\\\'").empty());
  // \% and \_ are literal; in the pattern \\ is one literal backslash (typed \\\\ in a string)
  CHECK(opts("params.opt LIKE '50\\%'") == Names{"50%"});
  CHECK(opts("params.opt LIKE 'adam\\_'").empty());
  CHECK(opts("params.opt LIKE 'C:\\\\\\\\%'") == Names{"C:\\%x", "C:\\temp\\data"});
  CHECK(opts("params.opt LIKE 'C:\\\\\\\\\\%x'") == Names{"C:\\%x"});
  CHECK(opts("params.opt LIKE 'C:\\%x'").empty());   // C: then a literal %: no such value
}

TEST_CASE("query search_runs: attributes: status ignores case, text attributes compare as text") {
  Fixture f;
  CHECK(f.where("attributes.status = 'finished'") == Names{"one"});
  CHECK(f.where("attributes.status = 'FINISHED'") == Names{"one"});
  CHECK(f.where("run.status == 'Failed'") == Names{"two"});
  CHECK(f.where("attributes.status != 'running'") == Names{"four", "two", "one"});
  CHECK(f.where("attributes.status IN ('failed', 'KILLED')") == Names{"four", "two"});
  CHECK(f.where("attributes.status NOT IN ('running')") == Names{"four", "two", "one"});
  CHECK(f.where("attributes.status LIKE 'FIN%'") == Names{"one"});
  CHECK(f.where("attributes.status ILIKE 'fin%'") == Names{"one"});
  CHECK(f.where("attributes.status = 'FINISHED'", Lifecycle::all) == Names{"one"});
  CHECK(f.where("attributes.status = 'running'", Lifecycle::all) == Names{"five", "three"});
  CHECK(f.where("attributes.experiment = 'other'") == Names{"four"});
  CHECK(f.where("attributes.experiment != 'other'") == Names{"three", "two", "one"});
  CHECK(f.where("attributes.user = 'ada' AND attr.user_id = 'ada'") == Names{"four", "three", "two", "one"});
  CHECK(f.where("attributes.run_name = 'two' OR attributes.name = 'three'") == Names{"three", "two"});
  CHECK(f.where("attributes.name > 'o'") == Names{"three", "two", "one"});   // byte order
  CHECK(f.where("attributes.name = 5").empty());                             // text even unquoted
  CHECK(f.where("attributes.duration = 90000") == Names{"one"});
  CHECK(f.where("attributes.duration > 5000") == Names{"two", "one"});
  CHECK(f.where("attributes.duration < '5000'") == Names{"four"});
  CHECK(f.where("attributes.exit_code IN (3, 4)") == Names{"two"});
  for (const char* bad : {"attributes.duration > 'long'", "attributes.exit_code = 'x'"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { f.where(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), bad[11] == 'd' ? "'long'" : "'x'"));
  }
}

TEST_CASE("query search_runs: times compare as epoch ms or UTC dates") {
  Fixture f;
  CHECK(f.where("attributes.start_time = " + std::to_string(jan1)) == Names{"one"});
  CHECK(f.where("attributes.start_time > " + std::to_string(jan1)) == Names{"four", "three", "two"});
  CHECK(f.where("attributes.start_time >= '2024-01-03'") == Names{"four", "three"});
  CHECK(f.where("attributes.start_time < '2024-01-02'") == Names{"one"});
  CHECK(f.where("attributes.start_time <= '2024-01-02'") == Names{"two", "one"});
  CHECK(f.where("attributes.start_time = '2024-01-04T12:00'") == Names{"four"});
  CHECK(f.where("attributes.start_time = '2024-01-04T12:00:00'") == Names{"four"});
  CHECK(f.where("attributes.start_time = '2024-01-04T12:00:00Z'") == Names{"four"});
  CHECK(f.where("attributes.start_time = '2024-01-04 12:00:00'") == Names{"four"});
  CHECK(f.where("attributes.start_time > '2024-01-04 11:59:59'") == Names{"four"});
  CHECK(f.where("attributes.start_time >= '2024-01-02' AND attributes.start_time < '2024-01-04'") ==
        Names{"three", "two"});
  CHECK(f.where("attributes.end_time < '2024-01-01T00:01:31'") == Names{"one"});
  CHECK(f.where("attributes.end_time > '2024-01-01'") == Names{"four", "two", "one"});
  CHECK(f.where("attributes.start_time >= '2024-01-05'", Lifecycle::all) == Names{"five"});
  for (const char* bad : {"attributes.start_time > 'yesterday'", "attributes.start_time > '1704067200000'",
                          "attributes.end_time < '2024-13-01'", "attributes.start_time > ''"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { f.where(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid time"));
  }
}

// mlt-runs(1): "A quoted time of another form ... exits 2". Trailing text after a date, or a
// zone offset, is accepted and ignored: '2024-01-04T12:00:00+05:00' is taken as 12:00 UTC.
TEST_CASE("query search_runs: a time with trailing text or a zone offset is refused") {
  Fixture f;
  for (const char* bad : {"attributes.start_time > '2024-01-03junk'",
                          "attributes.start_time = '2024-01-04T12:00:00+05:00'",
                          "attributes.start_time > '2024-01-03T'", "attributes.start_time > '2024-01-03T10'"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { f.where(bad); });
    CHECK(e);
    if (e) CHECK(e->code() == ExitCode::usage);
  }
}

// mlt-runs(1): "Metrics compare with numbers: a quoted value must spell a number ... or the filter
// exits 2", and "a quoted value given for duration or exit_code must spell a number". An IN list
// is not checked: it silently matches nothing.
TEST_CASE("query search_runs: a quoted non-number in an IN list on a metric or numeric attribute is refused") {
  Fixture f;
  for (const char* bad : {"metrics.loss IN ('abc')", "metrics.loss IN (0.4, 'low')", "attributes.exit_code IN ('x')",
                          "attributes.duration NOT IN ('long')"}) {
    std::string what = bad;
    CAPTURE(what);
    auto e = thrown([&] { f.where(bad); });
    CHECK(e);
    if (e) CHECK(e->code() == ExitCode::usage);
  }
}

TEST_CASE("query search_runs: a quoted number in an IN list on a metric compares as a number") {
  Fixture f;
  CHECK(f.where("metrics.loss IN ('0.4', '0.7')") == Names{"two", "one"});
  CHECK(f.where("metrics.loss < '0.5'") == Names{"two"});
}

TEST_CASE("query search_runs: OR, AND, NOT precedence on data") {
  Fixture f;
  // a OR b AND c = a OR (b AND c)
  CHECK(f.where("params.opt = 'sgd' OR tags.team = 'cv' AND metrics.loss < 0.5") == Names{"three"});
  CHECK(f.where("(params.opt = 'sgd' OR tags.team = 'cv') AND metrics.loss < 0.8") == Names{"one"});
  CHECK(f.where("params.opt = 'sgd' OR tags.team = 'cv' AND metrics.loss < 0.8") == Names{"three", "one"});
  // NOT a AND b = (NOT a) AND b
  CHECK(f.where("NOT params.opt = 'sgd' AND params.bs IS NOT NULL") == Names{"two", "one"});
  CHECK(f.where("NOT (params.opt = 'sgd' AND params.bs IS NOT NULL)") == Names{"four", "two", "one"});
  CHECK(f.where("params.lr > 9 OR params.lr < 1 OR params.lr = 'abc'") == Names{"four", "three", "one"});
}

TEST_CASE("query search_runs: order: numbers, then NaN, then missing, ascending and descending") {
  Fixture f;
  CHECK(f.sorted({"metrics.loss"}) == Names{"two", "one", "three", "four"});
  CHECK(f.sorted({"metrics.loss ASC"}) == Names{"two", "one", "three", "four"});
  CHECK(f.sorted({"metrics.loss DESC"}) == Names{"one", "two", "three", "four"});
  // NaN ties (five, three) come newest first
  CHECK(f.sorted({"metrics.loss"}, Lifecycle::all) == Names{"two", "one", "five", "three", "four"});
  CHECK(f.sorted({"metrics.loss DESC"}, Lifecycle::all) == Names{"one", "two", "five", "three", "four"});
  CHECK(f.sorted({"metrics.acc"}) == Names{"one", "two", "four", "three"});
  CHECK(f.sorted({"metrics.acc DESC"}) == Names{"one", "two", "four", "three"});
  CHECK(f.sorted({"min(metrics.loss)"}, Lifecycle::all) == Names{"five", "two", "one", "three", "four"});
  CHECK(f.sorted({"max(metrics.loss) DESC"}, Lifecycle::all) == Names{"one", "two", "five", "three", "four"});
  CHECK(f.sorted({"count(metrics.loss)"}, Lifecycle::all) == Names{"four", "three", "two", "five", "one"});
  CHECK(f.sorted({"count(metrics.loss) DESC"}, Lifecycle::all) == Names{"one", "five", "three", "two", "four"});
  // params: numbers as numbers first, then text, then missing
  CHECK(f.sorted({"params.lr"}, Lifecycle::all) == Names{"three", "two", "one", "four", "five"});
  CHECK(f.sorted({"params.lr DESC"}, Lifecycle::all) == Names{"one", "two", "three", "four", "five"});
  CHECK(f.sorted({"params.opt"}, Lifecycle::all) == Names{"two", "one", "five", "three", "four"});
  CHECK(f.sorted({"params.opt DESC"}, Lifecycle::all) == Names{"three", "five", "one", "two", "four"});
  CHECK(f.sorted({"params.bs DESC"}) == Names{"two", "three", "one", "four"});
  // attributes
  CHECK(f.sorted({"attributes.name"}) == Names{"four", "one", "three", "two"});
  CHECK(f.sorted({"attributes.name DESC"}) == Names{"two", "three", "one", "four"});
  CHECK(f.sorted({"attributes.start_time"}) == Names{"one", "two", "three", "four"});
  CHECK(f.sorted({"attributes.duration DESC"}) == Names{"one", "two", "four", "three"});
  CHECK(f.sorted({"attributes.duration"}) == Names{"four", "two", "one", "three"});
  CHECK(f.sorted({"attributes.exit_code"}) == Names{"two", "four", "three", "one"});
  CHECK(f.sorted({"tags.team"}) == Names{"two", "one", "three", "four"});
  // several keys: each breaks the ties of those before
  CHECK(f.sorted({"params.bs", "attributes.name"}) == Names{"one", "three", "two", "four"});
  CHECK(f.sorted({"params.bs DESC", "attributes.name DESC"}) == Names{"two", "three", "one", "four"});
  CHECK(f.sorted({"attributes.experiment DESC", "metrics.loss DESC"}) == Names{"four", "one", "two", "three"});
  // with a filter and a limit
  SearchSpec s;
  s.filter = "metrics.loss IS NOT NULL";
  s.order = {"metrics.loss DESC"};
  s.limit = 2;
  CHECK(f.names(s) == Names{"one", "two"});
  s.limit = 3;
  CHECK(f.names(s) == Names{"one", "two", "three"});
}

// mlt-runs(1): params sort "as numbers"; 32 and 32.0 are the same number, a tie that the next
// key, then the start time (newest first), breaks. The text is used as a hidden tie-breaker.
TEST_CASE("query search_runs: params equal as numbers are tied when sorted") {
  Fixture f;
  CHECK(f.sorted({"params.bs"}) == Names{"three", "one", "two", "four"});
  CHECK(f.sorted({"params.bs", "attributes.name DESC"}) == Names{"three", "one", "two", "four"});
}

TEST_CASE("query key_value: the value of each kind of key, as text") {
  Fixture f;
  auto v = [&](const RunRef& r, const std::string& key) { return key_value(f.p.db(), r.id, parse_key(key)); };
  CHECK(v(f.one, "metrics.loss") == "0.7");
  CHECK(v(f.one, "last(metrics.loss)") == "0.7");
  CHECK(v(f.one, "min(metrics.loss)") == "0.5");
  CHECK(v(f.one, "max(metrics.loss)") == "0.9");
  CHECK(v(f.one, "count(metrics.loss)") == "3");
  CHECK(v(f.one, "count(metrics.nope)") == "0");
  CHECK(v(f.one, "metrics.nope") == std::nullopt);
  CHECK(v(f.one, "min(metrics.nope)") == std::nullopt);
  CHECK(v(f.two, "metrics.acc") == "nan");
  CHECK(v(f.three, "min(metrics.loss)") == "nan");
  CHECK(v(f.five, "metrics.loss") == "nan");
  CHECK(v(f.five, "min(metrics.loss)") == "0.2");
  CHECK(v(f.one, "params.lr") == "10");
  CHECK(v(f.three, "params.lr") == "1e-3");   // as stored
  CHECK(v(f.three, "params.bs") == "32.0");
  CHECK(v(f.four, "params.opt") == std::nullopt);
  CHECK(v(f.two, "tags.team") == "CV");
  CHECK(v(f.four, "tags.team") == std::nullopt);
  CHECK(v(f.one, "attributes.name") == "one");
  CHECK(v(f.one, "run.run_name") == "one");
  CHECK(v(f.one, "attributes.run_id") == f.one.uuid);
  CHECK(v(f.two, "attributes.status") == "FAILED");
  CHECK(v(f.two, "attributes.user") == "ada");
  CHECK(v(f.four, "attributes.experiment") == "other");
  CHECK(v(f.one, "attributes.start_time") == std::to_string(jan1));
  CHECK(v(f.one, "attributes.end_time") == std::to_string(jan1 + 90'000));
  CHECK(v(f.three, "attributes.end_time") == std::nullopt);
  CHECK(v(f.one, "attributes.duration") == "90000");
  CHECK(v(f.three, "attributes.duration") == std::nullopt);
  CHECK(v(f.two, "attributes.exit_code") == "3");
  CHECK(v(f.one, "attributes.exit_code") == std::nullopt);
  CHECK(v(f.one, "params.`no such`") == std::nullopt);
}

// The SQL is built from the filter's structure only: keys and values are bound parameters.
TEST_CASE("query search_runs: hostile keys and values are data, never SQL") {
  TempProject p;
  const std::vector<std::string> hostile = {
      "x' OR '1'='1",
      "x\" OR \"1\"=\"1",
      "'; DROP TABLE runs; --",
      "a`b",
      "?1",
      "k0.value",
      "%_\\",
      ") OR 1=1 --",
      "a b",
      "semi;colon",
  };
  std::vector<RunRef> runs;
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    NewRun spec;
    spec.name = "h" + std::to_string(i);
    spec.params = {{hostile[i], hostile[i]}};
    spec.tags = {{"t", hostile[i]}};
    runs.push_back(create_run(p.db(), spec).ref);
    log_metrics(p.db(), runs.back(), {{hostile[i], static_cast<double>(i)}}, 0, 1);
  }
  auto escape = [](const std::string& s, char q) {
    std::string o;
    for (char c : s) {
      if (c == q || c == '\\') o += '\\';
      o += c;
    }
    return o;
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    const std::string& h = hostile[i];
    CAPTURE(h);
    std::string bq = "`" + escape(h, '`') + "`";
    std::string sq = "'" + escape(h, '\'') + "'";
    std::string dq = "\"" + escape(h, '"') + "\"";
    for (const std::string& filter :
         {"params." + bq + " = " + sq, "params." + dq + " = " + dq, "tags.t = " + sq, "tags.t IN (" + sq + ")",
          "params." + bq + " IS NOT NULL", "metrics." + bq + " = " + std::to_string(i),
          "count(metrics." + dq + ") = 1", "tags.t LIKE " + sq + " AND tags.t = " + dq}) {
      CAPTURE(filter);
      if (contains(filter, "LIKE") && contains(h, "\\")) continue;   // a backslash escapes in patterns
      SearchSpec s;
      s.filter = filter;
      auto found = search_runs(p.db(), s);
      // LIKE treats % and _ as wildcards, but the equality next to it pins the one run
      CHECK(found == std::vector<std::int64_t>{runs[i].id});
    }
    CHECK(key_value(p.db(), runs[i].id, parse_key("params." + bq)) == h);
    SearchSpec order;
    order.order = {"params." + bq + " DESC"};
    auto all = search_runs(p.db(), order);
    REQUIRE(all.size() == hostile.size());
    CHECK(all.front() == runs[i].id);   // the only run with the key comes first
  }
  // nothing was dropped or changed
  CHECK(list_runs(p.db(), {}).size() == hostile.size());
  SearchSpec none;
  none.filter = "params.`x' OR '1'='1` = 'nope' OR tags.t = ''' OR 1=1 --'";
  CHECK(search_runs(p.db(), none).empty());
}
