// core/yaml: parsing with FILE:LINE:COL errors; the block-style writer (PyYAML's shape: indentless
// lists under a key, lists of maps, {} and [], sorted keys); which strings must be quoted to stay
// strings (ambiguous) and that every string, however odd, reads back exactly through yaml-cpp;
// equal() (order-insensitive maps, quoted "14.3" differs from plain 14.3); to_json.
#include "base/yaml.hpp"

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::test::contains;
using mlt::test::thrown;
namespace yaml = mlt::core::yaml;

namespace {

YAML::Node seq_of(std::initializer_list<YAML::Node> items) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& i : items) n.push_back(i);
  return n;
}

// A mapping built in the order given (force_insert keeps it).
YAML::Node map_of(std::initializer_list<std::pair<const char*, YAML::Node>> items) {
  YAML::Node n(YAML::NodeType::Map);
  for (const auto& [k, v] : items) n.force_insert(yaml::str(k), v);
  return n;
}

YAML::Node empty_map() { return YAML::Node(YAML::NodeType::Map); }
YAML::Node empty_seq() { return YAML::Node(YAML::NodeType::Sequence); }

}  // namespace

TEST_CASE("yaml parse: well-formed text, and malformed text as FILE:LINE:COL with exit 2") {
  auto n = yaml::parse("a: 1\nb:\n- x\n- y\n", "conf.yaml");
  REQUIRE(n.IsMap());
  CHECK(n["a"].Scalar() == "1");
  REQUIRE(n["b"].IsSequence());
  CHECK(n["b"].size() == 2);
  CHECK(n["b"][1].Scalar() == "y");

  // an unclosed flow sequence that opens on line 2
  auto e = thrown([] { yaml::parse("a: 1\nb: [1, 2\nc: 3\n", "conf.yaml"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  std::string msg = e->what();
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(msg, m, std::regex("^conf\\.yaml:([0-9]+):([0-9]+): invalid YAML: .+")), msg);
  CHECK(std::stoi(m[1]) >= 2);
  CHECK(std::stoi(m[2]) >= 1);
  CHECK(!e->hint().empty());

  // a bad indentation on line 3, column 3: the location points there
  e = thrown([] { yaml::parse("a:\n  b: 1\n  - c\n", "dir/MLmodel"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  msg = e->what();
  REQUIRE_MESSAGE(std::regex_search(msg, m, std::regex("^dir/MLmodel:([0-9]+):([0-9]+): invalid YAML")), msg);
  CHECK(m[1] == "3");
  CHECK(m[2] == "3");

  // the first line and column are 1, not 0
  e = thrown([] { yaml::parse("}\n", "x.yaml"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "x.yaml:1:1: invalid YAML"));
}

namespace {

// A billion laughs: each level a list of ten aliases of the level before (10^levels leaves).
std::string alias_bomb(int levels) {
  std::string t = "a0: &a0 [lol]\n";
  for (int i = 1; i <= levels; ++i) {
    t += fmt::format("a{}: &a{} [", i, i);
    for (int k = 0; k < 10; ++k) t += fmt::format("{}*a{}", k ? ", " : "", i - 1);
    t += "]\n";
  }
  return t;
}

}  // namespace

TEST_CASE("yaml parse: a raw control character or text that is not UTF-8 is refused with its place, exit 2") {
  auto e = thrown([] { yaml::parse("a: 1\nb: 10:\x10" "0\n", "x.yaml"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "x.yaml:2:7: invalid YAML: control character 0x10"));
  auto del = thrown([] { yaml::parse("k: \"a\x7f\"\n", "y.yaml"); });
  REQUIRE(del);
  CHECK(contains(del->what(), "y.yaml:1:6: invalid YAML: control character 0x7f"));
  CHECK(yaml::parse("a:\t1\r\nb: \"\\x10\"\n", "ok.yaml")["b"].as<std::string>() == "\x10");
  for (const char* bad : {"k: \x92\n", "k: \xc3\n", "k: \xe2\x82\n", "k: \xed\xa0\x80\n", "k: \xf5\x80\x80\x80\n", "k: \xc0\xaf\n"}) {
    auto u = thrown([&] { yaml::parse(bad, "u.yaml"); });
    REQUIRE(u);
    CHECK(contains(u->what(), "u.yaml:1:4: invalid YAML: text that is not UTF-8"));
  }
  CHECK(yaml::parse("k: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\n", "ok.yaml")["k"].as<std::string>() ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
}

TEST_CASE("yaml parse: nesting deeper than max_nesting is refused with its place, exit 2") {
  auto flow = [](std::size_t depth) { return "x: " + std::string(depth, '[') + std::string(depth, ']') + "\n"; };
  CHECK(yaml::parse(flow(mlt::core::max_nesting - 1), "ok.yaml").IsMap());   // the map is one level
  for (std::size_t depth : {mlt::core::max_nesting, std::size_t{100'000}}) {
    CAPTURE(depth);
    auto e = thrown([&] { yaml::parse(flow(depth), "deep.yaml"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "deep.yaml:1:"));
    CHECK(contains(e->what(), "nested more than 256 levels deep"));
  }
  // block style too
  std::string block;
  for (std::size_t i = 0; i <= mlt::core::max_nesting; ++i) block += std::string(i, ' ') + "k:\n";
  auto e = thrown([&] { yaml::parse(block, "block.yaml"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "block.yaml:"));
  // an alias adds the depth of the node it names
  std::string aliased = "a: &d " + std::string(200, '[') + std::string(200, ']') + "\nb: " + std::string(100, '[') +
                        "*d" + std::string(100, ']') + "\n";
  e = thrown([&] { yaml::parse(aliased, "alias.yaml"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "alias.yaml:2:"));
  CHECK(contains(e->what(), "nested more than"));
}

TEST_CASE("yaml parse: an alias inside the node it names (a cycle) is refused, exit 2") {
  for (const char* text : {"a: &x [*x]\n", "a: &x {b: *x}\n", "a: &x\n  b:\n    - 1\n    - *x\n"}) {
    CAPTURE(text);
    auto e = thrown([&] { yaml::parse(text, "MLmodel"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "MLmodel:"));
    CHECK(contains(e->what(), "the alias '*x' refers to a node that contains it"));
  }
  // an alias of a complete node is fine, as often as the budget allows
  auto n = yaml::parse("base: &b {lr: 0.1}\nx: *b\ny: [*b, *b]\n", "ok.yaml");
  CHECK(n["x"]["lr"].Scalar() == "0.1");
  CHECK(n["y"][1]["lr"].Scalar() == "0.1");
}

TEST_CASE("yaml parse: aliases that expand beyond max_alias_nodes are refused at once, exit 2") {
  // 9 levels: 10^9 leaves from under 1 KB; refused while parsing, before anything walks it
  std::string bomb = alias_bomb(9);
  CHECK(bomb.size() < 1000);
  auto started = std::chrono::steady_clock::now();
  auto e = thrown([&] { yaml::parse(bomb, "params.yaml"); });
  REQUIRE(e);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "params.yaml:"));
  CHECK(contains(e->what(), "aliases expand to more than 100000 nodes"));
  // 4 levels: 10^4 leaves, within the budget, and every walk sees them
  auto n = yaml::parse(alias_bomb(4), "small.yaml");
  CHECK(yaml::to_json(n)["a4"].dump().size() > 50'000);
}

TEST_CASE("yaml str and plain: a string stays a string, plain text is written as it is") {
  CHECK(yaml::emit(map_of({{"v", yaml::str("14.3")}})) == "v: '14.3'\n");
  CHECK(yaml::emit(map_of({{"v", yaml::plain("14.3")}})) == "v: 14.3\n");
  CHECK(yaml::emit(map_of({{"v", yaml::str("true")}})) == "v: 'true'\n");
  CHECK(yaml::emit(map_of({{"v", yaml::plain("true")}})) == "v: true\n");
  CHECK(yaml::emit(map_of({{"v", yaml::str("abc")}})) == "v: abc\n");

  CHECK(yaml::is_string(yaml::str("14.3")));
  CHECK(yaml::is_string(yaml::str("abc")));
  CHECK_FALSE(yaml::is_string(yaml::plain("14.3")));
  CHECK(yaml::is_string(yaml::plain("abc")));   // plain text that reads as nothing else

  // read back, the quoted one is a string and the plain one a number
  auto back = yaml::parse(yaml::emit(map_of({{"s", yaml::str("14.3")}, {"p", yaml::plain("14.3")}})), "t");
  CHECK(back["s"].Scalar() == "14.3");
  CHECK(yaml::is_string(back["s"]));
  CHECK(back["p"].Scalar() == "14.3");
  CHECK_FALSE(yaml::is_string(back["p"]));
  CHECK(back["p"].as<double>() == doctest::Approx(14.3));
}

TEST_CASE("yaml ambiguous: strings a YAML 1.1 or 1.2 reader takes for something else") {
  for (const char* s : {"14.3", "yes", "Yes", "YES", "No", "no", "on", "On", "off", "OFF", "y", "N", "true", "False",
                        "TRUE", "~", "null", "Null", "NULL", "", "1e5", "1E+5", "-1.5e-3", ".5", "1.", "+1", "-0",
                        "42", "1_000", "012", "0o17", "0b101", "0x1F", "0xff", "1:20", "190:20:30.15", ".inf",
                        "-.inf", "+.INF", ".Inf", ".nan", ".NaN", "2024-01-01", "2024-1-1", "2024-01-01 10:00:00",
                        "2024-01-01T10:00:00Z", "2001-12-14t21:59:43.10-05:00", "<<", "="})
    CHECK_MESSAGE(yaml::ambiguous(s), "'" << s << "'");
  for (const char* s : {"abc", "3.11.2", "2.12.2.dev0", "mlflow.sklearn", "-r requirements.txt", "model.pkl",
                        "python=3.11.2", "nan", "inf", "Infinity", "0x", "1e", "e5", "1.2.3", "yess", "nope",
                        "tRue", "null_value", "2024-01", "v1.0", "1 2", "<", "==", "mlflow==2.12.2", "sha256:abc",
                        "c830004217014dd8a61ab4fd404a8fa8"})
    CHECK_FALSE_MESSAGE(yaml::ambiguous(s), "'" << s << "'");
}

TEST_CASE("yaml emit: block style as PyYAML writes it") {
  SUBCASE("a conda environment: indentless lists under keys, a map inside a list") {
    auto n = map_of({{"name", yaml::str("mlflow-env")},
                     {"channels", seq_of({yaml::str("conda-forge")})},
                     {"dependencies", seq_of({yaml::str("python=3.11.2"), yaml::str("pip"),
                                              map_of({{"pip", seq_of({yaml::str("mlflow==2.12.2"),
                                                                      yaml::str("scikit-learn==1.2.1")})}})})}});
    // yaml.safe_dump(d, sort_keys=False)
    CHECK(yaml::emit(n) ==
          "name: mlflow-env\nchannels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip\n- pip:\n"
          "  - mlflow==2.12.2\n  - scikit-learn==1.2.1\n");
  }
  SUBCASE("nested maps, lists of maps, lists of lists, {} and [], in file order and sorted") {
    auto n = map_of({{"z", map_of({{"b", yaml::plain("1")},
                                   {"a", seq_of({map_of({{"x", map_of({{"q", empty_seq()}, {"p", empty_map()}})},
                                                         {"u", yaml::plain("1")}}),
                                                 seq_of({yaml::plain("1"), seq_of({yaml::plain("2"), yaml::plain("3")})}),
                                                 yaml::str("v")})}})},
                     {"a", yaml::str("14.3")},
                     {"m", yaml::str("x")}});
    // yaml.safe_dump(d, sort_keys=False) and yaml.safe_dump(d) of the same data
    CHECK(yaml::emit(n) ==
          "z:\n  b: 1\n  a:\n  - x:\n      q: []\n      p: {}\n    u: 1\n  - - 1\n    - - 2\n      - 3\n  - v\n"
          "a: '14.3'\nm: x\n");
    CHECK(yaml::emit(n, {.sort_keys = true}) ==
          "a: '14.3'\nm: x\nz:\n  a:\n  - u: 1\n    x:\n      p: {}\n      q: []\n  - - 1\n    - - 2\n      - 3\n"
          "  - v\n  b: 1\n");
    // sorting does not change the node
    CHECK(yaml::emit(n) != yaml::emit(n, {.sort_keys = true}));
    CHECK(n.begin()->first.Scalar() == "z");
  }
  SUBCASE("top-level lists, empty collections, nulls") {
    auto n = seq_of({seq_of({yaml::plain("1"), yaml::plain("2")}),
                     seq_of({yaml::plain("3"), seq_of({yaml::plain("4"), yaml::plain("5")})}),
                     map_of({{"a", yaml::plain("1")}})});
    CHECK(yaml::emit(n) == "- - 1\n  - 2\n- - 3\n  - - 4\n    - 5\n- a: 1\n");
    CHECK(yaml::emit(empty_map()) == "{}\n");
    CHECK(yaml::emit(empty_seq()) == "[]\n");
    CHECK(yaml::emit(seq_of({empty_seq(), empty_map()})) == "- []\n- {}\n");
    CHECK(yaml::emit(map_of({{"a", YAML::Node(YAML::NodeType::Null)}, {"b", empty_seq()}})) == "a: null\nb: []\n");
  }
  SUBCASE("a parsed document is written with the same data") {
    std::string text =
        "flavors:\n  python_function:\n    env:\n      conda: conda.yaml\n    loader_module: mlflow.sklearn\n"
        "    python_version: 3.11.2\nmodel_size_bytes: 676\nsignature:\n  inputs: '[{\"type\": \"double\"}]'\n"
        "  params: null\nutc_time_created: '2026-11-26 23:50:56.028557'\n";
    // already in PyYAML's form: written back byte for byte
    CHECK(yaml::emit(yaml::parse(text, "t")) == text);
    std::string flow = "{b: [1, {c: '2', d: []}], a: {x: yes, y: 'yes'}}";
    auto n = yaml::parse(flow, "t");
    auto out = yaml::emit(n);
    CHECK(out == "b:\n- 1\n- c: '2'\n  d: []\na:\n  x: yes\n  y: 'yes'\n");
    CHECK(yaml::equal(yaml::parse(out, "t"), n));
  }
}

TEST_CASE("yaml emit: odd strings are quoted and read back exactly through yaml-cpp") {
  const std::vector<std::string> odd{
      "a: b", "a #b", "#x", "-x", "- x", "-", "--- x", "---", "...", "*x", "&x", "!x", "|x", ">x", "%x", "@x", "`x",
      "?x", "? x", ":x", "x:", "a:b", "it's", "'q'", "\"q\"", "say \"hi\"", "a\nb", "line\n", "\n", "tab\there", "\t",
      std::string("\x01\x02\x1b\x7f", 4), "\r\n", " lead", "trail ", "", "[x]", "{x}", "x, y", ",x", "a\\b",
      "caf\xc3\xa9 \xf0\x9f\x98\x80", "back\\slash\"quote'mix\nnext", "{a: 1}", "[1, 2]", "key: value # comment",
      "http://host:80/p#frag", std::string("nul\0inside", 10), "14.3", "yes", "No", "on", "~", "null", "1e5", ".inf",
      "0x1F", "2024-01-01", "2024-01-01 10:00:00", "<<", "=", "3.11.2", "-r requirements.txt", "mlflow.sklearn",
      std::string(300, 'x'), "multi\n\nline\n  indented\n"};
  for (const auto& s : odd) {
    CAPTURE(s);
    // as a value in a map
    auto text = yaml::emit(map_of({{"k", yaml::str(s)}}));
    auto back = YAML::Load(text);
    REQUIRE(back.IsMap());
    CHECK(back.size() == 1);
    CHECK(back["k"].IsScalar());
    CHECK(back["k"].Scalar() == s);
    CHECK(yaml::is_string(back["k"]));
    // as an item of a list, and as a key
    auto list = YAML::Load(yaml::emit(seq_of({yaml::str(s), yaml::str("after")})));
    REQUIRE(list.IsSequence());
    REQUIRE(list.size() == 2);
    CHECK(list[0].Scalar() == s);
    CHECK(yaml::is_string(list[0]));
    CHECK(list[1].Scalar() == "after");
    YAML::Node keyed(YAML::NodeType::Map);
    keyed.force_insert(yaml::str(s), yaml::str("v"));
    keyed.force_insert(yaml::str("next"), yaml::str("w"));
    auto kb = YAML::Load(yaml::emit(keyed));
    REQUIRE(kb.IsMap());
    REQUIRE(kb.size() == 2);
    CHECK(kb.begin()->first.Scalar() == s);
    CHECK(yaml::is_string(kb.begin()->first));
    CHECK(kb.begin()->second.Scalar() == "v");
    CHECK(kb["next"].Scalar() == "w");
  }
  // plain where plain is safe: no quotes around ordinary text
  CHECK(yaml::emit(map_of({{"k", yaml::str("-r requirements.txt")}})) == "k: -r requirements.txt\n");
  CHECK(yaml::emit(map_of({{"k", yaml::str("3.11.2")}})) == "k: 3.11.2\n");
  CHECK(yaml::emit(map_of({{"k", yaml::str("a:b")}})) == "k: a:b\n");
  // quoted where it must be
  CHECK(yaml::emit(map_of({{"k", yaml::str("it's: x")}})) == "k: 'it''s: x'\n");
  CHECK(yaml::emit(map_of({{"k", yaml::str("")}})) == "k: ''\n");
  CHECK(yaml::emit(map_of({{"k", yaml::str("~")}})) == "k: '~'\n");
  CHECK(yaml::emit(map_of({{"k", yaml::str("a\nb")}})) == "k: \"a\\nb\"\n");
  // a top-level scalar
  CHECK(yaml::emit(yaml::str("14.3")) == "'14.3'\n");
  CHECK(yaml::emit(yaml::str("abc")) == "abc\n");
  CHECK(yaml::emit(yaml::plain("14.3")) == "14.3\n");
}

TEST_CASE("yaml equal: same data, whatever the key order; a quoted number is not the number") {
  auto p = [](const char* t) { return yaml::parse(t, "t"); };
  CHECK(yaml::equal(p("a: 1\nb: [x, y]\nc: {d: 2}\n"), p("c:\n  d: 2\nb:\n- x\n- y\na: 1\n")));
  CHECK_FALSE(yaml::equal(p("b: [x, y]"), p("b: [y, x]")));           // lists keep their order
  CHECK_FALSE(yaml::equal(p("a: 1\nb: 2\n"), p("a: 1\n")));           // a key fewer
  CHECK_FALSE(yaml::equal(p("a: 1\n"), p("a: 1\nb: 2\n")));           // a key more
  CHECK_FALSE(yaml::equal(p("a: 1\nb: 2\n"), p("a: 1\nc: 2\n")));     // another key
  CHECK_FALSE(yaml::equal(p("a: 1\n"), p("a: 2\n")));
  CHECK_FALSE(yaml::equal(p("a: '14.3'\n"), p("a: 14.3\n")));         // a string, a number
  CHECK_FALSE(yaml::equal(p("a: 'true'\n"), p("a: true\n")));
  CHECK_FALSE(yaml::equal(p("a: 'null'\n"), p("a: null\n")));         // a string, a null
  CHECK(yaml::equal(p("a: 'abc'\n"), p("a: abc\n")));                 // both strings
  CHECK(yaml::equal(p("a: \"abc\"\n"), p("a: !!str abc\n")));
  CHECK(yaml::equal(p("a: ~\n"), p("a: null\n")));
  CHECK(yaml::equal(p("a:\n"), p("a: null\n")));
  CHECK_FALSE(yaml::equal(p("a: 1.0\n"), p("a: 1\n")));               // same meaning, other text
  CHECK_FALSE(yaml::equal(p("a: []\n"), p("a: {}\n")));
  CHECK_FALSE(yaml::equal(p("a: [1]\n"), p("a: 1\n")));
  CHECK(yaml::equal(p("{'14.3': x}"), p("'14.3': x\n")));
  CHECK_FALSE(yaml::equal(p("'14.3': x\n"), p("14.3: x\n")));         // keys compare by meaning too
  CHECK(yaml::equal(p("- {a: 1, b: [2, {c: 3}]}\n"), p("- b:\n  - 2\n  - c: 3\n  a: 1\n")));
}

TEST_CASE("yaml to_json: numbers and booleans from plain scalars, strings otherwise, file order") {
  auto j = yaml::to_json(yaml::parse(
      "z: 1\nb: 1.5\nc: true\nd: 'true'\ne: x\nf: null\ng: [1, '2', -3]\nh: .inf\ni: 1e5\nk: '7'\n"
      "l: {m: False, n: ~}\no: 3.11.2\n",
      "t"));
  REQUIRE(j.is_object());
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"z", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "o"});
  CHECK(j["z"].is_number_integer());
  CHECK(j["z"] == 1);
  CHECK(j["b"].is_number_float());
  CHECK(j["b"] == 1.5);
  CHECK(j["c"] == true);
  CHECK(j["d"] == "true");
  CHECK(j["e"] == "x");
  CHECK(j["f"].is_null());
  CHECK(j["g"].dump() == "[1,\"2\",-3]");
  CHECK(j["h"] == ".inf");   // not finite: kept as text
  CHECK(j["i"].is_number_float());
  CHECK(j["i"] == 100000.0);
  CHECK(j["k"] == "7");
  CHECK(j["l"].dump() == "{\"m\":false,\"n\":null}");
  CHECK(j["o"] == "3.11.2");
  CHECK(yaml::to_json(yaml::parse("[]", "t")).dump() == "[]");
  CHECK(yaml::to_json(yaml::parse("{}", "t")).dump() == "{}");
}
