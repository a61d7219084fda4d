// Settings, layered like git's: built-in defaults < user ($XDG_CONFIG_HOME/mlt/config.yaml, else
// ~/.config/mlt/config.yaml) < project (.mlt/config.yaml) < environment (each key's MLT_* name)
// < flags (the caller's). Files are YAML; a dotted key is a nested mapping:
//
//   registry:
//     git_tags: true
//
// Every key is declared in config_keys() with its type. A value of the wrong type is an error
// naming the file, line and key. An unknown key is ignored with a warning (warnings()), so a
// file written for a newer mlt does not stop an older one, as git does with its config.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlt::core {

enum class ConfigType { boolean, string, integer, duration, seconds };

struct ConfigKey {
  const char* name;          // dotted: registry.git_tags
  ConfigType type;
  const char* default_value;
  const char* env;           // MLT_REGISTRY_GIT_TAGS
  const char* help;
  const char* choices = nullptr;  // a string key limited to these space-separated words
  // Read from the user file and the environment only, never from a project's file: a project
  // folder is copied and shared, and this setting runs a command (the pager).
  bool user_only = false;
};
const std::vector<ConfigKey>& config_keys();
const ConfigKey* find_config_key(const std::string& name);
const ConfigKey& config_key(const std::string& name);  // exit 2 listing the valid keys

struct ConfigValue {
  std::string value;
  std::string origin;        // "default", a file path, or "env MLT_..."
};

class Config {
 public:
  // Reads the user file and, when `project_dir` (the .mlt folder) is given, the project file.
  static Config load(const std::optional<std::filesystem::path>& project_dir);

  ConfigValue get(const std::string& key) const;   // exit 2 for an undeclared key
  const std::map<std::string, ConfigValue>& values() const { return values_; }  // every key
  // Unknown keys in the files (a newer mlt's settings, or typos): ignored, and reported here
  // so the CLI can warn. A bad value for a known key is an error instead (exit 2).
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool get_bool(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  std::string get_string(const std::string& key) const { return get(key).value; }

 private:
  std::map<std::string, ConfigValue> values_;
  std::vector<std::string> warnings_;
};

std::filesystem::path user_config_path();
// The known settings one file sets (key -> normalized value); empty when the file does not
// exist. Exit 2 naming FILE:LINE for a bad value.
std::map<std::string, std::string> read_config_file(const std::filesystem::path& path);
// Sets (value) or removes (nullopt) `key` in a settings file, creating it and its folder when
// needed; the value is checked first (exit 2). Entries mlt does not know, and bad values of the
// keys it does (so the file can be repaired), are kept as written. Like git, the new text is written to FILE.lock
// (created exclusively: exit 5 while another process holds it), then renamed over FILE.
// Returns false when nothing changed (removing a key the file does not set).
bool update_config_file(const std::filesystem::path& path, const std::string& key,
                        const std::optional<std::string>& value);
// Checks a value against its key's type; returns it normalized (booleans as true/false). Exit 2.
std::string check_config_value(const ConfigKey& key, const std::string& value, const std::string& where);

}  // namespace mlt::core
