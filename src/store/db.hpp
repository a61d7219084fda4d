// The SQL connection: Db (one sqlite3 handle), Stmt (a prepared statement with bound values),
// Transaction (BEGIN IMMEDIATE, rolled back unless committed). Knows nothing of runs or models.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mlt::store {

struct DbOptions {
  bool create = false;            // create the file if missing
  bool read_only = false;
  // With read_only: open as an unchanging file (SQLite's immutable=1), so that not even the WAL
  // index files are created. For a database without a -wal file, which no writer is using.
  bool immutable = false;
  int lock_timeout_ms = 60'000;   // how long a writer waits for the lock before exit 5
};

// The version of the SQLite library mlt runs with ("3.40.1"), for `mlt version`.
std::string sqlite_version();

class Db {
 public:
  Db(const std::string& path, const DbOptions& opt);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql);                 // statements without values only
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  int lock_timeout_ms() const { return lock_timeout_ms_; }
  std::int64_t last_insert_id() const;
  int changes() const;
  // SQL function mlt_number(text): the number the whole text spells (decimal or exponent
  // notation), else NULL. Used to compare text values numerically.
  void register_number_function();

  // Throws the right Error for a failed sqlite call: busy -> conflict (5), corrupt -> integrity (6).
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  int lock_timeout_ms_;
  void* busy_state_ = nullptr;
  int wal_frames_ = 0;   // frames in the WAL after this connection's last commit
};

// A prepared statement. bind() indices are 1-based like SQLite's ?N. step() returns true while a
// row is available; exec() runs to completion. Statements reset themselves for reuse.
class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);                 // NaN is bound as NULL (SQLite has no NaN)
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_null(int i);
  template <typename T>
  Stmt& bind(int i, const std::optional<T>& v) { return v ? bind(i, *v) : bind_null(i); }

  bool step();
  void exec();        // step until done, then reset
  int parameter_count() const;   // the highest ?N of the statement
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  Db& db_;
  sqlite3_stmt* st_ = nullptr;
  bool done_ = false;      // stepped to the end (or failed): reset before reuse
  bool active_ = false;    // stepped at least once since the last reset
};

// BEGIN IMMEDIATE: takes the write lock up front, so a transaction never fails half-way with
// SQLITE_BUSY. The destructor rolls back unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool open_ = true;
};

}  // namespace mlt::store
