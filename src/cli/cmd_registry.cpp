// mlt registry: named models, versions, aliases, stages, tags, and the history of every change
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/target_run.hpp"
#include "core/config.hpp"
#include "core/git.hpp"
#include "core/models/models.hpp"
#include "core/models/registry.hpp"

namespace mlt::cli {
namespace {

struct RegistryOptions {
  std::string name, ref, uri, alias, version, stage, text, kv, at, run, experiment;
  std::string description;
  std::vector<std::string> tags;
  bool archive_existing = false, git_tag = false;
};

std::int64_t parse_version(const std::string& s) {
  std::string t = s;
  if (t.size() > 1 && (t[0] == 'v' || t[0] == 'V')) t = t.substr(1);
  auto v = core::parse_int64(t);
  if (!v || *v <= 0 || t.find_first_not_of("0123456789") != std::string::npos)
    throw Error(ExitCode::usage, fmt::format("'{}' is not a version number", s), "versions are 1, 2, 3, ... (or v1, v2)");
  return *v;
}

std::optional<std::int64_t> parse_at(const std::string& at) {
  if (at.empty()) return std::nullopt;
  auto t = core::parse_time(at);
  if (!t)
    throw Error(ExitCode::usage, fmt::format("--at '{}' is not a time", at),
                "give epoch milliseconds, a date (2026-06-01) or an RFC 3339 time (2026-06-01T12:00:00Z)");
  return t;
}

// NAME or NAME/VERSION (tag, describe, rm).
std::pair<std::string, std::optional<std::int64_t>> name_and_version(const std::string& s) {
  auto ref = core::parse_version_ref(s);
  if (ref.kind == core::VersionRef::Kind::model) return {ref.name, std::nullopt};
  if (ref.kind == core::VersionRef::Kind::version) return {ref.name, ref.version};
  throw Error(ExitCode::usage, fmt::format("'{}' is not NAME or NAME/VERSION", s), "name the version by its number");
}

bool git_tags_wanted(Context& ctx, const RegistryOptions& o) {
  return o.git_tag || ctx.config().get_bool("registry.git_tags");
}

// Mirrors a registry change as an annotated tag on the version's commit (the run's recorded
// commit when the repository has it, else HEAD). Failures are warnings: the change is made.
void mirror_tag(Context& ctx, const core::ModelVersion& v, const std::string& tag, const std::string& message) {
  core::GitTag t;
  t.name = tag;
  t.message = message;
  t.tagger_name = core::current_user();
  t.tagger_email = core::current_user() + "@" + core::host_name();
  t.target = v.git_commit.value_or("HEAD");
  auto r = core::git_create_tag(ctx.project().root(), t);
  if (!r.created && r.in_repository && v.git_commit && !r.exists) {
    ctx.warn(fmt::format("the run's commit {} is not in this repository; tagging HEAD", v.git_commit->substr(0, 12)));
    t.target = "HEAD";
    r = core::git_create_tag(ctx.project().root(), t);
  }
  if (r.created) ctx.note(fmt::format("mlt: tagged {} as '{}'", r.commit.substr(0, 12), tag));
  else ctx.warn(fmt::format("no git tag '{}': {}", tag, r.why_not));
}

void pre_promote(Context& ctx, const core::ModelVersion& v, const std::string& action, const std::string& target) {
  std::vector<std::pair<std::string, std::string>> env{
      {"MLT_MODEL", v.model},         {"MLT_VERSION", std::to_string(v.version)}, {"MLT_RUN_ID", v.run_uuid},
      {"MLT_ACTION", action},         {"MLT_TARGET", target},                     {"MLT_MODEL_URI", v.uri()},
      {"MLT_MODEL_DIGEST", v.tree.str()}, {"MLT_DIR", ctx.project().dir().string()}, {"MLT_EXE", core::self_exe()}};
  env.emplace_back(action == "stage" ? "MLT_STAGE" : "MLT_ALIAS", target);
  auto r = core::run_hook(ctx.project(), "pre-promote", env, [&ctx](const std::string& m) { ctx.warn(m); });
  if (r.ran && r.exit_code != 0)
    throw Error(ExitCode::failure,
                fmt::format("the pre-promote hook refused {} {} of '{}' version {} (exit {})", action, target, v.model,
                            v.version, r.exit_code),
                "see the hook's output above; nothing was changed");
}

Json version_json(const core::ModelVersion& v) {
  Json j;
  j["name"] = v.model;
  j["version"] = v.version;
  j["uri"] = v.uri();
  j["stage"] = core::to_string(v.stage);
  j["aliases"] = v.aliases;
  j["source"] = v.source();
  j["run"] = v.run_uuid;
  j["run_name"] = v.run_name;
  j["path"] = v.path;
  j["digest"] = v.tree.str();
  j["description"] = v.description;
  j["tags"] = Json::object();
  for (auto& [k, val] : v.tags) j["tags"][k] = val;
  j["user"] = v.user;
  j["git_commit"] = v.git_commit ? Json(*v.git_commit) : Json(nullptr);
  put_time(j, "created", v.created_ms);
  return j;
}

int registry_create(Context& ctx, const RegistryOptions& o) {
  core::Registry reg(ctx.db());
  reg.create(o.name, o.description);
  if (ctx.global.json) {
    Json j;
    j["name"] = o.name;
    print_json(j);
  } else {
    std::printf("%s\n", o.name.c_str());
  }
  return 0;
}

// The package a URI names, stored: a directory is imported into a run first.
core::ModelPackage package_for(Context& ctx, const RegistryOptions& o) {
  std::error_code ec;
  bool dir = !o.uri.starts_with("runs:/") && !o.uri.starts_with("models:/") && std::filesystem::is_directory(o.uri, ec);
  if (!dir) return core::open_model(&ctx.project(), o.uri);
  if (!std::filesystem::is_regular_file(std::filesystem::path(o.uri) / "MLmodel", ec))
    throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it has no MLmodel file", o.uri),
                "pass a model directory (the folder holding MLmodel) or a runs:/RUN/PATH URI");
  core::AddStats st;
  core::AddOptions ao;
  ao.warn = [&ctx](const std::string& m) { ctx.warn(m); };
  auto rec = with_target_run(ctx, o.run, o.experiment, "mlt registry register", [&](const core::RunRef& run) {
    return core::import_model(ctx.project(), run, o.uri, "", st, ao);
  }, fmt::format("importing '{}' into", o.uri));
  return core::open_model(&ctx.project(), rec.uri());
}

int registry_register(Context& ctx, const RegistryOptions& o) {
  core::check_model_name(o.name);
  std::vector<std::pair<std::string, std::string>> tags;
  for (auto& t : o.tags) tags.push_back(core::parse_kv(t, "tag"));
  auto pkg = package_for(ctx, o);
  auto check = core::verify_model(&ctx.project(), pkg);
  if (!check.problems.empty())
    throw Error(ExitCode::integrity, fmt::format("'{}' does not verify: {}", pkg.label, check.problems.front()),
                "check it with 'mlt model verify'; only an intact model can be registered");
  if (!check.has_digests)
    ctx.warn(fmt::format("'{}' has no mlt digests; 'mlt deploy' will refuse it (import it with 'mlt model import')",
                         pkg.label));
  core::Registry reg(ctx.db());
  auto r = reg.register_version(o.name, *pkg.run, pkg.path, pkg.entry->digest, o.description, tags);
  if (r.created_model) ctx.note(fmt::format("mlt: created registered model '{}'", o.name));
  if (r.same_as)
    ctx.warn(fmt::format("version {} of '{}' is identical to version {} ({})", r.version.version, o.name, *r.same_as,
                         r.version.tree.str().substr(0, 19)));
  if (git_tags_wanted(ctx, o))
    mirror_tag(ctx, r.version, fmt::format("{}@v{}.0.0", o.name, r.version.version),
               fmt::format("mlt registry: {} version {}\n\nmodel: {}\nsource: {}\ndigest: {}\n", o.name, r.version.version,
                           r.version.uri(), r.version.source(), r.version.tree.str()));
  if (ctx.global.json) {
    Json j = version_json(r.version);
    j["duplicate_of"] = r.same_as ? Json(*r.same_as) : Json(nullptr);
    print_json(j);
  } else {
    std::printf("%lld\n", static_cast<long long>(r.version.version));
  }
  return 0;
}

int registry_ls(Context& ctx, const RegistryOptions&) {
  core::Registry reg(ctx.db());
  auto models = reg.list();
  if (ctx.global.json) {
    Json j;
    j["models"] = Json::array();
    for (auto& m : models) {
      Json x;
      x["name"] = m.name;
      x["description"] = m.description;
      x["latest_version"] = m.versions.empty() ? Json(nullptr) : Json(m.versions.back().version);
      x["versions"] = m.versions.size();
      x["aliases"] = Json::object();
      for (auto& [a, v] : m.aliases) x["aliases"][a] = v;
      x["stages"] = Json::object();
      for (auto& v : m.versions)
        if (v.stage != core::Stage::none) x["stages"][std::to_string(v.version)] = core::to_string(v.stage);
      put_time(x, "created", m.created_ms);
      put_time(x, "updated", m.updated_ms);
      j["models"].push_back(std::move(x));
    }
    print_json(j);
    return 0;
  }
  if (models.empty()) {
    ctx.note("no registered models (register one with 'mlt registry register runs:/RUN/PATH NAME')");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& m : models) {
    std::vector<std::string> aliases, stages;
    for (auto& [a, v] : m.aliases) aliases.push_back(fmt::format("{}=v{}", a, v));
    for (auto& v : m.versions)
      if (v.stage == core::Stage::staging || v.stage == core::Stage::production)
        stages.push_back(fmt::format("{}=v{}", core::to_string(v.stage), v.version));
    rows.push_back({m.name, m.versions.empty() ? "-" : "v" + std::to_string(m.versions.back().version),
                    aliases.empty() ? "-" : fmt::format("{}", fmt::join(aliases, " ")),
                    stages.empty() ? "-" : fmt::format("{}", fmt::join(stages, " ")), core::local_time(m.updated_ms)});
  }
  print_table({"NAME", "LATEST", "ALIASES", "STAGES", "UPDATED"}, rows);
  return 0;
}

void print_version(const core::ModelVersion& v) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"model", v.model},
      {"version", std::to_string(v.version)},
      {"uri", v.uri()},
      {"stage", core::to_string(v.stage)},
      {"aliases", v.aliases.empty() ? "-" : fmt::format("{}", fmt::join(v.aliases, ", "))},
      {"source", v.source()},
      {"run", fmt::format("{} ({})", v.run_name, short_id(v.run_uuid))},
      {"digest", v.tree.str()},
      {"created", fmt::format("{} by {}", core::local_time(v.created_ms), v.user)},
  };
  if (v.git_commit) rows.emplace_back("commit", *v.git_commit);
  if (!v.description.empty()) rows.emplace_back("about", v.description);
  for (auto& [k, val] : v.tags) rows.emplace_back("tag", k + "=" + val);
  for (auto& [k, val] : rows) std::printf("%-9s %s\n", (k + ":").c_str(), val.c_str());
}

int registry_show(Context& ctx, const RegistryOptions& o) {
  auto ref = core::parse_version_ref(o.ref);
  auto at = parse_at(o.at);
  core::Registry reg(ctx.db());
  if (ref.kind != core::VersionRef::Kind::model || at) {
    auto v = reg.resolve(ref, at);
    if (ctx.global.json) {
      auto j = version_json(v);
      if (at) put_time(j, "at", *at);
      print_json(j);
    } else {
      if (at) std::printf("%-9s %s\n", "as of:", core::rfc3339_utc(*at).c_str());
      print_version(v);
    }
    return 0;
  }
  auto m = reg.load(ref.name);
  if (ctx.global.json) {
    Json j;
    j["name"] = m.name;
    j["description"] = m.description;
    j["tags"] = Json::object();
    for (auto& [k, v] : m.tags) j["tags"][k] = v;
    j["aliases"] = Json::object();
    for (auto& [a, v] : m.aliases) j["aliases"][a] = v;
    j["versions"] = Json::array();
    for (auto& v : m.versions) j["versions"].push_back(version_json(v));
    put_time(j, "created", m.created_ms);
    put_time(j, "updated", m.updated_ms);
    print_json(j);
    return 0;
  }
  std::printf("%-9s %s\n", "model:", m.name.c_str());
  if (!m.description.empty()) std::printf("%-9s %s\n", "about:", m.description.c_str());
  std::printf("%-9s %s\n", "created:", core::local_time(m.created_ms).c_str());
  for (auto& [k, v] : m.tags) std::printf("%-9s %s=%s\n", "tag:", k.c_str(), v.c_str());
  std::printf("\n");
  std::vector<std::vector<std::string>> rows;
  for (auto it = m.versions.rbegin(); it != m.versions.rend(); ++it)
    rows.push_back({std::to_string(it->version), core::to_string(it->stage),
                    it->aliases.empty() ? "-" : fmt::format("{}", fmt::join(it->aliases, ",")),
                    short_id(it->run_uuid) + "/" + it->path, it->tree.hex().substr(0, 12), core::local_time(it->created_ms)});
  if (rows.empty()) ctx.note("no versions");
  else print_table({"VERSION", "STAGE", "ALIASES", "SOURCE", "DIGEST", "CREATED"}, rows);
  return 0;
}

int registry_alias(Context& ctx, const RegistryOptions& o) {
  core::check_alias(o.alias);
  auto version = parse_version(o.version);
  core::Registry reg(ctx.db());
  auto v = reg.version(o.name, version);
  pre_promote(ctx, v, "alias", o.alias);
  auto c = reg.set_alias(o.name, o.alias, version);
  if (git_tags_wanted(ctx, o))
    mirror_tag(ctx, v, fmt::format("{}#{}#{}", o.name, o.alias, c.assignment),
               fmt::format("mlt registry: {} alias {} -> version {}\n\nmodel: {}\ndigest: {}\n", o.name, o.alias, version,
                           v.uri(), v.tree.str()));
  if (ctx.global.json) {
    Json j;
    j["name"] = o.name;
    j["alias"] = o.alias;
    j["version"] = version;
    j["previous_version"] = c.from ? Json(*c.from) : Json(nullptr);
    print_json(j);
  } else {
    ctx.note(c.from ? fmt::format("{}@{}: v{} -> v{}", o.name, o.alias, *c.from, version)
                    : fmt::format("{}@{} -> v{}", o.name, o.alias, version));
  }
  return 0;
}

int registry_unalias(Context& ctx, const RegistryOptions& o) {
  core::check_model_name(o.name);
  core::check_alias(o.alias);   // 'latest' and 'vN' name versions, never aliases
  core::Registry reg(ctx.db());
  auto v = reg.resolve(core::parse_version_ref(o.name + "@" + o.alias));
  pre_promote(ctx, v, "unalias", o.alias);
  auto c = reg.remove_alias(o.name, o.alias);
  if (ctx.global.json) {
    Json j;
    j["name"] = o.name;
    j["alias"] = o.alias;
    j["previous_version"] = *c.from;
    print_json(j);
  } else {
    ctx.note(fmt::format("{}@{} removed (was v{})", o.name, o.alias, *c.from));
  }
  return 0;
}

int registry_stage(Context& ctx, const RegistryOptions& o) {
  auto version = parse_version(o.version);
  auto stage = core::parse_stage(o.stage);
  if (!stage)
    throw Error(ExitCode::usage, fmt::format("unknown stage '{}'", o.stage), "stages: None, Staging, Production, Archived");
  core::Registry reg(ctx.db());
  auto v = reg.version(o.name, version);
  pre_promote(ctx, v, "stage", core::to_string(*stage));
  auto c = reg.set_stage(o.name, version, *stage, o.archive_existing);
  if (git_tags_wanted(ctx, o)) {
    std::string s = core::ascii_lower(core::to_string(*stage));
    mirror_tag(ctx, v, fmt::format("{}#{}#{}", o.name, s, c.assignment),
               fmt::format("mlt registry: {} version {} -> {}\n\nmodel: {}\ndigest: {}\n", o.name, version,
                           core::to_string(*stage), v.uri(), v.tree.str()));
  }
  if (ctx.global.json) {
    Json j;
    j["name"] = o.name;
    j["version"] = version;
    j["stage"] = core::to_string(*stage);
    j["previous_stage"] = core::to_string(c.from_stage);
    j["archived"] = c.archived;
    print_json(j);
  } else {
    ctx.note(fmt::format("{} v{}: {} -> {}", o.name, version, core::to_string(c.from_stage), core::to_string(*stage)));
    for (auto a : c.archived) ctx.note(fmt::format("{} v{}: {} -> Archived", o.name, a, core::to_string(*stage)));
  }
  return 0;
}

std::string event_text(const core::RegistryEvent& e) {
  auto val = [](const std::optional<std::string>& s) { return s ? *s : std::string("-"); };
  std::string v = e.version ? fmt::format("v{}", *e.version) : "";
  if (e.action == "register") return fmt::format("{} from {} ({})", v, val(e.target), val(e.to));
  if (e.action == "alias")
    return e.from ? fmt::format("{}: v{} -> v{}", val(e.target), *e.from, val(e.to))
                  : fmt::format("{} -> v{}", val(e.target), val(e.to));
  if (e.action == "unalias") return fmt::format("{} (was v{})", val(e.target), val(e.from));
  if (e.action == "stage") return fmt::format("{}: {} -> {}", v, val(e.from), val(e.to));
  if (e.action == "tag") return fmt::format("{}{}{}={}", v, v.empty() ? "" : " ", val(e.target), val(e.to));
  if (e.action == "describe") return fmt::format("{}{}'{}'", v, v.empty() ? "" : " ", val(e.to));
  if (e.action == "rm") return v.empty() ? "the model" : v;
  return v;
}

int registry_history(Context& ctx, const RegistryOptions& o) {
  core::check_model_name(o.name);
  auto at = parse_at(o.at);
  core::Registry reg(ctx.db());
  auto events = reg.history(o.name);
  ctx.page();
  if (at) {
    auto st = reg.state_at(o.name, *at);
    if (ctx.global.json) {
      Json j;
      j["name"] = o.name;
      put_time(j, "at", *at);
      j["aliases"] = Json::object();
      for (auto& [a, v] : st.aliases) j["aliases"][a] = v;
      j["versions"] = Json::array();
      for (auto& [v, s] : st.versions) j["versions"].push_back({{"version", v}, {"stage", core::to_string(s)}});
      print_json(j);
      return 0;
    }
    std::printf("%s as of %s\n\n", o.name.c_str(), core::rfc3339_utc(*at).c_str());
    std::vector<std::vector<std::string>> rows;
    for (auto it = st.versions.rbegin(); it != st.versions.rend(); ++it) {
      std::vector<std::string> aliases;
      for (auto& [a, v] : st.aliases)
        if (v == it->first) aliases.push_back(a);
      rows.push_back({std::to_string(it->first), core::to_string(it->second),
                      aliases.empty() ? "-" : fmt::format("{}", fmt::join(aliases, ","))});
    }
    if (rows.empty()) ctx.note("no versions existed then");
    else print_table({"VERSION", "STAGE", "ALIASES"}, rows);
    return 0;
  }
  if (ctx.global.json) {
    Json j;
    j["name"] = o.name;
    j["events"] = Json::array();
    for (auto& e : events) {
      Json x;
      x["id"] = e.id;
      put_time(x, "time", e.time_ms);
      x["user"] = e.user;
      x["action"] = e.action;
      x["version"] = e.version ? Json(*e.version) : Json(nullptr);
      x["target"] = e.target ? Json(*e.target) : Json(nullptr);
      x["from"] = e.from ? Json(*e.from) : Json(nullptr);
      x["to"] = e.to ? Json(*e.to) : Json(nullptr);
      j["events"].push_back(std::move(x));
    }
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& e : events) rows.push_back({core::local_time(e.time_ms), e.user, e.action, event_text(e)});
  print_table({"TIME", "USER", "ACTION", "WHAT"}, rows);
  return 0;
}

int registry_tag(Context& ctx, const RegistryOptions& o) {
  auto [name, version] = name_and_version(o.ref);
  auto [k, v] = core::parse_kv(o.kv, "tag");
  core::Registry(ctx.db()).set_tag(name, version, k, v);
  if (ctx.global.json) {
    Json j;
    j["name"] = name;
    j["version"] = version ? Json(*version) : Json(nullptr);
    j["tags"] = {{k, v}};
    print_json(j);
  }
  return 0;
}

int registry_describe(Context& ctx, const RegistryOptions& o) {
  auto [name, version] = name_and_version(o.ref);
  core::Registry(ctx.db()).describe(name, version, o.text);
  if (ctx.global.json) {
    Json j;
    j["name"] = name;
    j["version"] = version ? Json(*version) : Json(nullptr);
    j["description"] = o.text;
    print_json(j);
  }
  return 0;
}

int registry_rm(Context& ctx, const RegistryOptions& o) {
  auto [name, version] = name_and_version(o.ref);
  core::Registry(ctx.db()).remove(name, version);
  if (ctx.global.json) {
    Json j;
    j["name"] = name;
    j["version"] = version ? Json(*version) : Json(nullptr);
    j["removed"] = true;
    print_json(j);
    return 0;
  }
  ctx.note(version ? fmt::format("removed {} version {} (history is kept)", name, *version)
                   : fmt::format("removed '{}' and its versions (history is kept)", name));
  return 0;
}

}  // namespace

void add_registry_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("registry", "Register, version and promote models, with the history of every change.");
  grp->require_subcommand(1);
  auto o = std::make_shared<RegistryOptions>();
  auto act = [&ctx, o](CLI::App* s, int (*fn)(Context&, const RegistryOptions&)) {
    s->callback([&ctx, o, fn] { ctx.select(Needs::project, [&ctx, o, fn] { return fn(ctx, *o); }); });
  };
  const char* git_help = "Mirror the change as an annotated git tag (also: registry.git_tags in config).";

  auto* c = grp->add_subcommand("create", "Create the registered model NAME (register creates it too).");
  c->add_option("name", o->name, "The model's name.")->required()->type_name("NAME");
  c->add_option("-d,--description", o->description, "What the model is for.")->type_name("TEXT");
  act(c, registry_create);

  auto* r = grp->add_subcommand("register", "Add a model package as the next version of NAME; prints the version number.");
  r->add_option("uri", o->uri, "runs:/RUN/PATH, models:/NAME/VERSION, or a model directory (imported first).")
      ->required()->type_name("URI");
  r->add_option("name", o->name, "The registered model (created when missing).")->required()->type_name("NAME");
  r->add_option("-d,--description", o->description, "What this version is.")->type_name("TEXT");
  r->add_option("-t,--tag", o->tags, "A tag of the version (repeatable).")->type_name("K=V");
  r->add_option("--run", o->run, "For a directory: the run to import it into (default $MLT_RUN_ID, else a new run).")
      ->type_name("RUN");
  r->add_option("-e,--experiment", o->experiment, "For a directory: the experiment of the new run.")->type_name("EXP");
  r->add_flag("--git-tag", o->git_tag, git_help);
  act(r, registry_register);

  auto* l = grp->add_subcommand("ls", "List registered models with their latest version, aliases and stages.");
  act(l, registry_ls);

  auto* s = grp->add_subcommand("show", "Show a model and its versions, or one version (NAME/VERSION, NAME@ALIAS, NAME/STAGE).");
  s->add_option("ref", o->ref, "NAME, NAME/VERSION, NAME@ALIAS, NAME/STAGE or NAME/latest.")->required()->type_name("REF");
  s->add_option("--at", o->at, "Resolve the reference as it was at TIME (epoch ms or RFC 3339).")->type_name("TIME");
  act(s, registry_show);

  auto* a = grp->add_subcommand("alias", "Point ALIAS of model NAME at VERSION (moving it if it points elsewhere).");
  a->add_option("name", o->name, "The registered model.")->required()->type_name("NAME");
  a->add_option("alias", o->alias, "The alias, e.g. champion or prod.")->required()->type_name("ALIAS");
  a->add_option("version", o->version, "The version number.")->required()->type_name("VERSION");
  a->add_flag("--git-tag", o->git_tag, git_help);
  act(a, registry_alias);

  auto* u = grp->add_subcommand("unalias", "Remove ALIAS from model NAME.");
  u->add_option("name", o->name, "The registered model.")->required()->type_name("NAME");
  u->add_option("alias", o->alias, "The alias to remove.")->required()->type_name("ALIAS");
  act(u, registry_unalias);

  auto* st = grp->add_subcommand("stage", "Move VERSION of NAME to STAGE (None, Staging, Production, Archived).");
  st->add_option("name", o->name, "The registered model.")->required()->type_name("NAME");
  st->add_option("version", o->version, "The version number.")->required()->type_name("VERSION");
  st->add_option("stage", o->stage, "None, Staging, Production or Archived (any case).")->required()->type_name("STAGE");
  st->add_flag("--archive-existing", o->archive_existing, "Move the versions now in STAGE to Archived.");
  st->add_flag("--git-tag", o->git_tag, git_help);
  act(st, registry_stage);

  auto* h = grp->add_subcommand("history", "List every change to model NAME, or its aliases and stages at a past time.");
  h->add_option("name", o->name, "The registered model.")->required()->type_name("NAME");
  h->add_option("--at", o->at, "Show the aliases and stages as they were at TIME.")->type_name("TIME");
  act(h, registry_history);

  auto* t = grp->add_subcommand("tag", "Set a tag on model NAME or on one version.");
  t->add_option("ref", o->ref, "NAME or NAME/VERSION.")->required()->type_name("NAME[/VERSION]");
  t->add_option("kv", o->kv, "The tag.")->required()->type_name("K=V");
  act(t, registry_tag);

  auto* d = grp->add_subcommand("describe", "Set the description of model NAME or of one version.");
  d->add_option("ref", o->ref, "NAME or NAME/VERSION.")->required()->type_name("NAME[/VERSION]");
  d->add_option("text", o->text, "The description.")->required()->type_name("TEXT");
  act(d, registry_describe);

  auto* rm = grp->add_subcommand("rm", "Remove model NAME or one version; its history is kept and numbers are not reused.");
  rm->add_option("ref", o->ref, "NAME or NAME/VERSION.")->required()->type_name("NAME[/VERSION]");
  act(rm, registry_rm);
}

}  // namespace mlt::cli
