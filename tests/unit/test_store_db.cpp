// store/db: Db, Stmt, Transaction.
#include "store/db.hpp"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::Error;
using mlt::ExitCode;
using mlt::store::Db;
using mlt::store::DbOptions;
using mlt::store::Stmt;
using mlt::store::Transaction;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;

namespace {

DbOptions create_opts(int lock_timeout_ms = 60'000) {
  DbOptions o;
  o.create = true;
  o.lock_timeout_ms = lock_timeout_ms;
  return o;
}

std::int64_t count_rows(Db& db, const char* table) {
  Stmt q(db, std::string("SELECT count(*) FROM ") + table);
  REQUIRE(q.step());
  return q.int64(0);
}

std::string type_of(Db& db, const char* col, std::int64_t rowid) {
  Stmt q(db, std::string("SELECT typeof(") + col + ") FROM t WHERE rowid = ?1");
  q.bind(1, rowid);
  REQUIRE(q.step());
  return q.text(0);
}

}  // namespace

TEST_CASE("Stmt binds and reads back int, double, text and NULL") {
  TempDir dir;
  Db db((dir / "t.db").string(), create_opts());
  db.exec("CREATE TABLE t(i, r, s, n)");

  const std::string with_nul("a\0b", 3);
  Stmt ins(db, "INSERT INTO t(i, r, s, n) VALUES (?1, ?2, ?3, ?4)");
  ins.bind(1, std::numeric_limits<std::int64_t>::max()).bind(2, 0.1).bind(3, with_nul).bind_null(4).exec();
  const auto first = db.last_insert_id();
  CHECK(db.changes() == 1);
  ins.bind(1, -5).bind(2, -2.5e300).bind(3, "h\xc3\xa9llo").bind(4, std::string("x")).exec();
  const auto second = db.last_insert_id();
  ins.bind(1, std::optional<std::int64_t>{}).bind(2, std::optional<double>{7.25})
      .bind(3, std::optional<std::string>{}).bind(4, std::numeric_limits<std::int64_t>::min()).exec();
  const auto third = db.last_insert_id();
  CHECK(first == 1);
  CHECK(second == 2);
  CHECK(third == 3);
  CHECK(count_rows(db, "t") == 3);

  Stmt q(db, "SELECT i, r, s, n FROM t WHERE rowid = ?1");
  q.bind(1, first);
  REQUIRE(q.step());
  CHECK(q.int64(0) == std::numeric_limits<std::int64_t>::max());
  CHECK(q.real(1) == 0.1);
  CHECK(q.text(2) == with_nul);
  CHECK(q.text(2).size() == 3);
  CHECK(q.is_null(3));
  CHECK_FALSE(q.is_null(0));
  CHECK(q.opt_int64(3) == std::nullopt);
  CHECK(q.opt_text(3) == std::nullopt);
  CHECK(q.opt_int64(0) == std::numeric_limits<std::int64_t>::max());
  CHECK(q.opt_text(2) == with_nul);
  CHECK_FALSE(q.step());

  q.bind(1, second);   // reuse after the statement ran to its end
  REQUIRE(q.step());
  CHECK(q.int64(0) == -5);
  CHECK(q.real(1) == -2.5e300);
  CHECK(q.text(2) == "h\xc3\xa9llo");
  CHECK(q.text(3) == "x");
  CHECK_FALSE(q.step());

  q.bind(1, third);
  REQUIRE(q.step());
  CHECK(q.is_null(0));
  CHECK(q.real(1) == 7.25);
  CHECK(q.is_null(2));
  CHECK(q.int64(3) == std::numeric_limits<std::int64_t>::min());

  CHECK(type_of(db, "i", first) == "integer");
  CHECK(type_of(db, "r", first) == "real");
  CHECK(type_of(db, "s", first) == "text");
  CHECK(type_of(db, "n", first) == "null");
  CHECK(type_of(db, "i", third) == "null");
}

TEST_CASE("Stmt binds NaN as NULL and infinities as REAL") {
  TempDir dir;
  Db db((dir / "t.db").string(), create_opts());
  db.exec("CREATE TABLE t(r REAL) STRICT");
  Stmt ins(db, "INSERT INTO t(r) VALUES (?1)");
  ins.bind(1, std::nan("")).exec();
  ins.bind(1, std::numeric_limits<double>::infinity()).exec();
  ins.bind(1, -std::numeric_limits<double>::infinity()).exec();

  Stmt q(db, "SELECT r, typeof(r) FROM t ORDER BY rowid");
  REQUIRE(q.step());
  CHECK(q.is_null(0));
  CHECK(q.text(1) == "null");
  REQUIRE(q.step());
  CHECK(q.real(0) == std::numeric_limits<double>::infinity());
  CHECK(q.text(1) == "real");
  REQUIRE(q.step());
  CHECK(q.real(0) == -std::numeric_limits<double>::infinity());
  CHECK_FALSE(q.step());

  Stmt sel(db, "SELECT ?1 IS NULL");
  sel.bind(1, -std::nan(""));
  REQUIRE(sel.step());
  CHECK(sel.int64(0) == 1);
}

TEST_CASE("Stmt runs again after exec(), and step() walks every row") {
  TempDir dir;
  Db db((dir / "t.db").string(), create_opts());
  db.exec("CREATE TABLE t(k INTEGER, v TEXT)");
  Stmt ins(db, "INSERT INTO t(k, v) VALUES (?1, ?2)");
  for (int k = 0; k < 5; ++k) ins.bind(1, k).bind(2, "v" + std::to_string(k)).exec();
  CHECK(count_rows(db, "t") == 5);

  Stmt q(db, "SELECT k, v FROM t WHERE k >= ?1 ORDER BY k");
  q.bind(1, 2);
  std::string seen;
  while (q.step()) seen += std::to_string(q.int64(0)) + q.text(1) + ";";
  CHECK(seen == "2v2;3v3;4v4;");
  q.bind(1, 4);
  seen.clear();
  while (q.step()) seen += std::to_string(q.int64(0)) + ";";
  CHECK(seen == "4;");
  // step() after the end starts the statement over with the same values.
  seen.clear();
  while (q.step()) seen += std::to_string(q.int64(0)) + ";";
  CHECK(seen == "4;");
}

// The header promises "Statements reset themselves for reuse"; a statement whose first row was
// read (the usual lookup: `if (q.step()) ...`) should take new values without an explicit reset().
TEST_CASE("Stmt takes new values after a partial read") {
  TempDir dir;
  Db db((dir / "t.db").string(), create_opts());
  Stmt q(db, "SELECT ?1 UNION ALL SELECT ?1 + 1");
  q.bind(1, 10);
  REQUIRE(q.step());
  CHECK(q.int64(0) == 10);
  auto e = thrown([&] { q.bind(1, 20); });
  CHECK_MESSAGE(!e, std::string(e ? e->what() : ""));
  if (!e) {
    REQUIRE(q.step());
    CHECK(q.int64(0) == 20);
  }
}

TEST_CASE("Transaction rolls back unless commit() ran") {
  TempDir dir;
  Db db((dir / "t.db").string(), create_opts());
  db.exec("CREATE TABLE t(k INTEGER)");
  Stmt ins(db, "INSERT INTO t(k) VALUES (?1)");

  {
    Transaction tx(db);
    ins.bind(1, 1).exec();
    CHECK(count_rows(db, "t") == 1);
  }
  CHECK(count_rows(db, "t") == 0);

  {
    Transaction tx(db);
    ins.bind(1, 2).exec();
    tx.commit();
  }
  CHECK(count_rows(db, "t") == 1);

  auto unwound = [&] {
    Transaction tx(db);
    ins.bind(1, 3).exec();
    throw Error(ExitCode::failure, "boom");
  };
  auto e = thrown(unwound);
  REQUIRE(e);
  CHECK(std::string(e->what()) == "boom");
  CHECK(count_rows(db, "t") == 1);

  // The connection is usable for a new transaction afterwards.
  Transaction tx(db);
  ins.bind(1, 4).exec();
  tx.commit();
  Stmt q(db, "SELECT group_concat(k) FROM (SELECT k FROM t ORDER BY k)");
  REQUIRE(q.step());
  CHECK(q.text(0) == "2,4");
}

TEST_CASE("a second writer waits lock_timeout_ms for BEGIN IMMEDIATE, then gets exit 5") {
  TempDir dir;
  const auto path = (dir / "t.db").string();
  Db first(path, create_opts());
  first.exec("PRAGMA journal_mode=WAL");
  first.exec("CREATE TABLE t(k INTEGER)");
  DbOptions o;
  o.lock_timeout_ms = 200;
  Db second(path, o);
  CHECK(second.lock_timeout_ms() == 200);

  {
    Transaction held(first);
    Stmt(first, "INSERT INTO t(k) VALUES (1)").exec();
    auto e = thrown([&] { Transaction blocked(second); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::conflict);
    CHECK(contains(e->what(), path));
    CHECK(contains(e->what(), "locked"));
    CHECK(contains(e->hint(), "MLT_LOCK_TIMEOUT"));
    held.commit();
  }
  // Once the lock is free the second connection writes, and sees the first one's row.
  Transaction tx(second);
  Stmt(second, "INSERT INTO t(k) VALUES (2)").exec();
  tx.commit();
  CHECK(count_rows(first, "t") == 2);
}

TEST_CASE("bad SQL throws an Error saying what failed and the file, never the statement") {
  TempDir dir;
  const auto path = (dir / "t.db").string();
  Db db(path, create_opts());

  auto e = thrown([&] { Stmt q(db, "SELEC 1 /* marker */"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "syntax error"));
  CHECK(contains(e->what(), path));
  CHECK_FALSE(contains(e->what(), "marker"));

  e = thrown([&] { db.exec("CREATE TABLE -- marker"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "while changing the schema"));
  CHECK_FALSE(contains(e->what(), "marker"));

  e = thrown([&] { Stmt q(db, "SELECT 'marker' FROM missing_table"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "while reading"));
  CHECK(contains(e->what(), "missing_table"));   // SQLite's own message names it
  CHECK_FALSE(contains(e->what(), "marker"));

  // A constraint broken while stepping.
  db.exec("CREATE TABLE t(k INTEGER NOT NULL)");
  Stmt ins(db, "INSERT INTO t(k) VALUES (?1)");
  e = thrown([&] { ins.bind_null(1).exec(); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "NOT NULL"));
  CHECK(contains(e->what(), "while writing"));
  CHECK_FALSE(contains(e->what(), "INSERT"));
  // The statement is usable after the failure.
  ins.bind(1, 1).exec();
  CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("a file that is not a database is refused with exit 6 and its path") {
  TempDir dir;
  const auto path = (dir / "notes.db").string();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is not a database, only some text\n";
  mlt::test::write_file(path, text);

  auto e = thrown([&] {
    Db db(path, DbOptions{});
    Stmt q(db, "SELECT count(*) FROM sqlite_master");
    q.step();
  });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), path));
  CHECK(contains(e->what(), "not a database"));
}

// Db's constructor throws from its first PRAGMA on a file that is not a database, after
// sqlite3_open_v2 succeeded: the connection (and its file descriptor) must not outlive the throw.
TEST_CASE("a Db that fails to open keeps no file open") {
  if (!std::filesystem::exists("/proc/self/fd")) {
    MESSAGE("skipped: no /proc/self/fd");
    return;
  }
  TempDir dir;
  const auto path = (dir / "notes.db").string();
  mlt::test::write_file(path, std::string(4096, 'x'));
  auto open_fds_on_path = [&] {
    int n = 0;
    std::error_code ec;
    for (auto& fd : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      auto target = std::filesystem::read_symlink(fd.path(), ec);
      if (!ec && target == path) ++n;
    }
    return n;
  };
  REQUIRE(open_fds_on_path() == 0);
  auto e = thrown([&] { Db db(path, DbOptions{}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(open_fds_on_path() == 0);
}

TEST_CASE("opening a missing database without create fails with exit 1") {
  TempDir dir;
  const auto path = (dir / "missing.db").string();
  auto e = thrown([&] { Db db(path, DbOptions{}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "cannot open database '" + path + "'"));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a read-only Db refuses writes with exit 7 (storage not writable)") {
  TempDir dir;
  const auto path = (dir / "t.db").string();
  {
    Db db(path, create_opts());
    db.exec("CREATE TABLE t(k INTEGER)");
  }
  DbOptions o;
  o.read_only = true;
  Db ro(path, o);
  CHECK(count_rows(ro, "t") == 0);
  auto e = thrown([&] { ro.exec("INSERT INTO t(k) VALUES (1)"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::storage);
  CHECK(contains(e->what(), "read-only"));
}

// A database whose pages are damaged: the error says what was being done and names the file,
// and never carries the statement (issue 15, item 20).
TEST_CASE("a damaged database is reported with its path and the operation, without SQL") {
  TempDir dir;
  const auto path = (dir / "t.db").string();
  {
    Db db(path, create_opts());
    db.exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    Stmt ins(db, "INSERT INTO t(k, v) VALUES (?1, ?2)");
    Transaction tx(db);
    for (int i = 0; i < 2000; ++i) ins.bind(1, i).bind(2, std::string(100, 'x')).exec();
    tx.commit();
  }
  {  // overwrite pages 2 to 4 (the table's b-tree) with garbage
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    REQUIRE(f);
    std::fseek(f, 4096, SEEK_SET);
    std::string junk(3 * 4096, '\x5a');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto e = thrown([&] {
    Db db(path, DbOptions{});
    Stmt q(db, "SELECT sum(length(v)) FROM t WHERE v != 'marker'");
    while (q.step()) {
    }
  });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), path));
  CHECK(contains(e->what(), "damaged"));
  CHECK(contains(e->what(), "while reading"));
  CHECK_FALSE(contains(e->what(), "marker"));
  CHECK_FALSE(contains(e->what(), "SELECT"));
}
