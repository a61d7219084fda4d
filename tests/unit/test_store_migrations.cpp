// store/migrations: migrate() and schema_version().
#include "store/migrations.hpp"

#include <span>
#include <string>

#include <doctest/doctest.h>

#include "core/schema.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::store::Db;
using mlt::store::DbOptions;
using mlt::store::Migration;
using mlt::store::migrate;
using mlt::store::schema_version;
using mlt::store::Stmt;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;

namespace {

// v1 inserts a row, so that running it twice would show.
constexpr Migration two[] = {
    {"a", "CREATE TABLE a(x INTEGER); INSERT INTO a(x) VALUES (1);"},
    {"b", "CREATE TABLE b(y TEXT); INSERT INTO a(x) VALUES (2);"},
};

DbOptions create_opts() {
  DbOptions o;
  o.create = true;
  return o;
}

bool has_table(Db& db, const char* name) {
  Stmt q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  q.bind(1, name);
  return q.step();
}

std::string rows_of_a(Db& db) {
  Stmt q(db, "SELECT coalesce(group_concat(x), '') FROM (SELECT x FROM a ORDER BY rowid)");
  REQUIRE(q.step());
  return q.text(0);
}

}  // namespace

TEST_CASE("migrate() on a fresh database applies every migration and sets user_version") {
  TempDir dir;
  Db db((dir / "m.db").string(), create_opts());
  CHECK(schema_version(db) == 0);
  CHECK(migrate(db, two) == 0);   // returns the version found before
  CHECK(schema_version(db) == 2);
  CHECK(has_table(db, "a"));
  CHECK(has_table(db, "b"));
  CHECK(rows_of_a(db) == "1,2");
}

TEST_CASE("migrate() again is a no-op") {
  TempDir dir;
  const auto path = (dir / "m.db").string();
  {
    Db db(path, create_opts());
    migrate(db, two);
  }
  Db db(path, DbOptions{});
  CHECK(migrate(db, two) == 2);
  CHECK(migrate(db, two) == 2);
  CHECK(schema_version(db) == 2);
  CHECK(rows_of_a(db) == "1,2");
}

TEST_CASE("migrate() refuses a database newer than its list with exit 6") {
  TempDir dir;
  const auto path = (dir / "m.db").string();
  Db db(path, create_opts());
  migrate(db, two);
  db.exec("PRAGMA user_version=3");
  auto e = thrown([&] { migrate(db, two); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), path));
  CHECK(contains(e->what(), "schema version 3"));
  CHECK(contains(e->what(), "(2)"));
  CHECK(contains(e->hint(), "upgrade mlt"));
  CHECK(schema_version(db) == 3);   // never downgraded

  // A shorter list than the database has applied counts as newer too.
  db.exec("PRAGMA user_version=2");
  e = thrown([&] { migrate(db, std::span<const Migration>(two, 1)); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(schema_version(db) == 2);
}

TEST_CASE("migrate() brings a version-1 database to version 2 running only migration 2") {
  TempDir dir;
  Db db((dir / "m.db").string(), create_opts());
  CHECK(migrate(db, std::span<const Migration>(two, 1)) == 0);
  CHECK(schema_version(db) == 1);
  CHECK(has_table(db, "a"));
  CHECK_FALSE(has_table(db, "b"));
  CHECK(rows_of_a(db) == "1");

  CHECK(migrate(db, two) == 1);
  CHECK(schema_version(db) == 2);
  CHECK(has_table(db, "b"));
  CHECK(rows_of_a(db) == "1,2");
}

TEST_CASE("a migration that fails leaves the database at its old version, unchanged") {
  TempDir dir;
  Db db((dir / "m.db").string(), create_opts());
  constexpr Migration broken[] = {
      two[0],
      {"bad", "CREATE TABLE c(z INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  auto e = thrown([&] { migrate(db, broken); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::failure);
  CHECK(contains(e->what(), "nowhere"));
  CHECK(schema_version(db) == 0);
  CHECK_FALSE(has_table(db, "a"));
  CHECK_FALSE(has_table(db, "c"));

  // The fixed list then applies from scratch.
  CHECK(migrate(db, two) == 0);
  CHECK(schema_version(db) == 2);
  CHECK(rows_of_a(db) == "1,2");
}

TEST_CASE("an empty list leaves a fresh database at version 0") {
  TempDir dir;
  Db db((dir / "m.db").string(), create_opts());
  CHECK(migrate(db, std::span<const Migration>()) == 0);
  CHECK(schema_version(db) == 0);
}

TEST_CASE("a new project is at the latest schema version") {
  mlt::test::TempProject p;
  const auto latest = static_cast<int>(mlt::core::schema_migrations().size());
  CHECK(latest >= 1);
  CHECK(schema_version(p.db()) == latest);
  for (const char* t : {"experiments", "runs", "params", "tags", "metric_keys", "metric_points", "metric_summary"})
    CHECK_MESSAGE(has_table(p.db(), t), t);
}
