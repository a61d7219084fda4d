#include "store/db.hpp"

#include <sqlite3.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "store/failpoint.hpp"

namespace mlt::store {

std::string sqlite_version() { return sqlite3_libversion(); }

namespace {

struct BusyState {
  int timeout_ms;
  std::chrono::steady_clock::time_point first;
  std::minstd_rand rng{std::random_device{}()};
};

// SQLite's own busy handler sleeps up to 100 ms at a time, so under contention the lock sits
// idle while writers sleep. Short randomized sleeps keep many short writers moving; the total
// wait stays bounded by the lock timeout (then SQLITE_BUSY becomes exit 5).
int busy_handler(void* arg, int attempt) {
  auto* st = static_cast<BusyState*>(arg);
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) st->first = now;
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - st->first).count();
  if (waited >= st->timeout_ms) return 0;
  int cap_us = attempt < 10 ? 200 : attempt < 100 ? 2000 : 10000;
  std::uniform_int_distribution<int> d(50, cap_us);
  std::this_thread::sleep_for(std::chrono::microseconds(d(st->rng)));
  return 1;
}


// What a statement does, for messages. Never the SQL text itself: it means nothing to a user, a
// migration's runs to pages, and a damaged database must not answer with a wall of SQL.
std::string operation(std::string_view sql) {
  std::size_t i = 0;
  while (true) {  // skip blanks and -- comments
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) != "--") break;
    while (i < sql.size() && sql[i] != '\n') ++i;
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  if (word == "SELECT" || word == "WITH" || word == "VALUES") return "reading";
  if (word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE") return "writing";
  if (word == "BEGIN") return "starting a transaction";
  if (word == "COMMIT" || word == "END") return "committing";
  if (word == "ROLLBACK") return "rolling back";
  if (word == "CREATE" || word == "ALTER" || word == "DROP") return "changing the schema";
  if (word == "VACUUM") return "compacting";
  if (word == "PRAGMA") {
    auto rest = sql.substr(i);
    if (rest.find("_check") != std::string_view::npos) return "checking";
    if (rest.find('=') != std::string_view::npos || rest.find('(') != std::string_view::npos) return "setting up";
    return "reading";
  }
  return "running a statement";
}

int wal_hook(void* arg, sqlite3* db, const char* name, int frames) {
  *static_cast<int*>(arg) = frames;
  if (frames >= 1000) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

}  // namespace

Db::Db(const std::string& path, const DbOptions& opt) : path_(path), lock_timeout_ms_(opt.lock_timeout_ms) {
  int flags = opt.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (opt.create) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  std::string name = path;
  if (opt.read_only && opt.immutable) {  // a URI: the path percent-encoded where URIs need it
    name = "file:";
    for (unsigned char c : path) {
      if (c == '%' || c == '?' || c == '#' || c < 0x20) name += fmt::format("%{:02X}", c);
      else name += static_cast<char>(c);
    }
    name += "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ExitCode::failure, fmt::format("cannot open database '{}': {}", path, msg),
                "check that the file exists and is readable");
  }
  auto* st = new BusyState{opt.lock_timeout_ms, std::chrono::steady_clock::now()};
  sqlite3_busy_handler(db_, busy_handler, st);
  busy_state_ = st;
  // WAL upkeep for many short-lived processes. The last connection to close would checkpoint
  // and fsync every time: a one-shot command must not pay that, so closing does not checkpoint.
  // But the first connection of each process rebuilds the WAL index by reading the whole WAL,
  // and forgets what earlier processes checkpointed, so the WAL would never restart and every
  // start would get slower. The hook checkpoints in-process past 1000 pages (as SQLite's own
  // auto-checkpoint), and a process that leaves more than 128 pages behind truncates the WAL on
  // close when nobody else is using the database (it never waits for that).
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_wal_hook(db_, wal_hook, &wal_frames_);
  try {
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
  } catch (...) {  // e.g. not a database: the destructor will not run, so release here
    sqlite3_close_v2(db_);
    delete st;
    throw;
  }
}

Db::~Db() {
  if (wal_frames_ > 128) {
    sqlite3_busy_handler(db_, nullptr, nullptr);  // never wait here: a later process will do it
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  sqlite3_close_v2(db_);
  delete static_cast<BusyState*>(busy_state_);
}

void Db::fail(int rc, std::string_view what) const {
  int primary = rc & 0xff;
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    throw Error(ExitCode::conflict,
                fmt::format("database '{}' stayed locked by another process for more than {} s while {}",
                            path_, lock_timeout_ms_ / 1000.0, what),
                "another mlt process holds the write lock; raise MLT_LOCK_TIMEOUT or core.lock_timeout (seconds) to wait longer");
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    throw Error(ExitCode::integrity, fmt::format("database '{}' is damaged ({}) while {}", path_, msg, what),
                "restore .mlt/mlt.db from a backup (the objects in .mlt/objects are not affected)");
  int sys = db_ ? sqlite3_system_errno(db_) : 0;
  if (primary == SQLITE_READONLY || (primary == SQLITE_IOERR && sys == EROFS))
    throw Error(ExitCode::storage, fmt::format("database '{}' is read-only while {}", path_, what),
                sys == EROFS ? io_hint(EROFS)
                             : "writing commands need a writable .mlt folder: check that its file system is not "
                               "mounted read-only, and the owner and permissions of the folder and its files");
  if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT)))
    throw Error(ExitCode::storage,
                fmt::format("no space left on the device holding '{}' while {}; the transaction was rolled back",
                            path_, what),
                io_hint(ENOSPC));
  if (primary == SQLITE_INTERRUPT)
    throw Error(ExitCode::interrupted, fmt::format("interrupted while {}", what));
  throw Error(ExitCode::failure, fmt::format("database '{}' failed while {}: {}", path_, what, msg));
}

void Db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, operation(sql));
}

static void sql_number(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER || sqlite3_value_type(argv[0]) == SQLITE_FLOAT) {
    sqlite3_result_double(ctx, sqlite3_value_double(argv[0]));
    return;
  }
  const char* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!t) return sqlite3_result_null(ctx);
  std::string_view s(t, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return sqlite3_result_null(ctx);
  sqlite3_result_double(ctx, v);
}

void Db::register_number_function() {
  int rc = sqlite3_create_function_v2(db_, "mlt_number", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sql_number,
                                      nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "registering mlt_number()");
}

std::int64_t Db::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

int Stmt::parameter_count() const { return sqlite3_bind_parameter_count(st_); }

Stmt::Stmt(Db& db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &st_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, operation(sql));
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (active_) reset();
  int rc = sqlite3_bind_int64(st_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  if (done_) reset();
  int rc = std::isnan(v) ? sqlite3_bind_null(st_, i) : sqlite3_bind_double(st_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  if (active_) reset();
  int rc = sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (active_) reset();
  int rc = sqlite3_bind_null(st_, i);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

bool Stmt::step() {
  if (done_) reset();
  active_ = true;
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  done_ = true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(st_);
  db_.fail(rc, operation(sqlite3_sql(st_)));
}

void Stmt::exec() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(st_);
  done_ = false;
  active_ = false;
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(st_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(st_, col); }
std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string();
}
std::optional<std::int64_t> Stmt::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}
std::optional<std::string> Stmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  MLT_FAILPOINT("db.before_commit");
  db_.exec("COMMIT");
  open_ = false;
  MLT_FAILPOINT("db.after_commit");
}

}  // namespace mlt::store
