// core/registry: parse_version_ref (every form, every error), check_model_name and check_alias,
// stages, and Registry: create, register_version (numbering, fields, git commit of the run),
// resolve (now and at a past time), aliases, stages with archive_existing, tags, descriptions,
// history events and state_at with a pinned clock, assignments(), remove and restore, run_hook.
#include "core/models/registry.hpp"

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "base/values.hpp"
#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::slurp;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

using Kind = VersionRef::Kind;

RunRef new_run(TempProject& p, const std::string& name, std::vector<KeyValue> tags = {}) {
  NewRun spec;
  spec.name = name;
  spec.tags = std::move(tags);
  return create_run(p.db(), spec).ref;
}

// A stand-in package digest: the registry records it, it does not read the tree.
Digest tree_of(const std::string& seed) { return sha256(seed); }

ExitCode code_of(const std::optional<mlt::Error>& e) { return e ? e->code() : ExitCode::ok; }

std::vector<std::int64_t> numbers(const std::vector<ModelVersion>& vs) {
  std::vector<std::int64_t> out;
  for (auto& v : vs) out.push_back(v.version);
  return out;
}

std::vector<std::string> actions(const std::vector<RegistryEvent>& es) {
  std::vector<std::string> out;
  for (auto& e : es) out.push_back(e.action);
  return out;
}

using Aliases = std::vector<std::pair<std::string, std::int64_t>>;
using Stages = std::vector<std::pair<std::int64_t, Stage>>;

// A project with one run and a Registry acting as `user`, the clock pinned (change it with at()).
struct Fixture {
  TempProject p;
  ScopedEnv clock{"MLT_NOW_MS", "1000"};
  RunRef run = new_run(p, "train", {{"mlt.git.commit", "0123456789abcdef0123456789abcdef01234567"}});
  Registry reg{p.db(), "alice"};
  void at(std::int64_t ms) { clock.set(std::to_string(ms)); }
  ModelVersion add(const std::string& name, const std::string& seed = "pkg") {
    return reg.register_version(name, run, "model", tree_of(seed), "", {}).version;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("registry parse_version_ref: every form, with and without models:/") {
  for (const std::string& prefix : std::vector<std::string>{"", "models:/"}) {
    CAPTURE(prefix);
    auto r = parse_version_ref(prefix + "churn");
    CHECK(r.kind == Kind::model);
    CHECK(r.name == "churn");
    CHECK(r.text == prefix + "churn");

    r = parse_version_ref(prefix + "churn/12");
    CHECK(r.kind == Kind::version);
    CHECK(r.name == "churn");
    CHECK(r.version == 12);

    r = parse_version_ref(prefix + "churn@champion");
    CHECK(r.kind == Kind::alias);
    CHECK(r.name == "churn");
    CHECK(r.alias == "champion");

    for (auto row1_ : std::vector<std::pair<std::string, Stage>>{{"Production", Stage::production},
                                                                         {"production", Stage::production},
                                                                         {"STAGING", Stage::staging},
                                                                         {"Archived", Stage::archived},
                                                                         {"none", Stage::none}}) {  // clang 14 cannot capture structured bindings
      auto& text = std::get<0>(row1_);
      auto& stage = std::get<1>(row1_);
      CAPTURE(text);
      r = parse_version_ref(prefix + "churn/" + text);
      CHECK(r.kind == Kind::stage);
      CHECK(r.stage == stage);
      CHECK(r.name == "churn");
    }

    for (const std::string& latest :
         std::vector<std::string>{"churn/latest", "churn/LATEST", "churn@latest", "churn@Latest"}) {
      CAPTURE(latest);
      r = parse_version_ref(prefix + latest);
      CHECK(r.kind == Kind::latest);
      CHECK(r.name == "churn");
    }

    for (const std::string& vn : std::vector<std::string>{"churn@v3", "churn@V3"}) {
      CAPTURE(vn);
      r = parse_version_ref(prefix + vn);
      CHECK(r.kind == Kind::version);
      CHECK(r.version == 3);
    }
  }
  auto r = parse_version_ref("my.model-2_x/7");
  CHECK(r.name == "my.model-2_x");
  CHECK(r.version == 7);
  r = parse_version_ref("churn@v-x");       // not v<number>: an ordinary alias
  CHECK(r.kind == Kind::alias);
  CHECK(r.alias == "v-x");
}

TEST_CASE("registry parse_version_ref: malformed references exit 2 and say so") {
  const std::vector<std::string> malformed{"", "models:/", "/3", "@champion", "churn@", "churn/", "churn/0",
                                           "churn/-1", "churn/abc", "churn/1.5", "churn/1/2", "churn/prod",
                                           "churn@v0", "churn@a.b", "churn@a b", "a..b/1", "bad name", "-x/1",
                                           "churn/99999999999999999999", "models:/churn@"};
  for (const std::string& bad : malformed) {
    CAPTURE(bad);
    auto e = thrown([&] { parse_version_ref(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
  auto e = thrown([&] { parse_version_ref("churn/prod"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "invalid model reference 'churn/prod'"));
  CHECK(contains(e->hint(), "NAME@ALIAS"));
}

TEST_CASE("registry check_model_name: 1-128 of [A-Za-z0-9_.-], starting alphanumeric, a valid git tag") {
  const std::vector<std::string> good{"a", "Z", "0", "churn", "Churn-2.v_1", "0abc", "a.b.c", "a-", "a_",
                                      std::string(128, 'x')};
  for (const std::string& ok : good) {
    CAPTURE(ok);
    CHECK_FALSE(thrown([&] { check_model_name(ok); }));
  }
  const std::vector<std::string> bad_names{"", "-a", ".a", "_a", "a..b", "a.",
                                           "a.lock", "x.lock", "a/b", "a b", "a@b", "a#b", "a:b",
                                           "a\\b", "a\nb", "caf\xc3\xa9", std::string(129, 'x')};
  for (const std::string& bad : bad_names) {
    CAPTURE(bad);
    auto e = thrown([&] { check_model_name(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid model name"));
  }
}

TEST_CASE("registry check_alias: 1-255 of [A-Za-z0-9_-]; 'latest' and v<number> are reserved") {
  const std::vector<std::string> good{"champion", "prod-1", "a_b", "v", "vx", "v1a", "version3",
                                      "latest2", "Production", std::string(255, 'a')};
  for (const std::string& ok : good) {
    CAPTURE(ok);
    CHECK_FALSE(thrown([&] { check_alias(ok); }));
  }
  for (const std::string& reserved :
       std::vector<std::string>{"latest", "LATEST", "Latest", "v3", "V3", "v0", "v123456"}) {
    CAPTURE(reserved);
    auto e = thrown([&] { check_alias(reserved); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "reserved"));
  }
  const std::vector<std::string> bad_aliases{"", "a.b", "a b", "a/b",
                                             "a@b", "a#b", "caf\xc3\xa9", std::string(256, 'a')};
  for (const std::string& bad : bad_aliases) {
    CAPTURE(bad);
    auto e = thrown([&] { check_alias(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid alias"));
  }
}

TEST_CASE("registry stages: parse_stage is case-insensitive, to_string round-trips") {
  for (auto s : {Stage::none, Stage::staging, Stage::production, Stage::archived}) {
    CHECK(parse_stage(to_string(s)) == s);
    CHECK(parse_stage(ascii_lower(to_string(s))) == s);
  }
  CHECK(std::string(to_string(Stage::production)) == "Production");
  CHECK(parse_stage("PRODUCTION") == Stage::production);
  CHECK(parse_stage("prod") == std::nullopt);
  CHECK(parse_stage("") == std::nullopt);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("registry create: a model without versions; a second create exits 5; bad name exits 2") {
  Fixture f;
  f.reg.create("churn", "predicts churn");
  auto m = f.reg.load("churn");
  CHECK(m.name == "churn");
  CHECK(m.description == "predicts churn");
  CHECK(m.created_ms == 1000);
  CHECK(m.updated_ms == 1000);
  CHECK(m.versions.empty());
  CHECK(m.aliases.empty());
  auto e = thrown([&] { f.reg.create("churn", "again"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(code_of(thrown([&] { f.reg.create("a..b", ""); })) == ExitCode::usage);
  CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref("churn/latest")); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.load("nosuch"); })) == ExitCode::not_found);
  CHECK(f.reg.list().size() == 1);
}

TEST_CASE("registry register_version: consecutive numbers, every field recorded, the run's git commit") {
  Fixture f;
  auto r1 = f.reg.register_version("churn", f.run, "model", tree_of("one"), "first", {{"team", "a"}, {"data", "v2"}});
  CHECK(r1.created_model);
  CHECK(r1.version.version == 1);
  CHECK(r1.version.model == "churn");
  CHECK(r1.version.run_uuid == f.run.uuid);
  CHECK(r1.version.run_name == "train");
  CHECK(r1.version.path == "model");
  CHECK(r1.version.tree == tree_of("one"));
  CHECK(r1.version.description == "first");
  CHECK(r1.version.user == "alice");
  CHECK(r1.version.stage == Stage::none);
  CHECK(r1.version.created_ms == 1000);
  CHECK(r1.version.tags == std::map<std::string, std::string>{{"data", "v2"}, {"team", "a"}});
  CHECK(r1.version.aliases.empty());
  CHECK(r1.version.git_commit == std::optional<std::string>("0123456789abcdef0123456789abcdef01234567"));
  CHECK(r1.version.source() == "runs:/" + f.run.uuid + "/model");
  CHECK(r1.version.uri() == "models:/churn/1");

  f.at(2000);
  auto plain = new_run(f.p, "plain");
  auto r2 = f.reg.register_version("churn", plain, "m/sub", tree_of("two"), "", {});
  CHECK_FALSE(r2.created_model);
  CHECK(r2.version.version == 2);
  CHECK(r2.version.created_ms == 2000);
  CHECK(r2.version.git_commit == std::nullopt);
  CHECK(r2.version.path == "m/sub");

  auto m = f.reg.load("churn");
  CHECK(numbers(m.versions) == std::vector<std::int64_t>{1, 2});
  CHECK(m.created_ms == 1000);
  CHECK(m.updated_ms == 2000);
  CHECK(f.reg.version("churn", 1).tree == tree_of("one"));

  // each model numbers its own versions
  CHECK(f.add("other").version == 1);
  auto listed = f.reg.list();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "churn");
  CHECK(listed[1].name == "other");

  // refused before anything is written
  CHECK(code_of(thrown([&] { f.reg.register_version("bad name", f.run, "model", tree_of("x"), "", {}); })) ==
        ExitCode::usage);
  CHECK(code_of(thrown([&] { f.reg.register_version("churn", f.run, "model", tree_of("x"), "", {{"", "v"}}); })) ==
        ExitCode::usage);
  CHECK(numbers(f.reg.load("churn").versions) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("registry resolve: version, alias, stage (highest in it), latest, model; unknown -> 4") {
  Fixture f;
  for (auto s : {"a", "b", "c", "d"}) f.add("churn", s);
  f.reg.set_alias("churn", "champion", 2);
  f.reg.set_stage("churn", 1, Stage::production, false);
  f.reg.set_stage("churn", 3, Stage::production, false);
  f.reg.set_stage("churn", 2, Stage::staging, false);
  auto v = [&](const std::string& ref) { return f.reg.resolve(parse_version_ref(ref)).version; };
  CHECK(v("churn/1") == 1);
  CHECK(v("churn@v4") == 4);
  CHECK(v("churn@champion") == 2);
  CHECK(v("models:/churn/Production") == 3);
  CHECK(v("churn/staging") == 2);
  CHECK(v("churn/None") == 4);
  CHECK(v("churn/latest") == 4);
  CHECK(v("churn@latest") == 4);
  CHECK(v("churn") == 4);
  CHECK(f.reg.resolve(parse_version_ref("churn@champion")).tree == tree_of("b"));
  CHECK(f.reg.resolve(parse_version_ref("churn@champion")).aliases == std::vector<std::string>{"champion"});
  const std::vector<std::string> missing_refs{"churn/5", "churn@nosuch", "churn/archived",
                                              "nosuch/1", "nosuch@a", "nosuch/latest"};
  for (const std::string& missing : missing_refs) {
    CAPTURE(missing);
    CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref(missing)); })) == ExitCode::not_found);
  }
  CHECK(code_of(thrown([&] { f.reg.version("churn", 9); })) == ExitCode::not_found);
}

TEST_CASE("registry set_alias / remove_alias: set, move (from), reserved 2, unknown version or alias 4") {
  Fixture f;
  f.add("churn", "a");
  f.add("churn", "b");
  auto c = f.reg.set_alias("churn", "champion", 1);
  CHECK(c.from == std::nullopt);
  c = f.reg.set_alias("churn", "champion", 2);
  CHECK(c.from == std::optional<std::int64_t>(1));
  c = f.reg.set_alias("churn", "champion", 2);     // to where it is: still a recorded assignment
  CHECK(c.from == std::optional<std::int64_t>(2));
  f.reg.set_alias("churn", "backup", 1);
  CHECK(f.reg.load("churn").aliases == Aliases{{"backup", 1}, {"champion", 2}});
  CHECK(f.reg.version("churn", 1).aliases == std::vector<std::string>{"backup"});

  for (const std::string& bad : std::vector<std::string>{"latest", "v3", "V3", "a.b", ""}) {
    CAPTURE(bad);
    CHECK(code_of(thrown([&] { f.reg.set_alias("churn", bad, 1); })) == ExitCode::usage);
  }
  CHECK(code_of(thrown([&] { f.reg.set_alias("churn", "x", 3); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.set_alias("nosuch", "x", 1); })) == ExitCode::not_found);

  c = f.reg.remove_alias("churn", "champion");
  CHECK(c.from == std::optional<std::int64_t>(2));
  CHECK(f.reg.load("churn").aliases == Aliases{{"backup", 1}});
  CHECK(code_of(thrown([&] { f.reg.remove_alias("churn", "champion"); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref("churn@champion")); })) == ExitCode::not_found);
  CHECK(f.reg.load("churn").aliases == Aliases{{"backup", 1}});
}

TEST_CASE("registry set_stage: from_stage; archive_existing moves the others in Staging/Production to Archived") {
  Fixture f;
  for (auto s : {"a", "b", "c", "d"}) f.add("m", s);
  auto c = f.reg.set_stage("m", 1, Stage::production, false);
  CHECK(c.from_stage == Stage::none);
  CHECK(c.archived.empty());
  f.reg.set_stage("m", 2, Stage::production, false);
  f.reg.set_stage("m", 4, Stage::staging, false);
  c = f.reg.set_stage("m", 3, Stage::production, true);
  CHECK(c.archived == std::vector<std::int64_t>{1, 2});
  auto stages = [&] {
    Stages out;
    for (auto& v : f.reg.load("m").versions) out.emplace_back(v.version, v.stage);
    return out;
  };
  CHECK(stages() == Stages{{1, Stage::archived}, {2, Stage::archived}, {3, Stage::production}, {4, Stage::staging}});
  c = f.reg.set_stage("m", 3, Stage::production, true);    // already there: nothing else to archive
  CHECK(c.from_stage == Stage::production);
  CHECK(c.archived.empty());
  c = f.reg.set_stage("m", 4, Stage::production, true);
  CHECK(c.from_stage == Stage::staging);
  CHECK(c.archived == std::vector<std::int64_t>{3});
  c = f.reg.set_stage("m", 1, Stage::none, true);          // archive_existing only for Staging/Production
  CHECK(c.from_stage == Stage::archived);
  CHECK(c.archived.empty());
  CHECK(stages() == Stages{{1, Stage::none}, {2, Stage::archived}, {3, Stage::archived}, {4, Stage::production}});
  CHECK(code_of(thrown([&] { f.reg.set_stage("m", 5, Stage::staging, false); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.set_stage("nosuch", 1, Stage::staging, false); })) == ExitCode::not_found);
}

TEST_CASE("registry set_tag and describe: the model (version 0) or one version, each an event") {
  Fixture f;
  f.reg.create("m", "about m");
  f.add("m");
  f.reg.set_tag("m", std::nullopt, "owner", "ml");
  f.reg.set_tag("m", 1, "ok", "yes");
  f.reg.set_tag("m", 1, "ok", "no");
  f.reg.describe("m", std::nullopt, "new about");
  f.reg.describe("m", 1, "v1 text");
  auto m = f.reg.load("m");
  CHECK(m.tags == std::map<std::string, std::string>{{"owner", "ml"}});
  CHECK(m.description == "new about");
  CHECK(m.versions.at(0).tags == std::map<std::string, std::string>{{"ok", "no"}});
  CHECK(m.versions.at(0).description == "v1 text");
  auto h = f.reg.history("m");
  REQUIRE(h.size() == 7);
  CHECK(h[4].action == "tag");
  CHECK(h[4].version == std::optional<std::int64_t>(1));
  CHECK(h[4].target == std::optional<std::string>("ok"));
  CHECK(h[4].from == std::optional<std::string>("yes"));
  CHECK(h[4].to == std::optional<std::string>("no"));
  CHECK(h[5].action == "describe");
  CHECK(h[5].version == std::nullopt);
  CHECK(h[5].from == std::optional<std::string>("about m"));
  CHECK(code_of(thrown([&] { f.reg.set_tag("m", 2, "k", "v"); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.set_tag("m", std::nullopt, "", "v"); })) == ExitCode::usage);
  CHECK(code_of(thrown([&] { f.reg.describe("m", 2, "x"); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.describe("nosuch", std::nullopt, "x"); })) == ExitCode::not_found);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("registry history: one event per change, with the pinned time, the user, from and to") {
  Fixture f;
  f.at(100);
  f.reg.create("h", "d");
  f.at(200);
  f.add("h", "a");
  f.at(300);
  f.reg.set_alias("h", "champion", 1);
  f.at(400);
  f.add("h", "b");
  f.at(500);
  Registry bob(f.p.db(), "bob");
  bob.set_alias("h", "champion", 2);
  f.at(600);
  f.reg.set_stage("h", 2, Stage::production, false);
  f.at(700);
  f.reg.remove_alias("h", "champion");
  auto h = f.reg.history("h");
  CHECK(actions(h) == std::vector<std::string>{"create", "register", "alias", "register", "alias", "stage", "unalias"});
  REQUIRE(h.size() == 7);
  std::vector<std::int64_t> times;
  for (auto& e : h) times.push_back(e.time_ms);
  CHECK(times == std::vector<std::int64_t>{100, 200, 300, 400, 500, 600, 700});
  for (std::size_t i = 1; i < h.size(); ++i) CHECK(h[i].id > h[i - 1].id);
  CHECK(h[4].user == "bob");
  CHECK(h[3].user == "alice");
  CHECK(h[1].version == std::optional<std::int64_t>(1));
  CHECK(h[1].target == std::optional<std::string>("runs:/" + f.run.uuid + "/model"));
  CHECK(h[1].to == std::optional<std::string>(tree_of("a").str()));
  CHECK(h[4].target == std::optional<std::string>("champion"));
  CHECK(h[4].from == std::optional<std::string>("1"));
  CHECK(h[4].to == std::optional<std::string>("2"));
  CHECK(h[5].from == std::optional<std::string>("None"));
  CHECK(h[5].to == std::optional<std::string>("Production"));
  CHECK(h[6].from == std::optional<std::string>("2"));
  CHECK(h[6].to == std::nullopt);
  CHECK(code_of(thrown([&] { f.reg.history("nosuch"); })) == ExitCode::not_found);
}

TEST_CASE("registry state_at and resolve(ref, at): aliases and stages as they were (pinned clock)") {
  Fixture f;
  f.at(1000);
  f.add("m", "a");                                     // v1
  f.at(2000);
  f.reg.set_alias("m", "champion", 1);
  f.at(3000);
  f.add("m", "b");                                     // v2
  f.at(4000);
  f.reg.set_alias("m", "champion", 2);
  f.reg.set_stage("m", 1, Stage::staging, false);      // same millisecond: both at 4000
  f.at(5000);
  f.reg.set_stage("m", 2, Stage::production, false);
  f.at(6000);
  f.reg.set_stage("m", 1, Stage::production, true);    // v2 archived
  f.at(7000);
  f.reg.remove_alias("m", "champion");

  auto st = f.reg.state_at("m", 999);
  CHECK(st.aliases.empty());
  CHECK(st.versions.empty());
  st = f.reg.state_at("m", 1000);                      // an event at exactly `at` counts
  CHECK(st.versions == Stages{{1, Stage::none}});
  st = f.reg.state_at("m", 2500);
  CHECK(st.aliases == Aliases{{"champion", 1}});
  st = f.reg.state_at("m", 4000);
  CHECK(st.aliases == Aliases{{"champion", 2}});
  CHECK(st.versions == Stages{{1, Stage::staging}, {2, Stage::none}});
  st = f.reg.state_at("m", 6500);
  CHECK(st.aliases == Aliases{{"champion", 2}});
  CHECK(st.versions == Stages{{1, Stage::production}, {2, Stage::archived}});
  st = f.reg.state_at("m", 1'000'000);
  CHECK(st.aliases.empty());

  auto at = [&](const std::string& ref, std::int64_t t) { return f.reg.resolve(parse_version_ref(ref), t).version; };
  CHECK(at("m@champion", 2000) == 1);
  CHECK(at("m@champion", 3999) == 1);
  CHECK(at("m@champion", 4000) == 2);
  CHECK(at("m/staging", 4500) == 1);
  CHECK(at("m/production", 5500) == 2);
  CHECK(at("m/production", 6000) == 1);
  CHECK(at("m/latest", 2500) == 1);
  CHECK(at("m", 3000) == 2);
  CHECK(at("m/1", 1000) == 1);
  CHECK(f.reg.resolve(parse_version_ref("m@champion"), 2500).tree == tree_of("a"));
  for (auto row2_ : std::vector<std::pair<std::string, std::int64_t>>{
           {"m@champion", 1999}, {"m@champion", 7000}, {"m/production", 4999}, {"m/staging", 6000},
           {"m/2", 2999}, {"m/latest", 999}, {"m@nosuch", 5000}}) {  // clang 14 cannot capture structured bindings
    auto& ref = std::get<0>(row2_);
    auto& t = std::get<1>(row2_);
    CAPTURE(ref);
    CAPTURE(t);
    auto e = thrown([&] { f.reg.resolve(parse_version_ref(ref), t); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::not_found);
  }
  auto e = thrown([&] { f.reg.resolve(parse_version_ref("m@champion"), 1500); });
  REQUIRE(e);
  CHECK(contains(e->what(), "champion"));
  CHECK(contains(e->what(), "1970-01-01T00:00:01.500Z"));
}

TEST_CASE("registry assignments: how often an alias or a stage was assigned, this one included") {
  Fixture f;
  CHECK(f.reg.assignments("nosuch", "prod") == 0);
  f.add("m", "a");
  f.add("m", "b");
  CHECK(f.reg.assignments("m", "prod") == 0);
  f.reg.set_alias("m", "prod", 1);
  CHECK(f.reg.assignments("m", "prod") == 1);
  f.reg.set_alias("m", "prod", 2);
  f.reg.set_alias("m", "prod", 2);
  CHECK(f.reg.assignments("m", "prod") == 3);
  f.reg.remove_alias("m", "prod");                     // an unalias is no assignment
  CHECK(f.reg.assignments("m", "prod") == 3);
  f.reg.set_alias("m", "other", 1);
  CHECK(f.reg.assignments("m", "prod") == 3);
  CHECK(f.reg.assignments("m", "other") == 1);

  CHECK(f.reg.assignments("m", "Production") == 0);
  f.reg.set_stage("m", 1, Stage::production, false);
  CHECK(f.reg.assignments("m", "Production") == 1);
  f.reg.set_stage("m", 2, Stage::production, true);    // v1 archived: one more Archived, not Production
  CHECK(f.reg.assignments("m", "Production") == 2);
  CHECK(f.reg.assignments("m", "Archived") == 1);
  CHECK(f.reg.assignments("m", "Staging") == 0);

  // aliases and stages share one count per lower-cased name: their git tags (NAME#prod#N,
  // NAME#production#N) share one name space, so an alias spelled like a stage takes the next number
  f.reg.set_alias("m", "production", 2);
  CHECK(f.reg.assignments("m", "production") == 3);
  CHECK(f.reg.assignments("m", "Production") == 3);
  CHECK(f.reg.assignments("m", "PROD") == 3);

  // per model
  f.add("n");
  f.reg.set_alias("n", "prod", 1);
  CHECK(f.reg.assignments("n", "prod") == 1);
  CHECK(f.reg.assignments("m", "prod") == 3);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("registry remove: a version (its aliases dropped, its number not reused) and a whole model") {
  Fixture f;
  f.at(100);
  for (auto s : {"a", "b", "c"}) f.add("m", s);
  f.reg.set_alias("m", "on3", 3);
  f.reg.set_alias("m", "on1", 1);
  f.at(200);
  f.reg.remove("m", 3);
  CHECK(numbers(f.reg.load("m").versions) == std::vector<std::int64_t>{1, 2});
  CHECK(f.reg.load("m").aliases == Aliases{{"on1", 1}});
  CHECK(code_of(thrown([&] { f.reg.version("m", 3); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref("m@on3")); })) == ExitCode::not_found);
  CHECK(f.reg.resolve(parse_version_ref("m/latest")).version == 2);
  CHECK(code_of(thrown([&] { f.reg.remove("m", 3); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.set_alias("m", "x", 3); })) == ExitCode::not_found);
  CHECK(f.add("m", "d").version == 4);                 // not 3

  // as it was before the removal: found, with its aliases of that time
  auto then = f.reg.resolve(parse_version_ref("m/3"), 150);
  CHECK(then.version == 3);
  CHECK(then.tree == tree_of("c"));
  CHECK(then.aliases == std::vector<std::string>{"on3"});
  CHECK(f.reg.resolve(parse_version_ref("m@on3"), 150).version == 3);
  CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref("m/3"), 250); })) == ExitCode::not_found);

  // the past still shows version 3 with its alias
  auto st = f.reg.state_at("m", 150);
  CHECK(st.aliases == Aliases{{"on1", 1}, {"on3", 3}});
  CHECK(st.versions.size() == 3);
  st = f.reg.state_at("m", 250);
  CHECK(st.aliases == Aliases{{"on1", 1}});
  CHECK(st.versions == Stages{{1, Stage::none}, {2, Stage::none}, {4, Stage::none}});

  f.at(300);
  f.reg.remove("m", std::nullopt);
  CHECK(code_of(thrown([&] { f.reg.load("m"); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.version("m", 1); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.resolve(parse_version_ref("m/latest")); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.set_alias("m", "x", 1); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { f.reg.remove("m", std::nullopt); })) == ExitCode::not_found);
  CHECK(f.reg.list().empty());
  auto h = f.reg.history("m");                         // kept
  REQUIRE(h.size() >= 2);
  CHECK(h.back().action == "rm");
  CHECK(h.back().version == std::nullopt);
  auto& dropped = h[h.size() - 2];                     // the alias went first, with its version
  CHECK(dropped.action == "unalias");
  CHECK(dropped.target == std::optional<std::string>("on1"));
  CHECK(dropped.version == std::optional<std::int64_t>(1));
  CHECK(dropped.from == std::optional<std::string>("1"));
  CHECK(f.reg.resolve(parse_version_ref("m@on1"), 250).version == 1);   // the past of a removed model
  CHECK(f.reg.state_at("m", 300).versions.empty());
  CHECK(f.reg.state_at("m", 300).aliases.empty());
}

TEST_CASE("registry restore: register_version or create brings a removed model back, numbers go on") {
  Fixture f;
  f.reg.create("m", "first life");
  f.add("m");
  f.add("m");
  f.reg.set_alias("m", "prod", 2);
  f.reg.remove("m", std::nullopt);

  auto r = f.reg.register_version("m", f.run, "model", tree_of("again"), "", {});
  CHECK_FALSE(r.created_model);
  CHECK(r.version.version == 3);
  auto m = f.reg.load("m");
  CHECK(numbers(m.versions) == std::vector<std::int64_t>{3});
  CHECK(m.aliases.empty());
  CHECK(f.reg.list().size() == 1);
  auto a = actions(f.reg.history("m"));
  REQUIRE(a.size() >= 3);
  CHECK(std::vector<std::string>(a.end() - 3, a.end()) == std::vector<std::string>{"rm", "restore", "register"});
  CHECK(a.front() == "create");

  f.reg.remove("m", std::nullopt);
  CHECK_FALSE(thrown([&] { f.reg.create("m", "second life"); }));   // restores, no conflict
  m = f.reg.load("m");
  CHECK(m.description == "second life");
  CHECK(m.versions.empty());
  CHECK(code_of(thrown([&] { f.reg.create("m", "x"); })) == ExitCode::conflict);
  CHECK(f.add("m").version == 4);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("registry run_hook: absent, not executable (warned), exit status and environment") {
  TempProject p;
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& m) { warnings.push_back(m); };
  auto r = run_hook(p.project(), "pre-promote", {{"MLT_MODEL", "m"}}, warn);
  CHECK_FALSE(r.ran);
  CHECK(warnings.empty());

  auto hook = p.project().dir() / "hooks" / "pre-promote";
  fs::create_directories(hook.parent_path());
  auto seen = p.root() / "seen.txt";
  write_file(hook, "#!/bin/sh\nprintf '%s %s' \"$MLT_MODEL\" \"$MLT_TARGET\" >'" + seen.string() +
                       "'\n[ \"$MLT_TARGET\" = no ] && exit 7\nexit 0\n");
  ::chmod(hook.c_str(), 0644);
  r = run_hook(p.project(), "pre-promote", {{"MLT_MODEL", "m"}, {"MLT_TARGET", "yes"}}, warn);
  CHECK_FALSE(r.ran);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "not executable"));
  CHECK_FALSE(fs::exists(seen));

  ::chmod(hook.c_str(), 0755);
  r = run_hook(p.project(), "pre-promote", {{"MLT_MODEL", "churn"}, {"MLT_TARGET", "yes"}}, warn);
  CHECK(r.ran);
  CHECK(r.exit_code == 0);
  CHECK(slurp(seen) == "churn yes");
  r = run_hook(p.project(), "pre-promote", {{"MLT_MODEL", "churn"}, {"MLT_TARGET", "no"}}, warn);
  CHECK(r.ran);
  CHECK(r.exit_code == 7);
  CHECK(warnings.size() == 1);
}
