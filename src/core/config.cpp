#include "core/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/values.hpp"
#include "base/yaml.hpp"
#include "store/failpoint.hpp"
#include "store/object_store.hpp"

namespace mlt::core {
namespace {

std::vector<std::string> split_words(const char* s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string valid_keys() {
  std::vector<std::string> names;
  for (auto& k : config_keys()) names.push_back(k.name);
  return fmt::format("valid keys: {}", fmt::join(names, ", "));
}

// An entry of a settings file that mlt does not read: kept as written (a newer mlt's setting, a
// list, a typo), with its line for the warning.
struct RawEntry {
  YAML::Node node;
  int line;
};

// A settings file's entries, flattened to dotted keys: known keys checked and normalized into
// `out`; unknown ones into `unknown`. With `lenient`, a bad value of a known key goes to
// `unknown` too (to rewrite a file that needs repair) instead of being an error.
void flatten(const YAML::Node& n, const std::string& prefix, const std::string& where,
             std::map<std::string, ConfigValue>& out, std::map<std::string, RawEntry>& unknown, bool lenient) {
  if (n.IsNull()) return;
  if (!n.IsMap()) throw Error(ExitCode::usage, fmt::format("{}: expected a mapping of settings", where), valid_keys());
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
    int line = it->first.Mark().line + 1;
    const ConfigKey* k = find_config_key(key);
    if (!k && it->second.IsMap()) {
      flatten(it->second, key, where, out, unknown, lenient);
      continue;
    }
    if (!k) {
      unknown[key] = {YAML::Clone(it->second), line};
      continue;
    }
    try {
      if (!it->second.IsScalar())
        throw Error(ExitCode::usage,
                    fmt::format("{}:{}: '{}' needs a single value{}", where, line, key,
                                it->second.IsNull() ? " (write '' for an empty one)" : ""));
      out[key] = {check_config_value(*k, it->second.Scalar(), fmt::format("{}:{}", where, line)), where};
    } catch (const Error&) {
      if (!lenient) throw;
      unknown[key] = {YAML::Clone(it->second), line};
    }
  }
}

// Reads a settings file (absent: nothing set there).
void read_file(const std::filesystem::path& path, std::map<std::string, ConfigValue>& out,
               std::map<std::string, RawEntry>& unknown, bool lenient = false) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  flatten(yaml::parse(ss.str(), path.string()), "", path.string(), out, unknown, lenient);
}

// A value as the file writes it: booleans and numbers plain, text quoted when it would read as
// something else.
YAML::Node value_node(const std::string& key, const std::string& value) {
  const ConfigKey* k = find_config_key(key);
  bool plain = k && (k->type == ConfigType::boolean || k->type == ConfigType::integer || k->type == ConfigType::seconds);
  return plain ? yaml::plain(value) : yaml::str(value);
}

// The settings a file's entries come to, as the file would be written.
std::map<std::string, YAML::Node> settings_of(const std::map<std::string, ConfigValue>& known,
                                              const std::map<std::string, RawEntry>& unknown) {
  std::map<std::string, YAML::Node> settings;
  for (auto& [name, raw] : unknown) settings.emplace(name, raw.node);
  for (auto& [name, v] : known) settings.emplace(name, value_node(name, v.value));
  return settings;
}

std::string config_text(const std::map<std::string, YAML::Node>& settings, const std::filesystem::path& file);

// True when `text`, written for `settings`, reads back as the same entries and writes back as
// the same text.
bool reads_back(const std::string& text, const std::map<std::string, YAML::Node>& settings,
                const std::filesystem::path& file) {
  try {
    std::map<std::string, ConfigValue> known;
    std::map<std::string, RawEntry> unknown;
    flatten(yaml::parse(text, file.string()), "", file.string(), known, unknown, true);
    auto again = settings_of(known, unknown);
    if (again.size() != settings.size() ||
        !std::equal(again.begin(), again.end(), settings.begin(), [](auto& a, auto& b) { return a.first == b.first; }))
      return false;   // an entry re-nested under another name ('compare.lower.i' below a setting)
    return config_text(again, file) == text;
  } catch (const std::exception&) {   // mlt's errors and yaml-cpp's
    return false;
  }
}

// The file's text: dotted keys nested as mappings, keys sorted.
struct KeyTree {
  std::optional<YAML::Node> value;
  std::map<std::string, KeyTree> children;
};

YAML::Node to_yaml(const KeyTree& t) {
  YAML::Node n(YAML::NodeType::Map);
  for (auto& [name, child] : t.children) n.force_insert(name, child.value ? *child.value : to_yaml(child));
  return n;
}

// A key that holds a value and also has keys below it ("core: 5" beside core.pager) cannot be
// written as YAML: refuse rather than drop one of them.
void check_tree(const KeyTree& t, const std::string& prefix, const std::filesystem::path& file) {
  for (auto& [name, child] : t.children) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (child.value && !child.children.empty())
      throw Error(ExitCode::usage,
                  fmt::format("{}: '{}' holds a value, so no setting can go below it", file.string(), key),
                  fmt::format("edit the file: remove '{}' or make it a mapping", key));
    check_tree(child, key, file);
  }
}

std::string config_text(const std::map<std::string, YAML::Node>& settings, const std::filesystem::path& file) {
  KeyTree root;
  for (auto& [key, value] : settings) {
    KeyTree* t = &root;
    std::size_t start = 0;
    for (std::size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
      t = &t->children[key.substr(start, dot - start)];
    t->children[key.substr(start)].value = value;
  }
  check_tree(root, "", file);
  return "# mlt settings: see 'mlt config list' and mlt-config(1)\n" + yaml::emit(to_yaml(root));
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys{
      {"compare.higher", ConfigType::string, "", "MLT_COMPARE_HIGHER",
       "metrics for which higher is better in 'mlt compare', comma-separated; --higher/--lower win"},
      {"compare.lower", ConfigType::string, "", "MLT_COMPARE_LOWER",
       "metrics for which lower is better in 'mlt compare', comma-separated; --higher/--lower win"},
      {"core.color", ConfigType::string, "auto", "MLT_COLOR",
       "colour on a terminal: auto (unless NO_COLOR is set), always or never; --color wins", "auto always never"},
      {"core.experiment", ConfigType::string, "", "MLT_EXPERIMENT",
       "the experiment new runs go to when -e is not given (empty: Default)"},
      {"core.lock_timeout", ConfigType::seconds, "60", "MLT_LOCK_TIMEOUT",
       "seconds a writer waits for another mlt process's lock before giving up (exit 5)"},
      {"core.pager", ConfigType::string, "", "MLT_PAGER",
       "the pager for long output on a terminal (empty: $PAGER, else less; cat: none); user file only",
       nullptr, true},
      {"data.tag_prefix", ConfigType::string, "data/", "MLT_DATA_TAG_PREFIX",
       "the prefix of the git tags 'mlt data add' creates (NAME/vN follows it)"},
      {"gc.grace", ConfigType::duration, "14d", "MLT_GC_GRACE",
       "how old an unreferenced object must be before 'mlt gc' removes it; --grace wins"},
      {"registry.git_tags", ConfigType::boolean, "false", "MLT_REGISTRY_GIT_TAGS",
       "mirror registrations and promotions as annotated git tags in GTO's naming"},
      {"run.metrics_prefix", ConfigType::string, "mlt:", "MLT_METRICS_PREFIX",
       "the prefix of metric lines 'mlt run --metrics-from-stdout' reads; --metrics-prefix wins"},
  };
  return keys;
}

const ConfigKey* find_config_key(const std::string& name) {
  for (auto& k : config_keys())
    if (name == k.name) return &k;
  return nullptr;
}

const ConfigKey& config_key(const std::string& name) {
  if (auto* k = find_config_key(name)) return *k;
  throw Error(ExitCode::usage, fmt::format("unknown setting '{}'", printable(name)), valid_keys());
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
    case ConfigType::seconds: {
      // digits with an optional fraction: no sign, exponent, hex or blanks
      bool digits = !value.empty() && value.find_first_not_of("0123456789.") == std::string::npos &&
                    std::isdigit(static_cast<unsigned char>(value.front())) &&
                    std::isdigit(static_cast<unsigned char>(value.back())) &&
                    std::count(value.begin(), value.end(), '.') <= 1;
      double secs = digits ? std::strtod(value.c_str(), nullptr) : -1;
      if (!digits || secs > 86400)
        throw Error(ExitCode::usage,
                    fmt::format("{}: '{}' is not a number of seconds from 0 to 86400 (setting {})", where,
                                printable(value), key.name));
      return value;
    }
    case ConfigType::duration:
      try {
        parse_duration(value);
      } catch (const Error& e) {
        throw Error(ExitCode::usage, fmt::format("{}: {} (setting {})", where, e.what(), key.name), e.hint());
      }
      return value;
    case ConfigType::string:
      if (key.choices) {
        for (auto& c : split_words(key.choices))
          if (value == c) return value;
        throw Error(ExitCode::usage, fmt::format("{}: '{}' is not one of: {} (setting {})", where, printable(value),
                                                 key.choices, key.name));
      }
      return value;
  }
  return value;
}

std::filesystem::path user_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "mlt" / "config.yaml";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/") / ".config" / "mlt" / "config.yaml";
}

std::map<std::string, std::string> read_config_file(const std::filesystem::path& path) {
  std::map<std::string, ConfigValue> values;
  std::map<std::string, RawEntry> unknown;
  read_file(path, values, unknown);
  std::map<std::string, std::string> out;
  for (auto& [k, v] : values) out[k] = v.value;
  return out;
}

bool update_config_file(const std::filesystem::path& link, const std::string& key,
                        const std::optional<std::string>& value) {
  const ConfigKey& k = config_key(key);
  std::optional<std::string> checked;
  if (value) checked = check_config_value(k, *value, "mlt config set");
  std::error_code ec;
  // a settings file kept elsewhere (a dotfiles repository) is written where it lives, as git does
  std::filesystem::path path = std::filesystem::is_symlink(link, ec) ? std::filesystem::weakly_canonical(link, ec) : link;
  if (ec) path = link;
  struct stat old {};
  bool existed = ::stat(path.c_str(), &old) == 0;
  if (!value && !std::filesystem::exists(path, ec)) return false;  // nothing to remove, nothing to create
  std::filesystem::create_directories(path.parent_path(), ec);
  std::filesystem::path lock = path;
  lock += ".lock";
  int fd = -1;
  // A writer holds it for milliseconds; wait up to 3 s, for a loaded machine and a sanitized build
  for (int attempt = 0; attempt < 150; ++attempt) {
    fd = ::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 || errno != EEXIST) break;
    // A lock untouched for a minute was left by a command that was killed while writing (a
    // writer holds it for milliseconds): take it over, as the next writer would wait forever.
    struct stat ls {};
    if (::lstat(lock.c_str(), &ls) == 0 && S_ISREG(ls.st_mode) && ls.st_mtime + 60 < ::time(nullptr)) {
      std::filesystem::path stale = lock;
      stale += fmt::format(".stale.{}", ::getpid());
      struct stat taken {};
      if (::rename(lock.c_str(), stale.c_str()) == 0) {  // one process wins the rename; the others wait
        if (::lstat(stale.c_str(), &taken) != 0 || taken.st_ino != ls.st_ino) {  // a live writer's new lock
          ::rename(stale.c_str(), lock.c_str());
          ::usleep(20'000);
          continue;
        }
        ::unlink(stale.c_str());
        std::fprintf(stderr, "mlt: warning: removed '%s', left by an interrupted 'mlt config' %lld s ago\n",
                     lock.c_str(), static_cast<long long>(::time(nullptr) - ls.st_mtime));
        continue;
      }
    }
    ::usleep(20'000);
  }
  if (fd < 0) {
    if (errno == EEXIST)
      throw Error(ExitCode::conflict, fmt::format("'{}' exists: another mlt is changing settings", lock.string()),
                  "if no other mlt is running, remove that file and retry (mlt removes it itself once it is a minute old)");
    int e = errno;
    throw Error(io_exit_code(e, "cannot create"), fmt::format("cannot create '{}': {}", lock.string(), std::strerror(e)),
                io_hint(e));
  }
  try {
    // read under the lock, so no concurrent update is lost; entries mlt does not know are kept
    std::map<std::string, ConfigValue> known;
    std::map<std::string, RawEntry> unknown;
    read_file(path, known, unknown, true);
    std::map<std::string, YAML::Node> settings = settings_of(known, unknown);
    bool changed;
    if (checked) {
      auto it = known.find(key);
      changed = it == known.end() || it->second.value != *checked;
      settings.erase(key);
      settings.emplace(key, value_node(key, *checked));
    } else {
      changed = settings.erase(key) > 0;
    }
    if (!changed) {
      ::close(fd);
      ::unlink(lock.c_str());
      return false;
    }
    std::string text = config_text(settings, path);
    // The file is written anew from what it holds: it must read back as the same settings, or
    // every later command would fail on it (an entry mlt does not know whose key has an empty or
    // dotted part, a tag yaml-cpp writes but cannot read). Refuse, and leave the file as it is.
    if (!reads_back(text, settings, path))
      throw Error(ExitCode::usage,
                  fmt::format("'{}' holds entries mlt cannot write back as they are", path.string()),
                  "edit the file by hand: remove the entries mlt does not know (see 'mlt config list'), then retry");
    store::write_all(fd, text.data(), text.size(), lock);
    MLT_FAILPOINT("file.tmp_written");
    if (existed) ::fchmod(fd, old.st_mode & 07777);  // keep a private file private
    bool synced = ::fsync(fd) == 0;
    MLT_FAILPOINT("file.synced");
    int closed = ::close(fd);
    fd = -1;
    if (!synced || closed != 0)
      throw Error(io_exit_code(errno, "cannot write"),
                  fmt::format("cannot write '{}': {}", lock.string(), std::strerror(errno)), io_hint(errno));
    if (::rename(lock.c_str(), path.c_str()) != 0)
      throw Error(io_exit_code(errno, "cannot replace"),
                  fmt::format("cannot replace '{}': {}", path.string(), std::strerror(errno)), io_hint(errno));
    MLT_FAILPOINT("file.renamed");
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(lock.c_str());
    throw;
  }
  return true;
}

Config Config::load(const std::optional<std::filesystem::path>& project_dir) {
  Config c;
  for (auto& k : config_keys()) c.values_[k.name] = {k.default_value, "default"};
  auto read = [&c](const std::filesystem::path& path, bool project) {
    std::map<std::string, ConfigValue> values;
    std::map<std::string, RawEntry> unknown;
    read_file(path, values, unknown);
    for (auto& [key, raw] : unknown)
      c.warnings_.push_back(fmt::format("{}:{}: unknown setting '{}' is ignored ({})", path.string(), raw.line,
                                        printable(key), valid_keys()));
    for (auto& [key, v] : values) {
      if (project && find_config_key(key)->user_only) {
        c.warnings_.push_back(fmt::format("{}: '{}' is ignored in a project's settings, which travel with its "
                                          "folder: set it with 'mlt config set --global' or ${}",
                                          path.string(), key, find_config_key(key)->env));
        continue;
      }
      c.values_[key] = v;
    }
  };
  read(user_config_path(), false);
  if (project_dir) read(*project_dir / "config.yaml", true);
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
