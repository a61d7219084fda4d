#include "core/project.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/schema.hpp"
#include "store/migrations.hpp"

namespace mlt::core {
namespace {

constexpr const char* db_name = "mlt.db";

bool is_project_dir(const fs::path& p) {
  struct stat st {};
  return ::stat((p / db_name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::unique_ptr<store::Db> open_db(const fs::path& dir, bool create, const Config& config) {
  store::DbOptions opt;
  opt.create = create;
  opt.lock_timeout_ms = lock_timeout_ms(config);
  auto db = std::make_unique<store::Db>((dir / db_name).string(), opt);
  if (create) db->exec("PRAGMA journal_mode=WAL");  // persistent: set once, at creation
  store::migrate(*db, schema_migrations());
  return db;
}

void ensure_default_experiment(store::Db& db) {
  store::Transaction tx(db);
  auto now = now_ms();
  store::Stmt q(db,
                "INSERT INTO experiments(id, name, description, created_ms, updated_ms) "
                "SELECT 1, 'Default', 'runs without an experiment', ?1, ?1 "
                "WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE id = 1)");
  q.bind(1, now).exec();
  tx.commit();
}

}  // namespace

int lock_timeout_ms(const Config& config) {
  double secs = std::strtod(config.get_string("core.lock_timeout").c_str(), nullptr);  // checked
  return static_cast<int>(secs * 1000);
}

int lock_timeout_ms(const fs::path& dir) { return lock_timeout_ms(Config::load(dir)); }

Project::Project(fs::path dir, std::unique_ptr<store::Db> db)
    : root_(dir.parent_path()), dir_(dir), db_(std::move(db)), objects_(dir / "objects", dir / "tmp") {}

std::optional<fs::path> Project::find(const fs::path& start) {
  if (const char* env = std::getenv("MLT_DIR"); env && *env) {
    fs::path p = fs::absolute(fs::path(env)).lexically_normal();
    if (p.has_filename() == false) p = p.parent_path();
    if (is_project_dir(p)) return p;
    if (is_project_dir(p / ".mlt")) return p / ".mlt";  // the project folder instead of .mlt
    return std::nullopt;
  }
  std::error_code ec;
  fs::path cur = fs::absolute(start, ec).lexically_normal();
  if (ec) return std::nullopt;
  if (!cur.has_filename()) cur = cur.parent_path();
  while (true) {
    if (is_project_dir(cur / ".mlt")) return cur / ".mlt";
    if (!cur.has_relative_path()) return std::nullopt;
    cur = cur.parent_path();
  }
}

Project Project::open(const fs::path& start) {
  auto dir = find(start);
  if (!dir) {
    if (const char* env = std::getenv("MLT_DIR"); env && *env)
      throw Error(ExitCode::no_project, fmt::format("MLT_DIR '{}' is not an mlt project folder", env),
                  "point MLT_DIR at a .mlt folder, or unset it");
    throw Error(ExitCode::no_project,
                fmt::format("not inside an mlt project (no .mlt folder in '{}' or any parent)", start.string()),
                "run 'mlt init' to create one, or use -C DIR");
  }
  auto config = Config::load(*dir);
  Project p(*dir, open_db(*dir, false, config));
  p.config_.emplace(std::move(config));
  return p;
}

Project Project::open_read_only(const fs::path& start) {
  auto dir = find(start);
  if (!dir) throw Error(ExitCode::no_project, "not inside an mlt project");
  store::DbOptions opt;
  opt.read_only = true;
  opt.lock_timeout_ms = 1000;
  // Without a WAL file, a read-only open would create the WAL and its index: open it as an
  // unchanging file instead (mlt's own processes leave the WAL in place).
  std::error_code ec;
  opt.immutable = !fs::exists(*dir / (std::string(db_name) + "-wal"), ec);
  auto db = std::make_unique<store::Db>((*dir / db_name).string(), opt);
  if (store::schema_version(*db) != static_cast<int>(schema_migrations().size()))
    throw Error(ExitCode::integrity, "the project's schema is not this binary's");
  return Project(*dir, std::move(db));
}

InitResult Project::init(const fs::path& dir) {
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();
  fs::path mlt = root / ".mlt";
  if (is_project_dir(mlt)) {
    open_db(mlt, false, Config::load(mlt));  // refuses a newer schema, upgrades an older one
    return {mlt, false};
  }
  if (fs::exists(mlt, ec) && !fs::is_directory(mlt, ec))
    throw Error(ExitCode::conflict, fmt::format("'{}' exists and is not a directory", mlt.string()),
                "move it away and run 'mlt init' again");
  for (const char* sub : {"", "objects", "tmp"}) {
    fs::create_directories(mlt / sub, ec);
    if (ec)
      throw Error(ExitCode::failure, fmt::format("cannot create '{}': {}", (mlt / sub).string(), ec.message()),
                  "check that the directory is writable");
  }
  fs::path cfg = mlt / "config.yaml";
  if (!fs::exists(cfg, ec)) {
    std::ofstream out(cfg);
    out << "# mlt project settings (see 'man mlt'); user settings: $XDG_CONFIG_HOME/mlt/config.yaml\n";
    if (!out) throw Error(ExitCode::failure, fmt::format("cannot write '{}'", cfg.string()));
  }
  auto db = open_db(mlt, true, Config::load(mlt));
  ensure_default_experiment(*db);
  return {mlt, true};
}

const Config& Project::config() const {
  if (!config_) config_.emplace(Config::load(dir_));
  return *config_;
}

std::unique_ptr<store::Db> Project::connect() const {
  store::DbOptions opt;
  opt.lock_timeout_ms = db_->lock_timeout_ms();
  return std::make_unique<store::Db>((dir_ / db_name).string(), opt);
}

}  // namespace mlt::core
