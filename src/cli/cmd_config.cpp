// mlt config get|set|unset|list: the layered settings of core/config (built-in < user file <
// project file < MLT_* variables < flags). It finds the project without opening its database, so
// a settings file that other commands refuse can still be repaired here.
#include <cstdio>

#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/config.hpp"

namespace mlt::cli {
namespace {

struct ConfigOptions {
  std::string key, value;
  bool global = false, show_origin = false;
};

const char* type_name(core::ConfigType t) {
  switch (t) {
    case core::ConfigType::boolean: return "boolean";
    case core::ConfigType::integer: return "integer";
    case core::ConfigType::seconds: return "seconds";
    case core::ConfigType::duration: return "duration";
    case core::ConfigType::string: return "string";
  }
  return "string";
}

// The file `set`/`unset` change: the project's, or the user's with --global.
std::filesystem::path target_file(Context& ctx, bool global) {
  if (global) return core::user_config_path();
  auto dir = core::Project::find(ctx.cwd());
  if (!dir)
    throw Error(ExitCode::no_project, "not inside an mlt project, so there is no project settings file",
                "pass --global to change your user settings, or run 'mlt init'");
  return *dir / "config.yaml";
}

int config_get(Context& ctx, const ConfigOptions& o) {
  core::config_key(o.key);
  auto v = ctx.config().get(o.key);
  if (ctx.global.json) {
    print_json(Json{{"key", o.key}, {"value", v.value}, {"origin", v.origin}});
  } else if (o.show_origin) {
    std::printf("%s\t%s\n", v.origin.c_str(), v.value.c_str());
  } else {
    std::printf("%s\n", v.value.c_str());
  }
  return 0;
}

int config_list(Context& ctx, const ConfigOptions& o) {
  std::map<std::string, std::string> user;
  if (o.global) user = core::read_config_file(core::user_config_path());
  const auto& values = ctx.config().values();
  ctx.page();
  Json list = Json::array();
  for (auto& k : core::config_keys()) {
    core::ConfigValue v = values.at(k.name);
    if (o.global) {
      auto it = user.find(k.name);
      if (it == user.end()) continue;
      v = {it->second, core::user_config_path().string()};
    }
    if (ctx.global.json) {
      list.push_back({{"key", k.name},
                      {"value", v.value},
                      {"origin", v.origin},
                      {"default", k.default_value},
                      {"type", type_name(k.type)},
                      {"env", k.env},
                      {"help", k.help}});
    } else if (o.show_origin) {
      std::printf("%s\t%s=%s\n", v.origin.c_str(), k.name, v.value.c_str());
    } else {
      std::printf("%s=%s\n", k.name, v.value.c_str());
    }
  }
  if (ctx.global.json) print_json(Json{{"settings", list}});
  return 0;
}

int config_set(Context& ctx, const ConfigOptions& o, bool unset) {
  core::config_key(o.key);
  if (!unset && !o.global && core::config_key(o.key).user_only)
    throw Error(ExitCode::usage,
                fmt::format("{} is read from your user settings only: a project's settings travel with its folder, "
                            "and this one runs a command",
                            o.key),
                fmt::format("use 'mlt config set --global {} ...' or ${}", o.key, core::config_key(o.key).env));
  auto file = target_file(ctx, o.global);
  bool changed = core::update_config_file(file, o.key, unset ? std::nullopt : std::optional<std::string>(o.value));
  if (unset && !changed) ctx.note(fmt::format("{} was not set in {}", o.key, file.string()));
  if (!unset) {
    // the environment outranks the file: say so, or the change seems not to take
    auto& k = core::config_key(o.key);
    if (const char* env = std::getenv(k.env); env && *env)
      ctx.warn(fmt::format("${} is set and overrides {} from {}", k.env, o.key, file.string()));
  }
  return 0;
}

}  // namespace

void add_config_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<ConfigOptions>();
  auto* grp = root.add_subcommand("config", "Show and change settings: built-in < user file < project file < "
                                            "MLT_* variables < flags.");
  grp->require_subcommand(1);

  auto* g = grp->add_subcommand("get", "Print the value of setting KEY that applies here.");
  g->add_option("key", o->key, "The setting, e.g. core.pager.")->required()->type_name("KEY");
  g->add_flag("--show-origin", o->show_origin, "Also print where the value comes from (default, a file, or env).");
  g->callback([&ctx, o] { ctx.select(Needs::nothing, [&ctx, o] { return config_get(ctx, *o); }); });

  auto* s = grp->add_subcommand("set", "Set KEY to VALUE in the project's settings file (or the user's, with --global).");
  s->add_option("key", o->key, "The setting, e.g. gc.grace.")->required()->type_name("KEY");
  s->add_option("value", o->value, "Its new value, checked against the setting's type.")->required()->type_name("VALUE");
  s->add_flag("--global", o->global, "Change the user file ($XDG_CONFIG_HOME/mlt/config.yaml) instead.");
  s->callback([&ctx, o] { ctx.select(Needs::nothing, [&ctx, o] { return config_set(ctx, *o, false); }); });

  auto* u = grp->add_subcommand("unset", "Remove KEY from the project's settings file (or the user's, with --global).");
  u->add_option("key", o->key, "The setting to remove.")->required()->type_name("KEY");
  u->add_flag("--global", o->global, "Change the user file instead.");
  u->callback([&ctx, o] { ctx.select(Needs::nothing, [&ctx, o] { return config_set(ctx, *o, true); }); });

  auto* l = grp->add_subcommand("list", "Print every setting as KEY=VALUE, as it applies here.");
  l->add_flag("--show-origin", o->show_origin, "Prefix each line with where its value comes from.");
  l->add_flag("--global", o->global, "Only the settings the user file sets.");
  l->callback([&ctx, o] { ctx.select(Needs::nothing, [&ctx, o] { return config_list(ctx, *o); }); });
}

}  // namespace mlt::cli
