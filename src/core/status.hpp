// `mlt status`: what a project holds, counted, and its running and most recent runs.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mlt::core {

struct StatusRun {
  std::string uuid, name, experiment, status;
  std::int64_t start_ms = 0;
  std::optional<std::int64_t> end_ms;
  bool stale = false;   // RUNNING, but its 'mlt run' process is gone
};

struct ProjectStatus {
  int schema_version = 0;
  std::map<std::string, std::int64_t> runs_by_status;   // active runs: RUNNING, FINISHED, ...
  std::int64_t experiments = 0, deleted_runs = 0;
  std::int64_t model_packages = 0, registered_models = 0, model_versions = 0;
  std::int64_t datasets = 0, data_versions = 0, environments = 0;
  std::vector<StatusRun> running;   // newest first, at most 20
  std::vector<StatusRun> recent;    // the 5 newest active runs
};

ProjectStatus project_status(store::Db& db);

}  // namespace mlt::core
