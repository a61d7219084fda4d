#include "core/models/signature.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/csv.hpp"
#include "base/error.hpp"
#include "base/nesting.hpp"
#include "base/values.hpp"
#include "base/yaml.hpp"

namespace mlt::core {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ExitCode::usage, fmt::format("{}: {}", where, what),
              "see MLflow's signature format in mlt-model(1) (column, tensor and param specs)");
}

[[noreturn]] void bad_example(const std::string& where, const std::string& what) {
  throw Error(ExitCode::usage, fmt::format("{}: {}", where, what),
              "an input example is a CSV file with a header line, JSON records, pandas split-orient JSON or a JSON object");
}

// JSON text nested deeper than max_nesting is refused before it is parsed and walked.
void check_depth(std::string_view text, const std::string& where, const char* hint) {
  if (auto at = json_too_deep(text)) {
    auto [line, col] = line_col(text, *at);
    throw Error(ExitCode::usage, fmt::format("{}:{}:{}: JSON nested more than {} levels deep", where, line, col, max_nesting),
                hint);
  }
}

std::string kind_of(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::object: return "an object";
    case ojson::value_t::array: return "a list";
    case ojson::value_t::string: return "a string";
    case ojson::value_t::boolean: return "a boolean";
    default: return "a number";
  }
}

bool valid_dtype(const std::string& d) {
  static const std::regex re("[<>|=]?[A-Za-z_]+[0-9]*(\\[[A-Za-z0-9_]+\\])?");
  return d.size() <= 64 && std::regex_match(d, re);   // std::regex recurses per character
}

void check_keys(const ojson& spec, std::initializer_list<const char*> allowed, const std::string& where) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return it.key() == k; }))
      bad(where, fmt::format("unknown field '{}'", printable(it.key())));
  }
}

// A column type: a data type name, or an array/object/map spec (recursively).
void check_type(const ojson& spec, const std::string& where, bool top) {
  if (!spec.is_object()) bad(where, fmt::format("expected an object, got {}", kind_of(spec)));
  auto t = spec.find("type");
  if (t == spec.end() || !t->is_string()) bad(where, "missing \"type\" (a string)");
  const std::string type = *t;
  auto check_name = [&] {
    if (auto n = spec.find("name"); n != spec.end() && !n->is_string()) bad(where, "\"name\" must be a string");
    if (auto r = spec.find("required"); r != spec.end() && !r->is_boolean())
      bad(where, "\"required\" must be true or false");
  };
  if (type == "array") {
    check_keys(spec, {"type", "items", "name", "required"}, where);
    auto items = spec.find("items");
    if (items == spec.end()) bad(where, "an array needs \"items\"");
    check_type(*items, where + ".items", false);
  } else if (type == "object") {
    check_keys(spec, {"type", "properties", "name", "required"}, where);
    auto props = spec.find("properties");
    if (props == spec.end() || !props->is_object() || props->empty())
      bad(where, "an object needs \"properties\" (a non-empty mapping of names to specs)");
    for (auto it = props->begin(); it != props->end(); ++it) check_type(it.value(), where + "." + it.key(), false);
  } else if (type == "map") {
    check_keys(spec, {"type", "values", "name", "required"}, where);
    auto values = spec.find("values");
    if (values == spec.end()) bad(where, "a map needs \"values\"");
    check_type(*values, where + ".values", false);
  } else if (type == "tensor") {
    bad(where, top ? "internal: tensor handled by caller" : "a tensor cannot be nested in a column type");
  } else {
    auto& known = data_types();
    if (std::find(known.begin(), known.end(), type) == known.end())
      bad(where, fmt::format("unknown type '{}' (expected one of {}, array, object, map or tensor)", printable(type),
                             fmt::join(known, ", ")));
    check_keys(spec, {"type", "name", "required"}, where);
  }
  check_name();
}

std::string python_string(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Decode UTF-8 (nlohmann has validated it) and escape as \uXXXX, with surrogate pairs.
    int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    std::uint32_t cp = c & (len == 4 ? 0x07 : len == 3 ? 0x0f : 0x1f);
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
  }
  return out + "\"";
}

std::string python_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void dump(const ojson& v, std::string& out) {
  switch (v.type()) {
    case ojson::value_t::null: out += "null"; break;
    case ojson::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case ojson::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case ojson::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case ojson::value_t::number_float: out += python_float(v.get<double>()); break;
    case ojson::value_t::string: out += python_string(v.get<std::string>()); break;
    case ojson::value_t::array: {
      out += '[';
      bool first = true;
      for (auto& e : v) {
        if (!first) out += ", ";
        first = false;
        dump(e, out);
      }
      out += ']';
      break;
    }
    case ojson::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += python_string(it.key());
        out += ": ";
        dump(it.value(), out);
      }
      out += '}';
      break;
    }
    default: out += "null";
  }
}

// A signature part given as a list, as MLflow's JSON string of one, or null.
std::optional<ojson> part(const ojson& v, const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (v.is_array()) return v;
  if (v.is_string()) {
    if (json_too_deep(v.get_ref<const std::string&>()))
      bad(where, fmt::format("JSON nested more than {} levels deep in the string", max_nesting));
    try {
      auto parsed = ojson::parse(v.get<std::string>());
      if (parsed.is_null()) return std::nullopt;
      if (!parsed.is_array()) bad(where, fmt::format("expected a JSON list, got {}", kind_of(parsed)));
      return parsed;
    } catch (const ojson::parse_error& e) {
      bad(where, fmt::format("invalid JSON in the string: {}", e.what()));
    }
  }
  bad(where, fmt::format("expected a list of specs, MLflow's JSON string of one, or null; got {}", kind_of(v)));
}

// ---- input examples -------------------------------------------------------------------------

namespace {

// [-+]?[0-9]+ (integer) or [-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)? (number), in one
// pass: a cell may be long, and std::regex recurses once per character.
enum class Numeric { no, integer, number };
Numeric numeric_form(std::string_view s) {
  std::size_t i = 0, n = s.size();
  auto digits = [&] {
    std::size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t whole = digits();
  if (i == n) return whole > 0 ? Numeric::integer : Numeric::no;
  if (s[i] == '.') {
    ++i;
    if (digits() == 0 && whole == 0) return Numeric::no;
  } else if (whole == 0) {
    return Numeric::no;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return Numeric::no;
  }
  return i == n ? Numeric::number : Numeric::no;
}

}  // namespace

ojson cell_value(const std::string& s) {
  if (s.empty()) return nullptr;
  Numeric form = numeric_form(s);
  if (form == Numeric::integer) {
    if (auto i = parse_int64(s)) return *i;
  }
  if (form != Numeric::no) {
    if (auto d = parse_double(s)) return *d;
  }
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return s;
}

// RFC 4180 records (base/csv.hpp): quoted fields may hold the delimiter, "" and line breaks.
std::vector<std::vector<std::string>> split_csv(const std::string& text, char delim, const std::string& where) {
  auto doc = csv::parse(text, {delim, false});
  if (doc.error) bad_example(where, fmt::format("line {}: {}", doc.error->line, doc.error->reason));
  std::vector<std::vector<std::string>> records;
  for (auto& r : doc.records) records.push_back(std::move(r.fields));
  return records;
}

void add_record(InputExample& ex, const ojson& rec, std::size_t index, const std::string& where) {
  if (!rec.is_object()) bad_example(where, fmt::format("record {}: expected an object, got {}", index, kind_of(rec)));
  for (auto it = rec.begin(); it != rec.end(); ++it)
    if (std::find(ex.columns.begin(), ex.columns.end(), it.key()) == ex.columns.end()) ex.columns.push_back(it.key());
}

InputExample split_frame(std::vector<std::string> columns, std::vector<std::vector<ojson>> rows) {
  InputExample ex;
  ex.type = "dataframe";
  ex.pandas_orient = "split";
  ojson data = ojson::array();
  for (auto& r : rows) data.push_back(ojson(r));
  ojson doc = ojson::object();
  doc["columns"] = columns;
  doc["data"] = std::move(data);
  ex.content = python_json(doc);
  ex.columns = std::move(columns);
  ex.rows = std::move(rows);
  return ex;
}

std::string column_type(const std::vector<ojson>& values, bool& optional) {
  bool any_int = false, any_float = false, any_bool = false, any_str = false, any_other = false;
  optional = false;
  for (auto& v : values) {
    if (v.is_null()) optional = true;
    else if (v.is_number_integer() || v.is_number_unsigned()) any_int = true;
    else if (v.is_number_float()) any_float = true;
    else if (v.is_boolean()) any_bool = true;
    else if (v.is_string()) any_str = true;
    else any_other = true;
  }
  if (any_other) return "";
  if (any_str || (any_bool && (any_int || any_float))) return "string";
  if (any_bool) return "boolean";
  if (any_float) return "double";
  if (any_int) return "long";
  return "string";   // every value missing
}

}  // namespace

const std::vector<std::string>& data_types() {
  static const std::vector<std::string> t{"boolean", "integer", "long", "float", "double", "string", "binary", "datetime"};
  return t;
}

void validate_schema(const ojson& specs, const std::string& where) {
  if (!specs.is_array()) bad(where, fmt::format("expected a list of specs, got {}", kind_of(specs)));
  if (specs.empty()) bad(where, "the list of specs is empty (leave the part out instead)");
  std::size_t tensors = 0, named = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    std::string at = fmt::format("{}[{}]", where, i);
    if (s.is_object() && s.contains("type") && s["type"] == "tensor") {
      ++tensors;
      check_keys(s, {"type", "tensor-spec", "name"}, at);
      auto ts = s.find("tensor-spec");
      if (ts == s.end() || !ts->is_object()) bad(at, "a tensor needs \"tensor-spec\" with dtype and shape");
      check_keys(*ts, {"dtype", "shape"}, at + ".tensor-spec");
      auto dt = ts->find("dtype");
      if (dt == ts->end() || !dt->is_string() || !valid_dtype(*dt))
        bad(at, "\"tensor-spec\".\"dtype\" must be a numpy dtype name such as float32, int64, bool or str");
      auto sh = ts->find("shape");
      if (sh == ts->end() || !sh->is_array())
        bad(at, "\"tensor-spec\".\"shape\" must be a list of dimensions (-1 for a variable one)");
      for (auto& d : *sh)
        if (!d.is_number_integer() || d.get<std::int64_t>() < -1)
          bad(at, "\"tensor-spec\".\"shape\" holds dimensions >= 0 or -1");
      if (auto n = s.find("name"); n != s.end() && !n->is_string()) bad(at, "\"name\" must be a string");
    } else {
      check_type(s, at, true);
    }
    if (auto n = s.find("name"); n != s.end()) {
      ++named;
      if (!names.insert(n->get<std::string>()).second)
        bad(at, fmt::format("the name '{}' appears twice", printable(n->get<std::string>())));
    }
  }
  if (tensors != 0 && tensors != specs.size()) bad(where, "mixes tensor and column specs; use one kind");
  if (named != 0 && named != specs.size()) bad(where, "names some specs and not others; name all or none");
}

void validate_params(const ojson& specs, const std::string& where) {
  if (!specs.is_array()) bad(where, fmt::format("expected a list of param specs, got {}", kind_of(specs)));
  std::set<std::string> names;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    std::string at = fmt::format("{}[{}]", where, i);
    if (!s.is_object()) bad(at, fmt::format("expected an object, got {}", kind_of(s)));
    check_keys(s, {"name", "type", "default", "shape"}, at);
    auto n = s.find("name");
    if (n == s.end() || !n->is_string() || n->get<std::string>().empty()) bad(at, "a param needs a \"name\"");
    if (!names.insert(n->get<std::string>()).second)
      bad(at, fmt::format("the param '{}' appears twice", printable(n->get<std::string>())));
    auto t = s.find("type");
    auto& known = data_types();
    if (t == s.end() || !t->is_string() || std::find(known.begin(), known.end(), t->get<std::string>()) == known.end())
      bad(at, fmt::format("a param's \"type\" is one of {}", fmt::join(known, ", ")));
    if (!s.contains("default")) bad(at, "a param needs a \"default\" value");
    auto sh = s.find("shape");
    if (sh != s.end() && !sh->is_null() && *sh != ojson::array({-1}))
      bad(at, "a param's \"shape\" is null (a scalar) or [-1] (a list)");
    const std::string type = *t;
    bool list = sh != s.end() && !sh->is_null();
    auto matches = [&](const ojson& v) {
      if (v.is_null()) return true;
      if (type == "boolean") return v.is_boolean();
      if (type == "integer" || type == "long") return v.is_number_integer() || v.is_number_unsigned();
      if (type == "float" || type == "double") return v.is_number();
      return v.is_string();
    };
    const auto& d = s["default"];
    bool ok = list ? d.is_array() && std::all_of(d.begin(), d.end(), matches) : matches(d);
    if (!ok) bad(at, fmt::format("the default does not match type '{}'{}", type, list ? " (a list)" : ""));
  }
}

Signature signature_from_mlmodel_strings(const std::optional<std::string>& inputs,
                                         const std::optional<std::string>& outputs,
                                         const std::optional<std::string>& params, const std::string& where) {
  Signature s;
  if (inputs) s.inputs = part(ojson(*inputs), where + " inputs");
  if (outputs) s.outputs = part(ojson(*outputs), where + " outputs");
  if (params) s.params = part(ojson(*params), where + " params");
  if (s.inputs) validate_schema(*s.inputs, where + " inputs");
  if (s.outputs) validate_schema(*s.outputs, where + " outputs");
  if (s.params) validate_params(*s.params, where + " params");
  return s;
}

Signature parse_signature(const std::string& text, const std::string& where) {
  ojson doc;
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    check_depth(text, where, "a signature is a JSON or YAML object with inputs, outputs and params");
    try {
      doc = ojson::parse(text);
    } catch (const ojson::parse_error& e) {
      auto [line, col] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
      throw Error(ExitCode::usage, fmt::format("{}:{}:{}: invalid JSON", where, line, col),
                  "a signature is a JSON or YAML object with inputs, outputs and params");
    }
  } else {
    doc = yaml::to_json(yaml::parse(text, where));
  }
  if (doc.is_object() && doc.contains("signature") && doc.contains("flavors")) doc = doc["signature"];
  if (!doc.is_object())
    bad(where, fmt::format("expected an object with inputs, outputs and params, got {}", kind_of(doc)));
  check_keys(doc, {"inputs", "outputs", "params"}, where);
  Signature s;
  if (auto it = doc.find("inputs"); it != doc.end()) s.inputs = part(*it, where + ": inputs");
  if (auto it = doc.find("outputs"); it != doc.end()) s.outputs = part(*it, where + ": outputs");
  if (auto it = doc.find("params"); it != doc.end()) s.params = part(*it, where + ": params");
  if (!s.inputs && !s.outputs) bad(where, "a signature needs inputs or outputs");
  if (s.inputs) validate_schema(*s.inputs, where + ": inputs");
  if (s.outputs) validate_schema(*s.outputs, where + ": outputs");
  if (s.params) validate_params(*s.params, where + ": params");
  return s;
}

std::string python_json(const ojson& v) {
  std::string out;
  dump(v, out);
  return out;
}

InputExample parse_input_example(const std::string& text, bool csv, char delimiter, const std::string& where) {
  if (csv) {
    auto records = split_csv(text, delimiter, where);
    if (records.empty()) bad_example(where, "the file is empty; an example needs a header line and at least one row");
    auto header = records.front();
    std::set<std::string> seen;
    for (auto& h : header) {
      if (h.empty()) bad_example(where, "line 1: a column has no name");
      if (!seen.insert(h).second) bad_example(where, fmt::format("line 1: the column '{}' appears twice", printable(h)));
    }
    if (records.size() < 2) bad_example(where, "the file has a header but no rows");
    std::vector<std::vector<ojson>> rows;
    for (std::size_t i = 1; i < records.size(); ++i) {
      if (records[i].size() != header.size())
        bad_example(where, fmt::format("row {}: {} fields where the header has {}", i, records[i].size(), header.size()));
      std::vector<ojson> row;
      for (auto& cell : records[i]) row.push_back(cell_value(cell));
      rows.push_back(std::move(row));
    }
    // a column of mixed values is text throughout, as its inferred type says
    for (std::size_t c = 0; c < header.size(); ++c) {
      std::vector<ojson> values;
      for (auto& r : rows) values.push_back(r[c]);
      bool optional = false;
      if (column_type(values, optional) != "string") continue;
      for (std::size_t r = 0; r < rows.size(); ++r)
        if (!rows[r][c].is_null() && !rows[r][c].is_string()) rows[r][c] = records[r + 1][c];
    }
    return split_frame(std::move(header), std::move(rows));
  }
  ojson doc;
  check_depth(text, where, "an input example is a CSV file or JSON (records, pandas split orient, or any object)");
  try {
    doc = ojson::parse(text);
  } catch (const ojson::parse_error& e) {
    auto [line, col] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
    throw Error(ExitCode::usage, fmt::format("{}:{}:{}: invalid JSON", where, line, col),
                "an input example is a CSV file or JSON (records, pandas split orient, or any object)");
  }
  // pandas "split" orient: kept byte for byte
  if (doc.is_object() && doc.contains("columns") && doc.contains("data") && doc["columns"].is_array() &&
      doc["data"].is_array()) {
    InputExample ex;
    ex.type = "dataframe";
    ex.pandas_orient = "split";
    ex.content = text;
    for (auto& c : doc["columns"]) {
      if (!c.is_string()) bad_example(where, "\"columns\" must list column names (strings)");
      ex.columns.push_back(c);
    }
    for (std::size_t i = 0; i < doc["data"].size(); ++i) {
      const auto& r = doc["data"][i];
      if (!r.is_array() || r.size() != ex.columns.size())
        bad_example(where, fmt::format("\"data\"[{}] must be a list of {} values", i, ex.columns.size()));
      ex.rows.emplace_back(r.begin(), r.end());
    }
    return ex;
  }
  // records: a list of objects, turned into a frame with the columns in order of appearance
  if (doc.is_array() && !doc.empty() && doc[0].is_object()) {
    InputExample ex;
    for (std::size_t i = 0; i < doc.size(); ++i) add_record(ex, doc[i], i, where);
    std::vector<std::vector<ojson>> rows;
    for (auto& rec : doc) {
      std::vector<ojson> row;
      for (auto& c : ex.columns) row.push_back(rec.contains(c) ? rec[c] : ojson(nullptr));
      rows.push_back(std::move(row));
    }
    return split_frame(ex.columns, std::move(rows));
  }
  InputExample ex;
  ex.type = "json_object";
  ex.content = text;
  ex.object = std::move(doc);
  return ex;
}

InputExample read_input_example(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(ExitCode::usage, fmt::format("cannot read the input example '{}'", file.string()),
                "give a CSV or JSON file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 64u << 20)
    throw Error(ExitCode::usage, fmt::format("the input example '{}' is over 64 MiB", file.string()),
                "an example is a few rows; take the head of the file");
  auto ext = ascii_lower(file.extension().string());
  auto first = text.find_first_not_of(" \t\r\n");
  bool json = ext == ".json" || (ext != ".csv" && ext != ".tsv" && first != std::string::npos &&
                                 (text[first] == '{' || text[first] == '['));
  return parse_input_example(text, !json, ext == ".tsv" ? '\t' : ',', file.string());
}

Signature infer_signature(const InputExample& ex) {
  std::vector<std::string> columns = ex.columns;
  std::vector<std::vector<ojson>> rows = ex.rows;
  if (ex.type == "json_object") {
    if (!ex.object || !ex.object->is_object() || ex.object->empty())
      throw Error(ExitCode::usage, "cannot infer a signature from this input example",
                  "give a CSV file, JSON records or a JSON object of named values, or pass --signature FILE");
    std::vector<ojson> row;
    for (auto it = ex.object->begin(); it != ex.object->end(); ++it) {
      columns.push_back(it.key());
      row.push_back(it.value());
    }
    rows.push_back(std::move(row));
  }
  ojson inputs = ojson::array();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::vector<ojson> values;
    for (auto& r : rows) values.push_back(c < r.size() ? r[c] : ojson(nullptr));
    bool optional = false;
    auto type = column_type(values, optional);
    ojson spec = ojson::object();
    if (type.empty()) {
      // lists and objects: infer the element type from the first non-null value
      const ojson* sample = nullptr;
      for (auto& v : values)
        if (!v.is_null()) { sample = &v; break; }
      std::function<ojson(const ojson&)> infer = [&](const ojson& v) -> ojson {
        ojson s = ojson::object();
        if (v.is_array()) {
          s["type"] = "array";
          s["items"] = v.empty() ? ojson{{"type", "string"}} : infer(v[0]);
        } else if (v.is_object()) {
          s["type"] = "object";
          ojson props = ojson::object();
          for (auto it = v.begin(); it != v.end(); ++it) {
            auto p = infer(it.value());
            p["required"] = true;
            props[it.key()] = p;
          }
          s["properties"] = props;
        } else {
          bool opt = false;
          s["type"] = column_type({v}, opt);
        }
        return s;
      };
      spec = infer(*sample);
      ojson ordered = ojson::object();
      ordered["type"] = spec["type"];
      for (auto it = spec.begin(); it != spec.end(); ++it)
        if (it.key() != "type") ordered[it.key()] = it.value();
      spec = ordered;
    } else {
      spec["type"] = type;
    }
    spec["name"] = columns[c];
    spec["required"] = !optional;
    inputs.push_back(spec);
  }
  if (inputs.empty())
    throw Error(ExitCode::usage, "cannot infer a signature: the input example has no columns",
                "give an example with named columns, or pass --signature FILE");
  Signature s;
  s.inputs = inputs;
  validate_schema(*s.inputs, "inferred signature inputs");
  return s;
}

std::string describe_schema(const ojson& specs) {
  std::vector<std::string> parts;
  for (auto& s : specs) {
    std::string type = s.value("type", "?");
    if (type == "tensor") {
      auto& ts = s["tensor-spec"];
      std::vector<std::string> dims;
      for (auto& d : ts["shape"]) dims.push_back(std::to_string(d.get<std::int64_t>()));
      type = fmt::format("tensor {} [{}]", ts.value("dtype", "?"), fmt::join(dims, ", "));
    } else if (type == "array" || type == "object" || type == "map") {
      ojson bare = s;
      bare.erase("name");
      bare.erase("required");
      type = python_json(bare);
    }
    std::string text = s.contains("name") ? fmt::format("{}: {}", s["name"].get<std::string>(), type) : type;
    if (s.contains("required") && s["required"] == false) text += " (optional)";
    parts.push_back(text);
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace mlt::core
