#include "core/project.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "core/config.hpp"
#include "core/schema.hpp"
#include "store/migrations.hpp"

namespace mlt::core {
namespace {

constexpr const char* db_name = "mlt.db";

// A .mlt folder is a project when it holds the database, or the object store or the settings
// file of one: a project whose database was deleted is still found (and its loss reported), not
// passed over for a project further up.
bool is_project_dir(const fs::path& p) {
  struct stat st {};
  if (::stat((p / db_name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  if (::stat((p / "objects").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  return ::stat((p / "config.yaml").c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// True when .mlt/objects holds at least one object: the project has data that only its database
// describes, so no new, empty database may be put beside it.
bool has_objects(const fs::path& mlt) {
  std::error_code ec;
  for (auto shard = fs::directory_iterator(mlt / "objects", ec); !ec && shard != fs::directory_iterator();
       shard.increment(ec)) {
    std::error_code ec2;
    if (!shard->is_directory(ec2)) return true;  // not ours, but not nothing either
    if (fs::directory_iterator(shard->path(), ec2) != fs::directory_iterator()) return true;
  }
  return false;
}

enum class DbFile { missing, empty, sqlite, foreign };

// What is at .mlt/mlt.db, looked at before SQLite opens it: SQLite takes a zero-length file for
// an empty database, and a missing one would be created.
DbFile inspect_db(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? DbFile::missing : DbFile::sqlite;  // let SQLite say
  if (S_ISLNK(st.st_mode) && ::stat(path.c_str(), &st) != 0) return DbFile::missing;
  if (!S_ISREG(st.st_mode)) return DbFile::foreign;
  if (st.st_size == 0) return DbFile::empty;
  char magic[16] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return DbFile::sqlite;  // unreadable: SQLite's error says why
  in.read(magic, sizeof magic);
  return in.gcount() == sizeof magic && std::memcmp(magic, "SQLite format 3", 16) == 0 ? DbFile::sqlite
                                                                                        : DbFile::foreign;
}

[[noreturn]] void refuse_missing(const fs::path& dir, bool objects) {
  auto path = (dir / db_name).string();
  if (objects)
    throw Error(ExitCode::integrity,
                fmt::format("the project's database '{}' is missing, and '{}' holds the project's objects", path,
                            (dir / "objects").string()),
                "restore mlt.db from a backup: runs, metrics and models are recorded only in it, and mlt will not "
                "put an empty database beside the objects (a later 'mlt gc' would delete them)");
  throw Error(ExitCode::integrity, fmt::format("the project's database '{}' is missing", path),
              "restore mlt.db from a backup, or run 'mlt init' to start an empty one");
}

[[noreturn]] void refuse_empty(const fs::path& dir, bool objects) {
  auto path = (dir / db_name).string();
  if (objects)
    throw Error(ExitCode::integrity,
                fmt::format("the project's database '{}' is empty, but '{}' holds the project's objects", path,
                            (dir / "objects").string()),
                "restore mlt.db from a backup; mlt will not use an empty database beside the objects of a project "
                "(a later 'mlt gc' would delete them). Nothing was changed");
  throw Error(ExitCode::integrity, fmt::format("the project's database '{}' is empty", path),
              "restore mlt.db from a backup, or run 'mlt init' to set up a new project in it");
}

[[noreturn]] void refuse_foreign(const fs::path& path, const char* what) {
  throw Error(ExitCode::integrity, fmt::format("'{}' is not an mlt database ({})", path.string(), what),
              "restore .mlt/mlt.db from a backup, or move the file away; nothing was changed");
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

void fsync_path(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    throw Error(io_exit_code(e, "cannot sync"), fmt::format("cannot sync '{}': {}", path.string(), std::strerror(e)),
                e == EIO ? "check the disk" : io_hint(e));
  }
  ::close(fd);
}

// Sets up a new database under .mlt/tmp and puts it at `path` in one step, so that no other
// process ever sees a half-made (zero-length, tableless) mlt.db: a zero-length file is then never
// mlt's own state. `replace` puts it over an empty file; otherwise a database that a concurrent
// 'mlt init' put there first wins. Returns true when this call's database was put in place.
bool create_db_atomically(const fs::path& dir, const fs::path& path, const Config& config, bool replace) {
  fs::path tmp = dir / "tmp" / fmt::format("mlt.db.new.{}.{}", ::getpid(), now_ms());
  auto remove_tmp = [&] {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(tmp.string() + suffix, ec);
  };
  try {
    store::DbOptions opt;
    opt.create = true;
    opt.lock_timeout_ms = lock_timeout_ms(config);
    store::Db db(tmp.string(), opt);
    db.exec("PRAGMA journal_mode=WAL");  // persistent: set once, at creation
    store::migrate(db, schema_migrations());
    ensure_default_experiment(db);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // everything into the main file
  } catch (...) {
    remove_tmp();
    throw;
  }
  fsync_path(tmp, O_RDONLY);
  bool placed = replace ? ::rename(tmp.c_str(), path.c_str()) == 0 : ::link(tmp.c_str(), path.c_str()) == 0;
  int e = errno;
  remove_tmp();
  if (!placed && !(e == EEXIST && !replace))
    throw Error(io_exit_code(e, "cannot create"), fmt::format("cannot create '{}': {}", path.string(), std::strerror(e)),
                io_hint(e).empty() ? "check that the .mlt folder is writable" : io_hint(e));
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
  return placed;
}

enum class OpenMode { open, init };

// Read-only options for the database of the .mlt folder `dir`. SQLite reads a WAL database
// read-only when its -wal and -shm files exist (mlt's own processes leave them in place); without
// a -wal, a read-only open would try to create it, so the main file, which then holds everything,
// is opened as unchanging.
void set_read_only(store::DbOptions& opt, const fs::path& dir) {
  opt.read_only = true;
  std::error_code ec;
  opt.immutable = !fs::exists(dir / (std::string(db_name) + "-wal"), ec);
}

// Opens the project's database. An existing mlt database is migrated. A new one (no file, a
// zero-length file, or a SQLite file without tables) is set up only by init, and only when the
// object store is empty: beside objects it would pass for the project and let gc delete them.
std::unique_ptr<store::Db> open_db(const fs::path& dir, OpenMode mode, const Config& config, bool* created = nullptr) {
  const fs::path path = dir / db_name;
  DbFile kind = inspect_db(path);
  if (kind == DbFile::foreign) refuse_foreign(path, "not a SQLite file");
  if (kind == DbFile::missing) {
    bool objects = has_objects(dir);
    std::error_code ec;
    if (mode == OpenMode::open || objects) refuse_missing(dir, objects);
    if (fs::file_size(dir / (std::string(db_name) + "-wal"), ec) > 0 && !ec)
      throw Error(ExitCode::integrity,
                  fmt::format("the project's database '{}' is missing but its write-ahead log is there", path.string()),
                  "restore mlt.db from a backup, or move mlt.db-wal away to start an empty database");
  } else if (kind == DbFile::empty) {
    if (mode == OpenMode::open || has_objects(dir)) refuse_empty(dir, has_objects(dir));
    std::error_code ec;
    if (fs::file_size(dir / (std::string(db_name) + "-wal"), ec) > 0 && !ec)
      throw Error(ExitCode::integrity,
                  fmt::format("the project's database '{}' is empty but its write-ahead log is not", path.string()),
                  "restore mlt.db from a backup, or move mlt.db-wal away to start an empty database");
  }
  bool fresh = false;
  if (kind == DbFile::missing || kind == DbFile::empty) {
    fresh = create_db_atomically(dir, path, config, kind == DbFile::empty);
  }
  store::DbOptions opt;
  opt.lock_timeout_ms = lock_timeout_ms(config);
  // A project on a read-only mount, or one this user may not write: the database is opened
  // read-only (see set_read_only), so that reading commands work and writing ones fail with
  // exit 7 (storage).
  if (!fresh && (::access(dir.c_str(), W_OK) != 0 || ::access(path.c_str(), W_OK) != 0))
    set_read_only(opt, dir);
  auto db = std::make_unique<store::Db>(path.string(), opt);
  if (!fresh && store::schema_version(*db) == 0) {
    store::Stmt q(*db, "SELECT count(*) FROM sqlite_master");
    q.step();
    if (q.int64(0) > 0) refuse_foreign(path, "a SQLite database without mlt's schema");
    q.reset();
    bool objects = has_objects(dir);
    if (mode == OpenMode::open || objects) refuse_empty(dir, objects);
    // a header and nothing else (an older mlt's init that was interrupted): set it up in place
    db->exec("PRAGMA journal_mode=WAL");
    store::migrate(*db, schema_migrations());
    ensure_default_experiment(*db);
    fresh = true;
  }
  store::migrate(*db, schema_migrations());
  if (created) *created = fresh;
  return db;
}

constexpr const char* gitignore_text =
    "# mlt's database, objects and settings are local to this copy: not for git ('man mlt-project')\n*\n";

// .mlt/.gitignore, so that `git add -A` never takes the database or the objects. Written when
// missing, never changed when there (its owner may have edited it). True when it was written.
bool ensure_gitignore(const fs::path& mlt) {
  fs::path path = mlt / ".gitignore";
  std::error_code ec;
  if (fs::symlink_status(path, ec).type() != fs::file_type::not_found) return false;
  fs::path tmp = mlt / fmt::format(".gitignore.tmp.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << gitignore_text;
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw Error(ExitCode::failure, fmt::format("cannot write '{}'", path.string()),
                  "check that the .mlt folder is writable");
    }
  }
  // link, not rename: a .gitignore made meanwhile by someone else is kept
  bool made = ::link(tmp.c_str(), path.c_str()) == 0;
  fs::remove(tmp, ec);
  return made;
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
  Project p(*dir, open_db(*dir, OpenMode::open, config));
  p.config_.emplace(std::move(config));
  return p;
}

Project Project::open_read_only(const fs::path& start) {
  auto dir = find(start);
  if (!dir) throw Error(ExitCode::no_project, "not inside an mlt project");
  store::DbOptions opt;
  opt.lock_timeout_ms = 1000;
  set_read_only(opt, *dir);
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
  if (fs::exists(mlt, ec) && !fs::is_directory(mlt, ec))
    throw Error(ExitCode::conflict, fmt::format("'{}' exists and is not a directory", mlt.string()),
                "move it away and run 'mlt init' again");
  // objects/ last: a .mlt folder with objects is a project, and must not be one before its
  // database is in place
  for (const char* sub : {"", "tmp"}) {
    fs::create_directories(mlt / sub, ec);
    if (ec)
      throw Error(ExitCode::failure, fmt::format("cannot create '{}': {}", (mlt / sub).string(), ec.message()),
                  "check that the directory is writable");
  }
  // An existing database is checked and upgraded (a newer schema is refused); a missing or empty
  // one is set up, unless objects show that it is a project's lost database.
  InitResult r{mlt, false, false};
  open_db(mlt, OpenMode::init, Config::load(mlt), &r.created);
  fs::create_directories(mlt / "objects", ec);
  if (ec)
    throw Error(ExitCode::failure, fmt::format("cannot create '{}': {}", (mlt / "objects").string(), ec.message()),
                "check that the directory is writable");
  fs::path cfg = mlt / "config.yaml";
  if (!fs::exists(cfg, ec)) {
    std::ofstream out(cfg);
    out << "# mlt project settings (see 'man mlt'); user settings: $XDG_CONFIG_HOME/mlt/config.yaml\n";
    if (!out) throw Error(ExitCode::failure, fmt::format("cannot write '{}'", cfg.string()));
  }
  r.gitignore_added = ensure_gitignore(mlt);
  return r;
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
