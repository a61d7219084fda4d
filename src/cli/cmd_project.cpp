// mlt init, mlt status, mlt version

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/schema.hpp"
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

struct RecentRun {
  std::string uuid, name, experiment, status;
  std::int64_t start_ms;
  std::optional<std::int64_t> end_ms;
  bool stale = false;   // RUNNING, but its 'mlt run' process is gone
};

std::vector<RecentRun> query_runs(store::Db& db, const char* where, int limit) {
  store::Stmt q(db, fmt::format("SELECT r.uuid, r.name, e.name, r.status, r.start_ms, r.end_ms, r.id FROM runs r "
                                "JOIN experiments e ON e.id = r.experiment_id WHERE r.lifecycle = 'active' AND {} "
                                "ORDER BY r.start_ms DESC, r.id DESC LIMIT ?1",
                                where));
  q.bind(1, limit);
  std::vector<RecentRun> out;
  std::vector<std::int64_t> ids;
  while (q.step()) {
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4), q.opt_int64(5)});
    ids.push_back(q.int64(6));
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].stale = core::run_is_stale(db, ids[i]);
  return out;
}

int status(Context& ctx) {
  auto& db = ctx.db();
  std::map<std::string, std::int64_t> by_status;
  {
    store::Stmt q(db, "SELECT status, count(*) FROM runs WHERE lifecycle = 'active' GROUP BY status");
    while (q.step()) by_status[q.text(0)] = q.int64(1);
  }
  std::int64_t experiments = 0, deleted_runs = 0;
  {
    store::Stmt q(db, "SELECT (SELECT count(*) FROM experiments WHERE lifecycle = 'active'), "
                      "(SELECT count(*) FROM runs WHERE lifecycle = 'deleted')");
    q.step();
    experiments = q.int64(0);
    deleted_runs = q.int64(1);
  }
  // models, registry, data and deployments: one row of counts
  std::int64_t packages = 0, registered = 0, versions = 0, datasets = 0, data_versions = 0, envs = 0;
  {
    store::Stmt q(db, "SELECT (SELECT count(*) FROM models), "
                      "(SELECT count(*) FROM registered_models WHERE deleted_ms IS NULL), "
                      "(SELECT count(*) FROM model_versions WHERE deleted_ms IS NULL), "
                      "(SELECT count(*) FROM datasets), (SELECT count(*) FROM data_versions), "
                      "(SELECT count(DISTINCT env) FROM deployments)");
    q.step();
    packages = q.int64(0);
    registered = q.int64(1);
    versions = q.int64(2);
    datasets = q.int64(3);
    data_versions = q.int64(4);
    envs = q.int64(5);
  }
  auto running = query_runs(db, "r.status = 'RUNNING'", 20);
  auto recent = query_runs(db, "1", 5);
  auto now = core::now_ms();

  if (ctx.global.json) {
    Json j;
    j["project"] = ctx.project().root().string();
    j["schema_version"] = store::schema_version(db);
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
    auto list = [](const std::vector<RecentRun>& v) {
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
