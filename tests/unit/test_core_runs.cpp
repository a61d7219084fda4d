// core/runs: create, resolve, params and tags, end, remove/restore, list.
#include "core/tracking/runs.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "core/tracking/metrics.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;
using mlt::test::thrown;

namespace {

const std::regex name_shape("^[a-z]+-[a-z]+$");
const std::regex uuid_shape("^[0-9a-f]{32}$");

RunRef make_run(mlt::store::Db& db, const std::string& name = {}, const std::string& experiment = {}) {
  NewRun spec;
  spec.name = name;
  spec.experiment = experiment;
  return create_run(db, spec).ref;
}

// Gives a run a chosen id, to test prefixes without depending on random ids.
RunRef set_uuid(mlt::store::Db& db, const RunRef& run, const std::string& uuid) {
  mlt::store::Stmt u(db, "UPDATE runs SET uuid = ?2 WHERE id = ?1");
  u.bind(1, run.id).bind(2, uuid).exec();
  RunRef r = run;
  r.uuid = uuid;
  return r;
}

std::vector<std::string> names_of(const std::vector<Run>& runs) {
  std::vector<std::string> out;
  for (auto& r : runs) out.push_back(r.name);
  return out;
}

}  // namespace

TEST_CASE("new_run_uuid and generate_run_name") {
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    auto id = new_run_uuid();
    CHECK_MESSAGE(std::regex_match(id, uuid_shape), id);
    ids.insert(id);
    auto name = generate_run_name();
    CHECK_MESSAGE(std::regex_match(name, name_shape), name);
  }
  CHECK(ids.size() == 200);
}

TEST_CASE("create_run with defaults") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1700000000000");
  auto c = create_run(p.db(), NewRun{});
  CHECK(std::regex_match(c.ref.uuid, uuid_shape));
  CHECK(std::regex_match(c.ref.name, name_shape));
  CHECK(c.ref.id == 1);
  CHECK_FALSE(c.ref.deleted);
  CHECK(c.experiment == "Default");
  CHECK_FALSE(c.created_experiment);

  auto r = load_run(p.db(), c.ref);
  CHECK(r.uuid == c.ref.uuid);
  CHECK(r.name == c.ref.name);
  CHECK(r.experiment_id == 1);
  CHECK(r.experiment == "Default");
  CHECK(r.status == "RUNNING");
  CHECK_FALSE(r.deleted);
  CHECK(r.parent_uuid == std::nullopt);
  CHECK(r.start_ms == 1'700'000'000'000);
  CHECK(r.end_ms == std::nullopt);
  CHECK(r.exit_code == std::nullopt);
  CHECK(r.deleted_ms == std::nullopt);
  CHECK(r.params.empty());
  CHECK(r.tags.empty());
  CHECK(r.metrics.empty());
  CHECK(r.children.empty());

  // Generated names are not reused while fresh ones come up.
  std::set<std::string> seen{c.ref.name};
  for (int i = 0; i < 20; ++i) seen.insert(create_run(p.db(), NewRun{}).ref.name);
  CHECK(seen.size() == 21);
}

TEST_CASE("create_run with a name, params, tags, user and a new experiment") {
  TempProject p;
  NewRun spec;
  spec.name = "baseline";
  spec.experiment = "vision";
  spec.user = "ada";
  spec.params = {{"lr", "0.1"}, {"optim", "adam"}};
  spec.tags = {{"stage", "dev"}};
  auto c = create_run(p.db(), spec);
  CHECK(c.ref.name == "baseline");
  CHECK(c.created_experiment);
  CHECK(c.experiment == "vision");
  auto r = load_run(p.db(), c.ref);
  CHECK(r.experiment == "vision");
  CHECK(r.user == "ada");
  CHECK(r.params == std::map<std::string, std::string>{{"lr", "0.1"}, {"optim", "adam"}});
  CHECK(r.tags == std::map<std::string, std::string>{{"stage", "dev"}});

  auto again = create_run(p.db(), spec);
  CHECK_FALSE(again.created_experiment);
  CHECK(load_run(p.db(), again.ref).experiment_id == r.experiment_id);

  ScopedEnv env("MLT_EXPERIMENT", "from-env");
  auto c3 = create_run(p.db(), NewRun{});
  CHECK(c3.experiment == "from-env");
  CHECK(c3.created_experiment);
}

TEST_CASE("create_run refuses bad input and leaves nothing behind") {
  TempProject p;
  NewRun spec;
  spec.experiment = "never-made";
  spec.params = {{"lr", "0.1"}, {"lr", "0.2"}};   // one key, two values
  auto e = thrown([&] { create_run(p.db(), spec); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(contains(e->what(), "'0.1'"));
  CHECK(contains(e->what(), "'0.2'"));
  CHECK(list_runs(p.db(), {.lifecycle = Lifecycle::all}).empty());
  CHECK(find_experiment(p.db(), "never-made") == std::nullopt);   // rolled back with the run

  spec = NewRun{};
  spec.name = "bad\nname";
  e = thrown([&] { create_run(p.db(), spec); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  spec = NewRun{};
  spec.tags = {{"", "v"}};
  e = thrown([&] { create_run(p.db(), spec); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  spec = NewRun{};
  spec.parent = "no-such-run";
  e = thrown([&] { create_run(p.db(), spec); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(list_runs(p.db(), {.lifecycle = Lifecycle::all}).empty());
}

TEST_CASE("nested runs: parent and children") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto parent = make_run(p.db(), "sweep");
  NewRun spec;
  spec.parent = "sweep";
  auto a = create_run(p.db(), spec).ref;
  pin.set("2000");
  spec.parent = parent.uuid.substr(0, 6);
  auto b = create_run(p.db(), spec).ref;
  CHECK(load_run(p.db(), a).parent_uuid == parent.uuid);
  CHECK(load_run(p.db(), b).parent_uuid == parent.uuid);
  CHECK(load_run(p.db(), parent).children == std::vector<std::string>{a.uuid, b.uuid});

  set_run_deleted(p.db(), parent, true);
  auto e = thrown([&] { create_run(p.db(), spec); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
}

TEST_CASE("resolve_run by full id, prefix and name") {
  TempProject p;
  auto run = make_run(p.db(), "alpha");
  make_run(p.db(), "beta");

  auto byid = resolve_run(p.db(), run.uuid);
  CHECK(byid.id == run.id);
  CHECK(byid.uuid == run.uuid);
  CHECK(byid.name == "alpha");
  CHECK_FALSE(byid.deleted);

  std::string upper = run.uuid;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(resolve_run(p.db(), upper).id == run.id);
  for (std::size_t n : {4u, 5u, 8u, 31u}) CHECK_MESSAGE(resolve_run(p.db(), run.uuid.substr(0, n)).id == run.id, n);
  CHECK(resolve_run(p.db(), "alpha").id == run.id);

  auto e = thrown([&] { resolve_run(p.db(), "gamma"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(std::string(e->what()) == "no run matches 'gamma'");
  e = thrown([&] { resolve_run(p.db(), std::string(32, '0')); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  e = thrown([&] { resolve_run(p.db(), ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  e = thrown([&] { resolve_run(p.db(), "ALPHA"); });   // names are case-sensitive
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
}

TEST_CASE("resolve_run: an ambiguous reference is exit 2 listing every candidate") {
  TempProject p;
  auto a = make_run(p.db(), "twin");
  auto b = make_run(p.db(), "twin");
  auto e = thrown([&] { resolve_run(p.db(), "twin"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "'twin'"));
  CHECK(contains(e->what(), a.uuid));
  CHECK(contains(e->what(), b.uuid));
  CHECK(resolve_run(p.db(), a.uuid).id == a.id);   // the full id still works

  // Two ids with a common prefix.
  auto c = set_uuid(p.db(), make_run(p.db()), "abcd" + std::string(27, '0') + "1");
  auto d = set_uuid(p.db(), make_run(p.db()), "abcd" + std::string(26, '0') + "10");
  e = thrown([&] { resolve_run(p.db(), "abcd"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), c.uuid));
  CHECK(contains(e->what(), d.uuid));
  CHECK(resolve_run(p.db(), d.uuid).id == d.id);
  CHECK(resolve_run(p.db(), "ABCD" + std::string(26, '0') + "1").id == d.id);   // 31 digits, any case
  CHECK(resolve_run(p.db(), "abcd" + std::string(27, '0')).id == c.id);

  // A name that is also another run's id prefix.
  auto named = make_run(p.db(), "abcd000");
  e = thrown([&] { resolve_run(p.db(), "abcd000"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), named.uuid));
  CHECK(contains(e->what(), c.uuid));
  CHECK(contains(e->what(), d.uuid));
}

TEST_CASE("resolve_run: fewer than 4 characters are only a name") {
  TempProject p;
  auto target = set_uuid(p.db(), make_run(p.db()), "abc00000000000000000000000000001");
  auto e = thrown([&] { resolve_run(p.db(), "abc"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);

  auto named = make_run(p.db(), "abc");
  CHECK(resolve_run(p.db(), "abc").id == named.id);    // not ambiguous with the id prefix
  CHECK(resolve_run(p.db(), "abc0").id == target.id);
}

TEST_CASE("resolve_run and deleted runs") {
  TempProject p;
  auto run = make_run(p.db(), "gone");
  CHECK(set_run_deleted(p.db(), run, true));
  auto found = resolve_run(p.db(), "gone");
  CHECK(found.id == run.id);
  CHECK(found.deleted);
  auto e = thrown([&] { resolve_run(p.db(), "gone", false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);

  // A deleted twin does not make an active-only lookup ambiguous.
  auto live = make_run(p.db(), "gone");
  CHECK(resolve_run(p.db(), "gone", false).id == live.id);
  e = thrown([&] { resolve_run(p.db(), "gone"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "(deleted)"));
}

TEST_CASE("resolve_run: @ and @~N count back from the newest run that is not deleted") {
  TempProject p;
  CHECK(thrown([&] { resolve_run(p.db(), "@"); })->code() == ExitCode::not_found);
  RunRef a, b, c;
  {
    ScopedEnv clock("MLT_NOW_MS", "1700000001000");
    a = make_run(p.db(), "a");
  }
  {
    ScopedEnv clock("MLT_NOW_MS", "1700000003000");
    c = make_run(p.db(), "c", "other");
  }
  {
    ScopedEnv clock("MLT_NOW_MS", "1700000002000");   // created after c, started before it
    b = make_run(p.db(), "b");
  }
  CHECK(resolve_run(p.db(), "@").id == c.id);
  CHECK(resolve_run(p.db(), "@~0").id == c.id);
  CHECK(resolve_run(p.db(), "@~").id == b.id);
  CHECK(resolve_run(p.db(), "@~1").id == b.id);
  CHECK(resolve_run(p.db(), "@~2").id == a.id);
  auto e = thrown([&] { resolve_run(p.db(), "@~3"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(contains(e->what(), "only 3 runs"));
  CHECK(thrown([&] { resolve_run(p.db(), "@~18446744073709551616"); })->code() == ExitCode::not_found);
  CHECK(thrown([&] { resolve_run(p.db(), "@~-1"); })->code() == ExitCode::usage);
  CHECK(set_run_deleted(p.db(), c, true));
  CHECK(resolve_run(p.db(), "@").id == b.id);
  CHECK(relative_run_offset("@x") == std::nullopt);
  CHECK(relative_run_offset("a@") == std::nullopt);
  CHECK(relative_run_offset("@~12") == 12u);
}

TEST_CASE("run names cannot start with @; mlt.* tags are refused as a user's") {
  TempProject p;
  NewRun spec;
  spec.name = "@x";
  CHECK(thrown([&] { create_run(p.db(), spec); })->code() == ExitCode::usage);
  auto r = make_run(p.db(), "plain");
  CHECK(thrown([&] { rename_run(p.db(), r, "@~1"); })->code() == ExitCode::usage);
  CHECK(thrown([&] { check_user_tag("mlt.git.commit"); })->code() == ExitCode::usage);
  CHECK_FALSE(thrown([&] { check_user_tag("mltx"); }));
  CHECK_FALSE(thrown([&] { check_user_tag("team.mlt.x"); }));
}

TEST_CASE("params are immutable; tags may change") {
  TempProject p;
  NewRun spec;
  spec.params = {{"lr", "0.1"}};
  auto run = create_run(p.db(), spec).ref;

  log_params(p.db(), run, {{"lr", "0.1"}, {"bs", "32"}});   // the same value again is fine
  auto e = thrown([&] { log_params(p.db(), run, {{"epochs", "3"}, {"lr", "0.2"}}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "param 'lr' is already '0.1', cannot change it to '0.2'");
  auto r = load_run(p.db(), run);
  CHECK(r.params == std::map<std::string, std::string>{{"bs", "32"}, {"lr", "0.1"}});   // nothing of the failed call

  e = thrown([&] { log_params(p.db(), run, {{"k", "1"}, {"k", "2"}}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "param 'k' given twice: '1' and '2'");
  log_params(p.db(), run, {{"k", "1"}, {"k", "1"}});
  CHECK(load_run(p.db(), run).params.at("k") == "1");

  e = thrown([&] { log_params(p.db(), run, {{"big", std::string(64 * 1024 + 1, 'x')}}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);

  log_tags(p.db(), run, {{"stage", "dev"}});
  log_tags(p.db(), run, {{"stage", "prod"}, {"owner", "ada"}});
  CHECK(load_run(p.db(), run).tags == std::map<std::string, std::string>{{"owner", "ada"}, {"stage", "prod"}});
}

TEST_CASE("end_run ends a run once") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto run = make_run(p.db(), "r");
  CHECK(run.status == "RUNNING");
  CHECK(resolve_run(p.db(), "r").status == "RUNNING");
  pin.set("61000");
  end_run(p.db(), run, RunStatus::finished, 0);
  auto r = load_run(p.db(), run);
  CHECK(r.status == "FINISHED");
  CHECK(r.end_ms == 61000);
  CHECK(r.exit_code == 0);
  CHECK(resolve_run(p.db(), "r").status == "FINISHED");

  auto e = thrown([&] { end_run(p.db(), run, RunStatus::failed, 1); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "run 'r' has already ended (FINISHED)");
  r = load_run(p.db(), run);
  CHECK(r.status == "FINISHED");
  CHECK(r.exit_code == 0);

  auto other = make_run(p.db(), "o");
  e = thrown([&] { end_run(p.db(), other, RunStatus::running, std::nullopt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  end_run(p.db(), other, RunStatus::killed, std::nullopt);
  r = load_run(p.db(), other);
  CHECK(r.status == "KILLED");
  CHECK(r.exit_code == std::nullopt);
}

TEST_CASE("RunStatus text") {
  CHECK(std::string(to_string(RunStatus::running)) == "RUNNING");
  CHECK(std::string(to_string(RunStatus::finished)) == "FINISHED");
  CHECK(std::string(to_string(RunStatus::failed)) == "FAILED");
  CHECK(std::string(to_string(RunStatus::killed)) == "KILLED");
  CHECK(parse_status("Finished") == RunStatus::finished);
  CHECK(parse_status("KILLED") == RunStatus::killed);
  CHECK(parse_status("failed") == RunStatus::failed);
  CHECK(parse_status("running") == RunStatus::running);
  CHECK(parse_status("done") == std::nullopt);
  CHECK(parse_status("") == std::nullopt);
}

TEST_CASE("set_run_deleted removes and restores") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto run = make_run(p.db(), "r");
  pin.set("5000");
  CHECK(set_run_deleted(p.db(), run, true));
  CHECK_FALSE(set_run_deleted(p.db(), run, true));
  auto r = load_run(p.db(), run);
  CHECK(r.deleted);
  CHECK(r.deleted_ms == 5000);
  auto ref = resolve_run(p.db(), "r");
  auto e = thrown([&] { require_active(ref); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(contains(e->what(), "'r'"));

  CHECK(set_run_deleted(p.db(), run, false));
  CHECK_FALSE(set_run_deleted(p.db(), run, false));
  r = load_run(p.db(), run);
  CHECK_FALSE(r.deleted);
  CHECK(r.deleted_ms == std::nullopt);
  CHECK_NOTHROW(require_active(resolve_run(p.db(), "r")));
}

TEST_CASE("rename_run") {
  TempProject p;
  auto run = make_run(p.db(), "before");
  rename_run(p.db(), run, "after");
  CHECK(load_run(p.db(), run).name == "after");
  CHECK(resolve_run(p.db(), "after").id == run.id);
  auto e = thrown([&] { resolve_run(p.db(), "before"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  e = thrown([&] { rename_run(p.db(), run, ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  e = thrown([&] { rename_run(p.db(), run, std::string(251, 'n')); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(load_run(p.db(), run).name == "after");
}

TEST_CASE("resolve_log_target: --run, else MLT_RUN_ID") {
  TempProject p;
  auto a = make_run(p.db(), "a");
  auto b = make_run(p.db(), "b");

  auto e = thrown([&] { resolve_log_target(p.db(), ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "no run to log to");

  ScopedEnv env("MLT_RUN_ID", a.uuid);
  CHECK(resolve_log_target(p.db(), "").id == a.id);
  CHECK(resolve_log_target(p.db(), "b").id == b.id);   // the flag wins
  env.set("");
  e = thrown([&] { resolve_log_target(p.db(), ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  env.set("0000ffff");
  e = thrown([&] { resolve_log_target(p.db(), ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);

  env.set(b.uuid);
  set_run_deleted(p.db(), b, true);
  e = thrown([&] { resolve_log_target(p.db(), ""); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
}

TEST_CASE("list_runs: newest first, limit, experiment and lifecycle filters") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto r1 = make_run(p.db(), "r1");
  pin.set("3000");
  auto r2 = make_run(p.db(), "r2", "exp-a");
  pin.set("2000");
  auto r3 = make_run(p.db(), "r3", "exp-a");
  pin.set("3000");
  auto r4 = make_run(p.db(), "r4", "exp-b");   // same start as r2, created later

  CHECK(names_of(list_runs(p.db(), {})) == std::vector<std::string>{"r4", "r2", "r3", "r1"});
  CHECK(names_of(list_runs(p.db(), {.limit = 2})) == std::vector<std::string>{"r4", "r2"});
  CHECK(names_of(list_runs(p.db(), {.limit = 0})).empty());
  CHECK(names_of(list_runs(p.db(), {.experiments = {"exp-a"}})) == std::vector<std::string>{"r2", "r3"});
  CHECK(names_of(list_runs(p.db(), {.experiments = {"exp-b", "Default"}})) ==
        std::vector<std::string>{"r4", "r1"});
  CHECK(names_of(list_runs(p.db(), {.experiments = {"exp-a"}, .limit = 1})) == std::vector<std::string>{"r2"});
  auto e = thrown([&] { list_runs(p.db(), {.experiments = {"nope"}}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);

  set_run_deleted(p.db(), r3, true);
  CHECK(names_of(list_runs(p.db(), {})) == std::vector<std::string>{"r4", "r2", "r1"});
  CHECK(names_of(list_runs(p.db(), {.lifecycle = Lifecycle::deleted})) == std::vector<std::string>{"r3"});
  CHECK(names_of(list_runs(p.db(), {.lifecycle = Lifecycle::all})) ==
        std::vector<std::string>{"r4", "r2", "r3", "r1"});
  CHECK(names_of(list_runs(p.db(), {.experiments = {"exp-a"}, .lifecycle = Lifecycle::deleted})) ==
        std::vector<std::string>{"r3"});

  auto all = list_runs(p.db(), {.lifecycle = Lifecycle::all});
  REQUIRE(all.size() == 4);
  CHECK(all[0].uuid == r4.uuid);
  CHECK(all[0].experiment == "exp-b");
  CHECK(all[0].start_ms == 3000);
  CHECK(all[2].deleted);
  CHECK(all[2].deleted_ms == 3000);
  CHECK(all[3].experiment == "Default");
  CHECK(all[3].start_ms == 1000);
  CHECK(r1.id == all[3].id);
  CHECK(r2.id == all[1].id);
}

TEST_CASE("list_runs fills in params, tags and metric summaries of each run") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "1000");
  NewRun spec;
  spec.name = "a";
  spec.params = {{"lr", "0.1"}};
  spec.tags = {{"t", "1"}};
  auto a = create_run(p.db(), spec).ref;
  pin.set("2000");
  spec.name = "b";
  spec.params = {{"lr", "0.2"}, {"bs", "8"}};
  spec.tags = {};
  auto b = create_run(p.db(), spec).ref;
  log_metrics(p.db(), a, {{"loss", 0.5}, {"acc", 0.9}}, 0, 10);
  log_metrics(p.db(), b, {{"loss", 0.25}}, 3, 20);

  auto runs = list_runs(p.db(), {});
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].name == "b");
  CHECK(runs[0].params == std::map<std::string, std::string>{{"bs", "8"}, {"lr", "0.2"}});
  CHECK(runs[0].tags.empty());
  REQUIRE(runs[0].metrics.size() == 1);
  CHECK(runs[0].metrics[0].key == "loss");
  CHECK(runs[0].metrics[0].last == 0.25);
  CHECK(runs[0].metrics[0].last_step == 3);
  CHECK(runs[1].params == std::map<std::string, std::string>{{"lr", "0.1"}});
  CHECK(runs[1].tags == std::map<std::string, std::string>{{"t", "1"}});
  REQUIRE(runs[1].metrics.size() == 2);
  CHECK(runs[1].metrics[0].key == "acc");   // sorted by key
  CHECK(runs[1].metrics[1].key == "loss");
  CHECK(runs[1].metrics[1].last == 0.5);
}

// CLI.md: "a run's name is accepted wherever RUN appears". A name of 32 hex digits is only looked
// up as an id, so a run with such a name cannot be found by it.
TEST_CASE("resolve_run finds a run whose name looks like a full id") {
  TempProject p;
  const std::string hex_name = "0123456789abcdef0123456789abcdef";
  auto run = make_run(p.db(), hex_name);
  REQUIRE(run.uuid != hex_name);
  auto e = thrown([&] { CHECK(resolve_run(p.db(), hex_name).id == run.id); });
  CHECK_MESSAGE(!e, std::string(e ? e->what() : ""));
}

TEST_CASE("list_runs attaches details to the right runs past 500 runs") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "0");
  constexpr int n = 1100;   // three chunks of bound ids
  {
    mlt::store::Transaction tx(p.db());
    mlt::store::Stmt ins(p.db(),
                         "INSERT INTO runs(uuid, experiment_id, name, status, start_ms) VALUES (?1, 1, ?2, 'RUNNING', ?3)");
    mlt::store::Stmt par(p.db(), "INSERT INTO params(run_id, key, value) VALUES (?1, 'i', ?2)");
    mlt::store::Stmt tag(p.db(), "INSERT INTO tags(run_id, key, value) VALUES (?1, 'i', ?2)");
    for (int i = 0; i < n; ++i) {
      ins.bind(1, new_run_uuid()).bind(2, "run" + std::to_string(i)).bind(3, i).exec();
      auto id = p.db().last_insert_id();
      par.bind(1, id).bind(2, std::to_string(i)).exec();
      tag.bind(1, id).bind(2, "t" + std::to_string(i)).exec();
    }
    tx.commit();
  }
  auto first = resolve_run(p.db(), "run7");
  log_metrics(p.db(), first, {{"m", 7.0}}, 0, 1);
  auto last = resolve_run(p.db(), "run1099");
  log_metrics(p.db(), last, {{"m", 1099.0}}, 0, 1);

  auto runs = list_runs(p.db(), {});
  REQUIRE(runs.size() == n);
  int wrong = 0;
  for (int k = 0; k < n; ++k) {
    const auto& r = runs[static_cast<std::size_t>(k)];
    const int i = n - 1 - k;   // newest first
    if (r.name != "run" + std::to_string(i) || r.params != std::map<std::string, std::string>{{"i", std::to_string(i)}} ||
        r.tags != std::map<std::string, std::string>{{"i", "t" + std::to_string(i)}})
      ++wrong;
    const bool has_metric = i == 7 || i == 1099;
    if (r.metrics.size() != (has_metric ? 1u : 0u) || (has_metric && r.metrics[0].last != i)) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("supervisor_gone: this process lives; a dead or reused pid is gone; another host cannot tell") {
  auto me = this_process();
  CHECK(me.pid == ::getpid());
  CHECK(me.start_ticks > 0);
  CHECK(me.boot_id.size() == 36);
  CHECK(same_host(me));
  CHECK(supervisor_gone(me) == std::optional<bool>(false));

  Supervisor reused = me;
  reused.start_ticks = me.start_ticks + 1;   // the pid now belongs to a process started later
  CHECK(supervisor_gone(reused) == std::optional<bool>(true));

  Supervisor dead = me;
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  dead.pid = child;   // reaped: no process has this pid (until the kernel hands it out again)
  CHECK(supervisor_gone(dead) == std::optional<bool>(true));

  Supervisor remote = me;
  remote.host = "elsewhere";
  CHECK_FALSE(supervisor_gone(remote).has_value());
  Supervisor rebooted = me;
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  CHECK_FALSE(supervisor_gone(rebooted).has_value());
}

TEST_CASE("runs record their supervisor; stale is decided for RUNNING runs only") {
  TempProject p;
  NewRun spec;
  spec.name = "supervised";
  spec.supervisor = this_process();
  auto ref = create_run(p.db(), spec).ref;
  auto run = load_run(p.db(), ref);
  REQUIRE(run.supervisor);
  CHECK(run.supervisor->pid == ::getpid());
  CHECK(run.heartbeat_ms == run.start_ms);
  CHECK_FALSE(run.stale);
  CHECK_FALSE(run_is_stale(p.db(), ref.id));

  mlt::store::Stmt u(p.db(), "UPDATE runs SET supervisor_start = supervisor_start + 1 WHERE id = ?1");
  u.bind(1, ref.id).exec();
  CHECK(load_run(p.db(), ref).stale);
  CHECK(run_is_stale(p.db(), ref.id));
  end_run(p.db(), ref, RunStatus::killed, std::nullopt);
  CHECK_FALSE(load_run(p.db(), ref).stale);
  CHECK_FALSE(run_is_stale(p.db(), ref.id));

  auto manual = load_run(p.db(), make_run(p.db(), "manual"));
  CHECK_FALSE(manual.supervisor);
  CHECK_FALSE(manual.heartbeat_ms);
  CHECK_FALSE(manual.stale);
}

TEST_CASE("write_heartbeat moves a running run's heartbeat, not an ended one's") {
  TempProject p;
  NewRun spec;
  spec.supervisor = this_process();
  ScopedEnv pin("MLT_NOW_MS", "1000");
  auto ref = create_run(p.db(), spec).ref;
  CHECK(load_run(p.db(), ref).heartbeat_ms == 1000);
  pin.set("2000");
  write_heartbeat(p.db(), ref);
  CHECK(load_run(p.db(), ref).heartbeat_ms == 2000);
  end_run(p.db(), ref, RunStatus::finished, 0);
  pin.set("3000");
  write_heartbeat(p.db(), ref);
  CHECK(load_run(p.db(), ref).heartbeat_ms == 2000);
}
