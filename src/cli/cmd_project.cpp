// mlt init, mlt status, mlt version

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/schema.hpp"
#include "core/status.hpp"
#include "core/tracking/runs.hpp"
#include "store/db.hpp"
#include "store/failpoint.hpp"
#include "store/migrations.hpp"

namespace mlt::cli {
namespace {

struct InitOptions {
  std::string dir = ".";
};

int init(Context& ctx, const InitOptions& o) {
  auto r = core::Project::init(o.dir);
  if (ctx.global.json) {
    Json j;
    j["path"] = r.mlt_dir.string();
    j["created"] = r.created;
    j["gitignore_added"] = r.gitignore_added;
    print_json(j);
  } else if (r.created) {
    ctx.note(fmt::format("initialized an empty mlt project in '{}'", r.mlt_dir.string()));
  } else if (r.gitignore_added) {
    ctx.note(fmt::format("'{}' is already an mlt project; added .mlt/.gitignore so that git ignores it",
                         r.mlt_dir.string()));
  } else {
    ctx.note(fmt::format("'{}' is already an mlt project; nothing changed", r.mlt_dir.string()));
  }
  return 0;
}

int status(Context& ctx) {
  auto st = core::project_status(ctx.db());
  auto& by_status = st.runs_by_status;
  const std::int64_t experiments = st.experiments, deleted_runs = st.deleted_runs, packages = st.model_packages,
                     registered = st.registered_models, versions = st.model_versions, datasets = st.datasets,
                     data_versions = st.data_versions, envs = st.environments;
  const auto& running = st.running;
  const auto& recent = st.recent;
  auto now = core::now_ms();

  if (ctx.global.json) {
    Json j;
    j["project"] = ctx.project().root().string();
    j["schema_version"] = st.schema_version;
    j["experiments"] = experiments;
    Json counts = Json::object();
    for (const char* s : {"RUNNING", "FINISHED", "FAILED", "KILLED"}) counts[s] = by_status[s];
    j["runs"] = counts;
    j["deleted_runs"] = deleted_runs;
    j["model_packages"] = packages;
    j["registered_models"] = registered;
    j["model_versions"] = versions;
    j["datasets"] = datasets;
    j["data_versions"] = data_versions;
    j["environments"] = envs;
    auto list = [](const std::vector<core::StatusRun>& v) {
      Json a = Json::array();
      for (auto& r : v) {
        Json x;
        x["id"] = r.uuid;
        x["name"] = r.name;
        x["experiment"] = r.experiment;
        x["status"] = r.status;
        x["stale"] = r.stale;
        put_time(x, "start_time", r.start_ms);
        put_time(x, "end_time", r.end_ms);
        a.push_back(std::move(x));
      }
      return a;
    };
    j["running"] = list(running);
    j["recent"] = list(recent);
    print_json(j);
    return 0;
  }
  std::string out = fmt::format("project  {}\n", ctx.project().root().string());
  out += fmt::format("runs     {} finished, {} failed, {} killed, {} running in {} experiment{}\n",
                     by_status["FINISHED"], by_status["FAILED"], by_status["KILLED"], by_status["RUNNING"], experiments,
                     experiments == 1 ? "" : "s");
  out += fmt::format("models   {} package{}; {} registered, {} version{}\n", packages, packages == 1 ? "" : "s",
                     registered, versions, versions == 1 ? "" : "s");
  out += fmt::format("data     {} dataset{}, {} version{}\n", datasets, datasets == 1 ? "" : "s", data_versions,
                     data_versions == 1 ? "" : "s");
  if (envs > 0) out += fmt::format("deploy   {} environment{} (see 'mlt deploy ls')\n", envs, envs == 1 ? "" : "s");
  if (!running.empty()) {
    out += "\nrunning:\n";
    for (auto& r : running)
      out += fmt::format("  {}  {}  {}  started {} ago{}\n", short_id(r.uuid), r.name, r.experiment,
                         core::human_duration(now - r.start_ms),
                         r.stale ? "  (stale: its 'mlt run' is gone; see 'mlt run end --help')" : "");
  }
  if (!recent.empty()) {
    out += "\nrecent:\n";
    for (auto& r : recent)
      out += fmt::format("  {}  {:<9} {}  {}  {}\n", short_id(r.uuid), r.stale ? "STALE" : r.status, r.name, r.experiment,
                         core::local_time(r.start_ms));
  } else {
    out += "\nno runs yet: try 'mlt run -- python train.py'\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

int version(Context& ctx) {
  if (ctx.global.json) {
    Json j;
    j["version"] = MLT_VERSION;
    j["schema_version"] = static_cast<int>(core::schema_migrations().size());
    j["sqlite"] = store::sqlite_version();
    j["failpoints"] = Json::array();  // the test build's crash points (store/failpoint.hpp)
    if (store::failpoint::built_in())
      for (auto name : store::failpoint::names()) j["failpoints"].push_back(name);
    print_json(j);
  } else {
    std::printf("mlt %s (schema %zu, SQLite %s)\n", MLT_VERSION, core::schema_migrations().size(),
                store::sqlite_version().c_str());
  }
  return 0;
}

}  // namespace

void add_project_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<InitOptions>();
  auto* i = root.add_subcommand("init", "Create a .mlt folder in DIR (default: here); an existing project is left intact.");
  i->add_option("dir", o->dir, "The project folder; created if missing.")->type_name("DIR");
  i->callback([&ctx, o] { ctx.select(Needs::nothing, [&ctx, o] { return init(ctx, *o); }); });

  auto* s = root.add_subcommand("status", "Summarize the project: runs by status, models, registry, data and deployments, running and recent runs.");
  s->callback([&ctx] { ctx.select(Needs::project, [&ctx] { return status(ctx); }); });

  auto* v = root.add_subcommand("version", "Print the version of mlt, its database schema and SQLite.");
  v->callback([&ctx] { ctx.select(Needs::nothing, [&ctx] { return version(ctx); }); });
}

}  // namespace mlt::cli
