// core/values: K=V pairs, key and value limits, numbers, params files.
#include "base/nesting.hpp"
#include "base/values.hpp"
#include "core/tracking/params_file.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::core::check_key;
using mlt::core::check_value;
using mlt::core::format_double;
using mlt::core::KeyValue;
using mlt::core::parse_double;
using mlt::core::parse_int64;
using mlt::core::parse_kv;
using mlt::core::read_params_file;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

std::optional<ExitCode> key_error(std::string_view key) {
  auto e = thrown([&] { check_key(key, "param"); });
  return e ? std::optional(e->code()) : std::nullopt;
}

std::optional<ExitCode> value_error(std::string_view value) {
  auto e = thrown([&] { check_value("k", value, "param"); });
  return e ? std::optional(e->code()) : std::nullopt;
}

std::map<std::string, std::string> as_map(const std::vector<KeyValue>& kvs) {
  return {kvs.begin(), kvs.end()};
}

}  // namespace

TEST_CASE("parse_kv splits at the first '='") {
  CHECK(parse_kv("lr=0.1", "param") == KeyValue{"lr", "0.1"});
  CHECK(parse_kv("expr=a=b=c", "param") == KeyValue{"expr", "a=b=c"});
  CHECK(parse_kv("empty=", "param") == KeyValue{"empty", ""});
  CHECK(parse_kv("k==", "tag") == KeyValue{"k", "="});
  CHECK(parse_kv("opt.lr= 1 ", "param") == KeyValue{"opt.lr", " 1 "});
  CHECK(parse_kv("caf\xc3\xa9=cr\xc3\xa8me", "tag") == KeyValue{"caf\xc3\xa9", "cr\xc3\xa8me"});
}

TEST_CASE("parse_kv refuses an empty key and a missing '=' with exit 2") {
  auto e = thrown([] { parse_kv("=v", "param"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "empty param key");

  e = thrown([] { parse_kv("novalue", "param"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "expected KEY=VALUE for param, got 'novalue'");
  CHECK(e->hint() == "write it as novalue=VALUE");

  e = thrown([] { parse_kv("", "tag"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "expected KEY=VALUE for tag, got ''");

  e = thrown([] { parse_kv("a\tb=1", "tag"); });   // the key's checks apply
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
}

TEST_CASE("check_key: at most 250 bytes, valid UTF-8, no control characters") {
  CHECK(key_error(std::string(250, 'k')) == std::nullopt);
  CHECK(key_error(std::string(251, 'k')) == ExitCode::usage);

  std::string e_acute;   // 125 two-byte characters: 250 bytes
  for (int i = 0; i < 125; ++i) e_acute += "\xc3\xa9";
  CHECK(key_error(e_acute) == std::nullopt);
  CHECK(key_error(e_acute + "x") == ExitCode::usage);   // bytes count, not characters

  auto e = thrown([] { check_key(std::string(300, 'k'), "metric"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "metric key"));
  CHECK(contains(e->what(), "300 bytes"));
  CHECK(contains(e->what(), "250"));

  CHECK(key_error("") == ExitCode::usage);
  CHECK(key_error("\xff") == ExitCode::usage);
  CHECK(key_error("a\xc0\xaf") == ExitCode::usage);           // overlong '/'
  CHECK(key_error("\xe0\x80\xaf") == ExitCode::usage);        // overlong, 3 bytes
  CHECK(key_error("\xed\xa0\x80") == ExitCode::usage);        // surrogate U+D800
  CHECK(key_error("\xed\xbf\xbf") == ExitCode::usage);        // surrogate U+DFFF
  CHECK(key_error("\xf4\x90\x80\x80") == ExitCode::usage);    // above U+10FFFF
  CHECK(key_error("\xe2\x82") == ExitCode::usage);            // truncated
  CHECK(key_error("x\xe2\x82") == ExitCode::usage);           // truncated at the end
  CHECK(key_error("\x80") == ExitCode::usage);                // lone continuation byte
  CHECK(key_error("\xf8\x88\x80\x80\x80") == ExitCode::usage);  // 5-byte form

  CHECK(key_error("\xc3\xa9") == std::nullopt);               // U+00E9
  CHECK(key_error("\xe2\x82\xac") == std::nullopt);           // U+20AC
  CHECK(key_error("\xf0\x9f\x98\x80") == std::nullopt);       // U+1F600
  CHECK(key_error("\xf4\x8f\xbf\xbf") == std::nullopt);       // U+10FFFF
  CHECK(key_error("\xee\x80\x80") == std::nullopt);           // U+E000, just past the surrogates
  CHECK(key_error("a.b-c_d/e f") == std::nullopt);

  CHECK(key_error("a\tb") == ExitCode::usage);
  CHECK(key_error("a\nb") == ExitCode::usage);
  CHECK(key_error(std::string("a\0b", 3)) == ExitCode::usage);
  CHECK(key_error("\x1f") == ExitCode::usage);
  CHECK(key_error("a\x7f") == ExitCode::usage);
}

TEST_CASE("check_value: at most 64 KiB of valid UTF-8") {
  CHECK(value_error("") == std::nullopt);
  CHECK(value_error(std::string(64 * 1024, 'v')) == std::nullopt);
  CHECK(value_error(std::string(64 * 1024 + 1, 'v')) == ExitCode::usage);
  auto e = thrown([] { check_value("notes", std::string(64 * 1024 + 1, 'v'), "tag"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "tag 'notes'"));
  CHECK(contains(e->what(), "65537 bytes"));

  CHECK(value_error("line one\nline two\ttab") == std::nullopt);   // values may hold control chars
  CHECK(value_error("\xe2\x82\xac 12") == std::nullopt);
  CHECK(value_error("\xff") == ExitCode::usage);
  CHECK(value_error("\xc0\xaf") == ExitCode::usage);
  CHECK(value_error("\xed\xa0\x80") == ExitCode::usage);
  CHECK(value_error(std::string(64 * 1024 - 1, 'v') + "\xc3") == ExitCode::usage);
}

TEST_CASE("parse_double accepts decimal, exponent, nan and inf") {
  CHECK(parse_double("0.5") == 0.5);
  CHECK(parse_double("-1e-3") == -0.001);
  CHECK(parse_double("+2") == 2.0);
  CHECK(parse_double("0") == 0.0);
  CHECK(parse_double("1E3") == 1000.0);
  CHECK(parse_double("3.141592653589793") == 3.141592653589793);
  CHECK(parse_double("1.7976931348623157e308") == std::numeric_limits<double>::max());
  CHECK(parse_double("4.9e-324") == std::numeric_limits<double>::denorm_min());
  CHECK(parse_double("1e-400") == 0.0);   // underflow is fine

  for (const char* s : {"nan", "NaN", "NAN", "-nan", "+nan"}) {
    auto v = parse_double(s);
    REQUIRE_MESSAGE(v, s);
    CHECK_MESSAGE(std::isnan(*v), s);
  }
  CHECK(parse_double("inf") == inf);
  CHECK(parse_double("+inf") == inf);
  CHECK(parse_double("INF") == inf);
  CHECK(parse_double("-inf") == -inf);
  CHECK(parse_double("Infinity") == inf);
  CHECK(parse_double("-Infinity") == -inf);
  CHECK(parse_double("infinity") == inf);
}

TEST_CASE("parse_double rejects malformed and overflowing numbers") {
  for (const char* s : {"", "1.0x", "--1", "+-1", "-+1", "0x10", " 1", "1 ", "1e999", "-1e999", "+", "-", "e5",
                        "1,5", "infinit", "infinityy", "nanx", "na", "in", "abc", "1e", "."}) {
    CHECK_MESSAGE(parse_double(s) == std::nullopt, "input: '" << s << "'");
  }
}

TEST_CASE("parse_int64") {
  CHECK(parse_int64("0") == 0);
  CHECK(parse_int64("42") == 42);
  CHECK(parse_int64("-7") == -7);
  CHECK(parse_int64("+7") == 7);
  CHECK(parse_int64("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_int64("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  for (const char* s : {"", "+", "-", "1.5", "1e3", " 1", "1 ", "0x10", "9223372036854775808",
                        "-9223372036854775809", "++1", "abc"}) {
    CHECK_MESSAGE(parse_int64(s) == std::nullopt, "input: '" << s << "'");
  }
}

// "+-5" is neither a positive nor a negative number; parse_double rejects it, parse_int64 should too.
TEST_CASE("parse_int64 rejects a sign after '+'") {
  CHECK(parse_int64("+-5") == std::nullopt);
  CHECK(parse_int64("+-0") == std::nullopt);
}

TEST_CASE("format_double prints the shortest text that reads back the same") {
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(0.5) == "0.5");
  CHECK(format_double(-0.001) == "-0.001");
  CHECK(format_double(0.1 + 0.2) == "0.30000000000000004");
  CHECK(format_double(1.0 / 3.0) == "0.3333333333333333");
  CHECK(format_double(std::nan("")) == "nan");
  CHECK(format_double(inf) == "inf");
  CHECK(format_double(-inf) == "-inf");
  CHECK(format_double(123456789.0) == "123456789");
  CHECK(format_double(2.0) == "2");

  for (double v : {0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0, 1e-7, 123.456, -9.87654321e-12, 6.02214076e23, 1e300,
                   1e-300, std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::epsilon(),
                   0.0, -0.0, 1e16, 9007199254740993.0, 100.0}) {
    auto text = format_double(v);
    CHECK_MESSAGE(text.size() <= 24, text);
    auto back = parse_double(text);
    REQUIRE_MESSAGE(back, text);
    CHECK_MESSAGE(*back == v, text);
    CHECK_MESSAGE(std::signbit(*back) == std::signbit(v), text);
    CHECK_MESSAGE(std::strtod(text.c_str(), nullptr) == v, text);
  }
  for (double v : {std::nan(""), inf, -inf}) {
    auto back = parse_double(format_double(v));
    REQUIRE(back);
    CHECK(((std::isnan(v) && std::isnan(*back)) || *back == v));
  }
}

TEST_CASE("read_params_file flattens nested YAML with dots, keeping lists") {
  TempDir dir;
  const auto path = (dir / "params.yaml").string();
  mlt::test::write_file(path,
                        "# training\n"
                        "lr: 0.1\n"
                        "epochs: 10\n"
                        "optim:\n"
                        "  name: adam\n"
                        "  betas: [0.9, 0.999]\n"
                        "  sched:\n"
                        "    warmup: 1e-3\n"
                        "layers: [64, 32]\n"
                        "note: \"a: b\"\n"
                        "unset:\n");
  auto kvs = read_params_file(path);
  CHECK(kvs.size() == 8);
  const std::vector<std::string> keys_in_order = {"lr",     "epochs", "optim.name", "optim.betas",
                                                  "optim.sched.warmup", "layers", "note", "unset"};
  std::vector<std::string> keys;
  for (auto& [k, v] : kvs) keys.push_back(k);
  CHECK(keys == keys_in_order);   // file order
  auto m = as_map(kvs);
  CHECK(m["lr"] == "0.1");
  CHECK(m["epochs"] == "10");
  CHECK(m["optim.name"] == "adam");
  CHECK(m["optim.sched.warmup"] == "1e-3");   // scalars as written
  CHECK(m["note"] == "a: b");
  CHECK(m["unset"] == "");
  // Lists are kept as their JSON text.
  CHECK(nlohmann::json::parse(m["optim.betas"]) == nlohmann::json::parse("[0.9, 0.999]"));
  CHECK(nlohmann::json::parse(m["layers"]) == nlohmann::json::parse("[64, 32]"));
}

TEST_CASE("read_params_file flattens nested JSON with dots, keeping lists") {
  TempDir dir;
  const auto path = (dir / "params.json").string();
  mlt::test::write_file(path, R"({
  "lr": 0.1,
  "optim": {"name": "adam", "betas": [0.9, 0.999], "sched": {"warmup": 5}},
  "flag": true,
  "none": null,
  "tags": ["a", "b"],
  "text": "x=y"
})");
  auto kvs = read_params_file(path);
  CHECK(kvs.size() == 8);
  auto m = as_map(kvs);
  CHECK(m.size() == 8);
  CHECK(m["lr"] == "0.1");
  CHECK(m["optim.name"] == "adam");
  CHECK(m["optim.sched.warmup"] == "5");
  CHECK(m["flag"] == "true");
  CHECK(m["none"] == "");
  CHECK(m["text"] == "x=y");
  CHECK(nlohmann::json::parse(m["optim.betas"]) == nlohmann::json::parse("[0.9, 0.999]"));
  CHECK(nlohmann::json::parse(m["tags"]) == nlohmann::json::parse(R"(["a", "b"])"));
}

// The header: "Lists are kept as their JSON text". A YAML list (of strings, or written in block
// style) should then be JSON text for the same value a JSON params file gives.
TEST_CASE("read_params_file keeps every YAML list as JSON text") {
  TempDir dir;
  const auto path = (dir / "params.yaml").string();
  mlt::test::write_file(path, "tags: [a, b]\nmixed: [1, x]\nlayers:\n  - 64\n  - 32\n");
  auto m = as_map(read_params_file(path));
  const std::map<std::string, nlohmann::json> want = {
      {"tags", {"a", "b"}}, {"mixed", {1, "x"}}, {"layers", {64, 32}}};
  for (auto& row1_ : want) {  // clang 14 cannot capture structured bindings
    auto& key = std::get<0>(row1_);
    auto& expected = std::get<1>(row1_);
    auto parsed = nlohmann::json::parse(m[key], nullptr, false);
    CHECK_MESSAGE(!parsed.is_discarded(), key << " = " << m[key]);
    CHECK_MESSAGE(parsed == expected, key << " = " << m[key]);
  }
}

// "chosen by content": JSON is tried for text starting with '{', but a YAML flow mapping also
// starts with '{'. A valid .yaml file must not be refused as invalid JSON.
TEST_CASE("read_params_file reads a YAML flow mapping") {
  TempDir dir;
  const auto path = (dir / "params.yaml").string();
  mlt::test::write_file(path, "{lr: 0.1, optim: {name: adam}}\n");
  auto e = thrown([&] {
    auto m = as_map(read_params_file(path));
    CHECK(m.size() == 2);
    CHECK(m["lr"] == "0.1");
    CHECK(m["optim.name"] == "adam");
  });
  CHECK_MESSAGE(!e, std::string(e ? e->what() : ""));
}

TEST_CASE("read_params_file reads JSON content whatever the file is called") {
  TempDir dir;
  const auto path = (dir / "params.yml").string();
  mlt::test::write_file(path, "  {\"a\": {\"b\": 1}}");
  auto kvs = read_params_file(path);
  CHECK(kvs == std::vector<KeyValue>{{"a.b", "1"}});
}

TEST_CASE("read_params_file errors name file:line:col") {
  TempDir dir;

  SUBCASE("invalid JSON") {
    const auto path = (dir / "bad.json").string();
    mlt::test::write_file(path, "{\n  \"lr\": 0.1,\n  \"x\": ]\n}\n");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == path + ":3:8: invalid JSON");
  }
  SUBCASE("invalid JSON on the first line") {
    const auto path = (dir / "bad.json").string();
    mlt::test::write_file(path, "{\"a\" 1}");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == path + ":1:6: invalid JSON");
  }
  SUBCASE("invalid YAML") {
    const auto path = (dir / "bad.yaml").string();
    mlt::test::write_file(path, "lr: 0.1\nbatch: 32\nlayers: [1, 2\n");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), path + ":"));
    CHECK(contains(e->what(), "invalid YAML"));
  }
  SUBCASE("invalid YAML: position") {
    const auto path = (dir / "bad.yaml").string();
    mlt::test::write_file(path, "lr: 0.1\nopt: [a, b\nc: d\n");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), path + ":3:"));
  }
  SUBCASE("YAML that is not a mapping") {
    const auto path = (dir / "list.yaml").string();
    mlt::test::write_file(path, "- a\n- b\n");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == path + ": expected a YAML mapping of params");
  }
  SUBCASE("JSON that is not an object") {
    const auto path = (dir / "list.json").string();
    mlt::test::write_file(path, "[1, 2]");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == path + ": expected a JSON object of params");
  }
  SUBCASE("missing file") {
    const auto path = (dir / "nope.yaml").string();
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "cannot read params file '" + path + "'");
  }
  SUBCASE("a key over the limit") {
    const auto path = (dir / "long.yaml").string();
    mlt::test::write_file(path, "outer:\n  " + std::string(245, 'k') + ": 1\n");
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "param key"));
  }
}

TEST_CASE("json_too_deep: the offset where nesting passes the limit; brackets in strings do not count") {
  using mlt::core::json_too_deep;
  CHECK_FALSE(json_too_deep("{\"a\": [1, {\"b\": 2}]}", 3).has_value());
  CHECK(json_too_deep("{\"a\": [1, {\"b\": 2}]}", 2) == 10);
  CHECK_FALSE(json_too_deep("[\"[[[[\", \"\\\"[[[[\", {}]", 2).has_value());
  CHECK_FALSE(json_too_deep("[][][][]", 1).has_value());
  CHECK(json_too_deep(std::string(100'000, '['), mlt::core::max_nesting) == mlt::core::max_nesting);
  CHECK_FALSE(json_too_deep("]]]]{}", 1).has_value());   // malformed: left to the parser
}

TEST_CASE("read_params_file refuses deep nesting and alias bombs at once, naming the file") {
  TempDir dir;
  auto refused = [&](const std::string& name, const std::string& text, const std::string& what) {
    CAPTURE(name);
    const auto path = (dir / name).string();
    mlt::test::write_file(path, text);
    auto e = thrown([&] { read_params_file(path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), path + ":"));
    CHECK(contains(e->what(), what));
  };
  std::string deep_json = "{\"a\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  refused("deep.json", deep_json, "JSON nested more than 256 levels deep");
  std::string deep_json_objects;
  for (int i = 0; i < 100'000; ++i) deep_json_objects += "{\"k\": ";
  deep_json_objects += "1" + std::string(100'000, '}');
  refused("objects.json", deep_json_objects, "JSON nested more than 256 levels deep");
  refused("deep.yaml", "a: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n", "nested more than 256 levels");
  refused("deep_map.yaml", "a: " + std::string(100'000, '{'), "nested more than 256 levels");
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += fmt::format("{}: &{} [", c, c);
    for (int k = 0; k < 9; ++k) bomb += fmt::format("{}*{}", k ? "," : "", static_cast<char>(c - 1));
    bomb += "]\n";
  }
  refused("bomb.yaml", bomb, "aliases expand to more than");
  refused("cycle.yaml", "a: &x [*x]\n", "refers to a node that contains it");
}

TEST_CASE("edit_distance: inserts, deletes, changes and adjacent swaps; bounded by limit") {
  using mlt::core::edit_distance;
  CHECK(edit_distance("start", "start") == 0);
  CHECK(edit_distance("strat", "start") == 1);    // a swap is one edit
  CHECK(edit_distance("--limt", "--limit") == 1);
  CHECK(edit_distance("stauts", "status") == 1);
  CHECK(edit_distance("ls", "rm") == 2);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("a", "abcdefgh", 2) == 3);  // beyond the limit: limit + 1
  CHECK(edit_distance("kitten", "sitting", 1) == 2);
}
