// Model signatures and input examples in MLflow's forms.
//
// A signature has inputs, outputs and params, each a JSON list or absent (null). In an MLmodel
// file each is stored as a JSON *string* (MLflow writes them with Python's json.dumps). Specs:
//   column  {"type": T, "name": N?, "required": B?}        T one of data_types(), or
//           {"type": "array", "items": SPEC}, {"type": "object", "properties": {N: SPEC}},
//           {"type": "map", "values": SPEC}
//   tensor  {"type": "tensor", "tensor-spec": {"dtype": D, "shape": [N|-1, ...]}, "name": N?}
//   param   {"name": N, "type": T, "default": V, "shape": null|[-1]}
// One schema holds only columns or only tensors, and names all or none of them, each once.
//
// Input examples (saved as input_example.json): a CSV file or JSON records become a pandas
// DataFrame in "split" orient ({"columns": [...], "data": [[...]]}), as MLflow saves a DataFrame;
// split-orient JSON is kept as it is; any other JSON is kept as a "json_object".
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlt::core {

using ojson = nlohmann::ordered_json;

struct Signature {
  std::optional<ojson> inputs, outputs, params;   // JSON lists; nullopt: none
  bool empty() const { return !inputs && !outputs && !params; }
};

const std::vector<std::string>& data_types();   // boolean, integer, long, float, double, ...

// Validates a schema list; exit 2 naming `where` and the element ("signature inputs[2]: ...").
void validate_schema(const ojson& specs, const std::string& where);
void validate_params(const ojson& specs, const std::string& where);

// A signature file: JSON or YAML with keys inputs/outputs/params, each a list, MLflow's JSON
// string of one, or null; an MLmodel file's `signature:` block is accepted too. Exit 2 when bad.
Signature parse_signature(const std::string& text, const std::string& where);
// From an MLmodel's signature mapping (values are JSON strings or null); exit `code` when bad.
Signature signature_from_mlmodel_strings(const std::optional<std::string>& inputs,
                                         const std::optional<std::string>& outputs,
                                         const std::optional<std::string>& params, const std::string& where);

// Python's json.dumps(value) with its default separators and ensure_ascii: what MLflow writes.
std::string python_json(const ojson& v);

struct InputExample {
  std::string content;                  // the bytes of input_example.json
  std::string type;                     // "dataframe" or "json_object"
  std::optional<std::string> pandas_orient;   // "split" for a dataframe
  // A dataframe's table, for inference.
  std::vector<std::string> columns;
  std::vector<std::vector<ojson>> rows;
  std::optional<ojson> object;          // a json_object example
};
// Reads FILE (.csv, .tsv or .json; other names are sniffed). Exit 2 on a malformed file.
InputExample read_input_example(const std::filesystem::path& file);
InputExample parse_input_example(const std::string& text, bool csv, char delimiter, const std::string& where);

// Infers a column signature (inputs only) from an example; exit 2 when it cannot be inferred.
Signature infer_signature(const InputExample& ex);

// A short text of a schema for people: "area_m2: double, rooms: long (optional)".
std::string describe_schema(const ojson& specs);

}  // namespace mlt::core
