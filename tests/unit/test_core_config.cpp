// core/config: the keys table (names, types, defaults, variables, choices, user-only), value
// checks (booleans normalized, seconds, durations, choices, integers; exit 2 naming where, value
// and key), the user file's path, Config::load (defaults, user file < project file < environment,
// origins, warnings for unknown keys and for a project's user-only key, FILE:LINE errors),
// read_config_file, and update_config_file (set/unset round trips, no-op answers, refused values
// that change nothing, unknown entries kept, repair, a stale lock taken over, a symlinked file).
// Every test runs with XDG_CONFIG_HOME in a scratch folder and every key's MLT_* variable unset.
#include "core/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "base/error.hpp"
#include "core/project.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::slurp;
using mlt::test::TempDir;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

const char* const valid_keys_hint =
    "valid keys: compare.higher, compare.lower, core.color, core.experiment, core.lock_timeout, core.pager, "
    "data.tag_prefix, gc.grace, registry.git_tags, run.metrics_prefix";

ExitCode code_of(const std::optional<mlt::Error>& e) { return e ? e->code() : ExitCode::ok; }

// A user settings folder of its own ($XDG_CONFIG_HOME) and no MLT_* variable of any key set.
struct Settings {
  TempDir home;
  ScopedEnv xdg{"XDG_CONFIG_HOME", home.path().string()};
  std::vector<std::unique_ptr<ScopedEnv>> unset;
  Settings() {
    for (auto& k : config_keys()) unset.push_back(std::make_unique<ScopedEnv>(k.env, std::nullopt));
  }
  fs::path user_file() const { return home.path() / "mlt" / "config.yaml"; }
  void user(const std::string& text) {
    fs::create_directories(user_file().parent_path());
    write_file(user_file(), text);
  }
};

// A scratch .mlt folder (not a whole project: Config::load only reads its config.yaml).
struct Scratch {
  TempDir dir;
  fs::path mlt = dir.path() / ".mlt";
  Scratch() { fs::create_directories(mlt); }
  fs::path file() const { return mlt / "config.yaml"; }
};

std::string type_name(ConfigType t) {
  switch (t) {
    case ConfigType::boolean: return "boolean";
    case ConfigType::string: return "string";
    case ConfigType::integer: return "integer";
    case ConfigType::duration: return "duration";
    case ConfigType::seconds: return "seconds";
  }
  return "?";
}

std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("config keys: names in order, types, defaults, variables, choices and user-only") {
  struct Row {
    std::string name, type, def, env;
  };
  const std::vector<Row> want{
      {"compare.higher", "string", "", "MLT_COMPARE_HIGHER"},
      {"compare.lower", "string", "", "MLT_COMPARE_LOWER"},
      {"core.color", "string", "auto", "MLT_COLOR"},
      {"core.experiment", "string", "", "MLT_EXPERIMENT"},
      {"core.lock_timeout", "seconds", "60", "MLT_LOCK_TIMEOUT"},
      {"core.pager", "string", "", "MLT_PAGER"},
      {"data.tag_prefix", "string", "data/", "MLT_DATA_TAG_PREFIX"},
      {"gc.grace", "duration", "14d", "MLT_GC_GRACE"},
      {"registry.git_tags", "boolean", "false", "MLT_REGISTRY_GIT_TAGS"},
      {"run.metrics_prefix", "string", "mlt:", "MLT_METRICS_PREFIX"},
  };
  auto& keys = config_keys();
  REQUIRE(keys.size() == want.size());
  std::set<std::string> envs;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CAPTURE(want[i].name);
    CHECK(keys[i].name == want[i].name);
    CHECK(type_name(keys[i].type) == want[i].type);
    CHECK(keys[i].default_value == want[i].def);
    CHECK(keys[i].env == want[i].env);
    REQUIRE(keys[i].help != nullptr);
    CHECK(std::string(keys[i].help).size() > 10);
    envs.insert(keys[i].env);
    // every default passes its own check, unchanged
    CHECK(check_config_value(keys[i], keys[i].default_value, "default") == keys[i].default_value);
    // only core.pager (it runs a command) is user-only; only core.color has choices
    CHECK(keys[i].user_only == (want[i].name == "core.pager"));
    CHECK((keys[i].choices != nullptr) == (want[i].name == "core.color"));
  }
  CHECK(envs.size() == keys.size());   // one variable per key
  CHECK(std::string(config_key("core.color").choices) == "auto always never");
}

TEST_CASE("config find_config_key and config_key: a known key; an unknown one exits 2 listing the valid keys") {
  REQUIRE(find_config_key("gc.grace") != nullptr);
  CHECK(std::string(find_config_key("gc.grace")->env) == "MLT_GC_GRACE");
  CHECK(&config_key("gc.grace") == find_config_key("gc.grace"));
  for (const std::string& bad : std::vector<std::string>{"core.colour", "gc", "GC.GRACE", "", "gc.grace.x"}) {
    CAPTURE(bad);
    CHECK(find_config_key(bad) == nullptr);
    auto e = thrown([&] { config_key(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "unknown setting '" + bad + "'");
    CHECK(e->hint() == valid_keys_hint);
  }
}

TEST_CASE("config check_config_value: booleans in any accepted spelling come back as true or false") {
  auto& k = config_key("registry.git_tags");
  for (const std::string& v : std::vector<std::string>{"true", "TRUE", "True", "yes", "YES", "on", "On", "1"}) {
    CAPTURE(v);
    CHECK(check_config_value(k, v, "here") == "true");
  }
  for (const std::string& v : std::vector<std::string>{"false", "FALSE", "no", "No", "off", "OFF", "0"}) {
    CAPTURE(v);
    CHECK(check_config_value(k, v, "here") == "false");
  }
  for (const std::string& v : std::vector<std::string>{"maybe", "", " yes", "yes ", "2", "t", "y", "enabled"}) {
    CAPTURE(v);
    auto e = thrown([&] { check_config_value(k, v, "FILE:3"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "FILE:3: '" + v + "' is not true or false (setting registry.git_tags)");
  }
}

TEST_CASE("config check_config_value: seconds from 0 to 86400, digits with one optional fraction") {
  auto& k = config_key("core.lock_timeout");
  for (const std::string& v : std::vector<std::string>{"0", "60", "0.5", "86400", "86400.0", "007", "1.25"}) {
    CAPTURE(v);
    CHECK(check_config_value(k, v, "here") == v);   // kept as written
  }
  for (const std::string& v : std::vector<std::string>{"-1", "abc", "90000", "86400.5", "", "nan", "inf", "1e3",
                                                       "0x10", ".5", "5.", "1.2.3", " 5", "5 ", "+5", "5s"}) {
    CAPTURE(v);
    auto e = thrown([&] { check_config_value(k, v, "$MLT_LOCK_TIMEOUT"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "$MLT_LOCK_TIMEOUT: '" + v +
                                        "' is not a number of seconds from 0 to 86400 (setting core.lock_timeout)");
  }
}

TEST_CASE("config check_config_value: durations, choices, free text and integers") {
  auto& grace = config_key("gc.grace");
  for (const std::string& v : std::vector<std::string>{"0", "14d", "36h", "30m", "45s", "2w", "0s"}) {
    CAPTURE(v);
    CHECK(check_config_value(grace, v, "here") == v);
  }
  for (const std::string& v : std::vector<std::string>{"14", "3x", "", "-1d", "1.5d", "d", "14 d", "00", "1dd"}) {
    CAPTURE(v);
    auto e = thrown([&] { check_config_value(grace, v, "cfg:4"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()).starts_with("cfg:4: invalid duration '" + v + "'"));
    CHECK(contains(e->what(), "(setting gc.grace)"));
    CHECK(contains(e->hint(), "14d"));   // the duration's own hint is passed on
  }

  auto& color = config_key("core.color");
  for (const std::string& v : std::vector<std::string>{"auto", "always", "never"})
    CHECK(check_config_value(color, v, "x") == v);
  for (const std::string& v : std::vector<std::string>{"blue", "", "Always", "auto always"}) {
    CAPTURE(v);
    auto e = thrown([&] { check_config_value(color, v, "x"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "x: '" + v + "' is not one of: auto always never (setting core.color)");
  }

  // free text is kept byte for byte, empty included
  for (const std::string& v : std::vector<std::string>{"", "mlt:", " spaced ", "yes", "a: b # c", "ü"})
    CHECK(check_config_value(config_key("run.metrics_prefix"), v, "x") == v);

  // no key of the table is an integer today: a key made here
  ConfigKey count{"test.count", ConfigType::integer, "0", "MLT_TEST_COUNT", "a count"};
  CHECK(check_config_value(count, "42", "x") == "42");
  CHECK(check_config_value(count, "-3", "x") == "-3");
  for (const std::string& v : std::vector<std::string>{"abc", "", "1.5", "99999999999999999999"}) {
    CAPTURE(v);
    auto e = thrown([&] { check_config_value(count, v, "x"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "x: '" + v + "' is not an integer (setting test.count)");
  }
}

TEST_CASE("config user_config_path: $XDG_CONFIG_HOME/mlt/config.yaml, else ~/.config/mlt/config.yaml") {
  ScopedEnv xdg("XDG_CONFIG_HOME", "/somewhere/cfg");
  ScopedEnv home("HOME", "/home/someone");
  CHECK(user_config_path() == fs::path("/somewhere/cfg/mlt/config.yaml"));
  xdg.set("");
  CHECK(user_config_path() == fs::path("/home/someone/.config/mlt/config.yaml"));
  xdg.set(std::nullopt);
  CHECK(user_config_path() == fs::path("/home/someone/.config/mlt/config.yaml"));
  home.set(std::nullopt);
  CHECK(user_config_path() == fs::path("/.config/mlt/config.yaml"));
}

TEST_CASE("config load: every key at its default with no files and no variables") {
  Settings s;
  Scratch dir;
  for (const std::optional<fs::path>& project : {std::optional<fs::path>{}, std::optional<fs::path>{dir.mlt}}) {
    auto c = Config::load(project);
    CHECK(c.warnings().empty());
    REQUIRE(c.values().size() == config_keys().size());
    for (auto& k : config_keys()) {
      CAPTURE(k.name);
      auto v = c.get(k.name);
      CHECK(v.value == k.default_value);
      CHECK(v.origin == "default");
      REQUIRE(c.values().count(k.name) == 1);
      CHECK(c.values().at(k.name).value == k.default_value);
    }
    CHECK(c.get_string("gc.grace") == "14d");
    CHECK(c.get_int("core.lock_timeout") == 60);
    CHECK_FALSE(c.get_bool("registry.git_tags"));
    auto e = thrown([&] { c.get("core.colour"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "core.colour"));
    CHECK(e->hint() == valid_keys_hint);
  }
}

TEST_CASE("config load: default < user file < project file < environment, each value with its origin") {
  Settings s;
  Scratch dir;
  s.user("gc:\n  grace: 1d\ncore:\n  pager: less -S\n  lock_timeout: 30\nregistry:\n  git_tags: true\ndata:\n"
         "  tag_prefix: u/\n");
  write_file(dir.file(), "gc:\n  grace: 3d\nregistry:\n  git_tags: 'off'\n");
  ScopedEnv lock("MLT_LOCK_TIMEOUT", "7");
  ScopedEnv prefix("MLT_DATA_TAG_PREFIX", "ds/");
  const std::string user = s.user_file().string(), project = dir.file().string();

  auto c = Config::load(dir.mlt);
  CHECK(c.warnings().empty());
  auto is = [&](const std::string& key, const std::string& value, const std::string& origin) {
    CAPTURE(key);
    CHECK(c.get(key).value == value);
    CHECK(c.get(key).origin == origin);
  };
  is("compare.higher", "", "default");
  is("core.color", "auto", "default");
  is("core.lock_timeout", "7", "env MLT_LOCK_TIMEOUT");
  is("core.pager", "less -S", user);
  is("data.tag_prefix", "ds/", "env MLT_DATA_TAG_PREFIX");
  is("gc.grace", "3d", project);
  is("registry.git_tags", "false", project);   // 'off' normalized; the project's false beats the user's true
  is("run.metrics_prefix", "mlt:", "default");
  CHECK(c.get_int("core.lock_timeout") == 7);
  CHECK_FALSE(c.get_bool("registry.git_tags"));

  // without a project only the user file and the environment count
  auto u = Config::load(std::nullopt);
  CHECK(u.get("gc.grace").value == "1d");
  CHECK(u.get("gc.grace").origin == user);
  CHECK(u.get("registry.git_tags").value == "true");
  CHECK(u.get_bool("registry.git_tags"));
  CHECK(u.get("core.lock_timeout").origin == "env MLT_LOCK_TIMEOUT");

  // a variable's value is checked and normalized; an empty one is not set
  ScopedEnv tags("MLT_REGISTRY_GIT_TAGS", "Yes");
  ScopedEnv grace("MLT_GC_GRACE", "");
  c = Config::load(dir.mlt);
  CHECK(c.get("registry.git_tags").value == "true");
  CHECK(c.get("registry.git_tags").origin == "env MLT_REGISTRY_GIT_TAGS");
  CHECK(c.get("gc.grace").value == "3d");
  CHECK(c.get("gc.grace").origin == project);
}

TEST_CASE("config load: a variable of the wrong type exits 2 naming it") {
  Settings s;
  Scratch dir;
  for (auto& row : std::vector<std::pair<std::string, std::string>>{
           {"MLT_COLOR", "blue"}, {"MLT_GC_GRACE", "soon"}, {"MLT_REGISTRY_GIT_TAGS", "maybe"},
           {"MLT_LOCK_TIMEOUT", "forever"}}) {  // clang 14 cannot capture structured bindings
    const std::string& name = row.first;
    const std::string& value = row.second;
    CAPTURE(name);
    ScopedEnv env(name, value);
    auto e = thrown([&] { Config::load(dir.mlt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()).starts_with("$" + name + ": "));
    CHECK(contains(e->what(), "'" + value + "'"));
  }
}

TEST_CASE("config load: unknown keys are ignored with FILE:LINE warnings; a project's core.pager too") {
  Settings s;
  Scratch dir;
  s.user("gc:\n  graze: 1d\n");
  write_file(dir.file(), "core:\n  color: never\n  colour: always\n  pager: more\nfuture:\n  thing: 1\n  list: [a, b]\n");
  auto c = Config::load(dir.mlt);
  CHECK(c.get("core.color").value == "never");
  // the pager runs a command: a project's (which travels with its folder) is not read
  CHECK(c.get("core.pager").value == "");
  CHECK(c.get("core.pager").origin == "default");
  const std::string user = s.user_file().string(), project = dir.file().string();
  std::vector<std::string> want{
      user + ":2: unknown setting 'gc.graze' is ignored (" + valid_keys_hint + ")",
      project + ":3: unknown setting 'core.colour' is ignored (" + valid_keys_hint + ")",
      project + ":7: unknown setting 'future.list' is ignored (" + valid_keys_hint + ")",
      project + ":6: unknown setting 'future.thing' is ignored (" + valid_keys_hint + ")",
      project + ": 'core.pager' is ignored in a project's settings, which travel with its folder: set it with "
                "'mlt config set --global' or $MLT_PAGER",
  };
  CHECK(c.warnings() == want);
  // from the user file it counts
  s.user("core:\n  pager: more\n");
  c = Config::load(dir.mlt);
  CHECK(c.get("core.pager").value == "more");
  CHECK(c.get("core.pager").origin == s.user_file().string());
}

TEST_CASE("config load and read_config_file: bad files exit 2 naming FILE:LINE (or FILE:LINE:COL)") {
  Settings s;
  Scratch dir;
  const std::string f = dir.file().string();
  struct Case {
    std::string text, message;
  };
  for (auto& c : std::vector<Case>{
           {"core:\n  pager: more\ngc:\n  grace: soon\n", f + ":4: invalid duration 'soon' (setting gc.grace)"},
           {"registry:\n  git_tags: maybe\n", f + ":2: 'maybe' is not true or false (setting registry.git_tags)"},
           {"core:\n  pager: [less, more]\n", f + ":2: 'core.pager' needs a single value"},
           {"data:\n  tag_prefix:\n", f + ":2: 'data.tag_prefix' needs a single value (write '' for an empty one)"},
           {"gc:\n  grace:\n    deep: 1\n", f + ":2: 'gc.grace' needs a single value"},
           {"- gc.grace\n- 1d\n", f + ": expected a mapping of settings"},
       }) {
    CAPTURE(c.text);
    write_file(dir.file(), c.text);
    for (int reader = 0; reader < 2; ++reader) {
      auto e = thrown([&] {
        if (reader == 0) Config::load(dir.mlt);
        else read_config_file(dir.file());
      });
      REQUIRE(e);
      CHECK(e->code() == ExitCode::usage);
      CHECK(std::string(e->what()) == c.message);
    }
  }
  // malformed YAML: FILE:LINE:COL
  write_file(dir.file(), "gc:\n  grace: [1d\ncore:\n  pager: more\n");
  auto e = thrown([&] { Config::load(dir.mlt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()).starts_with(f + ":"));
  CHECK(contains(e->what(), "invalid YAML"));
  // the user file's errors too
  write_file(dir.file(), "");
  s.user("core:\n  lock_timeout: forever\n");
  e = thrown([&] { Config::load(dir.mlt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()).starts_with(s.user_file().string() + ":2: 'forever'"));
  // "" is the empty value; an empty file or one of comments sets nothing
  s.user("data:\n  tag_prefix: \"\"\n");
  auto c = Config::load(dir.mlt);
  CHECK(c.get("data.tag_prefix").value == "");
  CHECK(c.get("data.tag_prefix").origin == s.user_file().string());
  write_file(dir.file(), "# nothing here\n");
  CHECK(read_config_file(dir.file()).empty());
}

TEST_CASE("config read_config_file: the known keys a file sets, normalized; an absent file sets nothing") {
  Scratch dir;
  CHECK(read_config_file(dir.mlt / "absent.yaml").empty());
  write_file(dir.file(),
             "registry:\n  git_tags: YES\ngc:\n  grace: 2d\nfuture:\n  thing: 1\ncore:\n  lock_timeout: 0.5\n");
  std::map<std::string, std::string> want{{"core.lock_timeout", "0.5"}, {"gc.grace", "2d"}, {"registry.git_tags", "true"}};
  CHECK(read_config_file(dir.file()) == want);
  // a dotted key written as one (not nested) is read as that key
  write_file(dir.file(), "gc.grace: 5d\n");
  CHECK(read_config_file(dir.file()) == std::map<std::string, std::string>{{"gc.grace", "5d"}});
}

TEST_CASE("config update_config_file: set creates the file and its folder; values read back; no change is false") {
  Settings s;
  const fs::path f = s.home.path() / "deep" / "er" / "config.yaml";
  CHECK(update_config_file(f, "gc.grace", "2d"));
  REQUIRE(fs::is_regular_file(f));
  std::string text = slurp(f);
  CHECK(text.starts_with("# mlt settings: see 'mlt config list' and mlt-config(1)\n"));
  CHECK(contains(text, "\ngc:\n  grace: 2d\n"));
  CHECK(read_config_file(f) == std::map<std::string, std::string>{{"gc.grace", "2d"}});

  // another key keeps the first; a new value replaces the old; a boolean is written normalized
  CHECK(update_config_file(f, "registry.git_tags", "Yes"));
  CHECK(update_config_file(f, "gc.grace", "36h"));
  CHECK(contains(slurp(f), "  git_tags: true\n"));
  CHECK(read_config_file(f) == std::map<std::string, std::string>{{"gc.grace", "36h"}, {"registry.git_tags", "true"}});

  // setting what the file holds already changes nothing (any spelling of it)
  std::string before = slurp(f);
  CHECK_FALSE(update_config_file(f, "gc.grace", "36h"));
  CHECK_FALSE(update_config_file(f, "registry.git_tags", "on"));
  CHECK(slurp(f) == before);

  // text that YAML would read as something else stays the same text
  for (const std::string& v : std::vector<std::string>{"", "yes", "123", "mlt:", "a # b", "null", "~", " lead",
                                                       "1.5", "2024-01-01", "[x]", "{y}", "'q'", "\"dq\"", "ü/é"}) {
    CAPTURE(v);
    CHECK(update_config_file(f, "data.tag_prefix", v));
    CHECK(read_config_file(f).at("data.tag_prefix") == v);
  }
  CHECK_FALSE(fs::exists(fs::path(f.string() + ".lock")));
  CHECK(entries_of(f.parent_path()) == std::vector<std::string>{"config.yaml"});
}

TEST_CASE("config update_config_file: unset lets the layer below show through; unsetting what is not set is false") {
  Settings s;
  Scratch dir;
  s.user("gc:\n  grace: 1d\n");
  CHECK(update_config_file(dir.file(), "gc.grace", "3d"));
  CHECK(update_config_file(dir.file(), "data.tag_prefix", "more"));
  CHECK(Config::load(dir.mlt).get("gc.grace").value == "3d");

  CHECK(update_config_file(dir.file(), "gc.grace", std::nullopt));
  auto c = Config::load(dir.mlt);
  CHECK(c.get("gc.grace").value == "1d");
  CHECK(c.get("gc.grace").origin == s.user_file().string());
  CHECK(c.get("data.tag_prefix").value == "more");
  CHECK_FALSE(contains(slurp(dir.file()), "grace"));

  // not set there: false, the file unchanged
  std::string before = slurp(dir.file());
  CHECK_FALSE(update_config_file(dir.file(), "gc.grace", std::nullopt));
  CHECK(slurp(dir.file()) == before);

  CHECK(update_config_file(s.user_file(), "gc.grace", std::nullopt));
  c = Config::load(dir.mlt);
  CHECK(c.get("gc.grace").value == "14d");
  CHECK(c.get("gc.grace").origin == "default");
  CHECK(read_config_file(s.user_file()).empty());

  // no file at all: nothing to remove, nothing (not even its folder) is created
  const fs::path none = s.home.path() / "nofolder" / "config.yaml";
  CHECK_FALSE(update_config_file(none, "gc.grace", std::nullopt));
  CHECK_FALSE(fs::exists(none.parent_path()));
}

TEST_CASE("config update_config_file: a bad value or an unknown key exits 2 and changes nothing") {
  Settings s;
  Scratch dir;
  CHECK(update_config_file(dir.file(), "core.lock_timeout", "86400"));
  const std::string before = slurp(dir.file());
  for (auto& row : std::vector<std::pair<std::string, std::string>>{
           {"registry.git_tags", "maybe"}, {"registry.git_tags", ""}, {"core.lock_timeout", "-1"},
           {"core.lock_timeout", "90000"}, {"gc.grace", "3x"}, {"gc.grace", "14"}, {"core.color", "blue"}}) {
    const std::string& key = row.first;   // clang 14 cannot capture structured bindings
    const std::string& value = row.second;
    CAPTURE(key);
    CAPTURE(value);
    auto e = thrown([&] { update_config_file(dir.file(), key, value); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()).starts_with("mlt config set: "));
    CHECK(contains(e->what(), key));
    CHECK(slurp(dir.file()) == before);
  }
  for (const std::optional<std::string>& value : {std::optional<std::string>{"1"}, std::optional<std::string>{}}) {
    auto e = thrown([&] { update_config_file(dir.file(), "nope", value); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(e->hint() == valid_keys_hint);
    CHECK(slurp(dir.file()) == before);
  }
  // a refused first value creates no file, and no folder
  const fs::path fresh = s.home.path() / "mlt" / "config.yaml";
  auto e = thrown([&] { update_config_file(fresh, "core.color", "sometimes"); });
  CHECK(code_of(e) == ExitCode::usage);
  CHECK_FALSE(fs::exists(fresh.parent_path()));
  CHECK(entries_of(dir.mlt) == std::vector<std::string>{"config.yaml"});   // no lock left behind
}

TEST_CASE("config update_config_file: entries mlt does not know are kept; a bad value is repaired by set and unset") {
  Settings s;
  Scratch dir;
  write_file(dir.file(), "core:\n  colour: always\nfuture:\n  thing: hello\n  list: [a, b]\n  nested:\n    deep: yes\n");
  CHECK(update_config_file(dir.file(), "gc.grace", "1d"));
  std::string text = slurp(dir.file());
  CHECK(contains(text, "  colour: always\n"));
  CHECK(contains(text, "  thing: hello\n"));
  CHECK(contains(text, "list:"));
  CHECK(contains(text, "deep:"));
  auto c = Config::load(dir.mlt);
  CHECK(c.get("gc.grace").value == "1d");
  REQUIRE(c.warnings().size() == 4);   // core.colour, future.list, future.nested.deep, future.thing
  CHECK(contains(c.warnings()[0], "'core.colour'"));
  CHECK(contains(c.warnings()[2], "'future.nested.deep'"));
  CHECK(update_config_file(dir.file(), "gc.grace", std::nullopt));
  CHECK(contains(slurp(dir.file()), "  thing: hello\n"));

  // a bad value of a known key: reading fails, set replaces it, the rest stays
  write_file(dir.file(), "gc:\n  grace: soon\ndata:\n  tag_prefix: more\n");
  CHECK(code_of(thrown([&] { read_config_file(dir.file()); })) == ExitCode::usage);
  CHECK(update_config_file(dir.file(), "gc.grace", "2d"));
  CHECK(read_config_file(dir.file()) == std::map<std::string, std::string>{{"data.tag_prefix", "more"}, {"gc.grace", "2d"}});
  // and unset removes it
  write_file(dir.file(), "gc:\n  grace: soon\n");
  CHECK(update_config_file(dir.file(), "gc.grace", std::nullopt));
  CHECK(read_config_file(dir.file()).empty());
  CHECK(Config::load(dir.mlt).get("gc.grace").origin == "default");
}

TEST_CASE("config update_config_file: refuses files it cannot write back, leaving them as they were") {
  Settings s;
  Scratch dir;
  // a key holding a value above the one being set
  write_file(dir.file(), "core: 5\n");
  auto e = thrown([&] { update_config_file(dir.file(), "core.color", "never"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == dir.file().string() + ": 'core' holds a value, so no setting can go below it");
  CHECK(slurp(dir.file()) == "core: 5\n");
  // an unknown entry whose key would not read back the same (a fuzz finding)
  write_file(dir.file(), ".core:\n  color: 1\n");
  e = thrown([&] { update_config_file(dir.file(), "gc.grace", "3d"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "cannot write back"));
  CHECK(slurp(dir.file()) == ".core:\n  color: 1\n");
  CHECK(entries_of(dir.mlt) == std::vector<std::string>{"config.yaml"});   // no lock left behind
}

TEST_CASE("config update_config_file: a lock a minute old is taken over; the file's mode is kept") {
  Settings s;
  Scratch dir;
  CHECK(update_config_file(dir.file(), "gc.grace", "1d"));
  ::chmod(dir.file().c_str(), 0600);
  const fs::path lock = dir.file().string() + ".lock";
  write_file(lock, "");
  fs::last_write_time(lock, fs::file_time_type::clock::now() - std::chrono::minutes(5));
  CHECK(update_config_file(dir.file(), "gc.grace", "2d"));   // at once, not after waiting
  CHECK(read_config_file(dir.file()).at("gc.grace") == "2d");
  CHECK(entries_of(dir.mlt) == std::vector<std::string>{"config.yaml"});   // no lock, no .stale file
  struct stat st {};
  REQUIRE(::stat(dir.file().c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE("config update_config_file: through a symlink, the file it points to is written and stays linked") {
  Settings s;
  TempDir dots;
  const fs::path real = dots / "mlt.yaml";
  write_file(real, "gc:\n  grace: 2d\n");
  ::chmod(real.c_str(), 0600);
  fs::create_directories(s.user_file().parent_path());
  fs::create_symlink(real, s.user_file());
  CHECK(update_config_file(s.user_file(), "gc.grace", "1d"));
  CHECK(fs::is_symlink(s.user_file()));
  CHECK(read_config_file(real) == std::map<std::string, std::string>{{"gc.grace", "1d"}});
  struct stat st {};
  REQUIRE(::stat(real.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto c = Config::load(std::nullopt);
  CHECK(c.get("gc.grace").value == "1d");
  CHECK(c.get("gc.grace").origin == s.user_file().string());
}

TEST_CASE("config in a project: Project::config and lock_timeout_ms read the project's .mlt/config.yaml") {
  Settings s;
  TempProject p;   // made after Settings: it unsets MLT_LOCK_TIMEOUT and MLT_EXPERIMENT itself too
  const fs::path file = p.project().dir() / "config.yaml";
  REQUIRE(fs::exists(file));   // init writes one that sets nothing
  CHECK(read_config_file(file).empty());
  CHECK(p.project().config().get("core.lock_timeout").origin == "default");
  CHECK(lock_timeout_ms(p.project().config()) == 60'000);

  CHECK(update_config_file(file, "core.lock_timeout", "0.5"));
  CHECK(update_config_file(file, "core.experiment", "nightly"));
  auto again = Project::open(p.root());
  CHECK(again.config().get("core.lock_timeout").value == "0.5");
  CHECK(again.config().get("core.lock_timeout").origin == file.string());
  CHECK(again.config().get("core.experiment").value == "nightly");
  CHECK(lock_timeout_ms(again.config()) == 500);
  CHECK(lock_timeout_ms(p.project().dir()) == 500);
  ScopedEnv env("MLT_LOCK_TIMEOUT", "2");
  CHECK(lock_timeout_ms(p.project().dir()) == 2000);
}
