// Settings, layered like git's: built-in defaults < user ($XDG_CONFIG_HOME/mlt/config.yaml, else
// ~/.config/mlt/config.yaml) < project (.mlt/config.yaml) < environment (each key's MLT_* name)
// < flags (the caller's). Files are YAML; a dotted key is a nested mapping:
//
//   registry:
//     git_tags: true
//
// Every key is declared in config_keys() with its type; a file naming an unknown key or a value
// of the wrong type is an error naming the file, the key and the valid keys.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlt::core {

enum class ConfigType { boolean, string, integer };

struct ConfigKey {
  const char* name;          // dotted: registry.git_tags
  ConfigType type;
  const char* default_value;
  const char* env;           // MLT_REGISTRY_GIT_TAGS
  const char* help;
};
const std::vector<ConfigKey>& config_keys();
const ConfigKey* find_config_key(const std::string& name);

struct ConfigValue {
  std::string value;
  std::string origin;        // "default", a file path, or "env MLT_..."
};

class Config {
 public:
  // Reads the user file and, when `project_dir` (the .mlt folder) is given, the project file.
  static Config load(const std::optional<std::filesystem::path>& project_dir);

  ConfigValue get(const std::string& key) const;   // exit 2 for an undeclared key
  bool get_bool(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  std::string get_string(const std::string& key) const { return get(key).value; }

 private:
  std::map<std::string, ConfigValue> values_;
};

std::filesystem::path user_config_path();
// Checks a value against its key's type; returns it normalized (booleans as true/false). Exit 2.
std::string check_config_value(const ConfigKey& key, const std::string& value, const std::string& where);

}  // namespace mlt::core
