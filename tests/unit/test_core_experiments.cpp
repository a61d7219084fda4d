// core/experiments: Default, create, rename, remove/restore, the experiment of a new run.
#include "core/tracking/experiments.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;
using mlt::test::thrown;

namespace {

std::vector<std::string> names(const std::vector<Experiment>& es) {
  std::vector<std::string> out;
  for (auto& e : es) out.push_back(e.name);
  return out;
}

}  // namespace

TEST_CASE("a new project has the experiment Default with id 1") {
  TempProject p;
  auto d = find_experiment(p.db(), "Default");
  REQUIRE(d);
  CHECK(d->id == 1);
  CHECK_FALSE(d->deleted);
  CHECK(d->run_count == 0);
  CHECK(names(list_experiments(p.db(), Lifecycle::all)) == std::vector<std::string>{"Default"});
  CHECK(get_experiment(p.db(), "Default").id == 1);
  CHECK(find_experiment(p.db(), "default") == std::nullopt);   // names are case-sensitive
}

TEST_CASE("create_experiment") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "5000");
  auto id = create_experiment(p.db(), "vision", "image models", {{"team", "cv"}, {"gpu", "a100"}});
  CHECK(id == 2);
  auto e = get_experiment(p.db(), "vision");
  CHECK(e.id == 2);
  CHECK(e.name == "vision");
  CHECK(e.description == "image models");
  CHECK(e.created_ms == 5000);
  CHECK(e.updated_ms == 5000);
  CHECK_FALSE(e.deleted);
  CHECK(e.run_count == 0);
  CHECK(e.tags == std::map<std::string, std::string>{{"gpu", "a100"}, {"team", "cv"}});
  CHECK(names(list_experiments(p.db(), Lifecycle::active)) == std::vector<std::string>{"Default", "vision"});
  auto listed = list_experiments(p.db(), Lifecycle::active);
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].tags == e.tags);
  CHECK(listed[1].description == "image models");
  CHECK(create_experiment(p.db(), "nlp", "", {}) == 3);
}

TEST_CASE("create_experiment refuses a duplicate and a bad name") {
  TempProject p;
  create_experiment(p.db(), "vision", "", {});
  auto e = thrown([&] { create_experiment(p.db(), "vision", "again", {}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "experiment 'vision' already exists");
  e = thrown([&] { create_experiment(p.db(), "Default", "", {}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);

  for (std::string bad : {std::string(), std::string(251, 'x'), std::string("a\nb"), std::string("\xff")}) {
    e = thrown([&] { create_experiment(p.db(), bad, "", {}); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
  CHECK(create_experiment(p.db(), std::string(250, 'x'), "", {}) == 3);
  CHECK(list_experiments(p.db(), Lifecycle::all).size() == 3);
}

TEST_CASE("get_experiment of a missing name is exit 4") {
  TempProject p;
  auto e = thrown([&] { get_experiment(p.db(), "nope"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(std::string(e->what()) == "no experiment named 'nope'");
}

TEST_CASE("rename_experiment") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto id = create_experiment(p.db(), "old", "", {{"k", "v"}});
  pin.set("2000");
  rename_experiment(p.db(), "old", "new");
  CHECK(find_experiment(p.db(), "old") == std::nullopt);
  auto e = find_experiment(p.db(), "new");
  REQUIRE(e);
  CHECK(e->id == id);
  CHECK(e->created_ms == 1000);
  CHECK(e->updated_ms == 2000);
  CHECK(e->tags.at("k") == "v");

  rename_experiment(p.db(), "new", "new");   // same name: nothing to do
  CHECK(find_experiment(p.db(), "new")->id == id);

  auto err = thrown([&] { rename_experiment(p.db(), "new", "Default"); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::conflict);
  CHECK(std::string(err->what()) == "experiment 'Default' already exists");
  err = thrown([&] { rename_experiment(p.db(), "ghost", "other"); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::not_found);
  err = thrown([&] { rename_experiment(p.db(), "new", ""); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
  CHECK(find_experiment(p.db(), "new")->id == id);

  // Default may be renamed; it stays id 1.
  rename_experiment(p.db(), "Default", "Main");
  CHECK(find_experiment(p.db(), "Main")->id == 1);
}

TEST_CASE("set_experiment_deleted removes and restores; the name stays reserved") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  create_experiment(p.db(), "tmp", "", {});
  pin.set("3000");
  CHECK(set_experiment_deleted(p.db(), "tmp", true));
  CHECK_FALSE(set_experiment_deleted(p.db(), "tmp", true));
  auto e = find_experiment(p.db(), "tmp");
  REQUIRE(e);
  CHECK(e->deleted);
  CHECK(e->updated_ms == 3000);
  CHECK(names(list_experiments(p.db(), Lifecycle::active)) == std::vector<std::string>{"Default"});
  CHECK(names(list_experiments(p.db(), Lifecycle::deleted)) == std::vector<std::string>{"tmp"});
  CHECK(names(list_experiments(p.db(), Lifecycle::all)) == std::vector<std::string>{"Default", "tmp"});

  auto err = thrown([&] { create_experiment(p.db(), "tmp", "", {}); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::conflict);
  CHECK(std::string(err->what()) == "experiment 'tmp' exists and is deleted");
  CHECK(contains(err->hint(), "mlt exp restore tmp"));
  err = thrown([&] { rename_experiment(p.db(), "Default", "tmp"); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::conflict);

  CHECK(set_experiment_deleted(p.db(), "tmp", false));
  CHECK_FALSE(set_experiment_deleted(p.db(), "tmp", false));
  CHECK_FALSE(find_experiment(p.db(), "tmp")->deleted);
  CHECK(names(list_experiments(p.db(), Lifecycle::deleted)).empty());

  err = thrown([&] { set_experiment_deleted(p.db(), "ghost", true); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::not_found);
}

TEST_CASE("Default cannot be deleted, even under another name") {
  TempProject p;
  auto e = thrown([&] { set_experiment_deleted(p.db(), "Default", true); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "the default experiment 'Default' cannot be removed");
  CHECK_FALSE(find_experiment(p.db(), "Default")->deleted);

  rename_experiment(p.db(), "Default", "Main");
  e = thrown([&] { set_experiment_deleted(p.db(), "Main", true); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK_FALSE(find_experiment(p.db(), "Main")->deleted);
  CHECK_FALSE(set_experiment_deleted(p.db(), "Main", false));   // restoring it is a no-op
}

TEST_CASE("experiment_for_new_run") {
  TempProject p;
  bool created = true;
  mlt::store::Transaction tx(p.db());   // its callers hold the write transaction
  CHECK(experiment_for_new_run(p.db(), "", created) == 1);
  CHECK_FALSE(created);
  CHECK(experiment_for_new_run(p.db(), "Default", created) == 1);
  CHECK_FALSE(created);

  auto id = experiment_for_new_run(p.db(), "fresh", created);
  CHECK(created);
  CHECK(id == 2);
  CHECK(find_experiment(p.db(), "fresh")->id == 2);
  CHECK(experiment_for_new_run(p.db(), "fresh", created) == 2);
  CHECK_FALSE(created);

  {
    ScopedEnv env("MLT_EXPERIMENT", "from-env");
    CHECK(experiment_for_new_run(p.db(), "", created) == 3);
    CHECK(created);
    CHECK(experiment_for_new_run(p.db(), "fresh", created) == 2);   // the name given wins
    CHECK_FALSE(created);
  }
  auto e = thrown([&] { experiment_for_new_run(p.db(), std::string("bad\tname"), created); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  tx.commit();

  set_experiment_deleted(p.db(), "fresh", true);
  mlt::store::Transaction tx2(p.db());
  e = thrown([&] { experiment_for_new_run(p.db(), "fresh", created); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "experiment 'fresh' is deleted");
}

TEST_CASE("run_count counts the active runs of an experiment") {
  TempProject p;
  create_experiment(p.db(), "exp", "", {});
  NewRun spec;
  spec.experiment = "exp";
  auto a = create_run(p.db(), spec);
  create_run(p.db(), spec);
  create_run(p.db(), NewRun{});
  CHECK(get_experiment(p.db(), "exp").run_count == 2);
  CHECK(get_experiment(p.db(), "Default").run_count == 1);
  set_run_deleted(p.db(), a.ref, true);
  CHECK(get_experiment(p.db(), "exp").run_count == 1);
  auto listed = list_experiments(p.db(), Lifecycle::all);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].run_count == 1);
  CHECK(listed[1].run_count == 1);
}
