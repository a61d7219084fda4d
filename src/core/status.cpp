#include "core/status.hpp"

#include <fmt/format.h>

#include "core/tracking/runs.hpp"
#include "store/migrations.hpp"

namespace mlt::core {
namespace {

// Active runs matching `where` (SQL over runs r), newest first.
std::vector<StatusRun> runs_where(store::Db& db, const char* where, int limit) {
  store::Stmt q(db, fmt::format("SELECT r.uuid, r.name, e.name, r.status, r.start_ms, r.end_ms, r.id FROM runs r "
                                "JOIN experiments e ON e.id = r.experiment_id WHERE r.lifecycle = 'active' AND {} "
                                "ORDER BY r.start_ms DESC, r.id DESC LIMIT ?1",
                                where));
  q.bind(1, limit);
  std::vector<StatusRun> out;
  std::vector<std::int64_t> ids;
  while (q.step()) {
    out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4), q.opt_int64(5)});
    ids.push_back(q.int64(6));
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].stale = run_is_stale(db, ids[i]);
  return out;
}

}  // namespace

ProjectStatus project_status(store::Db& db) {
  ProjectStatus s;
  s.schema_version = store::schema_version(db);
  {
    store::Stmt q(db, "SELECT status, count(*) FROM runs WHERE lifecycle = 'active' GROUP BY status");
    while (q.step()) s.runs_by_status[q.text(0)] = q.int64(1);
  }
  {
    store::Stmt q(db, "SELECT (SELECT count(*) FROM experiments WHERE lifecycle = 'active'), "
                      "(SELECT count(*) FROM runs WHERE lifecycle = 'deleted'), "
                      "(SELECT count(*) FROM models), "
                      "(SELECT count(*) FROM registered_models WHERE deleted_ms IS NULL), "
                      "(SELECT count(*) FROM model_versions WHERE deleted_ms IS NULL), "
                      "(SELECT count(*) FROM datasets), (SELECT count(*) FROM data_versions), "
                      "(SELECT count(DISTINCT env) FROM deployments)");
    q.step();
    s.experiments = q.int64(0);
    s.deleted_runs = q.int64(1);
    s.model_packages = q.int64(2);
    s.registered_models = q.int64(3);
    s.model_versions = q.int64(4);
    s.datasets = q.int64(5);
    s.data_versions = q.int64(6);
    s.environments = q.int64(7);
  }
  s.running = runs_where(db, "r.status = 'RUNNING'", 20);
  s.recent = runs_where(db, "1", 5);
  return s;
}

}  // namespace mlt::core
