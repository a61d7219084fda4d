// core/project: init, find, open, MLT_DIR, MLT_LOCK_TIMEOUT.
#include "core/project.hpp"

#include <fstream>
#include <iterator>
#include <string>

#include <doctest/doctest.h>

#include "core/schema.hpp"
#include "core/tracking/experiments.hpp"
#include "store/migrations.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::core::Project;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempDir;
using mlt::test::thrown;
namespace fs = std::filesystem;

TEST_CASE("Project::init makes .mlt with its database, objects/, tmp/ and config.yaml") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  auto r = Project::init(dir.path());
  CHECK(r.created);
  CHECK(r.mlt_dir == dir / ".mlt");
  CHECK(fs::is_regular_file(dir / ".mlt" / "mlt.db"));
  CHECK(fs::is_directory(dir / ".mlt" / "objects"));
  CHECK(fs::is_directory(dir / ".mlt" / "tmp"));
  CHECK(fs::is_regular_file(dir / ".mlt" / "config.yaml"));

  auto p = Project::open(dir.path());
  CHECK(p.root() == dir.path());
  CHECK(p.dir() == dir / ".mlt");
  mlt::store::Stmt q(p.db(), "PRAGMA journal_mode");
  REQUIRE(q.step());
  CHECK(q.text(0) == "wal");
}

TEST_CASE("Project::init again leaves the project as it was") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  Project::init(dir.path());
  {
    auto p = Project::open(dir.path());
    mlt::core::create_experiment(p.db(), "kept", "", {});
  }
  auto again = Project::init(dir.path() / "");   // a trailing slash names the same folder
  CHECK_FALSE(again.created);
  CHECK(again.mlt_dir == dir / ".mlt");
  auto p = Project::open(dir.path());
  CHECK(mlt::core::find_experiment(p.db(), "kept"));
}

TEST_CASE("Project::init refuses a .mlt that is a file, and a newer schema") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  mlt::test::write_file(dir / ".mlt", "not a folder\n");
  auto e = thrown([&] { Project::init(dir.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);

  TempDir newer;
  Project::init(newer.path());
  {
    auto p = Project::open(newer.path());
    p.db().exec("PRAGMA user_version=999");
  }
  e = thrown([&] { Project::init(newer.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  e = thrown([&] { Project::open(newer.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
}

TEST_CASE("Project::find looks in the folder and its parents, like git") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  CHECK(Project::find(dir.path()) == std::nullopt);
  Project::init(dir.path());
  fs::create_directories(dir / "a" / "b");
  CHECK(Project::find(dir.path()) == dir / ".mlt");
  CHECK(Project::find(dir / "a" / "b") == dir / ".mlt");
  CHECK(Project::open(dir / "a" / "b").root() == dir.path());

  // The nearest project wins.
  Project::init(dir / "a");
  CHECK(Project::find(dir / "a" / "b") == dir / "a" / ".mlt");

  // A .mlt folder without a database is not a project.
  fs::create_directories(dir / "x" / ".mlt");
  CHECK(Project::find(dir / "x") == dir / ".mlt");
}

TEST_CASE("Project::open outside a project is exit 3") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  auto e = thrown([&] { Project::open(dir.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::no_project);
  CHECK(contains(e->what(), dir.path().string()));
  CHECK(contains(e->hint(), "mlt init"));
}

TEST_CASE("MLT_DIR names the .mlt folder to use") {
  TempDir a, b;
  {
    ScopedEnv no_dir("MLT_DIR", std::nullopt);
    Project::init(a.path());
    Project::init(b.path());
  }
  ScopedEnv env("MLT_DIR", (b / ".mlt").string());
  CHECK(Project::find(a.path()) == b / ".mlt");
  CHECK(Project::open(a.path()).root() == b.path());
  env.set((b / ".mlt").string() + "/");
  CHECK(Project::find(a.path()) == b / ".mlt");
  env.set(b.path().string());   // the project folder itself is accepted too
  CHECK(Project::find(a.path()) == b / ".mlt");
  env.set((b / "missing").string());
  CHECK(Project::find(a.path()) == std::nullopt);
  auto e = thrown([&] { Project::open(a.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::no_project);
  CHECK(contains(e->what(), "MLT_DIR"));
}

TEST_CASE("lock_timeout_ms: the core.lock_timeout setting, from MLT_LOCK_TIMEOUT or the project file") {
  ScopedEnv env("MLT_LOCK_TIMEOUT", std::nullopt);
  TempDir dir;
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 60'000);
  env.set("");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 60'000);
  env.set("2");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 2'000);
  env.set("0.25");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 250);
  env.set("0");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 0);
  env.set("86400");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 86'400'000);
  for (const char* bad : {"abc", "-1", "5s", "nan", "inf", "86401"}) {
    env.set(bad);
    auto e = thrown([&] { mlt::core::lock_timeout_ms(dir.path()); });
    REQUIRE_MESSAGE(e, bad);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), std::string("$MLT_LOCK_TIMEOUT: '") + bad + "' is not a number of seconds"));
  }
  env.set(std::nullopt);
  mlt::test::write_file(dir / "config.yaml", "core:\n  lock_timeout: 7\n");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 7'000);
  env.set("3");
  CHECK(mlt::core::lock_timeout_ms(dir.path()) == 3'000);   // the environment outranks the file
}

TEST_CASE("TempProject: a fresh, opened project per test") {
  mlt::test::TempProject p;
  CHECK(fs::is_regular_file(p.root() / ".mlt" / "mlt.db"));
  CHECK(p.project().root() == p.root());
  CHECK(mlt::store::schema_version(p.db()) == static_cast<int>(mlt::core::schema_migrations().size()));
  CHECK(mlt::core::find_experiment(p.db(), "Default"));
}

// ---------------------------------------------------------------------------------------------
// A lost database beside a populated object store (issue 15, item 1): never an empty project.

namespace {

void put_object(const fs::path& root) {
  fs::create_directories(root / ".mlt" / "objects" / "ab");
  mlt::test::write_file(root / ".mlt" / "objects" / "ab" / std::string(62, 'c'), "MLTO an object");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("a zero-length mlt.db beside objects is refused by open and init, and left as it is") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  Project::init(dir.path());
  put_object(dir.path());
  fs::resize_file(dir / ".mlt" / "mlt.db", 0);
  fs::remove(dir / ".mlt" / "mlt.db-wal");
  fs::remove(dir / ".mlt" / "mlt.db-shm");
  for (int i = 0; i < 2; ++i) {
    auto e = thrown([&] {
      if (i == 0) Project::open(dir.path());
      else Project::init(dir.path());
    });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), (dir / ".mlt" / "mlt.db").string()));
    CHECK(contains(e->what(), "is empty"));
    CHECK(contains(e->hint(), "backup"));
    CHECK(fs::file_size(dir / ".mlt" / "mlt.db") == 0);
  }
}

TEST_CASE("a zero-length mlt.db without objects: open refuses, init sets up a new project") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  fs::create_directories(dir / ".mlt" / "objects");
  mlt::test::write_file(dir / ".mlt" / "mlt.db", "");
  auto e = thrown([&] { Project::open(dir.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->hint(), "mlt init"));
  auto r = Project::init(dir.path());
  CHECK(r.created);
  auto p = Project::open(dir.path());
  CHECK(mlt::core::find_experiment(p.db(), "Default"));
}

TEST_CASE("a deleted mlt.db: the .mlt folder is still found, open and init refuse beside objects") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  Project::init(dir.path());                 // an outer project, which must not be picked instead
  Project::init(dir / "inner");
  put_object(dir / "inner");
  for (auto f : {"mlt.db", "mlt.db-wal", "mlt.db-shm"}) fs::remove(dir / "inner" / ".mlt" / f);
  CHECK(Project::find(dir / "inner") == dir / "inner" / ".mlt");
  auto e = thrown([&] { Project::open(dir / "inner"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), "database '" + (dir / "inner" / ".mlt" / "mlt.db").string() + "' is missing"));
  e = thrown([&] { Project::init(dir / "inner"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK_FALSE(fs::exists(dir / "inner" / ".mlt" / "mlt.db"));
  {
    ScopedEnv env("MLT_DIR", (dir / "inner" / ".mlt").string());
    e = thrown([&] { Project::open(dir.path()); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
  }
  // without objects, init makes a new database; open alone still refuses
  TempDir other;
  fs::create_directories(other / ".mlt");
  mlt::test::write_file(other / ".mlt" / "config.yaml", "# settings\n");
  e = thrown([&] { Project::open(other.path()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->hint(), "mlt init"));
  CHECK(Project::init(other.path()).created);
  CHECK(slurp(other / ".mlt" / "config.yaml") == "# settings\n");
}

TEST_CASE("a foreign mlt.db (not SQLite, or SQLite without mlt's schema) is refused and left as it is") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  Project::init(dir.path());
  for (auto f : {"mlt.db", "mlt.db-wal", "mlt.db-shm"}) fs::remove(dir / ".mlt" / f);
  std::string text(8192, 'x');
  mlt::test::write_file(dir / ".mlt" / "mlt.db", text);
  for (int i = 0; i < 2; ++i) {
    auto e = thrown([&] {
      if (i == 0) Project::open(dir.path());
      else Project::init(dir.path());
    });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), "is not an mlt database"));
    CHECK(slurp(dir / ".mlt" / "mlt.db") == text);
  }
  fs::remove(dir / ".mlt" / "mlt.db");
  {
    mlt::store::DbOptions o;
    o.create = true;
    mlt::store::Db other((dir / ".mlt" / "mlt.db").string(), o);
    other.exec("CREATE TABLE notes(x)");
  }
  for (int i = 0; i < 2; ++i) {
    auto e = thrown([&] {
      if (i == 0) Project::open(dir.path());
      else Project::init(dir.path());
    });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), "without mlt's schema"));
  }
  mlt::store::Db other((dir / ".mlt" / "mlt.db").string(), mlt::store::DbOptions{});
  mlt::store::Stmt q(other, "SELECT count(*) FROM sqlite_master");
  q.step();
  CHECK(q.int64(0) == 1);   // no mlt table was added
}

TEST_CASE("init writes .mlt/.gitignore, adds it to a project without one, keeps an edited one") {
  ScopedEnv no_dir("MLT_DIR", std::nullopt);
  TempDir dir;
  auto r = Project::init(dir.path());
  CHECK(r.gitignore_added);
  CHECK(contains(slurp(dir / ".mlt" / ".gitignore"), "\n*\n"));
  CHECK_FALSE(Project::init(dir.path()).gitignore_added);
  fs::remove(dir / ".mlt" / ".gitignore");
  r = Project::init(dir.path());
  CHECK_FALSE(r.created);
  CHECK(r.gitignore_added);
  mlt::test::write_file(dir / ".mlt" / ".gitignore", "mine\n");
  CHECK_FALSE(Project::init(dir.path()).gitignore_added);
  CHECK(slurp(dir / ".mlt" / ".gitignore") == "mine\n");
}
