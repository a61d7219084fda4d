// Experiments: named groups of runs. 'Default' (id 1) exists from init and cannot be removed.
// Removal marks an experiment deleted; its name stays reserved until it is restored.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mlt::core {

struct Experiment {
  std::int64_t id = 0;
  std::string name, description;
  bool deleted = false;
  std::int64_t created_ms = 0, updated_ms = 0;
  std::map<std::string, std::string> tags;
  std::int64_t run_count = 0;   // active runs
};

enum class Lifecycle { active, deleted, all };

void check_experiment_name(const std::string& name);
std::int64_t create_experiment(store::Db& db, const std::string& name, const std::string& description,
                               const std::vector<std::pair<std::string, std::string>>& tags);
std::optional<Experiment> find_experiment(store::Db& db, const std::string& name);
Experiment get_experiment(store::Db& db, const std::string& name);   // exit 4 when missing
std::vector<Experiment> list_experiments(store::Db& db, Lifecycle which);
void rename_experiment(store::Db& db, const std::string& name, const std::string& new_name);
// Returns false when it was already in that state.
bool set_experiment_deleted(store::Db& db, const std::string& name, bool deleted);

// The experiment a new run goes to: `name` if given, else the core.experiment setting
// ($MLT_EXPERIMENT), else Default.
// A name that does not exist yet is created (`created` tells the caller, to say so).
std::int64_t experiment_for_new_run(store::Db& db, const std::string& name, bool& created);

}  // namespace mlt::core
