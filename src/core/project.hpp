// A project: the folder holding .mlt/ (database, objects/, tmp/, config.yaml). Found like git
// finds .git: $MLT_DIR if set, else .mlt/ in the directory or its nearest parent.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>

#include "core/config.hpp"
#include "store/db.hpp"
#include "store/object_store.hpp"

namespace mlt::core {

namespace fs = std::filesystem;

struct InitResult {
  fs::path mlt_dir;
  bool created = false;  // false: a project was already there and was left unchanged
  bool gitignore_added = false;  // .mlt/.gitignore was missing and was written
};

// How long writers wait for the database lock of the project in `dir` (its .mlt folder): the
// core.lock_timeout setting (MLT_LOCK_TIMEOUT), 60 s by default.
int lock_timeout_ms(const fs::path& dir);
int lock_timeout_ms(const Config& config);

class Project {
 public:
  // The .mlt folder that applies to `start`, or nullopt.
  static std::optional<fs::path> find(const fs::path& start);
  // Opens the project found from `start`; exit 3 with a hint when there is none.
  static Project open(const fs::path& start);
  // Opens it for reading only: no migration, no write, exit 6 unless the schema is this binary's
  // (for shell completion, which must never change a project).
  static Project open_read_only(const fs::path& start);
  static InitResult init(const fs::path& dir);

  const fs::path& root() const { return root_; }     // the folder that holds .mlt/
  const fs::path& dir() const { return dir_; }       // .mlt/ itself
  store::Db& db() { return *db_; }
  store::ObjectStore& objects() { return objects_; }
  // The settings that apply to this project, read once (when it was opened, or on first use).
  const Config& config() const;
  // Another connection to the same database (for a second thread).
  std::unique_ptr<store::Db> connect() const;

 private:
  Project(fs::path dir, std::unique_ptr<store::Db> db);
  fs::path root_, dir_;
  std::unique_ptr<store::Db> db_;
  store::ObjectStore objects_;
  mutable std::optional<Config> config_;
};

}  // namespace mlt::core
