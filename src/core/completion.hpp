// What shell completion offers from the database: the names of runs, experiments, keys, models,
// datasets and deployments that start with the word being typed. `mlt __complete` (cli/complete)
// decides which of these an argument takes; the queries live here, beside the schema they read.
// Each function returns at most `limit` suggestions; the prefix range is searched through the
// indexes (col >= PREFIX AND col < the next prefix), so a TAB stays fast on 100,000 runs.
#pragma once
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mlt::core::completion {

struct Suggestion {
  std::string value;
  std::string description;   // empty when there is none
};
using Suggestions = std::vector<Suggestion>;

enum class Lifecycle { active, deleted };

// The newest runs (an empty word): name, then "ID8  EXPERIMENT  STATUS".
Suggestions recent_runs(store::Db& db, Lifecycle lc, int limit);
// Runs by name, then by id (uuid), each with the other and its experiment and status.
Suggestions run_names(store::Db& db, const std::string& prefix, Lifecycle lc, int limit);
Suggestions run_ids(store::Db& db, const std::string& prefix, Lifecycle lc, int limit);
Suggestions experiments(store::Db& db, const std::string& prefix, Lifecycle lc, int limit);

// The keys ever logged. Metric keys have a table of their own; param and tag keys are walked
// distinct over their (key, ...) index, one seek per key.
Suggestions metric_keys(store::Db& db, const std::string& prefix, int limit);
enum class KeyTable { params, tags };
Suggestions keys(store::Db& db, KeyTable table, const std::string& prefix, int limit);

// Registered models (not deleted), their live versions (newest first, with the stage) and aliases.
Suggestions model_names(store::Db& db, const std::string& prefix, int limit);
Suggestions model_versions(store::Db& db, const std::string& model, const std::string& prefix, int limit);
Suggestions model_aliases(store::Db& db, const std::string& model, const std::string& prefix, int limit);
// Models saved in active runs as RUN_ID/PATH (what follows runs:/), newest first, with flavors.
Suggestions saved_models(store::Db& db, const std::string& prefix, int limit);

Suggestions datasets(store::Db& db, const std::string& prefix, int limit);
// vN of a dataset, newest first: "F files, B bytes[: MESSAGE]".
Suggestions data_versions(store::Db& db, const std::string& dataset, const std::string& prefix, int limit);

// Deployment environments (with the target and model of their latest revision) and the
// revisions of one environment, newest first.
Suggestions environments(store::Db& db, const std::string& prefix, int limit);
Suggestions deploy_revisions(store::Db& db, const std::string& env, const std::string& prefix, int limit);

}  // namespace mlt::core::completion
