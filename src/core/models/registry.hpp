// The model registry: named models with numbered versions (each a stored model package pinned by
// its tree digest), aliases (MLflow's rules), stages (None, Staging, Production, Archived), tags
// and descriptions. Every change is an append-only event; any past state is rebuilt from them.
// Writes run in BEGIN IMMEDIATE transactions, so concurrent registrations get consecutive
// versions and concurrent promotions are serialized, each recorded.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/project.hpp"
#include "core/tracking/runs.hpp"
#include "store/db.hpp"
#include "store/hash.hpp"

namespace mlt::core {

enum class Stage { none, staging, production, archived };
const char* to_string(Stage s);                        // None, Staging, Production, Archived
std::optional<Stage> parse_stage(std::string_view s);  // case-insensitive

void check_model_name(const std::string& name);   // exit 2 with the rule
void check_alias(const std::string& alias);       // exit 2: bad characters, 'latest', 'vN'

struct ModelVersion {
  std::string model;
  std::int64_t version = 0;
  std::string run_uuid, run_name, path;
  store::Digest tree;
  std::string description, user;
  Stage stage = Stage::none;
  std::int64_t created_ms = 0;
  std::map<std::string, std::string> tags;
  std::vector<std::string> aliases;
  std::optional<std::string> git_commit;   // the source run's mlt.git.commit tag
  std::string source() const { return "runs:/" + run_uuid + "/" + path; }
  std::string uri() const { return "models:/" + model + "/" + std::to_string(version); }
};

struct RegisteredModel {
  std::string name, description;
  std::int64_t created_ms = 0, updated_ms = 0;
  std::map<std::string, std::string> tags;
  std::vector<ModelVersion> versions;                 // ascending; removed ones left out
  std::vector<std::pair<std::string, std::int64_t>> aliases;   // alias -> version, by alias
};

struct RegistryEvent {
  std::int64_t id = 0;
  std::optional<std::int64_t> version;
  std::int64_t time_ms = 0;
  std::string user, action;
  std::optional<std::string> target, from, to;
};

// A version reference as users write it, with or without "models:/":
// NAME, NAME/VERSION, NAME@ALIAS, NAME/STAGE, NAME/latest (also NAME@latest and NAME@vN).
struct VersionRef {
  enum class Kind { model, version, alias, stage, latest } kind = Kind::model;
  std::string name;
  std::int64_t version = 0;
  std::string alias;
  Stage stage = Stage::none;
  std::string text;     // as given
};
VersionRef parse_version_ref(std::string_view text);   // exit 2 when malformed

class Registry {
 public:
  explicit Registry(store::Db& db, std::string user = {});

  // exit 5 when NAME exists (a removed model is restored instead, its history kept)
  void create(const std::string& name, const std::string& description);
  struct Registered {
    ModelVersion version;
    bool created_model = false;
    std::optional<std::int64_t> same_as;   // the newest other version with the same package digest
  };
  // Adds the next version of NAME (created when missing) for a package of `run` at `path`, also
  // when an earlier version holds the same package (`same_as` then names it).
  Registered register_version(const std::string& name, const RunRef& run, const std::string& path,
                              const store::Digest& tree, const std::string& description,
                              const std::vector<std::pair<std::string, std::string>>& tags);

  std::vector<RegisteredModel> list();
  RegisteredModel load(const std::string& name);   // exit 4
  // The version a reference names, now or as it was at `at` (epoch ms): then with its stage and
  // aliases of that time, found even if it (or the model) was removed since. Exit 4 when none.
  ModelVersion resolve(const VersionRef& ref, std::optional<std::int64_t> at = std::nullopt);
  ModelVersion version(const std::string& name, std::int64_t version);   // exit 4

  struct Change {
    std::optional<std::int64_t> from;   // the version an alias pointed at before
    std::vector<std::int64_t> archived; // versions moved to Archived by --archive-existing
    Stage from_stage = Stage::none;
    std::int64_t assignment = 0;        // this assignment's number (for git tag names), counted
                                        // inside the change's transaction
  };
  Change set_alias(const std::string& name, const std::string& alias, std::int64_t version);
  Change remove_alias(const std::string& name, const std::string& alias);   // exit 4 when unset
  Change set_stage(const std::string& name, std::int64_t version, Stage stage, bool archive_existing);
  void set_tag(const std::string& name, std::optional<std::int64_t> version, const std::string& key,
               const std::string& value);
  void describe(const std::string& name, std::optional<std::int64_t> version, const std::string& text);
  // Marks a version (or the model and all its versions) removed; aliases on it are dropped.
  void remove(const std::string& name, std::optional<std::int64_t> version);

  std::vector<RegistryEvent> history(const std::string& name);
  struct State {
    std::vector<std::pair<std::string, std::int64_t>> aliases;   // by alias
    std::vector<std::pair<std::int64_t, Stage>> versions;        // every version that existed
  };
  State state_at(const std::string& name, std::int64_t at);
  // How many times `target` (an alias or stage name) has been assigned for NAME, this one included.
  std::int64_t assignments(const std::string& name, const std::string& target);

 private:
  struct ModelRow {
    std::int64_t id;
    bool deleted;
  };
  std::optional<ModelRow> find(const std::string& name);
  std::int64_t require(const std::string& name);   // id of a live model, exit 4
  std::int64_t version_id(std::int64_t model_id, const std::string& name, std::int64_t version);   // exit 4
  void event(std::int64_t model_id, std::optional<std::int64_t> version, const std::string& action,
             const std::optional<std::string>& target, const std::optional<std::string>& from,
             const std::optional<std::string>& to);
  ModelVersion load_version(std::int64_t model_id, const std::string& name, std::int64_t version,
                            bool include_removed = false);
  store::Db& db_;
  std::string user_;
};

struct HookResult {
  bool ran = false;
  int exit_code = 0;
};
// Runs .mlt/hooks/NAME when it exists and is executable, with `env` added; its output goes to
// stderr. A hook that exists but is not executable is skipped with `warn`.
HookResult run_hook(const Project& p, const std::string& name, const std::vector<std::pair<std::string, std::string>>& env,
                    const std::function<void(const std::string&)>& warn);

}  // namespace mlt::core
