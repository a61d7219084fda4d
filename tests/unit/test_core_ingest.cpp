// core/ingest: the line parsers (kv, jsonl, csv), format detection, and the Ingester: batching by
// count and by time, strict mode, over-long lines, CRLF, lines split across reads, the stdout
// prefix mode, per-line detection, automatic steps that continue the database's history.
#include "core/tracking/ingest.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

std::string show(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream os;
  os << v;
  return os.str();
}

// "key=value" for each value of a parsed line, in order (or sorted), separated by spaces.
std::string values_of(const ParsedLine& p, bool sorted = false) {
  std::vector<std::string> items;
  for (auto& [k, v] : p.values) items.push_back(k + "=" + show(v));
  if (sorted) std::sort(items.begin(), items.end());
  std::string out;
  for (auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

// Parses one line with a fresh parser of format f; the error, or "" when it parsed.
struct Parsed {
  std::string error;
  ParsedLine line;
};
Parsed parse1(LineFormat f, std::string_view text) {
  LineParser lp(f);
  Parsed out;
  if (auto e = lp.parse(text, out.line)) out.error = *e;
  return out;
}

// A run to ingest into, the rejections seen, and the points stored as "key@step=value".
struct Fixture {
  TempProject p;
  RunRef run;
  std::vector<Rejection> rejected;
  Fixture() {
    NewRun spec;
    spec.name = "ingest";
    run = create_run(p.db(), spec).ref;
  }
  Ingester make(IngestOptions opt) {
    return Ingester(p.db(), run, std::move(opt), [this](const Rejection& r) { rejected.push_back(r); });
  }
  // Every stored point as "key@step=value", by key then step, separated by spaces.
  std::string points() {
    std::string out;
    for_each_point(p.db(), run, metric_keys(p.db(), run, {}), [&](const std::string& k, const MetricPoint& pt) {
      out += (out.empty() ? "" : " ") + k + "@" + std::to_string(pt.step) + "=" + show(pt.value);
    });
    return out;
  }
  std::string times() {
    std::string out;
    for_each_point(p.db(), run, metric_keys(p.db(), run, {}), [&](const std::string&, const MetricPoint& pt) {
      out += (out.empty() ? "" : " ") + std::to_string(pt.time_ms);
    });
    return out;
  }
  std::string rejected_lines() const {
    std::string out;
    for (auto& r : rejected) out += (out.empty() ? "" : " ") + std::to_string(r.line);
    return out;
  }
};

IngestOptions slow_batches(LineFormat f = LineFormat::automatic) {
  IngestOptions o;
  o.format = f;
  o.batch_time = std::chrono::hours(1);   // only the count or finish() commits
  return o;
}

}  // namespace

// ---------------------------------------------------------------- formats and detection

TEST_CASE("parse_line_format and to_string") {
  CHECK(parse_line_format("auto") == LineFormat::automatic);
  CHECK(parse_line_format("kv") == LineFormat::kv);
  CHECK(parse_line_format("jsonl") == LineFormat::jsonl);
  CHECK(parse_line_format("csv") == LineFormat::csv);
  CHECK_FALSE(parse_line_format("json").has_value());
  CHECK_FALSE(parse_line_format("KV").has_value());
  CHECK_FALSE(parse_line_format("").has_value());
  for (auto f : {LineFormat::automatic, LineFormat::kv, LineFormat::jsonl, LineFormat::csv})
    CHECK(parse_line_format(to_string(f)) == f);
}

TEST_CASE("detect_format guesses from the first line") {
  CHECK(detect_format("{\"loss\": 1}") == LineFormat::jsonl);
  CHECK(detect_format("  \t{\"loss\": 1}") == LineFormat::jsonl);
  CHECK(detect_format("{") == LineFormat::jsonl);
  CHECK(detect_format("loss=1") == LineFormat::kv);
  CHECK(detect_format("loss=1 acc=2 step=3") == LineFormat::kv);
  CHECK(detect_format("a,b=1") == LineFormat::kv);
  CHECK(detect_format("step,loss,acc") == LineFormat::csv);
  CHECK(detect_format("step, loss") == LineFormat::csv);
  CHECK(detect_format("loss") == LineFormat::csv);     // a one-column header
  CHECK(detect_format("loss\r") == LineFormat::csv);
  CHECK(detect_format("loss 0.5") == LineFormat::kv);  // a malformed kv line
  CHECK(detect_format("loss\t0.5") == LineFormat::kv);
}

// ---------------------------------------------------------------- kv

TEST_CASE("kv lines: values, step and time") {
  auto r = parse1(LineFormat::kv, "loss=0.31 acc=0.9 step=10");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "loss=0.31 acc=0.9");
  CHECK(r.line.step == 10);
  CHECK_FALSE(r.line.time_ms.has_value());

  r = parse1(LineFormat::kv, "  \tloss=-2.5e-3\t\tacc=+1  time=1700000000123 ");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "loss=-0.0025 acc=1");
  CHECK_FALSE(r.line.step.has_value());
  CHECK(r.line.time_ms == 1700000000123);

  r = parse1(LineFormat::kv, "step=10.0 x=1");
  CHECK(r.error == "");
  CHECK(r.line.step == 10);
  r = parse1(LineFormat::kv, "step=1e3 time=1.7e12 x=1");
  CHECK(r.error == "");
  CHECK(r.line.step == 1000);
  CHECK(r.line.time_ms == 1700000000000);
  r = parse1(LineFormat::kv, "step=-3 x=1");
  CHECK(r.error == "");
  CHECK(r.line.step == -3);
  r = parse1(LineFormat::kv, "time=0 x=1");
  CHECK(r.error == "");
  CHECK(r.line.time_ms == 0);

  r = parse1(LineFormat::kv, "x=nan y=inf z=-inf w=NaN v=Infinity");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "x=nan y=inf z=-inf w=nan v=inf");
  CHECK(r.line.values[2].second == -inf);

  // the parser itself keeps a repeated key; the Ingester rejects the line (below)
  r = parse1(LineFormat::kv, "a=1 a=2");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "a=1 a=2");
}

TEST_CASE("kv lines: malformed") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"loss", "expected KEY=VALUE, got 'loss'"},
      {"loss=1 acc", "expected KEY=VALUE, got 'acc'"},
      {"loss = 1", "expected KEY=VALUE, got 'loss'"},
      {"=1", "empty key in '=1'"},
      {"loss=", "value of 'loss' is not a number: ''"},
      {"loss=abc", "value of 'loss' is not a number: 'abc'"},
      {"loss=1,5", "value of 'loss' is not a number: '1,5'"},
      {"loss=0x10", "value of 'loss' is not a number: '0x10'"},
      {"loss=1e400", "value of 'loss' is not a number: '1e400'"},
      {"a=b=1", "value of 'a' is not a number: 'b=1'"},
      {"step=10.5 x=1", "'step' must be an integer, got '10.5'"},
      {"step=abc x=1", "'step' must be an integer, got 'abc'"},
      {"step=nan x=1", "'step' must be an integer, got 'nan'"},
      {"step=inf x=1", "'step' must be an integer, got 'inf'"},
      {"step=1e30 x=1", "'step' must be an integer, got '1e30'"},
      {"time=-1 x=1", "'time' must be epoch milliseconds, got '-1'"},
      {"time=1.5 x=1", "'time' must be an integer, got '1.5'"},
      {"step=1 x=1 step=2", "'step' given twice"},
      {"time=1 time=1 x=1", "'time' given twice"},
      {"step=3", "no metric values on the line"},
      {"step=3 time=5", "no metric values on the line"},
      {"", "no metric values on the line"},
  };
  for (auto& [line, error] : table) {
    const auto& shown_line = line;   // clang 14 cannot capture a structured binding
    CAPTURE(shown_line);
    CHECK(parse1(LineFormat::kv, line).error == error);
  }
  // long keys and values are shortened in the message
  auto r = parse1(LineFormat::kv, "k=" + std::string(100, 'v'));
  CHECK(r.error == "value of 'k' is not a number: '" + std::string(37, 'v') + "...'");
}

TEST_CASE("a LineParser resets its output for every line") {
  LineParser lp(LineFormat::kv);
  ParsedLine out;
  REQUIRE_FALSE(lp.parse("a=1 step=3 time=4", out));
  REQUIRE_FALSE(lp.parse("b=2", out));
  CHECK(values_of(out) == "b=2");
  CHECK_FALSE(out.step.has_value());
  CHECK_FALSE(out.time_ms.has_value());
  CHECK(lp.format() == LineFormat::kv);
  CHECK_FALSE(lp.is_header_pending());
}

// ---------------------------------------------------------------- jsonl

TEST_CASE("jsonl lines: values, step, time, nested keys, nan/inf strings") {
  auto r = parse1(LineFormat::jsonl, R"({"loss": 0.31, "step": 10})");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "loss=0.31");
  CHECK(r.line.step == 10);

  r = parse1(LineFormat::jsonl, R"({"step": 10.0, "time": 1700000000000, "x": 1})");
  CHECK(r.error == "");
  CHECK(r.line.step == 10);
  CHECK(r.line.time_ms == 1700000000000);
  r = parse1(LineFormat::jsonl, R"({"step": "7", "time": "1.5e3", "x": -2})");
  CHECK(r.error == "");
  CHECK(r.line.step == 7);
  CHECK(r.line.time_ms == 1500);
  CHECK(values_of(r.line) == "x=-2");
  r = parse1(LineFormat::jsonl, R"({"step": 9223372036854775807, "x": 1})");
  CHECK(r.error == "");
  CHECK(r.line.step == std::numeric_limits<std::int64_t>::max());

  r = parse1(LineFormat::jsonl, R"({"train": {"loss": 1, "acc": {"top1": 0.5}}, "val": {"loss": 2}, "lr": 1e-4})");
  CHECK(r.error == "");
  CHECK(values_of(r.line, true) == "lr=0.0001 train.acc.top1=0.5 train.loss=1 val.loss=2");

  // "step" below the top level is an ordinary key
  r = parse1(LineFormat::jsonl, R"({"step": 1, "inner": {"step": 2, "time": 3}})");
  CHECK(r.error == "");
  CHECK(r.line.step == 1);
  CHECK(values_of(r.line, true) == "inner.step=2 inner.time=3");

  r = parse1(LineFormat::jsonl, R"({"x": "nan", "y": "inf", "z": "-inf"})");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "x=nan y=inf z=-inf");
  r = parse1(LineFormat::jsonl, "  {\"x\": 1}  ");
  CHECK(r.error == "");
  CHECK(values_of(r.line) == "x=1");
}

TEST_CASE("jsonl lines: malformed") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {R"({"x": null})", "value of 'x' is null; write \"nan\" for NaN"},
      {R"({"a": {"b": null}})", "value of 'a.b' is null; write \"nan\" for NaN"},
      {R"({"x": true})", "value of 'x' is boolean, not a number"},
      {R"({"x": false})", "value of 'x' is boolean, not a number"},
      {R"({"x": [1, 2]})", "value of 'x' is array, not a number"},
      {R"({"x": "abc"})", "value of 'x' is not a number: 'abc'"},
      {R"({"x": ""})", "value of 'x' is not a number: ''"},
      {R"({"step": 10.5, "x": 1})", "'step' must be an integer, got '10.5'"},
      {R"({"step": true, "x": 1})", "value of 'step' is boolean, not a number"},
      {R"({"step": null, "x": 1})", "value of 'step' is null; write \"nan\" for NaN"},
      {R"({"time": -5, "x": 1})", "'time' must be epoch milliseconds, got '-5'"},
      {R"([1, 2])", "expected a JSON object, got array"},
      {R"(3)", "expected a JSON object, got number"},
      {R"("x")", "expected a JSON object, got string"},
      {R"({"x": 1)", "invalid JSON"},
      {R"({"x": 1} {"y": 2})", "invalid JSON"},
      {R"({"x": 1e400})", "invalid JSON"},
      {R"({'x': 1})", "invalid JSON"},
      {R"({"x": NaN})", "invalid JSON"},
      {"", "invalid JSON"},
      {R"({})", "no metric values in the object"},
      {R"({"step": 1, "time": 2})", "no metric values in the object"},
      {R"({"a": {}})", "no metric values in the object"},
  };
  for (auto& [line, error] : table) {
    const auto& shown_line = line;   // clang 14 cannot capture a structured binding
    CAPTURE(shown_line);
    CHECK(parse1(LineFormat::jsonl, line).error == error);
  }
}

// ---------------------------------------------------------------- csv

TEST_CASE("csv: a header, then rows; empty cells are no value") {
  LineParser lp(LineFormat::csv);
  ParsedLine out;
  CHECK(lp.is_header_pending());
  CHECK_FALSE(lp.parse("step,loss,acc", out).has_value());
  CHECK(out.values.empty());
  CHECK_FALSE(lp.is_header_pending());

  CHECK_FALSE(lp.parse("1,0.5,0.9", out).has_value());
  CHECK(out.step == 1);
  CHECK(values_of(out) == "loss=0.5 acc=0.9");

  CHECK_FALSE(lp.parse("2,,0.8", out).has_value());
  CHECK(out.step == 2);
  CHECK(values_of(out) == "acc=0.8");

  CHECK_FALSE(lp.parse(" 3 , 0.25 , ", out).has_value());   // spaces around cells
  CHECK(out.step == 3);
  CHECK(values_of(out) == "loss=0.25");

  CHECK_FALSE(lp.parse(",nan,-inf", out).has_value());
  CHECK_FALSE(out.step.has_value());
  CHECK(values_of(out) == "loss=nan acc=-inf");

  CHECK_FALSE(lp.parse("4.0,\"1\",2", out).has_value());   // quoted cells
  CHECK(out.step == 4);
  CHECK(values_of(out) == "loss=1 acc=2");

  CHECK(lp.parse("1,2", out) == "expected 3 cells as in the header, got 2");
  CHECK(lp.parse("1,2,3,4", out) == "expected 3 cells as in the header, got 4");
  CHECK(lp.parse("1", out) == "expected 3 cells as in the header, got 1");
  CHECK(lp.parse("x,1,2", out) == "'step' must be an integer, got 'x'");
  CHECK(lp.parse("1,abc,2", out) == "value of 'loss' is not a number: 'abc'");
  CHECK(lp.parse("1.5,1,2", out) == "'step' must be an integer, got '1.5'");
  // the header stays after bad rows
  CHECK_FALSE(lp.parse("5,6,7", out).has_value());
  CHECK(values_of(out) == "loss=6 acc=7");
}

TEST_CASE("csv: time column, quoted header, one column") {
  LineParser lp(LineFormat::csv);
  ParsedLine out;
  REQUIRE_FALSE(lp.parse("\"time\", \"val.loss\"", out).has_value());
  REQUIRE_FALSE(lp.parse("1700000000000,0.5", out).has_value());
  CHECK(out.time_ms == 1700000000000);
  CHECK_FALSE(out.step.has_value());
  CHECK(values_of(out) == "val.loss=0.5");
  CHECK(lp.parse("-1,0.5", out) == "'time' must be epoch milliseconds, got '-1'");

  LineParser one(LineFormat::csv);
  REQUIRE_FALSE(one.parse("loss", out).has_value());
  REQUIRE_FALSE(one.parse("0.75", out).has_value());
  CHECK(values_of(out) == "loss=0.75");
}

TEST_CASE("csv: bad headers are rejected and the header stays pending") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"a,b,a", "column 'a' appears twice in the CSV header"},
      {"step,loss,step", "column 'step' appears twice in the CSV header"},
      {"a, a", "column 'a' appears twice in the CSV header"},
      {"a,b=c", "column name 'b=c' in the CSV header contains '='"},
      {"a,,b", "empty column name in the CSV header"},
      {"a,", "empty column name in the CSV header"},
      {",", "empty column name in the CSV header"},
      {"a,\"\"", "empty column name in the CSV header"},
  };
  for (auto& [line, error] : table) {
    const auto& shown_line = line;   // clang 14 cannot capture a structured binding
    CAPTURE(shown_line);
    LineParser lp(LineFormat::csv);
    ParsedLine out;
    CHECK(lp.parse(line, out) == error);
    CHECK(lp.is_header_pending());
  }
}

TEST_CASE("csv: cells as RFC 4180 says: quoted commas, doubled quotes, quoted header names") {
  LineParser lp(LineFormat::csv);
  ParsedLine out;
  REQUIRE_FALSE(lp.parse("step,\"val loss, smoothed\",\"say \"\"acc\"\"\"", out).has_value());
  REQUIRE_FALSE(lp.parse("1,\"0.5\",\"0.25\"", out).has_value());
  CHECK(out.step == 1);
  CHECK(values_of(out) == "val loss, smoothed=0.5 say \"acc\"=0.25");
  // a comma inside quotes in a row is no cell boundary: "1,5" is one cell, and not a number
  CHECK(lp.parse("2,\"1,5\",3", out) == "value of 'val loss, smoothed' is not a number: '1,5'");
  CHECK(lp.parse("3,\"1,5,3", out) == "a quoted field is not closed at the end of the line");
  CHECK_FALSE(lp.parse("4,1,2", out).has_value());

  // a header with a quote left open is rejected, and rows after it cannot be read
  LineParser open(LineFormat::csv);
  CHECK(open.parse("a,\"b", out) == "a quoted field is not closed at the end of the line");
  CHECK(open.parse("1,2", out) == "no valid CSV header to read this row by");
}

TEST_CASE("detect_format: a line that opens with a quote is a CSV header") {
  CHECK(detect_format("\"my loss\"") == LineFormat::csv);
  CHECK(detect_format("  \"a\",\"b\"") == LineFormat::csv);
}

TEST_CASE("jsonl: nesting deeper than max_nesting is a malformed line, not a crash") {
  std::string deep = "{\"a\": " + std::string(20'000, '[') + std::string(20'000, ']') + "}";
  CHECK(parse1(LineFormat::jsonl, deep).error == "JSON nested more than 256 levels deep");
  std::string objects;
  for (int i = 0; i < 20'000; ++i) objects += "{\"k\": ";
  objects += "1" + std::string(20'000, '}');
  CHECK(parse1(LineFormat::jsonl, objects).error == "JSON nested more than 256 levels deep");
  CHECK(parse1(LineFormat::automatic, objects).error == "JSON nested more than 256 levels deep");
  // deep but within the limit: flattened as usual
  std::string ok;
  for (int i = 0; i < 100; ++i) ok += "{\"k\": ";
  ok += "1" + std::string(100, '}');
  auto p = parse1(LineFormat::jsonl, ok);
  CHECK(p.error.empty());
  REQUIRE(p.line.values.size() == 1);
  CHECK(p.line.values[0].first.size() == 199);
}

// ---------------------------------------------------------------- Ingester

TEST_CASE("Ingester commits a batch as soon as batch_points are pending") {
  Fixture f;
  auto opt = slow_batches();
  opt.batch_points = 3;
  auto ing = f.make(opt);
  CHECK(ing.ms_until_due() == -1);
  CHECK(ing.feed("a=1\na=2\n"));
  CHECK(f.points() == "");          // 2 pending, nothing committed yet
  CHECK(ing.stats().committed == 0);
  CHECK(ing.ms_until_due() > 3'500'000);
  CHECK(ing.ms_until_due() <= 3'600'000);
  CHECK(ing.feed("a=3\n"));
  CHECK(f.points() == "a@0=1 a@1=2 a@2=3");   // the third point completed a batch
  CHECK(ing.stats().committed == 3);
  CHECK(ing.ms_until_due() == -1);
  // three new keys on one line: 3 points at step 0 (steps are per key), one batch
  CHECK(ing.feed("x=1 y=2 z=3\n"));
  CHECK(ing.stats().committed == 6);
  CHECK(ing.feed("a=4\n"));
  CHECK(f.points() == "a@0=1 a@1=2 a@2=3 x@0=1 y@0=2 z@0=3");
  CHECK(ing.stats().committed == 6);
  CHECK(ing.finish());
  CHECK(f.points() == "a@0=1 a@1=2 a@2=3 a@3=4 x@0=1 y@0=2 z@0=3");
  auto s = ing.stats();
  CHECK(s.lines == 5);
  CHECK(s.points == 7);
  CHECK(s.committed == 7);
  CHECK(s.rejected == 0);
  CHECK(s.keys == 4);
  CHECK(f.rejected.empty());
}

TEST_CASE("Ingester commits after batch_time") {
  Fixture f;
  IngestOptions opt;
  opt.batch_time = std::chrono::milliseconds(0);
  auto ing = f.make(opt);
  CHECK(ing.feed("loss=1\n"));
  CHECK(f.points() == "loss@0=1");   // due at once: committed within feed()
  CHECK(ing.stats().committed == 1);
  CHECK(ing.ms_until_due() == -1);
  CHECK(ing.feed("loss=2\nloss=3\n"));
  CHECK(f.points() == "loss@0=1 loss@1=2 loss@2=3");
  CHECK(ing.finish());
  CHECK(ing.stats().committed == 3);
}

TEST_CASE("Ingester: malformed lines are reported with their line number and skipped") {
  Fixture f;
  auto ing = f.make(slow_batches(LineFormat::kv));
  CHECK(ing.feed("a=1\n\nbad\n   \na=x\na=2 a=3\nb\x01=1\na=4\n"));
  CHECK(ing.finish());
  CHECK(f.points() == "a@0=1 a@1=4");
  REQUIRE(f.rejected.size() == 4);
  CHECK(f.rejected_lines() == "3 5 6 7");   // blank lines count
  CHECK(f.rejected[0].reason == "expected KEY=VALUE, got 'bad'");
  CHECK(f.rejected[1].reason == "value of 'a' is not a number: 'x'");
  CHECK(f.rejected[2].reason == "key 'a' appears twice");
  CHECK(contains(f.rejected[3].reason, "control character"));
  auto s = ing.stats();
  CHECK(s.lines == 8);
  CHECK(s.rejected == 4);
  CHECK(s.points == 2);
  CHECK_FALSE(ing.stopped());
  CHECK_FALSE(ing.fatal().has_value());
}

TEST_CASE("Ingester: a key twice on a line is rejected in every format") {
  Fixture f;
  {
    auto ing = f.make(slow_batches());
    ing.feed("{\"a\": {\"b\": 1}, \"a.b\": 2}\n{\"a.b\": 3}\n");
    ing.finish();
  }
  CHECK(f.points() == "a.b@0=3");
  REQUIRE(f.rejected.size() == 1);
  CHECK(f.rejected[0].line == 1);
  CHECK(f.rejected[0].reason == "key 'a.b' appears twice");
}

TEST_CASE("Ingester: a JSON object naming a key twice is rejected, not silently cut to one value") {
  // nlohmann::json keeps the last of duplicate names, so {"a": 1, "a": 2} stores a=2 and drops a=1
  // without a word, while the kv line "a=1 a=2" is rejected ("key 'a' appears twice").
  Fixture f;
  auto ing = f.make(slow_batches(LineFormat::jsonl));
  ing.feed("{\"a\": 1, \"a\": 2}\n");
  ing.finish();
  CHECK(f.points() == "");
  CHECK(ing.stats().rejected == 1);
}

TEST_CASE("Ingester: strict mode stops at the first malformed line, keeping what came before") {
  Fixture f;
  auto opt = slow_batches();
  opt.strict = true;
  auto ing = f.make(opt);
  CHECK_FALSE(ing.feed("a=1\na=2\nstep=1.5 a=9\na=3\n"));
  CHECK(ing.stopped());
  REQUIRE(ing.fatal().has_value());
  CHECK(ing.fatal()->line == 3);
  CHECK(ing.fatal()->reason == "'step' must be an integer, got '1.5'");
  REQUIRE(f.rejected.size() == 1);
  CHECK(f.rejected[0].line == 3);
  // nothing more is taken
  CHECK_FALSE(ing.feed("a=4\n"));
  CHECK_FALSE(ing.finish());
  CHECK(f.points() == "a@0=1 a@1=2");
  auto s = ing.stats();
  CHECK(s.lines == 3);
  CHECK(s.points == 2);
  CHECK(s.committed == 2);
  CHECK(s.rejected == 1);
}

TEST_CASE("Ingester: strict mode stops at a bad CSV header") {
  Fixture f;
  auto opt = slow_batches();
  opt.strict = true;
  auto ing = f.make(opt);
  CHECK_FALSE(ing.feed("step,loss,loss\n1,2,3\n"));
  REQUIRE(ing.fatal().has_value());
  CHECK(ing.fatal()->line == 1);
  CHECK(ing.fatal()->reason == "column 'loss' appears twice in the CSV header");
  CHECK_FALSE(ing.finish());
  CHECK(f.points() == "");
}

TEST_CASE("Ingester: a rejected CSV header does not turn the next data row into the header") {
  // Non-strict: "a,a" is rejected, the parser's header stays pending, and the data row "1,2" is
  // taken as the header: the row after it is stored as metrics named "1" and "2".
  Fixture f;
  auto ing = f.make(slow_batches(LineFormat::csv));
  ing.feed("a,a\n1,2\n3,4\n");
  ing.finish();
  CHECK(f.points() == "");
  CHECK(ing.stats().rejected == 3);
}

TEST_CASE("Ingester: csv through the stream, with CRLF line ends") {
  Fixture f;
  auto ing = f.make(slow_batches());
  CHECK(ing.feed("step,loss,acc\r\n0,1,2\r\n1,,3\r\n2,4\r\n,5,\r\n"));
  CHECK(ing.finish());
  CHECK(f.points() == "acc@0=2 acc@1=3 loss@0=1 loss@1=5");
  REQUIRE(f.rejected.size() == 1);
  CHECK(f.rejected[0].line == 4);
  CHECK(f.rejected[0].reason == "expected 3 cells as in the header, got 2");
  CHECK(ing.stats().keys == 2);
}

TEST_CASE("Ingester: CRLF in kv and jsonl") {
  Fixture f;
  {
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("a=1\r\nb=2 step=5\r\n\r\n"));
    CHECK(ing.finish());
  }
  {
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("{\"c\": 3}\r\n"));
    CHECK(ing.finish());
  }
  CHECK(f.points() == "a@0=1 b@5=2 c@0=3");
  CHECK(f.rejected.empty());
}

TEST_CASE("Ingester: lines split across feed() calls") {
  Fixture f;
  auto ing = f.make(slow_batches());
  CHECK(ing.feed("lo"));
  CHECK(ing.feed("ss=1"));
  CHECK(ing.feed(" acc=2\nac"));
  CHECK(ing.feed("c=3"));
  CHECK(ing.feed("\n"));
  CHECK(ing.feed(""));
  CHECK(ing.feed("loss=4\r"));
  CHECK(ing.feed("\n"));
  CHECK(ing.stats().lines == 3);
  CHECK(ing.finish());
  CHECK(f.points() == "acc@0=2 acc@1=3 loss@0=1 loss@1=4");
  CHECK(f.rejected.empty());
}

TEST_CASE("Ingester: finish() takes a last line without newline, finish(false) drops it") {
  SUBCASE("taken") {
    Fixture f;
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("a=1\nb=2"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 b@0=2");
    CHECK(ing.stats().lines == 2);
  }
  SUBCASE("dropped") {
    Fixture f;
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("a=1\nb=2"));
    CHECK(ing.finish(false));
    CHECK(f.points() == "a@0=1");
    CHECK(ing.stats().lines == 1);
    CHECK(ing.stats().committed == 1);
    CHECK(f.rejected.empty());
  }
}

TEST_CASE("Ingester: over-long lines are rejected with their line number, the next line is taken") {
  Fixture f;
  auto opt = slow_batches();
  opt.max_line = 16;
  SUBCASE("in one feed") {
    auto ing = f.make(opt);
    CHECK(ing.feed("a=1\nx=12345678901234567890\nb=2\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 b@0=2");
    REQUIRE(f.rejected.size() == 1);
    CHECK(f.rejected[0].line == 2);
    CHECK(f.rejected[0].reason == "line longer than 16 bytes; skipped");
    CHECK(ing.stats().lines == 3);
    CHECK(ing.stats().rejected == 1);
  }
  SUBCASE("exactly max_line bytes is fine, one more is not") {
    auto ing = f.make(opt);
    std::string ok = "abcdefghijkl=1.5";   // 16 bytes
    REQUIRE(ok.size() == 16);
    CHECK(ing.feed(ok + "\n" + ok + "5\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "abcdefghijkl@0=1.5");
    CHECK(f.rejected_lines() == "2");
  }
  SUBCASE("split across several feeds") {
    auto ing = f.make(opt);
    CHECK(ing.feed("a=1\nx=1234"));
    CHECK(ing.feed("56789"));
    CHECK(f.rejected.empty());                 // 11 bytes so far: still a line
    CHECK(ing.feed("0123456"));                // 18: over the limit
    REQUIRE(f.rejected.size() == 1);
    CHECK(f.rejected[0].line == 2);
    CHECK(ing.feed("7890123456789"));          // more of the same line: no second report
    CHECK(ing.feed("0123\nb=2\nc=3"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 b@0=2 c@0=3");
    CHECK(f.rejected.size() == 1);
    CHECK(ing.stats().lines == 4);
  }
  SUBCASE("an over-long last line without newline is not taken by finish()") {
    auto ing = f.make(opt);
    CHECK(ing.feed("a=1\n" + std::string(10, 'y')));
    CHECK(ing.feed(std::string(10, 'y')));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1");
    CHECK(f.rejected_lines() == "2");
  }
  SUBCASE("strict") {
    opt.strict = true;
    auto ing = f.make(opt);
    CHECK(ing.feed("a=1\nb=2\n"));
    CHECK_FALSE(ing.feed("c=" + std::string(30, '1') + "\nd=4\n"));
    REQUIRE(ing.fatal().has_value());
    CHECK(ing.fatal()->line == 3);
    CHECK_FALSE(ing.finish());
    CHECK(f.points() == "a@0=1 b@0=2");
  }
}

TEST_CASE("Ingester: the carriage return of a CRLF line end does not count toward max_line") {
  // man mlt(1): "a carriage return before the newline is ignored" and a line may be 1 MiB
  // "without its newline"; feed() counts the '\r' and rejects a line of exactly max_line bytes.
  Fixture f;
  auto opt = slow_batches();
  opt.max_line = 16;
  auto ing = f.make(opt);
  CHECK(ing.feed("abcdefghijkl=1.5\r\n"));
  CHECK(ing.finish());
  CHECK(f.points() == "abcdefghijkl@0=1.5");
  CHECK(f.rejected.empty());
}

TEST_CASE("Ingester: prefix mode takes only prefixed lines") {
  Fixture f;
  auto opt = slow_batches();
  opt.prefix = "mlt:";
  opt.detect_each_line = true;
  auto ing = f.make(opt);
  CHECK(ing.feed("epoch 1 done\nmlt:loss=1\nmlt: acc=2 step=4\nnoise=5\n  mlt:x=1\nMLT:y=1\nmlt:\n"
                 "mlt:{\"loss\": 2}\nmlt:bad\nok, fine\r\n"));
  CHECK(ing.finish());
  CHECK(f.points() == "acc@4=2 loss@0=1 loss@1=2");
  REQUIRE(f.rejected.size() == 1);   // ordinary output is not a rejected line
  CHECK(f.rejected[0].line == 9);
  CHECK(f.rejected[0].reason == "expected KEY=VALUE, got 'bad'");
  auto s = ing.stats();
  CHECK(s.lines == 10);
  CHECK(s.rejected == 1);
  CHECK(s.points == 3);
}

TEST_CASE("Ingester: automatic format is fixed by the first line unless detect_each_line") {
  SUBCASE("per stream") {
    Fixture f;
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("\n  \na=1\n{\"b\": 2}\nc=3\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 c@0=3");
    CHECK(f.rejected_lines() == "4");
  }
  SUBCASE("per stream, jsonl first") {
    Fixture f;
    auto ing = f.make(slow_batches());
    CHECK(ing.feed("{\"b\": 2}\na=1\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "b@0=2");
    REQUIRE(f.rejected.size() == 1);
    CHECK(f.rejected[0].line == 2);
    CHECK(f.rejected[0].reason == "invalid JSON");
  }
  SUBCASE("per line") {
    Fixture f;
    auto opt = slow_batches();
    opt.detect_each_line = true;
    auto ing = f.make(opt);
    CHECK(ing.feed("a=1\n{\"b\": 2}\nc=3\n{\"a\": 5}\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 a@1=5 b@0=2 c@0=3");
    CHECK(f.rejected.empty());
  }
  SUBCASE("a fixed format") {
    Fixture f;
    auto ing = f.make(slow_batches(LineFormat::kv));
    CHECK(ing.feed("{\"b\": 2}\na=1\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1");
    CHECK(f.rejected_lines() == "1");
  }
}

TEST_CASE("Ingester: steps continue from the points already in the database") {
  Fixture f;
  log_metrics(f.p.db(), f.run, {{"loss", 1.0}}, 5, 100);
  auto ing = f.make(slow_batches());
  // loss continues at 6; a line with a new key takes the greatest next step of its keys
  CHECK(ing.feed("loss=2\nloss=3 acc=1\nacc=2\nstep=2 loss=9\nloss=10\nother=1\n"));
  CHECK(ing.finish());
  CHECK(f.points() == "acc@7=1 acc@8=2 loss@2=9 loss@5=1 loss@6=2 loss@7=3 loss@8=10 other@0=1");
  // a second stream into the same run continues again
  auto again = f.make(slow_batches());
  CHECK(again.feed("loss=11 other=2\n"));
  CHECK(again.finish());
  CHECK(f.points() == "acc@7=1 acc@8=2 loss@2=9 loss@5=1 loss@6=2 loss@7=3 loss@8=10 loss@9=11 other@0=1 other@9=2");
}

TEST_CASE("Ingester: time is the line's own, or the time it was read") {
  Fixture f;
  ScopedEnv now("MLT_NOW_MS", "1700000000000");
  auto ing = f.make(slow_batches());
  CHECK(ing.feed("a=1\na=2 time=99\na=3 time=1.5e3\n"));
  CHECK(ing.finish());
  CHECK(f.times() == "1700000000000 99 1500");
}

TEST_CASE("Ingester: a deeply nested JSON line is skipped; points before and after it are stored") {
  Fixture f;
  std::string deep;
  for (int i = 0; i < 20'000; ++i) deep += "{\"k\": ";
  deep += "1" + std::string(20'000, '}');
  {
    auto ing = f.make(slow_batches(LineFormat::jsonl));
    CHECK(ing.feed("{\"a\": 1}\n" + deep + "\n{\"a\": 2}\n"));
    CHECK(ing.finish());
    CHECK(f.points() == "a@0=1 a@1=2");
    REQUIRE(f.rejected.size() == 1);
    CHECK(f.rejected[0].line == 2);
    CHECK(f.rejected[0].reason == "JSON nested more than 256 levels deep");
  }
  // strict: the points before it are committed, the stream stops there
  f.rejected.clear();
  auto opt = slow_batches(LineFormat::jsonl);
  opt.strict = true;
  auto ing = f.make(opt);
  CHECK_FALSE(ing.feed("{\"b\": 1}\n" + deep + "\n{\"b\": 2}\n"));
  CHECK_FALSE(ing.finish());
  REQUIRE(ing.fatal().has_value());
  CHECK(ing.fatal()->line == 2);
  CHECK(f.points() == "a@0=1 a@1=2 b@0=1");
}
