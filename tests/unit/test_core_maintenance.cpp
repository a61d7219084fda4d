// core/maintenance: fsck (clean, then a missing object, a flipped byte seen only by --full, a
// damaged chunk, a missing tree), gc (removes old unreferenced objects, keeps referenced ones,
// young ones and what young trees and manifests reference; refuses on damage), du, parse_duration.
#include "core/maintenance.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "base/clock.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/tracking/metrics.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

using mlt::test::random_text;

using mlt::test::slurp;

void age(const fs::path& p, int seconds_ago) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct timespec t[2] = {{now.tv_sec - seconds_ago, 0}, {now.tv_sec - seconds_ago, 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
}

void flip_byte(const fs::path& p, std::size_t offset) {
  auto bytes = slurp(p);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  write_file(p, bytes);
}

constexpr int days = 86400;

// A project with one run whose artifacts are
//   data/a.txt "hello"   data/big.bin (2 MiB random: a manifest and 2 chunks)   data/sub/c.txt
// 3 trees + 2 blobs + 3 objects of big.bin = 8 objects.
struct Fixture {
  TempProject p;
  RunRef run;
  Digest root, a, c, big;
  std::vector<mlt::store::ChunkRef> chunks;
  Fixture() {
    NewRun spec;
    spec.name = "kept";
    run = create_run(p.db(), spec).ref;
    auto data = p.root() / "data";
    fs::create_directories(data / "sub");
    write_file(data / "a.txt", "hello");
    write_file(data / "big.bin", random_text(2 * MiB, 12));   // seed 12: cut into 2 chunks
    write_file(data / "sub" / "c.txt", "c content");
    AddStats stats;
    root = log_artifacts(p.project(), run, {data}, std::nullopt, stats, {});
    a = sha256(std::string_view("hello"));
    c = sha256(std::string_view("c content"));
    big = artifact_entry(p.project(), run, "data/big.bin").digest;
    chunks = objects().manifest(big);
    REQUIRE(chunks.size() == 2);
  }
  mlt::store::ObjectStore& objects() { return p.project().objects(); }
  std::set<Digest> all_objects() {
    std::set<Digest> out;
    objects().for_each([&](const Digest& d, const fs::path&, std::uint64_t, fs::file_time_type) { out.insert(d); });
    return out;
  }
  std::uint64_t stored_bytes() {
    std::uint64_t n = 0;
    objects().for_each([&](const Digest&, const fs::path&, std::uint64_t size, fs::file_time_type) { n += size; });
    return n;
  }
  void age_all(int seconds_ago) {
    objects().for_each([&](const Digest&, const fs::path& path, std::uint64_t, fs::file_time_type) {
      age(path, seconds_ago);
    });
  }
  std::string uuid8() const { return run.uuid.substr(0, 8); }
};

}  // namespace

TEST_CASE("fsck of a healthy store") {
  Fixture f;
  REQUIRE(f.all_objects().size() == 8);
  for (bool full : {false, true}) {
    CAPTURE(full);
    auto r = fsck(f.p.project(), full);
    CHECK(r.database == "ok");
    CHECK(r.damage.empty());
    CHECK(r.objects_checked == 8);
    CHECK(r.bytes_checked == f.stored_bytes());
  }
}

TEST_CASE("fsck reports a missing object and who references it") {
  Fixture f;
  fs::remove(f.objects().path_of(f.c));
  for (bool full : {false, true}) {
    CAPTURE(full);
    auto r = fsck(f.p.project(), full);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].object == f.c.str());
    CHECK(contains(r.damage[0].problem, "missing"));
    CHECK(contains(r.damage[0].referenced_by, "run " + f.uuid8() + " (kept)"));
    CHECK(contains(r.damage[0].referenced_by, "artifact 'data/sub/c.txt'"));
    CHECK(r.objects_checked == 7);
  }
}

TEST_CASE("fsck: a flipped byte passes the fast check and is caught by --full") {
  Fixture f;
  flip_byte(f.objects().path_of(f.a), 16 + 2);
  auto fast = fsck(f.p.project(), false);
  CHECK(fast.damage.empty());   // header and size are intact
  CHECK(fast.objects_checked == 8);
  auto full = fsck(f.p.project(), true);
  REQUIRE(full.damage.size() == 1);
  CHECK(full.damage[0].object == f.a.str());
  CHECK(contains(full.damage[0].problem, "content does not match its name"));
  CHECK(contains(full.damage[0].referenced_by, "artifact 'data/a.txt'"));
}

TEST_CASE("fsck --full re-hashes unreferenced objects too; both count leftover temporary files") {
  Fixture f;
  auto stray = f.objects().put_blob("nothing refers to this");
  flip_byte(f.objects().path_of(stray), 16 + 3);
  write_file(f.objects().tmp_dir() / "obj-0123456789abcdef.tmp", "half an object");
  auto fast = fsck(f.p.project(), false);
  CHECK(fast.damage.empty());   // the fast check looks at what is referenced
  CHECK(fast.temporary_files == 1);
  CHECK(fast.temporary_bytes == 14);
  auto full = fsck(f.p.project(), true);
  CHECK(full.unreferenced_checked == 1);
  REQUIRE(full.damage.size() == 1);
  CHECK(full.damage[0].object == stray.str());
  CHECK(contains(full.damage[0].referenced_by, "unreferenced"));
  CHECK(full.temporary_files == 1);
}

TEST_CASE("fsck: a truncated object is caught by the fast check") {
  Fixture f;
  auto path = f.objects().path_of(f.a);
  auto bytes = slurp(path);
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  write_file(path, bytes.substr(0, bytes.size() - 1));
  auto r = fsck(f.p.project(), false);
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].object == f.a.str());
  CHECK(contains(r.damage[0].problem, "does not match its header"));
}

TEST_CASE("fsck --full: a damaged chunk names the chunk, and the file that needs it") {
  Fixture f;
  flip_byte(f.objects().path_of(f.chunks[1].digest), 16 + 500);
  CHECK(fsck(f.p.project(), false).damage.empty());
  auto r = fsck(f.p.project(), true);
  REQUIRE_FALSE(r.damage.empty());
  std::set<std::string> objects;
  for (auto& d : r.damage) {
    objects.insert(d.object);
    CHECK(contains(d.referenced_by, "artifact 'data/big.bin'"));
  }
  CHECK(objects.count(f.chunks[1].digest.str()) == 1);
  CHECK(objects.count(f.chunks[0].digest.str()) == 0);
  CHECK(objects.size() <= 2);   // the chunk, and at most the whole file it belongs to
}

TEST_CASE("fsck: the fast check parses chunk lists") {
  Fixture f;
  flip_byte(f.objects().path_of(f.big), 16 + 30);   // inside the manifest's first chunk digest
  auto r = fsck(f.p.project(), false);
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].object == f.big.str());
  CHECK(contains(r.damage[0].problem, "manifest checksum mismatch"));
  CHECK(contains(r.damage[0].referenced_by, "artifact 'data/big.bin'"));
}

TEST_CASE("the artifacts of a deleted run are checked by fsck and kept by gc") {
  Fixture f;
  REQUIRE(set_run_deleted(f.p.db(), f.run, true));
  f.age_all(30 * days);
  auto r = gc(f.p.project(), 14 * 24h, false);
  CHECK(r.removed == 0);
  CHECK(r.kept == 8);
  CHECK(r.young == 0);
  CHECK(f.all_objects().size() == 8);
  fs::remove(f.objects().path_of(f.a));
  auto check = fsck(f.p.project(), false);
  REQUIRE(check.damage.size() == 1);
  CHECK(check.damage[0].object == f.a.str());
}

TEST_CASE("fsck: a missing tree is reported and not descended into") {
  Fixture f;
  Digest sub = artifact_entry(f.p.project(), f.run, "data/sub").digest;
  fs::remove(f.objects().path_of(sub));
  auto r = fsck(f.p.project(), false);
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].object == sub.str());
  CHECK(contains(r.damage[0].problem, "missing"));
  CHECK(r.objects_checked == 6);   // c.txt below it is not reached
}

TEST_CASE("gc removes old unreferenced objects and keeps referenced and young ones") {
  Fixture f;
  auto& s = f.objects();
  const auto referenced = f.all_objects();   // the 8 objects of the run
  // unreferenced, old
  Digest orphan_old = s.put_blob("orphan, old");
  // unreferenced, young
  Digest orphan_young = s.put_blob("orphan, young");
  // an unreferenced chunked file whose manifest is young but whose chunks are old
  write_file(f.p.root() / "other.bin", random_text(2 * MiB, 31));   // seed 31: 2 chunks
  Digest other = s.put_file(f.p.root() / "other.bin").digest;
  auto other_chunks = s.manifest(other);
  REQUIRE(other_chunks.size() == 2);
  // an unreferenced young tree that reuses an old blob
  Digest reused = s.put_blob("reused by a young tree");
  Digest young_tree = put_tree(s, {TreeEntry{EntryKind::file, 0644, 22, reused, "r.txt"}});

  f.age_all(30 * days);
  age(s.path_of(orphan_young), 60);
  age(s.path_of(other), 60);
  age(s.path_of(young_tree), 60);
  // temporary files: an old one (a crashed writer's) and a young one (a writer at work)
  write_file(s.tmp_dir() / "obj-old.tmp", "x");
  age(s.tmp_dir() / "obj-old.tmp", 30 * days);
  write_file(s.tmp_dir() / "obj-young.tmp", "y");
  const std::uint64_t orphan_bytes = 16 + std::string("orphan, old").size();

  auto dry = gc(f.p.project(), 14 * 24h, true);
  CHECK(dry.removed == 1);
  CHECK(dry.removed_bytes == orphan_bytes);
  CHECK(dry.temp_removed == 1);
  CHECK(s.has(orphan_old));   // a dry run deletes nothing
  CHECK(fs::exists(s.tmp_dir() / "obj-old.tmp"));

  auto r = gc(f.p.project(), 14 * 24h, false);
  CHECK(r.removed == 1);
  CHECK(r.removed_bytes == orphan_bytes);
  CHECK(r.kept == 8 + 1 + 3 + 2);   // referenced + young blob + young manifest and its chunks + young tree and its blob
  CHECK(r.kept == dry.kept);
  CHECK(r.young == 6);              // kept only for being young, or a young object's child
  CHECK(r.temp_removed == 1);
  CHECK_FALSE(s.has(orphan_old));
  CHECK_FALSE(fs::exists(s.tmp_dir() / "obj-old.tmp"));
  CHECK(fs::exists(s.tmp_dir() / "obj-young.tmp"));
  for (auto& d : referenced) CHECK(s.has(d));
  CHECK(s.has(orphan_young));
  CHECK(s.has(other));
  for (auto& ch : other_chunks) CHECK(s.has(ch.digest));
  CHECK(s.has(young_tree));
  CHECK(s.has(reused));
  CHECK(fsck(f.p.project(), true).damage.empty());

  // once the young ones are old too, everything unreferenced goes
  f.age_all(30 * days);
  auto later = gc(f.p.project(), 14 * 24h, false);
  CHECK(later.removed == 6);
  CHECK(later.kept == 8);
  CHECK(later.young == 0);
  CHECK(f.all_objects() == referenced);
  CHECK(fsck(f.p.project(), true).damage.empty());
}

TEST_CASE("gc with grace 0 removes every unreferenced object") {
  Fixture f;
  Digest orphan = f.objects().put_blob("orphan");
  age(f.objects().path_of(orphan), 5);
  auto r = gc(f.p.project(), 0s, false);
  CHECK(r.removed == 1);
  CHECK(r.kept == 8);
  CHECK_FALSE(f.objects().has(orphan));
}

TEST_CASE("gc refuses to delete anything when a referenced tree cannot be read") {
  Fixture f;
  Digest orphan = f.objects().put_blob("orphan");
  f.age_all(30 * days);
  Digest sub = artifact_entry(f.p.project(), f.run, "data/sub").digest;
  fs::remove(f.objects().path_of(sub));
  auto e = thrown([&] { gc(f.p.project(), 14 * 24h, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), sub.str()));
  CHECK(f.objects().has(orphan));
  CHECK(f.objects().has(f.c));
}

// ---------------------------------------------------------------------------------------------
// A database that references nothing beside objects (issue 15, item 1), and purging deleted runs
// (item 5).

namespace {

std::int64_t count(mlt::store::Db& db, const std::string& sql, std::int64_t id) {
  mlt::store::Stmt q(db, sql);
  q.bind(1, id);
  REQUIRE(q.step());
  return q.int64(0);
}

// A run with params, tags, metrics, an input-free artifact and a child-free life, then deleted.
RunRef doomed_run(TempProject& p, const std::string& name, const std::string& content) {
  NewRun spec;
  spec.name = name;
  spec.params = {{"lr", "0.1"}};
  spec.tags = {{"team", "x"}};
  auto run = create_run(p.db(), spec).ref;
  for (int i = 0; i < 50; ++i) log_metrics(p.db(), run, {{"loss", 1.0 / (i + 1)}}, i, std::nullopt);
  write_file(p.root() / (name + ".txt"), content);
  AddStats stats;
  log_artifacts(p.project(), run, {p.root() / (name + ".txt")}, std::nullopt, stats, {});
  end_run(p.db(), run, RunStatus::finished, 0);
  REQUIRE(set_run_deleted(p.db(), run, true));
  return run;
}

}  // namespace

TEST_CASE("gc refuses to empty a store that the database does not reference at all, unless forced") {
  TempProject p;
  auto& s = p.project().objects();
  Digest a = s.put_blob("an object of a lost database");
  age(s.path_of(a), 30 * days);
  auto e = thrown([&] { gc(p.project(), 0s, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(contains(e->what(), "references no object"));
  CHECK(contains(e->hint(), "--force"));
  CHECK(s.has(a));
  e = thrown([&] { gc(p.project(), 0s, true); });   // a dry run says the same
  REQUIRE(e);
  GcOptions o;
  o.grace = 0s;
  o.force = true;
  auto r = gc(p.project(), o);
  CHECK(r.removed == 1);
  CHECK_FALSE(s.has(a));
  // an empty store, or one whose objects are all young, is no reason to refuse
  CHECK(gc(p.project(), 0s, false).removed == 0);
  s.put_blob("young");
  CHECK(gc(p.project(), 14 * 24h, false).removed == 0);
}

TEST_CASE("gc --purge-deleted removes deleted runs, their rows and their objects, and compacts") {
  Fixture f;                                    // an active run, "kept", with 8 objects
  const auto kept_objects = f.all_objects();
  auto gone = doomed_run(f.p, "gone", "only the deleted run has this");
  auto& db = f.p.db();
  auto before = count(db, "SELECT count(*) FROM metric_points WHERE run_id = ?1", gone.id);
  REQUIRE(before == 50);
  f.age_all(30 * days);

  GcOptions o;
  o.grace = 0s;
  o.purge_deleted = true;
  o.dry_run = true;
  auto dry = gc(f.p.project(), o);
  REQUIRE(dry.purged.size() == 1);
  CHECK(dry.purged[0].id == gone.uuid);
  CHECK(dry.purged[0].deleted_ms);
  CHECK(dry.metric_points_purged == 50);
  CHECK(dry.removed == 2);                      // its tree and its file
  CHECK_FALSE(dry.vacuumed);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE id = ?1", gone.id) == 1);   // nothing changed
  CHECK(f.all_objects().size() == kept_objects.size() + 2);

  o.dry_run = false;
  auto r = gc(f.p.project(), o);
  REQUIRE(r.purged.size() == 1);
  CHECK(r.metric_points_purged == 50);
  CHECK(r.removed == 2);
  CHECK(r.vacuumed);
  CHECK(r.database_bytes_after <= r.database_bytes_before);
  for (const char* sql : {"SELECT count(*) FROM runs WHERE id = ?1", "SELECT count(*) FROM params WHERE run_id = ?1",
                          "SELECT count(*) FROM tags WHERE run_id = ?1",
                          "SELECT count(*) FROM metric_points WHERE run_id = ?1",
                          "SELECT count(*) FROM metric_summary WHERE run_id = ?1"})
    CHECK_MESSAGE(count(db, sql, gone.id) == 0, sql);
  CHECK(f.all_objects() == kept_objects);
  CHECK(count(db, "SELECT count(*) FROM params WHERE run_id = ?1", f.run.id) >= 0);
  CHECK(fsck(f.p.project(), true).damage.empty());
  // nothing left to purge
  CHECK(gc(f.p.project(), o).purged.empty());
}

TEST_CASE("gc --purge-deleted --older-than: by the time of deletion") {
  Fixture f;
  RunRef old_run, new_run;
  {
    mlt::test::ScopedEnv pin("MLT_NOW_MS", "1700000000000");
    old_run = doomed_run(f.p, "old", "old content");
  }
  {
    mlt::test::ScopedEnv pin("MLT_NOW_MS", std::to_string(1700000000000 + 9LL * days * 1000));
    new_run = doomed_run(f.p, "new", "new content");
  }
  mlt::test::ScopedEnv pin("MLT_NOW_MS", std::to_string(1700000000000 + 10LL * days * 1000));
  f.age_all(30 * days);
  GcOptions o;
  o.grace = 0s;
  o.purge_deleted = true;
  o.older_than = std::chrono::seconds(7 * days);
  auto r = gc(f.p.project(), o);
  REQUIRE(r.purged.size() == 1);
  CHECK(r.purged[0].id == old_run.uuid);
  CHECK(count(f.p.db(), "SELECT count(*) FROM runs WHERE id = ?1", new_run.id) == 1);
  o.older_than = std::chrono::seconds(0);
  r = gc(f.p.project(), o);
  REQUIRE(r.purged.size() == 1);
  CHECK(r.purged[0].id == new_run.uuid);
}

TEST_CASE("gc --purge-deleted refuses, purging nothing, while a registry version, a deployment or a child refers to a run") {
  Fixture f;
  auto& db = f.p.db();
  auto plain = doomed_run(f.p, "plain", "plain");
  auto registered = doomed_run(f.p, "registered", "registered");
  auto deployed = doomed_run(f.p, "deployed", "deployed");
  NewRun child_spec;
  child_spec.name = "child";
  child_spec.parent = f.run.uuid;
  auto parent = doomed_run(f.p, "parent", "parent");
  REQUIRE(set_run_deleted(db, parent, false));   // a deleted run takes no children: add it first
  child_spec.parent = parent.uuid;
  create_run(db, child_spec);
  REQUIRE(set_run_deleted(db, parent, true));
  db.exec("INSERT INTO registered_models(id, name, created_ms, updated_ms) VALUES (1, 'churn', 0, 0)");
  {
    mlt::store::Stmt q(db, "INSERT INTO model_versions(model_id, version, run_id, path, tree, user, created_ms) "
                           "VALUES (1, 3, ?1, 'model', ?2, 'u', 0)");
    q.bind(1, registered.id).bind(2, std::string(64, 'a')).exec();
    mlt::store::Stmt d(db, "INSERT INTO deployments(env, revision, model_uri, model_name, run_uuid, path, tree, target, "
                           "settings, manifests, user, action, created_ms) VALUES ('prod', 2, 'u', 'm', ?1, 'model', ?2, "
                           "'docker', '{}', ?2, 'u', 'create', 0)");
    d.bind(1, deployed.uuid).bind(2, std::string(64, 'b')).exec();
  }
  GcOptions o;
  o.grace = 0s;
  o.purge_deleted = true;
  for (bool dry : {true, false}) {
    o.dry_run = dry;
    auto e = thrown([&] { gc(f.p.project(), o); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::conflict);
    CHECK(contains(e->what(), registered.uuid.substr(0, 8) + " (registered): registry version models:/churn/3"));
    CHECK(contains(e->what(), deployed.uuid.substr(0, 8) + " (deployed): deployment prod revision 2"));
    CHECK(contains(e->what(), parent.uuid.substr(0, 8) + " (parent): its child run"));
    CHECK_FALSE(contains(e->what(), "(plain)"));
    CHECK(count(db, "SELECT count(*) FROM runs WHERE id = ?1", plain.id) == 1);   // nothing purged
    CHECK(count(db, "SELECT count(*) FROM metric_points WHERE run_id = ?1", plain.id) == 50);
  }
}

TEST_CASE("du: logical, unique, stored and unreferenced bytes") {
  Fixture f;
  // a second run with the same file: logical counts it twice, unique once
  NewRun spec;
  spec.name = "copy";
  auto run2 = create_run(f.p.db(), spec).ref;
  AddStats stats;
  log_artifacts(f.p.project(), run2, {f.p.root() / "data" / "a.txt"}, std::nullopt, stats, {});
  const std::uint64_t stored_referenced = f.stored_bytes();   // every object is referenced so far
  Digest orphan = f.objects().put_blob("orphan");
  auto r = du(f.p.project());
  const std::uint64_t files = 5 + 2 * MiB + 9;
  CHECK(r.logical == files + 5);
  CHECK(r.unique == files);
  CHECK(r.stored == stored_referenced);
  CHECK(r.objects == 9);   // 8 of the first run, the second run's root tree
  CHECK(r.unreferenced == f.objects().header(orphan).stored);
}

TEST_CASE("parse_duration") {
  CHECK(parse_duration("0") == 0s);
  CHECK(parse_duration("0s") == 0s);
  CHECK(parse_duration("45s") == 45s);
  CHECK(parse_duration("30m") == 1800s);
  CHECK(parse_duration("12h") == 43200s);
  CHECK(parse_duration("14d") == 1209600s);
  CHECK(parse_duration("2w") == 1209600s);
  CHECK(parse_duration("007d") == 7 * 86400s);
  CHECK(parse_duration("999999999s") == 999999999s);
  for (std::string bad : {"", "d", "14", "14x", "14D", "1.5d", "-1d", "+1d", "14dd", "14 d", " 14d", "14d ", "1d2h",
                          "1234567890s", "s14", "0x", "00"}) {
    CAPTURE(bad);
    auto e = thrown([&] { parse_duration(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid duration"));
  }
}

TEST_CASE("gc --purge-deleted refuses a deleted run that is still RUNNING: a live writer may hold its id") {
  Fixture f;
  NewRun spec;
  spec.name = "live";
  auto live = create_run(f.p.db(), spec).ref;
  REQUIRE(set_run_deleted(f.p.db(), live, true));
  GcOptions o;
  o.grace = 0s;
  o.purge_deleted = true;
  auto e = thrown([&] { gc(f.p.project(), o); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()).find("still RUNNING") != std::string::npos);
  CHECK(count(f.p.db(), "SELECT count(*) FROM runs WHERE id = ?1", live.id) == 1);
  end_run(f.p.db(), live, RunStatus::killed, std::nullopt);
  auto r = gc(f.p.project(), o);
  REQUIRE(r.purged.size() == 1);
  CHECK(r.purged[0].id == live.uuid);
}
