#include "core/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/values.hpp"
#include "core/yaml.hpp"

namespace mlt::core {
namespace {

std::string valid_keys() {
  std::vector<std::string> names;
  for (auto& k : config_keys()) names.push_back(k.name);
  return fmt::format("valid keys: {}", fmt::join(names, ", "));
}

void flatten(const YAML::Node& n, const std::string& prefix, const std::string& where,
             std::map<std::string, ConfigValue>& out) {
  if (n.IsNull()) return;
  if (!n.IsMap()) throw Error(ExitCode::usage, fmt::format("{}: expected a mapping of settings", where), valid_keys());
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
    if (it->second.IsMap()) {
      flatten(it->second, key, where, out);
      continue;
    }
    const ConfigKey* k = find_config_key(key);
    if (!k)
      throw Error(ExitCode::usage,
                  fmt::format("{}:{}: unknown setting '{}'", where, it->first.Mark().line + 1, printable(key)), valid_keys());
    if (!it->second.IsScalar())
      throw Error(ExitCode::usage, fmt::format("{}:{}: '{}' needs a single value", where, it->first.Mark().line + 1, key));
    out[key] = {check_config_value(*k, it->second.Scalar(), fmt::format("{}:{}", where, it->first.Mark().line + 1)),
                where};
  }
}

void read_file(const std::filesystem::path& path, std::map<std::string, ConfigValue>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;   // absent: nothing set there
  std::stringstream ss;
  ss << in.rdbuf();
  flatten(yaml::parse(ss.str(), path.string()), "", path.string(), out);
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys{
      {"data.tag_prefix", ConfigType::string, "data/", "MLT_DATA_TAG_PREFIX",
       "the prefix of the git tags 'mlt data add' creates (NAME/vN follows it)"},
      {"registry.git_tags", ConfigType::boolean, "false", "MLT_REGISTRY_GIT_TAGS",
       "mirror registrations and promotions as annotated git tags in GTO's naming"},
  };
  return keys;
}

const ConfigKey* find_config_key(const std::string& name) {
  for (auto& k : config_keys())
    if (name == k.name) return &k;
  return nullptr;
}

std::string check_config_value(const ConfigKey& key, const std::string& value, const std::string& where) {
  switch (key.type) {
    case ConfigType::boolean: {
      auto v = ascii_lower(value);
      if (v == "true" || v == "yes" || v == "on" || v == "1") return "true";
      if (v == "false" || v == "no" || v == "off" || v == "0") return "false";
      throw Error(ExitCode::usage, fmt::format("{}: '{}' is not true or false (setting {})", where, printable(value), key.name));
    }
    case ConfigType::integer:
      if (!parse_int64(value))
        throw Error(ExitCode::usage, fmt::format("{}: '{}' is not an integer (setting {})", where, printable(value), key.name));
      return value;
    case ConfigType::string: return value;
  }
  return value;
}

std::filesystem::path user_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "mlt" / "config.yaml";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/") / ".config" / "mlt" / "config.yaml";
}

Config Config::load(const std::optional<std::filesystem::path>& project_dir) {
  Config c;
  for (auto& k : config_keys()) c.values_[k.name] = {k.default_value, "default"};
  read_file(user_config_path(), c.values_);
  if (project_dir) read_file(*project_dir / "config.yaml", c.values_);
  for (auto& k : config_keys()) {
    const char* v = std::getenv(k.env);
    if (v && *v) c.values_[k.name] = {check_config_value(k, v, fmt::format("${}", k.env)), fmt::format("env {}", k.env)};
  }
  return c;
}

ConfigValue Config::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw Error(ExitCode::usage, fmt::format("unknown setting '{}'", printable(key)), valid_keys());
  return it->second;
}

bool Config::get_bool(const std::string& key) const { return get(key).value == "true"; }

std::int64_t Config::get_int(const std::string& key) const { return parse_int64(get(key).value).value_or(0); }

}  // namespace mlt::core
