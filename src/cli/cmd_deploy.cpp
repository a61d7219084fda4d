// mlt deploy render|create|ls|history|rollback|diff: manifests pinned to a model's digest
#include <cstdio>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/models/deploy.hpp"

namespace mlt::cli {
namespace {

struct DeployOptions {
  std::string uri, target, out, env, env_b;
  std::vector<std::string> settings;
  std::optional<std::int64_t> to;
  bool force = false;
};

std::vector<std::pair<std::string, std::string>> settings_of(const DeployOptions& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& s : o.settings) out.push_back(core::parse_kv(s, "setting"));
  return out;
}

Json deployment_json(const core::Deployment& d) {
  Json j;
  j["env"] = d.env;
  j["revision"] = d.revision;
  j["model"] = d.model.uri;
  j["name"] = d.model.name;
  j["version"] = d.model.version ? Json(*d.model.version) : Json(nullptr);
  j["digest"] = d.model.tree.str();
  j["source"] = "runs:/" + d.model.run_uuid + "/" + d.model.path;
  j["target"] = d.target;
  j["settings"] = Json::object();
  for (auto& [k, v] : d.settings) j["settings"][k] = v;
  j["manifests"] = d.manifests.str();
  j["user"] = d.user;
  j["action"] = d.action;
  j["rolled_back_to"] = d.rolled_back_to ? Json(*d.rolled_back_to) : Json(nullptr);
  put_time(j, "created", d.created_ms);
  return j;
}

std::string version_text(const core::DeployModel& m) {
  return m.version ? fmt::format("{} v{}", m.name, *m.version) : m.uri;
}

void print_files(const core::Rendered& r) {
  bool first = true;
  for (auto& f : r.files) {
    if (f.path.starts_with("model/")) continue;   // the package itself: only with -o
    std::printf("%s# %s\n%s", first ? "" : "---\n", f.path.c_str(), f.content.c_str());
    first = false;
  }
}

// '-o -' is standard output where one stream is written (render), never a directory.
void check_output(const DeployOptions& o, bool stdout_allowed) {
  if (o.out != "-") return;
  if (!stdout_allowed)
    throw Error(ExitCode::usage, "'-o -' (standard output) cannot hold a directory of manifests",
                "give a directory with -o DIR; 'mlt deploy render' prints manifests without -o");
  if (o.target == "docker")
    throw Error(ExitCode::usage, "the docker target writes a build context (Dockerfile and the model), not a stream",
                "pass -o DIR, then: docker build DIR");
}

int deploy_render(Context& ctx, const DeployOptions& o) {
  check_output(o, true);
  auto r = core::render_deploy(ctx.project(), o.uri, o.target, settings_of(o));
  if (o.out.empty() || o.out == "-") {
    if (o.target == "docker")
      throw Error(ExitCode::usage, "the docker target writes a build context (Dockerfile and the model)",
                  "pass -o DIR, then: docker build DIR");
    if (ctx.global.json) {
      Json j;
      j["model"] = r.model.uri;
      j["digest"] = r.model.tree.str();
      j["target"] = r.target;
      j["files"] = Json::array();
      for (auto& f : r.files) j["files"].push_back({{"path", f.path}, {"content", f.content}});
      print_json(j);
      return 0;
    }
    print_files(r);
    return 0;
  }
  core::write_rendered(r, o.out, o.force);
  if (ctx.global.json) {
    Json j;
    j["model"] = r.model.uri;
    j["digest"] = r.model.tree.str();
    j["target"] = r.target;
    j["directory"] = o.out;
    j["files"] = Json::array();
    for (auto& f : r.files) j["files"].push_back(f.path);
    print_json(j);
  } else {
    ctx.note(fmt::format("wrote {} file{} for {} ({}) to '{}'", r.files.size(), r.files.size() == 1 ? "" : "s",
                         r.model.uri, r.target, o.out));
  }
  return 0;
}

void finish_create(Context& ctx, const DeployOptions& o, const core::Rendered& r, const core::Deployment& d) {
  if (!o.out.empty()) core::write_rendered(r, o.out, o.force);
  if (ctx.global.json) {
    print_json(deployment_json(d));
  } else {
    ctx.note(fmt::format("{} revision {}: {} ({}, {}){}", d.env, d.revision, version_text(d.model), d.target,
                         d.model.tree.str().substr(0, 19), o.out.empty() ? "" : " written to '" + o.out + "'"));
    std::printf("%lld\n", static_cast<long long>(d.revision));
  }
}

int deploy_create(Context& ctx, const DeployOptions& o) {
  core::check_env_name(o.env);
  check_output(o, false);
  auto r = core::render_deploy(ctx.project(), o.uri, o.target, settings_of(o));
  if (!o.out.empty()) core::check_rendered(r, o.out, o.force);   // a conflict records nothing
  auto d = core::record_deployment(ctx.project(), o.env, r, "create", std::nullopt);
  finish_create(ctx, o, r, d);
  return 0;
}

int deploy_rollback(Context& ctx, const DeployOptions& o) {
  check_output(o, false);
  auto history = core::deployment_history(ctx.db(), o.env);
  std::optional<core::Deployment> to;
  if (o.to) {
    to = core::deployment_revision(ctx.db(), o.env, o.to);
    if (*o.to == history.front().revision)
      throw Error(ExitCode::usage, fmt::format("revision {} is the current one of '{}'", *o.to, o.env),
                  fmt::format("see 'mlt deploy history {}'", o.env));
  } else {
    // the newest earlier revision that deployed something else than the current one
    for (std::size_t i = 1; i < history.size() && !to; ++i)
      if (history[i].model.tree != history.front().model.tree || history[i].target != history.front().target ||
          history[i].settings != history.front().settings)
        to = history[i];
    if (!to)
      throw Error(ExitCode::not_found, fmt::format("'{}' has no earlier revision to roll back to", o.env),
                  fmt::format("see 'mlt deploy history {}'", o.env));
  }
  std::vector<std::pair<std::string, std::string>> settings(to->settings.begin(), to->settings.end());
  auto r = core::render_deploy(ctx.project(), to->model.uri, to->target, settings);
  if (r.model.tree != to->model.tree)
    throw Error(ExitCode::integrity,
                fmt::format("{} now names {}, not the {} that revision {} deployed", to->model.uri, r.model.tree.str(),
                            to->model.tree.str(), to->revision),
                "the registry entry changed; deploy the wanted version explicitly with 'mlt deploy create'");
  if (!o.out.empty()) core::check_rendered(r, o.out, o.force);
  auto d = core::record_deployment(ctx.project(), o.env, r, "rollback", to->revision);
  finish_create(ctx, o, r, d);
  return 0;
}

int deploy_ls(Context& ctx, const DeployOptions&) {
  auto all = core::current_deployments(ctx.db());
  if (ctx.global.json) {
    Json j;
    j["environments"] = Json::array();
    for (auto& d : all) j["environments"].push_back(deployment_json(d));
    print_json(j);
    return 0;
  }
  if (all.empty()) {
    ctx.note("no deployments yet (record one with 'mlt deploy create ENV URI --target T')");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& d : all)
    rows.push_back({d.env, std::to_string(d.revision), version_text(d.model), d.model.tree.hex().substr(0, 12), d.target,
                    core::local_time(d.created_ms), d.user});
  print_table({"ENV", "REVISION", "MODEL", "DIGEST", "TARGET", "DEPLOYED", "USER"}, rows);
  return 0;
}

int deploy_history(Context& ctx, const DeployOptions& o) {
  auto all = core::deployment_history(ctx.db(), o.env);
  ctx.page();
  if (ctx.global.json) {
    Json j;
    j["env"] = o.env;
    j["revisions"] = Json::array();
    for (auto& d : all) j["revisions"].push_back(deployment_json(d));
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& d : all)
    rows.push_back({std::to_string(d.revision), version_text(d.model), d.model.tree.hex().substr(0, 12), d.target,
                    d.action == "rollback" ? fmt::format("rollback to {}", *d.rolled_back_to) : d.action,
                    core::local_time(d.created_ms), d.user});
  print_table({"REVISION", "MODEL", "DIGEST", "TARGET", "ACTION", "DEPLOYED", "USER"}, rows);
  return 0;
}

// Lines only in `a` (-) and only in `b` (+), in order: enough to see what a manifest changed.
std::vector<std::string> line_diff(const std::string& a, const std::string& b) {
  auto lines = [](const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) v.push_back(l);
    return v;
  };
  auto x = lines(a), y = lines(b);
  std::multiset<std::string> sx(x.begin(), x.end()), sy(y.begin(), y.end());
  std::vector<std::string> out;
  for (auto& l : x)
    if (auto it = sy.find(l); it != sy.end()) sy.erase(it);
    else out.push_back("- " + l);
  for (auto& l : y)
    if (auto it = sx.find(l); it != sx.end()) sx.erase(it);
    else out.push_back("+ " + l);
  return out;
}

int deploy_diff(Context& ctx, const DeployOptions& o) {
  auto a = core::deployment_revision(ctx.db(), o.env, std::nullopt);
  auto b = core::deployment_revision(ctx.db(), o.env_b, std::nullopt);
  std::vector<std::tuple<std::string, std::string, std::string>> fields;
  auto field = [&](const std::string& k, const std::string& x, const std::string& y) {
    if (x != y) fields.emplace_back(k, x, y);
  };
  field("model", a.model.name, b.model.name);
  field("version", a.model.version ? std::to_string(*a.model.version) : "-",
        b.model.version ? std::to_string(*b.model.version) : "-");
  field("digest", a.model.tree.str(), b.model.tree.str());
  field("source", "runs:/" + a.model.run_uuid + "/" + a.model.path, "runs:/" + b.model.run_uuid + "/" + b.model.path);
  field("target", a.target, b.target);
  std::set<std::string> keys;
  for (auto& [k, v] : a.settings) keys.insert(k);
  for (auto& [k, v] : b.settings) keys.insert(k);
  for (auto& k : keys) {
    auto x = a.settings.count(k) ? a.settings.at(k) : "-";
    auto y = b.settings.count(k) ? b.settings.at(k) : "-";
    field("set " + k, x, y);
  }
  auto fa = core::manifest_files(ctx.project(), a), fb = core::manifest_files(ctx.project(), b);
  std::set<std::string> paths;
  for (auto& [p, c] : fa) paths.insert(p);
  for (auto& [p, c] : fb) paths.insert(p);
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  for (auto& p : paths) {
    if (p.starts_with("model/")) continue;   // the package: its digest says it all
    auto x = fa.count(p) ? fa.at(p) : "", y = fb.count(p) ? fb.at(p) : "";
    if (x != y) files.emplace_back(p, line_diff(x, y));
  }
  bool same = fields.empty() && files.empty();
  if (ctx.global.json) {
    Json j;
    j["a"] = deployment_json(a);
    j["b"] = deployment_json(b);
    j["same"] = same;
    j["fields"] = Json::array();
    for (auto& [k, x, y] : fields) j["fields"].push_back({{"field", k}, {"a", x}, {"b", y}});
    j["manifests"] = Json::array();
    for (auto& [p, lines] : files) j["manifests"].push_back({{"file", p}, {"lines", lines}});
    print_json(j);
    return same ? 0 : 1;
  }
  std::printf("%s revision %lld vs %s revision %lld\n", a.env.c_str(), static_cast<long long>(a.revision), b.env.c_str(),
              static_cast<long long>(b.revision));
  if (same) {
    std::printf("the same model, target, settings and manifests\n");
    return 0;
  }
  for (auto& [k, x, y] : fields) std::printf("%-10s %s -> %s\n", (k + ":").c_str(), x.c_str(), y.c_str());
  for (auto& [p, lines] : files) {
    std::printf("\n%s:\n", p.c_str());
    for (auto& l : lines) std::printf("  %s\n", l.c_str());
  }
  return 1;
}

}  // namespace

void add_deploy_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("deploy", "Render serving manifests pinned to a model's digest; record, compare and roll back deployments.");
  grp->require_subcommand(1);
  auto o = std::make_shared<DeployOptions>();
  auto act = [&ctx, o](CLI::App* s, int (*fn)(Context&, const DeployOptions&)) {
    s->callback([&ctx, o, fn] { ctx.select(Needs::project, [&ctx, o, fn] { return fn(ctx, *o); }); });
  };
  const char* uri_help = "models:/NAME/VERSION|@ALIAS|/STAGE|/latest, or runs:/RUN/PATH.";
  const char* set_help = "A setting: replicas, image, port, namespace, storage, cpu, memory, cpu_limit, memory_limit, "
                         "autoscale, max_replicas, target_cpu, name, server (repeatable).";
  auto common = [&](CLI::App* s) {
    s->add_option("--target", o->target, "docker, kubernetes, kserve, seldon or compose.")->required()->type_name("TARGET");
    s->add_option("--set", o->settings, set_help)->type_name("K=V");
    s->add_option("-o,--output", o->out, "Write the files to DIR (render: default, or '-', standard output).")->type_name("DIR");
    s->add_flag("--force", o->force, "Replace files in DIR that differ.");
    ctx.deprecate(s->add_flag("-f", o->force)->group(""), "--force");
  };

  auto* r = grp->add_subcommand("render", "Render manifests for a model (verified first) without recording anything.");
  r->add_option("uri", o->uri, uri_help)->required()->type_name("URI");
  common(r);
  act(r, deploy_render);

  auto* c = grp->add_subcommand("create", "Render manifests and record them as the next revision of environment ENV; prints it.");
  c->add_option("env", o->env, "The environment, e.g. staging or prod.")->required()->type_name("ENV");
  c->add_option("uri", o->uri, uri_help)->required()->type_name("URI");
  common(c);
  act(c, deploy_create);

  auto* l = grp->add_subcommand("ls", "List environments with the model each runs now.");
  act(l, deploy_ls);

  auto* h = grp->add_subcommand("history", "List the revisions of environment ENV, newest first.");
  h->add_option("env", o->env, "The environment.")->required()->type_name("ENV");
  act(h, deploy_history);

  auto* rb = grp->add_subcommand("rollback", "Re-render an earlier revision's model and record it as a new revision.");
  rb->add_option("env", o->env, "The environment.")->required()->type_name("ENV");
  rb->add_option("--to", o->to, "The revision to go back to (default: the last one that deployed something else).")
      ->type_name("REVISION");
  rb->add_option("-o,--output", o->out, "Write the files to DIR.")->type_name("DIR");
  rb->add_flag("--force", o->force, "Replace files in DIR that differ.");
  ctx.deprecate(rb->add_flag("-f", o->force)->group(""), "--force");
  act(rb, deploy_rollback);

  auto* d = grp->add_subcommand("diff", "Compare what two environments run: model, version, digest, settings, manifests.");
  d->add_option("env_a", o->env, "An environment.")->required()->type_name("ENV_A");
  d->add_option("env_b", o->env_b, "Another environment.")->required()->type_name("ENV_B");
  act(d, deploy_diff);
}

}  // namespace mlt::cli
