// core/signature: validating MLflow schemas and params (errors name the element), reading
// signature files (JSON lists, MLflow's JSON strings, null parts, YAML, an MLmodel's signature
// block), python_json against Python's json.dumps byte for byte, input examples (CSV, TSV, JSON
// records, split orient kept as it is, other JSON), inferring a signature, describing a schema.
#include "core/models/signature.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::core::ojson;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

ojson J(const char* text) { return ojson::parse(text); }

// The message of the usage error validate_schema gives, or "" when it accepts the specs.
std::string schema_error(const char* specs, const std::string& where = "signature inputs") {
  auto e = thrown([&] { validate_schema(J(specs), where); });
  if (!e) return "";
  CHECK(e->code() == ExitCode::usage);
  return e->what();
}

std::string params_error(const char* specs) {
  auto e = thrown([&] { validate_params(J(specs), "signature params"); });
  if (!e) return "";
  CHECK(e->code() == ExitCode::usage);
  return e->what();
}

std::string signature_error(const std::string& text, const std::string& where = "sig.json") {
  auto e = thrown([&] { parse_signature(text, where); });
  if (!e) return "";
  CHECK(e->code() == ExitCode::usage);
  return e->what();
}

std::string example_error(const std::string& text, bool csv, char delim = ',') {
  auto e = thrown([&] { parse_input_example(text, csv, delim, "ex"); });
  if (!e) return "";
  CHECK(e->code() == ExitCode::usage);
  return e->what();
}

}  // namespace

TEST_CASE("signature validate_schema: good column and tensor schemas") {
  CHECK(schema_error(R"([{"type": "double", "name": "area_m2", "required": true},
                         {"type": "long", "name": "rooms", "required": false},
                         {"type": "string", "name": "city"}])") == "");
  CHECK(schema_error(R"([{"type": "double"}, {"type": "boolean"}])") == "");
  for (auto& t : data_types()) {
    std::string specs = R"([{"type": ")" + t + R"("}])";
    CHECK_MESSAGE(schema_error(specs.c_str()) == "", t);
  }
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])") == "");
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}, "name": "img"},
                         {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "id"}])") == "");
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "<U0", "shape": []}}])") == "");
  // arrays, objects and maps, nested
  CHECK(schema_error(R"([{"type": "array", "items": {"type": "object", "properties": {
                           "content": {"type": "string", "required": true},
                           "role": {"type": "string", "required": true}}},
                          "name": "messages", "required": true}])") == "");
  CHECK(schema_error(R"([{"type": "map", "values": {"type": "array", "items": {"type": "long"}}, "name": "m"}])") ==
        "");
}

TEST_CASE("signature validate_schema: errors name the element") {
  auto msg = schema_error(R"([{"type": "double", "name": "a"}, {"type": "long", "name": "b"},
                              {"type": "decimal", "name": "c"}])");
  CHECK(msg.starts_with("signature inputs[2]: unknown type 'decimal'"));
  CHECK(contains(msg, "double"));   // lists the known ones

  CHECK(schema_error(R"({"type": "double"})").starts_with("signature inputs: expected a list of specs, got an object"));
  CHECK(schema_error(R"("[]")").starts_with("signature inputs: expected a list of specs, got a string"));
  CHECK(schema_error("[]").starts_with("signature inputs: the list of specs is empty"));
  CHECK(schema_error(R"([{"type": "double"}, 5])").starts_with("signature inputs[1]: expected an object, got a number"));
  CHECK(schema_error(R"([{"name": "a"}])").starts_with("signature inputs[0]: missing \"type\""));
  CHECK(schema_error(R"([{"type": 3}])").starts_with("signature inputs[0]: missing \"type\""));
  CHECK(schema_error(R"([{"type": "double", "nme": "a"}])").starts_with("signature inputs[0]: unknown field 'nme'"));
  CHECK(schema_error(R"([{"type": "double", "name": 1}])").starts_with("signature inputs[0]: \"name\" must be a string"));
  CHECK(schema_error(R"([{"type": "double", "required": "yes"}])")
            .starts_with("signature inputs[0]: \"required\" must be true or false"));
  CHECK(schema_error(R"([{"type": "long", "name": "a"}, {"type": "double", "name": "a"}])")
            .starts_with("signature inputs[1]: the name 'a' appears twice"));
  // nested: the path goes down into the type
  CHECK(schema_error(R"([{"type": "double"}, {"type": "array", "items": {"type": "wat"}}])")
            .starts_with("signature inputs[1].items: unknown type 'wat'"));
  CHECK(schema_error(R"([{"type": "object", "properties": {"x": {"type": "long"}, "y": {"type": "nope"}}}])")
            .starts_with("signature inputs[0].y: unknown type 'nope'"));
  CHECK(schema_error(R"([{"type": "map", "values": {"type": "array"}}])")
            .starts_with("signature inputs[0].values: an array needs \"items\""));
  CHECK(schema_error(R"([{"type": "array"}])").starts_with("signature inputs[0]: an array needs \"items\""));
  CHECK(schema_error(R"([{"type": "object", "properties": {}}])").starts_with("signature inputs[0]: an object needs"));
  CHECK(schema_error(R"([{"type": "array", "items": {"type": "tensor"}}])")
            .starts_with("signature inputs[0].items: a tensor cannot be nested"));
  // tensors
  CHECK(schema_error(R"([{"type": "tensor"}])").starts_with("signature inputs[0]: a tensor needs \"tensor-spec\""));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float 32", "shape": [-1]}}])")
            .starts_with("signature inputs[0]: \"tensor-spec\".\"dtype\""));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-2]}}])")
            .starts_with("signature inputs[0]: \"tensor-spec\".\"shape\" holds"));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [1.5]}}])")
            .starts_with("signature inputs[0]: \"tensor-spec\".\"shape\" holds"));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": 3}}])")
            .starts_with("signature inputs[0]: \"tensor-spec\".\"shape\" must be a list"));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1], "x": 1}}])")
            .starts_with("signature inputs[0].tensor-spec: unknown field 'x'"));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "required": true}])")
            .starts_with("signature inputs[0]: unknown field 'required'"));
  // the where given is used as it is
  CHECK(schema_error(R"([{"type": "x"}])", "outputs").starts_with("outputs[0]: unknown type 'x'"));
}

TEST_CASE("signature validate_schema: one kind of spec, all named or none") {
  auto msg = schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}},
                              {"type": "double"}])");
  CHECK(msg.starts_with("signature inputs: mixes tensor and column specs"));
  msg = schema_error(R"([{"type": "double"},
                         {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}])");
  CHECK(msg.starts_with("signature inputs: mixes tensor and column specs"));
  CHECK(schema_error(R"([{"type": "double", "name": "a"}, {"type": "long"}])")
            .starts_with("signature inputs: names some specs and not others"));
  CHECK(schema_error(R"([{"type": "double"}, {"type": "long", "name": "b"}])")
            .starts_with("signature inputs: names some specs and not others"));
  CHECK(schema_error(R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "x"},
                         {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}])")
            .starts_with("signature inputs: names some specs and not others"));
}

TEST_CASE("signature validate_params") {
  CHECK(params_error(R"([{"name": "temperature", "type": "double", "default": 0.5, "shape": null},
                         {"name": "top_k", "type": "long", "default": 5},
                         {"name": "ids", "type": "long", "default": [1, 2], "shape": [-1]},
                         {"name": "scale", "type": "float", "default": 1},
                         {"name": "verbose", "type": "boolean", "default": false},
                         {"name": "mode", "type": "string", "default": null}])") == "");
  CHECK(params_error("[]") == "");
  CHECK(params_error(R"({"name": "a"})").starts_with("signature params: expected a list of param specs"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1}, 7])")
            .starts_with("signature params[1]: expected an object, got a number"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1}, {"name": "b", "type": "long"}])")
            .starts_with("signature params[1]: a param needs a \"default\" value"));
  CHECK(params_error(R"([{"type": "long", "default": 1}])").starts_with("signature params[0]: a param needs a \"name\""));
  CHECK(params_error(R"([{"name": "", "type": "long", "default": 1}])")
            .starts_with("signature params[0]: a param needs a \"name\""));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1}, {"name": "a", "type": "long", "default": 2}])")
            .starts_with("signature params[1]: the param 'a' appears twice"));
  CHECK(params_error(R"([{"name": "a", "type": "tensor", "default": 1}])")
            .starts_with("signature params[0]: a param's \"type\" is one of"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": "x"}])")
            .starts_with("signature params[0]: the default does not match type 'long'"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1.5}])")
            .starts_with("signature params[0]: the default does not match type 'long'"));
  CHECK(params_error(R"([{"name": "a", "type": "boolean", "default": 0}])")
            .starts_with("signature params[0]: the default does not match type 'boolean'"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": [1, "x"], "shape": [-1]}])")
            .starts_with("signature params[0]: the default does not match type 'long' (a list)"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1, "shape": [-1]}])")
            .starts_with("signature params[0]: the default does not match type 'long' (a list)"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": [1], "shape": [2]}])")
            .starts_with("signature params[0]: a param's \"shape\" is null"));
  CHECK(params_error(R"([{"name": "a", "type": "long", "default": 1, "required": true}])")
            .starts_with("signature params[0]: unknown field 'required'"));
}

TEST_CASE("signature parse_signature: JSON lists, MLflow's JSON strings, null parts") {
  auto s = parse_signature(R"({"inputs": [{"type": "double", "name": "x"}], "outputs": [{"type": "long"}]})", "sig.json");
  REQUIRE(s.inputs);
  REQUIRE(s.outputs);
  CHECK_FALSE(s.params);
  CHECK((*s.inputs)[0]["name"] == "x");
  CHECK((*s.outputs)[0]["type"] == "long");

  // MLflow's form: each part a JSON string, or null
  s = parse_signature(R"({"inputs": "[{\"type\": \"double\", \"name\": \"x\"}]", "outputs": null,
                          "params": "[{\"name\": \"k\", \"type\": \"long\", \"default\": 3, \"shape\": null}]"})",
                      "sig.json");
  REQUIRE(s.inputs);
  CHECK_FALSE(s.outputs);
  REQUIRE(s.params);
  CHECK((*s.params)[0]["default"] == 3);
  CHECK(s.inputs->dump() == R"([{"type":"double","name":"x"}])");   // key order kept

  // the JSON string "null" is no part either
  s = parse_signature(R"({"inputs": "null", "outputs": "[{\"type\": \"string\"}]"})", "sig.json");
  CHECK_FALSE(s.inputs);
  REQUIRE(s.outputs);
  CHECK_FALSE(s.empty());

  // leading blank space before the JSON
  s = parse_signature("\n  \t{\"outputs\": [{\"type\": \"string\"}]}\n", "sig.json");
  CHECK(s.outputs);
}

TEST_CASE("signature parse_signature: YAML and an MLmodel file's signature block") {
  auto s = parse_signature(
      "inputs:\n- type: double\n  name: area_m2\n  required: true\n- type: long\n  name: rooms\n  required: false\n"
      "outputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1]}}]'\n"
      "params: null\n",
      "sig.yaml");
  REQUIRE(s.inputs);
  REQUIRE(s.inputs->size() == 2);
  CHECK((*s.inputs)[1]["name"] == "rooms");
  CHECK((*s.inputs)[1]["required"] == false);
  CHECK((*s.inputs)[1]["required"].is_boolean());
  REQUIRE(s.outputs);
  CHECK((*s.outputs)[0]["tensor-spec"]["shape"][0] == -1);
  CHECK_FALSE(s.params);

  auto mlmodel = mlt::test::slurp(fs::path(MLT_FIXTURES) / "mlflow/generated-models/sklearn_linreg/MLmodel");
  s = parse_signature(mlmodel, "MLmodel");
  REQUIRE(s.inputs);
  REQUIRE(s.inputs->size() == 3);
  CHECK((*s.inputs)[0]["name"] == "area_m2");
  CHECK((*s.inputs)[1]["type"] == "long");
  CHECK((*s.inputs)[2]["name"] == "age_years");
  REQUIRE(s.outputs);
  CHECK((*s.outputs)[0]["type"] == "tensor");
  CHECK_FALSE(s.params);
  // the JSON MLflow wrote comes back out of python_json unchanged
  CHECK(python_json(*s.inputs) ==
        R"([{"type": "double", "name": "area_m2", "required": true}, {"type": "long", "name": "rooms", "required": true}, )"
        R"({"type": "double", "name": "age_years", "required": true}])");
  CHECK(python_json(*s.outputs) == R"([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])");

  // a YAML file with a signature key but no flavors is not an MLmodel: signature is unknown
  CHECK(signature_error("signature:\n  inputs: '[{\"type\": \"double\"}]'\n", "s.yaml")
            .starts_with("s.yaml: unknown field 'signature'"));
}

TEST_CASE("signature parse_signature: errors") {
  CHECK(signature_error(R"({"inputs": [{"type": "double"}], "extra": 1})").starts_with("sig.json: unknown field 'extra'"));
  CHECK(signature_error(R"({"input": [{"type": "double"}]})").starts_with("sig.json: unknown field 'input'"));
  CHECK(signature_error(R"({"params": [{"name": "k", "type": "long", "default": 1}]})")
            .starts_with("sig.json: a signature needs inputs or outputs"));
  CHECK(signature_error(R"({"inputs": null, "outputs": null})").starts_with("sig.json: a signature needs inputs or outputs"));
  CHECK(signature_error("[1, 2]").starts_with("sig.json: expected an object with inputs, outputs and params, got a list"));
  CHECK(signature_error(R"({"inputs": 5})").starts_with("sig.json: inputs: expected a list of specs"));
  CHECK(signature_error(R"({"inputs": "[{\"type\": "})").starts_with("sig.json: inputs: invalid JSON in the string"));
  CHECK(signature_error(R"({"inputs": "{\"type\": \"double\"}"})")
            .starts_with("sig.json: inputs: expected a JSON list, got an object"));
  CHECK(signature_error(R"({"inputs": [{"type": "double"}, {"type": "bad"}]})")
            .starts_with("sig.json: inputs[1]: unknown type 'bad'"));
  CHECK(signature_error(R"({"outputs": [{"type": "double"}], "params": [{"name": "k", "type": "long"}]})")
            .starts_with("sig.json: params[0]: a param needs a \"default\" value"));
  // malformed JSON: FILE:LINE:COL
  CHECK(signature_error("{\"inputs\": [}") == "sig.json:1:13: invalid JSON");
  CHECK(signature_error("{\n  \"inputs\": [\n    {\"type\": \"double\"},,\n  ]\n}\n") == "sig.json:3:24: invalid JSON");
  // malformed YAML: FILE:LINE:COL too
  auto msg = signature_error("inputs:\n  - type: double\n  name: x\n", "sig.yaml");
  CHECK(msg.starts_with("sig.yaml:3:"));
  CHECK(contains(msg, "invalid YAML"));
}

TEST_CASE("signature signature_from_mlmodel_strings") {
  auto s = signature_from_mlmodel_strings(std::string(R"([{"type": "string", "required": true}])"), std::nullopt,
                                          std::nullopt, "signature");
  REQUIRE(s.inputs);
  CHECK_FALSE(s.outputs);
  auto e = thrown([] {
    signature_from_mlmodel_strings(std::string("[{\"type\": \"double\""), std::nullopt, std::nullopt, "signature");
  });
  REQUIRE(e);
  CHECK(std::string(e->what()).starts_with("signature inputs: invalid JSON in the string"));
  e = thrown([] {
    signature_from_mlmodel_strings(std::nullopt, std::string(R"([{"type": "wat"}])"), std::nullopt, "signature");
  });
  REQUIRE(e);
  CHECK(std::string(e->what()).starts_with("signature outputs[0]: unknown type 'wat'"));
}

TEST_CASE("signature python_json: Python's json.dumps byte for byte") {
  CHECK(python_json(J(R"({"a": [1, 2.5, true, null, "x"], "b": {"c": "d"}, "e": [], "f": {}})")) ==
        R"({"a": [1, 2.5, true, null, "x"], "b": {"c": "d"}, "e": [], "f": {}})");
  // key order is the document's, not sorted
  CHECK(python_json(J(R"({"z": 1, "a": 2})")) == R"({"z": 1, "a": 2})");
  // floats as Python's repr writes them (json.dumps of each value)
  const std::vector<std::pair<double, const char*>> floats{
      {1.0, "1.0"},
      {0.5, "0.5"},
      {1e-05, "1e-05"},
      {1e16, "1e+16"},
      {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"},
      {-0.0, "-0.0"},
      {1e22, "1e+22"},
      {123456789012345680.0, "1.2345678901234568e+17"},
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {123.456, "123.456"},
      {2.5e-7, "2.5e-07"},
      {100000.0, "100000.0"},
      {-1.5, "-1.5"},
      {1e100, "1e+100"},
      {9007199254740992.0, "9007199254740992.0"},
      {12345678.9, "12345678.9"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"},
  };
  for (auto& row : floats) {  // clang 14 cannot capture structured bindings
    const auto& want = std::get<1>(row);
    CHECK_MESSAGE(python_json(ojson(std::get<0>(row))) == want, want);
  }
  // integers of every size
  CHECK(python_json(J("[9223372036854775807, -9223372036854775808, 18446744073709551615, 0]")) ==
        "[9223372036854775807, -9223372036854775808, 18446744073709551615, 0]");
  // strings with ensure_ascii: \u escapes, surrogate pairs beyond the BMP, short escapes, '/' as is
  CHECK(python_json(ojson("\xc3\xa9\xf0\x9f\x98\x80\x7f\x01\b\f\n\r\t\"\\/\xc3\xbc\xe2\x82\xac\xf4\x8f\xbf\xbf")) ==
        R"("\u00e9\ud83d\ude00\u007f\u0001\b\f\n\r\t\"\\/\u00fc\u20ac\udbff\udfff")");
  CHECK(python_json(ojson("plain text")) == "\"plain text\"");
  CHECK(python_json(ojson(std::string("\0", 1))) == R"("\u0000")");
  CHECK(python_json(J(R"({"caf\u00e9": "\ud83d\ude00"})")) == R"({"caf\u00e9": "\ud83d\ude00"})");
  CHECK(python_json(J("[]")) == "[]");
  CHECK(python_json(J("{}")) == "{}");
  CHECK(python_json(J("[[], [[]], {\"a\": {}}]")) == R"([[], [[]], {"a": {}}])");
}

TEST_CASE("signature parse_input_example: CSV into pandas split orient") {
  std::string csv =
      "a,b,c,d,e\n1,2.5,true,\"hello, world\",1\n,\"-1e3\",False,\"line1\nline2\",x\n-3,1e5,TRUE,\"say \"\"hi\"\"\",2.5\n";
  auto ex = parse_input_example(csv, true, ',', "ex.csv");
  CHECK(ex.type == "dataframe");
  CHECK(ex.pandas_orient == std::optional<std::string>("split"));
  CHECK(ex.columns == std::vector<std::string>{"a", "b", "c", "d", "e"});
  REQUIRE(ex.rows.size() == 3);
  CHECK(ex.rows[0][0].is_number_integer());
  CHECK(ex.rows[0][0] == 1);
  CHECK(ex.rows[0][1].is_number_float());
  CHECK(ex.rows[0][1] == 2.5);
  CHECK(ex.rows[0][2] == true);
  CHECK(ex.rows[0][3] == "hello, world");
  CHECK(ex.rows[1][0].is_null());   // an empty cell is a missing value
  CHECK(ex.rows[1][1] == -1000.0);  // quotes do not make a number text
  CHECK(ex.rows[1][2] == false);
  CHECK(ex.rows[1][3] == "line1\nline2");
  CHECK(ex.rows[2][0] == -3);
  CHECK(ex.rows[2][1].is_number_float());
  CHECK(ex.rows[2][1] == 100000.0);
  CHECK(ex.rows[2][3] == "say \"hi\"");
  // a column of mixed values is text throughout, as pandas reads it
  CHECK(ex.rows[0][4] == "1");
  CHECK(ex.rows[1][4] == "x");
  CHECK(ex.rows[2][4] == "2.5");
  CHECK_FALSE(ex.object);
  // the file MLflow would write for the same DataFrame (json.dumps of the split dict)
  CHECK(ex.content ==
        R"({"columns": ["a", "b", "c", "d", "e"], "data": [[1, 2.5, true, "hello, world", "1"], )"
        R"([null, -1000.0, false, "line1\nline2", "x"], [-3, 100000.0, true, "say \"hi\"", "2.5"]]})");

  // CRLF line ends, no final line end, non-ASCII text
  ex = parse_input_example("name,note\r\nZo\xc3\xab,\"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\"", true, ',', "ex.csv");
  CHECK(ex.columns == std::vector<std::string>{"name", "note"});
  REQUIRE(ex.rows.size() == 1);
  CHECK(ex.content == R"({"columns": ["name", "note"], "data": [["Zo\u00eb", "\u00fc\u20ac\ud83d\ude00"]]})");

  // a quoted field may hold a CRLF and keeps it
  ex = parse_input_example("t\r\n\"a\r\nb\"\r\n", true, ',', "ex.csv");
  REQUIRE(ex.rows.size() == 1);
  CHECK(ex.rows[0][0] == "a\r\nb");

  // TSV: commas are text
  ex = parse_input_example("x\ty\tn\n1,5\tz w\t7\n2,5\t\t8\n", true, '\t', "ex.tsv");
  CHECK(ex.columns == std::vector<std::string>{"x", "y", "n"});
  REQUIRE(ex.rows.size() == 2);
  CHECK(ex.rows[0][0] == "1,5");
  CHECK(ex.rows[0][1] == "z w");
  CHECK(ex.rows[0][2] == 7);
  CHECK(ex.rows[1][1].is_null());
  CHECK(ex.rows[1][2] == 8);
}

TEST_CASE("signature parse_input_example: malformed CSV") {
  auto msg = example_error("a,b\n1,\"open\n2,3\n", true);
  CHECK(msg.starts_with("ex: line "));
  CHECK(contains(msg, "a quoted field is not closed"));
  CHECK(example_error("a,b\n1,2\n3\n", true).starts_with("ex: row 2: 1 fields where the header has 2"));
  CHECK(example_error("a,b\n1,2,3\n", true).starts_with("ex: row 1: 3 fields where the header has 2"));
  CHECK(example_error("", true).starts_with("ex: the file is empty"));
  CHECK(example_error("a,b\n", true).starts_with("ex: the file has a header but no rows"));
  CHECK(example_error("a,,b\n1,2,3\n", true).starts_with("ex: line 1: a column has no name"));
  CHECK(example_error("a,b,a\n1,2,3\n", true).starts_with("ex: line 1: the column 'a' appears twice"));
}

TEST_CASE("signature parse_input_example: JSON records, split orient, other JSON") {
  SUBCASE("records become a split-orient frame, columns in order of appearance, missing keys null") {
    auto ex = parse_input_example(R"([{"x": 1, "y": "a"}, {"y": "b", "z": true}])", false, ',', "ex.json");
    CHECK(ex.type == "dataframe");
    CHECK(ex.pandas_orient == std::optional<std::string>("split"));
    CHECK(ex.columns == std::vector<std::string>{"x", "y", "z"});
    CHECK(ex.content == R"({"columns": ["x", "y", "z"], "data": [[1, "a", null], [null, "b", true]]})");
    REQUIRE(ex.rows.size() == 2);
    CHECK(ex.rows[1][0].is_null());
    CHECK(example_error(R"([{"x": 1}, 2])", false).starts_with("ex: record 1: expected an object, got a number"));
  }
  SUBCASE("split orient is kept byte for byte") {
    std::string text = "{ \"columns\" : [\"a\", \"b\"],\n  \"index\": [0, 1],\n  \"data\": [[1, 2.50], [3, null]] }\n";
    auto ex = parse_input_example(text, false, ',', "ex.json");
    CHECK(ex.type == "dataframe");
    CHECK(ex.pandas_orient == std::optional<std::string>("split"));
    CHECK(ex.content == text);
    CHECK(ex.columns == std::vector<std::string>{"a", "b"});
    REQUIRE(ex.rows.size() == 2);
    CHECK(ex.rows[0][1] == 2.5);
    CHECK(ex.rows[1][1].is_null());
    CHECK(example_error(R"({"columns": ["a", "b"], "data": [[1]]})", false)
              .starts_with("ex: \"data\"[0] must be a list of 2 values"));
    CHECK(example_error(R"({"columns": ["a", 2], "data": []})", false)
              .starts_with("ex: \"columns\" must list column names"));
  }
  SUBCASE("any other JSON is a json_object, kept as it is") {
    std::string text = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    auto ex = parse_input_example(text, false, ',', "ex.json");
    CHECK(ex.type == "json_object");
    CHECK_FALSE(ex.pandas_orient);
    CHECK(ex.content == text);
    REQUIRE(ex.object);
    CHECK((*ex.object)["messages"][0]["content"] == "hi");
    CHECK(ex.columns.empty());
    for (const char* other : {"[1, 2, 3]", "[]", "\"text\"", "42", "{\"columns\": [\"a\"]}"}) {
      auto o = parse_input_example(other, false, ',', "ex.json");
      CHECK_MESSAGE(o.type == "json_object", other);
      CHECK(o.content == other);
    }
  }
  SUBCASE("malformed JSON: FILE:LINE:COL") {
    CHECK(example_error("[{\"x\": 1},\n {\"x\": }]", false) == "ex:2:8: invalid JSON");
  }
}

TEST_CASE("signature read_input_example: by file name, sniffed otherwise") {
  TempDir d;
  write_file(d / "a.csv", "x,y\n1,2\n");
  write_file(d / "a.tsv", "x\ty\n1,5\t2\n");
  write_file(d / "a.json", "[{\"x\": 1}]");
  write_file(d / "json.txt", "  [{\"x\": 1}]");
  write_file(d / "csv.txt", "x,y\n1,2\n");
  write_file(d / "brackets.csv", "[x],y\n1,2\n");
  auto csv = read_input_example(d / "a.csv");
  CHECK(csv.columns == std::vector<std::string>{"x", "y"});
  auto tsv = read_input_example(d / "a.tsv");
  CHECK(tsv.columns == std::vector<std::string>{"x", "y"});
  REQUIRE(tsv.rows.size() == 1);
  CHECK(tsv.rows[0][0] == "1,5");
  CHECK(read_input_example(d / "a.json").content == R"({"columns": ["x"], "data": [[1]]})");
  CHECK(read_input_example(d / "json.txt").columns == std::vector<std::string>{"x"});
  CHECK(read_input_example(d / "csv.txt").columns == std::vector<std::string>{"x", "y"});
  CHECK(read_input_example(d / "brackets.csv").columns == std::vector<std::string>{"[x]", "y"});
  auto e = thrown([&] { read_input_example(d / "missing.csv"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "missing.csv"));
}

TEST_CASE("signature infer_signature: column types and optional columns") {
  auto ex = parse_input_example(
      "i,f,b,s,m,bi,neg\n1,1,true,x,,true,-1\n2,2.5,False,y,,1,\n3,-1e3,TRUE,7,,0,-2\n", true, ',', "ex.csv");
  auto sig = infer_signature(ex);
  CHECK_FALSE(sig.outputs);
  CHECK_FALSE(sig.params);
  REQUIRE(sig.inputs);
  CHECK(python_json(*sig.inputs) ==
        R"([{"type": "long", "name": "i", "required": true}, {"type": "double", "name": "f", "required": true}, )"
        R"({"type": "boolean", "name": "b", "required": true}, {"type": "string", "name": "s", "required": true}, )"
        R"({"type": "string", "name": "m", "required": false}, {"type": "string", "name": "bi", "required": true}, )"
        R"({"type": "long", "name": "neg", "required": false}])");
  CHECK(describe_schema(*sig.inputs) ==
        "i: long, f: double, b: boolean, s: string, m: string (optional), bi: string, neg: long (optional)");
}

TEST_CASE("signature infer_signature: arrays, objects and a JSON object example") {
  auto ex = parse_input_example(
      R"([{"tags": ["a", "b"], "meta": {"k": 1, "v": "x"}},
          {"tags": null, "meta": {"k": 2, "v": "y"}}])",
      false, ',', "ex.json");
  auto sig = infer_signature(ex);
  REQUIRE(sig.inputs);
  CHECK(python_json(*sig.inputs) ==
        R"([{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}, )"
        R"({"type": "object", "properties": {"k": {"type": "long", "required": true}, )"
        R"("v": {"type": "string", "required": true}}, "name": "meta", "required": true}])");
  CHECK(schema_error(python_json(*sig.inputs).c_str()) == "");

  auto obj = parse_input_example(R"({"question": "why?", "n": 3, "p": 0.5, "flag": false})", false, ',', "ex.json");
  sig = infer_signature(obj);
  REQUIRE(sig.inputs);
  CHECK(describe_schema(*sig.inputs) == "question: string, n: long, p: double, flag: boolean");

  for (const char* bad : {"[1, 2]", "{}", "\"x\"", "[]"}) {
    auto e = thrown([&] { infer_signature(parse_input_example(bad, false, ',', "ex.json")); });
    REQUIRE_MESSAGE(e, bad);
    CHECK(e->code() == ExitCode::usage);
  }
}

TEST_CASE("signature describe_schema") {
  CHECK(describe_schema(J(R"([{"type": "double", "name": "area_m2", "required": true},
                              {"type": "long", "name": "rooms", "required": false}])")) ==
        "area_m2: double, rooms: long (optional)");
  CHECK(describe_schema(J(R"([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}])")) ==
        "tensor float64 [-1]");
  CHECK(describe_schema(J(R"([{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}, "name": "img"}])")) ==
        "img: tensor uint8 [-1, 28, 28]");
  CHECK(describe_schema(J(R"([{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}])")) ==
        R"(tags: {"type": "array", "items": {"type": "string"}} (optional))");
  CHECK(describe_schema(J(R"([{"type": "string"}])")) == "string");
  CHECK(describe_schema(J("[]")) == "");
}
