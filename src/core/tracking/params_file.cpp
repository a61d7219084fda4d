#include "core/tracking/params_file.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/error.hpp"
#include "base/nesting.hpp"
#include "base/yaml.hpp"

namespace mlt::core {

namespace {

void flatten_json(const nlohmann::json& j, const std::string& prefix, std::vector<KeyValue>& out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) flatten_json(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  std::string value = j.is_string() ? j.get<std::string>() : j.is_null() ? std::string() : j.dump();
  out.emplace_back(prefix, std::move(value));
}

void flatten_yaml(const YAML::Node& n, const std::string& prefix, std::vector<KeyValue>& out) {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      flatten_yaml(it->second, prefix.empty() ? k : prefix + "." + k, out);
    }
    return;
  }
  if (n.IsSequence()) {
    out.emplace_back(prefix, yaml::to_json(n).dump());
    return;
  }
  out.emplace_back(prefix, n.IsNull() ? std::string() : n.Scalar());
}

}  // namespace

std::vector<KeyValue> read_params_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ExitCode::usage, fmt::format("cannot read params file '{}'", path), "check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<KeyValue> out;
  // YAML reads JSON too; a .json file gets JSON's stricter parser and its error positions
  if (path.ends_with(".json")) {
    nlohmann::json j;
    if (auto at = json_too_deep(text)) {
      auto [line, col] = line_col(text, *at);
      throw Error(ExitCode::usage, fmt::format("{}:{}:{}: JSON nested more than {} levels deep", path, line, col, max_nesting),
                  "flatten the file; mlt reads objects and arrays nested at most that deep");
    }
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      auto [line, col] = line_col(text, e.byte == 0 ? 0 : e.byte - 1);
      throw Error(ExitCode::usage, fmt::format("{}:{}:{}: invalid JSON", path, line, col),
                  "fix the file or pass a YAML file");
    }
    if (!j.is_object())
      throw Error(ExitCode::usage, fmt::format("{}: expected a JSON object of params", path));
    flatten_json(j, "", out);
  } else {
    YAML::Node root = yaml::parse(text, path);
    if (!root.IsMap()) throw Error(ExitCode::usage, fmt::format("{}: expected a YAML mapping of params", path));
    try {
      flatten_yaml(root, "", out);
    } catch (const YAML::Exception& e) {
      throw Error(ExitCode::usage,
                  fmt::format("{}:{}:{}: unsupported YAML key: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
  }
  for (auto& [k, v] : out) {
    check_key(k, "param");
    check_value(k, v, "param");
  }
  return out;
}

}  // namespace mlt::core
