// core/artifacts: snapshots (files, directories, symlinks stored as links), the stat cache, run
// artifacts (log_artifacts with and without a destination), restores (files, directories, links;
// conflicts; links pointing outside; corruption leaves nothing behind) and runs:/ URIs.
#include "core/artifacts/artifacts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

using mlt::test::random_text;

using mlt::test::slurp;

// Sets a path's mtime (and atime) to `seconds_ago` before now, without following a symlink.
void age(const fs::path& p, int seconds_ago) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct timespec t[2] = {{now.tv_sec - seconds_ago, now.tv_nsec}, {now.tv_sec - seconds_ago, now.tv_nsec}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
}

// Names in a directory (to see that nothing, not even a temporary file, was left behind).
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void flip_byte(const fs::path& p, std::size_t offset) {
  auto bytes = slurp(p);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x20);
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  write_file(p, bytes);
}

// A project with a run and a source directory:
//   data/a.txt "hello"          data/run.sh (executable)      data/sub/b.bin (3000 random bytes)
//   data/link -> a.txt          data/sub/self -> b.bin
struct Fixture {
  TempProject p;
  RunRef run;
  fs::path data;
  std::string b_content = random_text(3000, 1);
  Fixture() {
    NewRun spec;
    spec.name = "art";
    run = create_run(p.db(), spec).ref;
    data = p.root() / "data";
    fs::create_directories(data / "sub");
    write_file(data / "a.txt", "hello");
    write_file(data / "run.sh", "#!/bin/sh\necho hi\n");
    fs::permissions(data / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
    write_file(data / "sub" / "b.bin", b_content);
    fs::create_symlink("a.txt", data / "link");
    fs::create_symlink("b.bin", data / "sub" / "self");
  }
  mlt::store::ObjectStore& objects() { return p.project().objects(); }
  TreeEntry snap(AddStats& stats, const fs::path& src, std::vector<std::string>* warnings = nullptr,
                 bool keep_links = false) {
    AddOptions opt;
    if (warnings) opt.warn = [warnings](const std::string& w) { warnings->push_back(w); };
    opt.keep_links = keep_links;
    return snapshot(p.project(), src, stats, opt);
  }
  Digest log(const std::vector<fs::path>& sources, const std::optional<std::string>& dest = std::nullopt,
             bool keep_links = false) {
    AddStats stats;
    AddOptions opt;
    opt.keep_links = keep_links;
    return log_artifacts(p.project(), run, sources, dest, stats, opt);
  }
  std::vector<std::string> tree_paths(const Digest& root) {
    std::vector<std::string> out;
    walk_tree(objects(), root, [&](const std::string& path, const TreeEntry& e) {
      out.push_back(path + (e.kind == EntryKind::dir ? "/" : e.kind == EntryKind::link ? "@" : ""));
    });
    return out;
  }
};

}  // namespace

TEST_CASE("snapshot of a directory: files, subdirectories, symlinks stored as links") {
  Fixture f;
  AddStats stats;
  auto e = f.snap(stats, f.data);
  CHECK(e.kind == EntryKind::dir);
  CHECK(e.name == "data");
  CHECK(e.size == 5 + 18 + 3000);   // bytes of files; link targets do not count
  CHECK(lookup(f.objects(), e.digest, "sub")->size == 3000);
  CHECK(f.tree_paths(e.digest) ==
        std::vector<std::string>{"a.txt", "link@", "run.sh", "sub/", "sub/b.bin", "sub/self@"});
  CHECK(stats.files == 3);
  CHECK(stats.dirs == 2);
  CHECK(stats.links == 2);
  CHECK(stats.skipped == 0);
  CHECK(stats.bytes == 3023);
  CHECK(stats.hashed == 3023);

  auto a = lookup(f.objects(), e.digest, "a.txt");
  REQUIRE(a);
  CHECK(a->digest == sha256(std::string_view("hello")));
  CHECK(a->mode == 0644);
  CHECK(lookup(f.objects(), e.digest, "run.sh")->mode == 0755);
  CHECK(lookup(f.objects(), e.digest, "sub/b.bin")->digest == sha256(f.b_content));
  auto link = lookup(f.objects(), e.digest, "link");
  REQUIRE(link);
  CHECK(link->kind == EntryKind::link);
  CHECK(link->size == 5);
  CHECK(link->mode == 0777);
  CHECK(f.objects().read(link->digest) == "a.txt");
  CHECK(f.objects().read(lookup(f.objects(), e.digest, "sub/self")->digest) == "b.bin");

  // the same directory snapshotted again is the same tree
  AddStats again;
  CHECK(f.snap(again, f.data).digest == e.digest);
  // a single file, and a link named as the source: followed, stored under the name given
  AddStats one;
  auto fe = f.snap(one, f.data / "a.txt");
  CHECK(fe.kind == EntryKind::file);
  CHECK(fe.name == "a.txt");
  CHECK(fe.digest == a->digest);
  auto le = f.snap(one, f.data / "link");
  CHECK(le.kind == EntryKind::file);
  CHECK(le.name == "link");
  CHECK(le.digest == a->digest);
  AddStats kept;
  CHECK(f.snap(kept, f.data / "link", nullptr, true).kind == EntryKind::file);   // even with keep_links
}

TEST_CASE("a symlink named as the source is followed, to a file or a directory") {
  Fixture f;
  TempDir elsewhere;
  fs::create_symlink(f.data, elsewhere / "data-link");
  AddStats stats;
  auto e = f.snap(stats, elsewhere / "data-link");
  CHECK(e.kind == EntryKind::dir);
  CHECK(e.name == "data-link");
  AddStats direct;
  CHECK(e.digest == f.snap(direct, f.data).digest);   // its links are judged against the target
  CHECK(stats.files == 3);
  fs::create_symlink("/nonexistent/x", elsewhere / "dangling");
  auto err = thrown([&] { f.snap(stats, elsewhere / "dangling"); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
  CHECK(contains(err->what(), "does not exist"));
}

TEST_CASE("a Hugging Face snapshot: links leading outside the source become files, inside ones stay links") {
  // hub/blobs/<hash> hold the bytes; hub/snapshots/abc/config.json -> ../../blobs/<hash>
  Fixture f;
  fs::path hub = f.p.root() / "hub";
  fs::create_directories(hub / "blobs");
  fs::create_directories(hub / "snapshots" / "abc" / "nested");
  write_file(hub / "blobs" / "h1", "{\"model\": 1}\n");
  write_file(hub / "blobs" / "h2", f.b_content);
  fs::create_symlink("../../blobs/h1", hub / "snapshots" / "abc" / "config.json");
  fs::create_symlink("../../../blobs/h2", hub / "snapshots" / "abc" / "nested" / "weights.bin");
  fs::create_symlink("config.json", hub / "snapshots" / "abc" / "alias.json");   // leads outside through it
  fs::create_symlink("nested", hub / "snapshots" / "abc" / "also-nested");        // inside: kept

  AddStats stats;
  auto e = f.snap(stats, hub / "snapshots" / "abc");
  CHECK(f.tree_paths(e.digest) == std::vector<std::string>{"alias.json", "also-nested@", "config.json", "nested/",
                                                           "nested/weights.bin"});
  CHECK(lookup(f.objects(), e.digest, "config.json")->digest == sha256(std::string_view("{\"model\": 1}\n")));
  CHECK(lookup(f.objects(), e.digest, "alias.json")->digest == sha256(std::string_view("{\"model\": 1}\n")));
  CHECK(lookup(f.objects(), e.digest, "nested/weights.bin")->digest == sha256(f.b_content));
  CHECK(stats.files == 3);
  CHECK(stats.followed == 3);
  CHECK(stats.links == 1);

  // the whole hub: every link stays inside it, so all are kept, and restore recreates them
  AddStats whole;
  auto h = f.snap(whole, hub);
  CHECK(whole.links == 4);
  CHECK(whole.files == 2);
  TempDir out;
  std::vector<std::string> warnings;
  RestoreOptions opt;
  opt.warn = [&](const std::string& w) { warnings.push_back(w); };
  auto rs = restore(f.p.project(), h, out / "hub", opt);
  CHECK(warnings.empty());
  CHECK(rs.skipped == 0);
  CHECK(rs.links == 4);
  CHECK(fs::read_symlink(out / "hub" / "snapshots" / "abc" / "config.json") == "../../blobs/h1");
  CHECK(slurp(out / "hub" / "snapshots" / "abc" / "nested" / "weights.bin") == f.b_content);

  // keep_links: the snapshot folder alone holds only links, restored as none of them
  AddStats kept;
  auto k = f.snap(kept, hub / "snapshots" / "abc", nullptr, true);
  CHECK(kept.links == 4);
  CHECK(kept.files == 0);
  TempDir out2;
  warnings.clear();
  rs = restore(f.p.project(), k, out2 / "abc", opt);
  CHECK(rs.skipped == 3);   // all but also-nested lead outside what is restored
  CHECK(rs.links == 1);
  CHECK(warnings.size() == 3);
}

TEST_CASE("link cycles end the add with an error instead of looping") {
  Fixture f;
  fs::create_symlink("..", f.data / "sub" / "up");   // inside: a link, never walked
  AddStats stats;
  auto e = f.snap(stats, f.data);
  CHECK(lookup(f.objects(), e.digest, "sub/up")->kind == EntryKind::link);

  SUBCASE("an absolute link to the source itself") {
    fs::create_symlink(f.data, f.data / "sub" / "again");
    auto err = thrown([&] { f.snap(stats, f.data); });
    REQUIRE(err);
    CHECK(err->code() == ExitCode::usage);
    CHECK(contains(err->what(), "contains it"));
  }
  SUBCASE("a link to a folder above the source") {
    fs::create_symlink("../..", f.data / "sub" / "top");
    auto err = thrown([&] { f.snap(stats, f.data); });
    REQUIRE(err);
    CHECK(err->code() == ExitCode::usage);
  }
  SUBCASE("two folders outside linking to each other") {
    TempDir outside;
    fs::create_directories(outside / "a");
    fs::create_directories(outside / "b");
    fs::create_symlink(outside / "b", outside / "a" / "to-b");
    fs::create_symlink(outside / "a", outside / "b" / "to-a");
    fs::create_symlink(outside / "a", f.data / "ext");
    auto err = thrown([&] { f.snap(stats, f.data); });
    REQUIRE(err);
    CHECK(err->code() == ExitCode::usage);
  }
  SUBCASE("links to each other") {
    fs::create_symlink("l2", f.data / "l1");
    fs::create_symlink("l1", f.data / "l2");
    auto err = thrown([&] { f.snap(stats, f.data); });
    REQUIRE(err);
    CHECK(err->code() == ExitCode::usage);
    AddStats kept;
    CHECK(f.snap(kept, f.data, nullptr, true).kind == EntryKind::dir);   // kept as they are
  }
}

TEST_CASE("an add that stores no file fails with exit 1 and records nothing") {
  Fixture f;
  fs::create_directories(f.p.root() / "empty" / "deeper");
  auto err = thrown([&] { f.log({f.p.root() / "empty"}); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::failure);
  CHECK(contains(err->what(), "nothing added"));
  CHECK_FALSE(artifact_root(f.p.db(), f.run).has_value());
}

TEST_CASE("snapshot keeps empty directories and takes a trailing slash") {
  Fixture f;
  fs::create_directories(f.data / "empty");
  fs::permissions(f.data / "a.txt", fs::perms::owner_read | fs::perms::owner_write);   // 0600: stored as 644
  AddStats stats;
  auto e = f.snap(stats, f.data / "");
  CHECK(e.name == "data");
  auto empty = lookup(f.objects(), e.digest, "empty");
  REQUIRE(empty);
  CHECK(empty->kind == EntryKind::dir);
  CHECK(empty->size == 0);
  CHECK(read_tree(f.objects(), empty->digest).empty());
  CHECK(stats.dirs == 3);
  CHECK(lookup(f.objects(), e.digest, "a.txt")->mode == 0644);
}

TEST_CASE("an invalid name below a directory fails the add and leaves the run's artifacts unchanged") {
  Fixture f;
  Digest before = f.log({f.data / "a.txt"});
  for (const std::string& bad : std::vector<std::string>{"back\\slash", "new\nline", "\x7f", "\xff"}) {
    CAPTURE(bad);
    fs::create_directories(f.p.root() / "bad");
    write_file(f.p.root() / "bad" / bad, "x");
    auto e = thrown([&] { f.log({f.p.root() / "bad"}); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid artifact path"));
    CHECK(artifact_root(f.p.db(), f.run) == before);
    fs::remove_all(f.p.root() / "bad");
  }
}

TEST_CASE("a link leading outside is stored as what it points to; keep_links keeps it; a dangling one fails") {
  Fixture f;
  TempDir outside;
  write_file(outside / "secret", "taken as content");
  fs::create_symlink(outside.path(), f.data / "out");
  AddStats stats;
  auto e = f.snap(stats, f.data);
  CHECK(stats.links == 2);
  CHECK(stats.files == 4);
  CHECK(stats.followed == 1);
  CHECK(lookup(f.objects(), e.digest, "out")->kind == EntryKind::dir);
  CHECK(lookup(f.objects(), e.digest, "out/secret")->digest == sha256(std::string_view("taken as content")));

  AddStats kept;
  auto k = f.snap(kept, f.data, nullptr, true);
  auto out = lookup(f.objects(), k.digest, "out");
  REQUIRE(out);
  CHECK(out->kind == EntryKind::link);
  CHECK(f.objects().read(out->digest) == outside.path().string());
  CHECK_FALSE(lookup(f.objects(), k.digest, "out/secret").has_value());

  fs::create_symlink("/nonexistent/target", f.data / "dangling");
  fs::create_symlink("nowhere", f.data / "sub" / "dangling-inside");
  auto err = thrown([&] { f.snap(stats, f.data); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
  CHECK(contains(err->what(), "does not exist"));
  AddStats kept2;
  auto k2 = f.snap(kept2, f.data, nullptr, true);
  CHECK(f.objects().read(lookup(f.objects(), k2.digest, "dangling")->digest) == "/nonexistent/target");
}

TEST_CASE("snapshot skips special files with a warning") {
  Fixture f;
  REQUIRE(::mkfifo((f.data / "fifo").c_str(), 0644) == 0);
  AddStats stats;
  std::vector<std::string> warnings;
  auto e = f.snap(stats, f.data, &warnings);
  CHECK(stats.skipped == 1);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "fifo"));
  CHECK(contains(warnings[0], "not a file, directory or symlink"));
  CHECK_FALSE(lookup(f.objects(), e.digest, "fifo").has_value());
  // a special file named directly is an error
  AddStats s2;
  auto err = thrown([&] { f.snap(s2, f.data / "fifo"); });
  REQUIRE(err);
  CHECK(err->code() == ExitCode::usage);
  auto missing = thrown([&] { f.snap(s2, f.data / "nope"); });
  REQUIRE(missing);
  CHECK(missing->code() == ExitCode::usage);
}

TEST_CASE("the stat cache serves unchanged files without reading them") {
  Fixture f;
  for (auto& p : {f.data / "a.txt", f.data / "run.sh", f.data / "sub" / "b.bin"}) age(p, 60);
  AddStats first;
  auto e1 = f.snap(first, f.data);
  CHECK(first.hashed == 3023);

  AddStats second;
  auto e2 = f.snap(second, f.data);
  CHECK(second.hashed == 0);
  CHECK(second.bytes == 3023);
  CHECK(second.files == 3);
  CHECK(e2.digest == e1.digest);

  // a changed file is read again (and only it)
  write_file(f.data / "a.txt", "hello world");
  age(f.data / "a.txt", 60);
  AddStats third;
  auto e3 = f.snap(third, f.data);
  CHECK(third.hashed == 11);
  CHECK(third.bytes == 3029);
  CHECK(e3.digest != e1.digest);
  CHECK(lookup(f.objects(), e3.digest, "a.txt")->digest == sha256(std::string_view("hello world")));

  // same size, same mtime put back: the ctime still tells
  struct stat before {};
  REQUIRE(::stat((f.data / "a.txt").c_str(), &before) == 0);
  AddStats settle;
  f.snap(settle, f.data);   // cache the current state
  std::this_thread::sleep_for(std::chrono::milliseconds(20));   // past the coarse timestamp clock's tick
  write_file(f.data / "a.txt", "HELLO WORLD");
  struct timespec t[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, (f.data / "a.txt").c_str(), t, 0) == 0);
  AddStats fourth;
  auto e4 = f.snap(fourth, f.data);
  CHECK(fourth.hashed == 11);
  CHECK(lookup(f.objects(), e4.digest, "a.txt")->digest == sha256(std::string_view("HELLO WORLD")));
}

TEST_CASE("the stat cache does not trust a file modified just now") {
  Fixture f;
  // An mtime that is not well before the moment of hashing: a later write within the file
  // system's timestamp granularity could go unnoticed, so such files are read again next time.
  // (Set into the future, so that a slow machine cannot make it old enough meanwhile.)
  for (auto& p : {f.data / "a.txt", f.data / "run.sh", f.data / "sub" / "b.bin"}) age(p, -5);
  AddStats first;
  f.snap(first, f.data);
  CHECK(first.hashed == 3023);
  AddStats second;
  f.snap(second, f.data);
  CHECK(second.hashed == 3023);
}

TEST_CASE("the stat cache does not serve an object that is gone") {
  Fixture f;
  age(f.data / "a.txt", 60);
  AddStats first;
  auto e1 = f.snap(first, f.data / "a.txt");
  fs::remove(f.objects().path_of(e1.digest));
  AddStats second;
  f.snap(second, f.data / "a.txt");
  CHECK(second.hashed == 5);
  CHECK(f.objects().has(e1.digest));
}

TEST_CASE("log_artifacts places sources in the run's tree") {
  Fixture f;
  CHECK_FALSE(artifact_root(f.p.db(), f.run).has_value());

  Digest r1 = f.log({f.data});
  CHECK(artifact_root(f.p.db(), f.run) == r1);
  CHECK(f.tree_paths(r1) ==
        std::vector<std::string>{"data/", "data/a.txt", "data/link@", "data/run.sh", "data/sub/", "data/sub/b.bin",
                                 "data/sub/self@"});

  // one source with a destination: placed at exactly that path
  Digest r2 = f.log({f.data / "a.txt"}, "models/best.txt");
  CHECK(artifact_root(f.p.db(), f.run) == r2);
  auto best = artifact_entry(f.p.project(), f.run, "models/best.txt");
  CHECK(best.kind == EntryKind::file);
  CHECK(best.digest == sha256(std::string_view("hello")));
  CHECK(artifact_entry(f.p.project(), f.run, "data/sub/b.bin").size == 3000);

  // several sources with a destination: a directory holding them
  Digest r3 = f.log({f.data / "a.txt", f.data / "sub"}, "bundle");
  auto paths = f.tree_paths(r3);
  CHECK(std::count(paths.begin(), paths.end(), "bundle/a.txt") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "bundle/sub/b.bin") == 1);
  CHECK(std::count(paths.begin(), paths.end(), "models/best.txt") == 1);   // earlier adds stay

  auto root = artifact_entry(f.p.project(), f.run, "");
  CHECK(root.kind == EntryKind::dir);
  CHECK(root.digest == r3);
  CHECK(root.name == "artifacts");
  CHECK(artifact_entry(f.p.project(), f.run, "data/sub/").name == "sub");

  auto missing = thrown([&] { artifact_entry(f.p.project(), f.run, "nope"); });
  REQUIRE(missing);
  CHECK(missing->code() == ExitCode::not_found);
}

TEST_CASE("adding at a path replaces what was there") {
  Fixture f;
  f.log({f.data}, "x");
  CHECK(artifact_entry(f.p.project(), f.run, "x").kind == EntryKind::dir);
  f.log({f.data / "a.txt"}, "x");   // a directory replaced by a file
  auto x = artifact_entry(f.p.project(), f.run, "x");
  CHECK(x.kind == EntryKind::file);
  CHECK(x.digest == sha256(std::string_view("hello")));
  f.log({f.data / "sub"}, "x/inner");   // a file in the way of a new directory
  CHECK(artifact_entry(f.p.project(), f.run, "x").kind == EntryKind::dir);
  CHECK(artifact_entry(f.p.project(), f.run, "x/inner/b.bin").size == 3000);
  f.log({f.data / "link"}, "x/inner/b.bin");   // a named link is followed: the file it points to
  CHECK(artifact_entry(f.p.project(), f.run, "x/inner/b.bin").kind == EntryKind::file);
  CHECK(artifact_entry(f.p.project(), f.run, "x/inner/b.bin").digest == sha256(std::string_view("hello")));
}

TEST_CASE("several sources with the same name: the last one given wins") {
  Fixture f;
  fs::create_directories(f.p.root() / "other");
  write_file(f.p.root() / "other" / "a.txt", "the other a");
  f.log({f.data / "a.txt", f.p.root() / "other" / "a.txt"}, "both");
  CHECK(artifact_entry(f.p.project(), f.run, "both/a.txt").digest == sha256(std::string_view("the other a")));
  f.log({f.p.root() / "other" / "a.txt", f.data / "a.txt"});
  CHECK(artifact_entry(f.p.project(), f.run, "a.txt").digest == sha256(std::string_view("hello")));
}

TEST_CASE("concurrent adds to one run all land") {
  Fixture f;
  constexpr int per_thread = 6;
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < per_thread; ++i)
      write_file(f.p.root() / ("f" + std::to_string(t) + "-" + std::to_string(i)), std::to_string(t * 100 + i));
  std::vector<std::string> errors(2);
  auto worker = [&](int t) {
    try {
      auto proj = Project::open(f.p.root());
      auto run = resolve_run(proj.db(), f.run.uuid);
      for (int i = 0; i < per_thread; ++i) {
        AddStats stats;
        std::string name = "f" + std::to_string(t) + "-" + std::to_string(i);
        log_artifacts(proj, run, {f.p.root() / name}, "t" + std::to_string(t) + "/" + name, stats, {});
      }
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(t)] = e.what();
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  CHECK(errors[0] == "");
  CHECK(errors[1] == "");
  auto root = artifact_root(f.p.db(), f.run);
  REQUIRE(root);
  auto paths = f.tree_paths(*root);
  CHECK(paths.size() == 2 + 2 * per_thread);
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < per_thread; ++i) {
      std::string name = "f" + std::to_string(t) + "-" + std::to_string(i);
      auto e = artifact_entry(f.p.project(), f.run, "t" + std::to_string(t) + "/" + name);
      CHECK(e.digest == sha256(std::to_string(t * 100 + i)));
    }
}

TEST_CASE("log_artifacts refuses a bad destination before writing anything") {
  Fixture f;
  Digest r1 = f.log({f.data / "a.txt"});
  for (std::string dest : {"../x", "/abs", "a//b", "", "a\\b", "C:x"}) {
    CAPTURE(dest);
    auto e = thrown([&] { f.log({f.data / "sub"}, dest); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(artifact_root(f.p.db(), f.run) == r1);
  }
  CHECK_FALSE(f.objects().has(sha256(f.b_content)));   // sub/b.bin was never stored
  auto none = thrown([&] { f.log({}); });
  REQUIRE(none);
  CHECK(none->code() == ExitCode::usage);
}

TEST_CASE("a run without artifacts has no artifact entries, not even the root") {
  Fixture f;
  for (std::string path : {"", "x", "."}) {
    CAPTURE(path);
    auto e = thrown([&] { artifact_entry(f.p.project(), f.run, path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::not_found);
    CHECK(contains(e->what(), "has no artifacts"));
  }
}

TEST_CASE("snapshotting the folder that holds the project skips .mlt") {
  Fixture f;
  AddStats stats;
  auto e = f.snap(stats, f.p.root());
  auto paths = f.tree_paths(e.digest);
  CHECK(paths == std::vector<std::string>{"data/", "data/a.txt", "data/link@", "data/run.sh", "data/sub/",
                                          "data/sub/b.bin", "data/sub/self@"});
  CHECK(stats.files == 3);
}

TEST_CASE("restore writes files, directories and links") {
  Fixture f;
  f.log({f.data});
  TempDir out;
  std::vector<std::string> warnings;
  RestoreOptions opt;
  opt.warn = [&](const std::string& w) { warnings.push_back(w); };

  SUBCASE("a file") {
    restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data/sub/b.bin"), out / "b.bin", opt);
    CHECK(slurp(out / "b.bin") == f.b_content);
    CHECK((fs::status(out / "b.bin").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data/run.sh"), out / "deep" / "er" / "run.sh", opt);
    CHECK(slurp(out / "deep" / "er" / "run.sh") == "#!/bin/sh\necho hi\n");
    CHECK((fs::status(out / "deep" / "er" / "run.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(names_in(out.path()) == std::set<std::string>{"b.bin", "deep"});
  }
  SUBCASE("a directory") {
    restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data"), out / "copy", opt);
    CHECK(slurp(out / "copy" / "a.txt") == "hello");
    CHECK(slurp(out / "copy" / "sub" / "b.bin") == f.b_content);
    CHECK(fs::is_symlink(out / "copy" / "link"));
    CHECK(fs::read_symlink(out / "copy" / "link") == "a.txt");
    CHECK(fs::read_symlink(out / "copy" / "sub" / "self") == "b.bin");
    CHECK(slurp(out / "copy" / "sub" / "self") == f.b_content);
    CHECK(names_in(out / "copy") == std::set<std::string>{"a.txt", "link", "run.sh", "sub"});
    CHECK(names_in(out / "copy" / "sub") == std::set<std::string>{"b.bin", "self"});
    CHECK(names_in(out.path()) == std::set<std::string>{"copy"});
    CHECK(warnings.empty());
  }
  SUBCASE("a link on its own: nothing it could lead to is restored, so it is skipped and counted") {
    auto rs = restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data/link"), out / "link", opt);
    CHECK(rs.skipped == 1);
    CHECK(warnings.size() == 1);
    CHECK_FALSE(fs::exists(fs::symlink_status(out / "link")));
  }
  SUBCASE("the whole root") {
    restore(f.p.project(), artifact_entry(f.p.project(), f.run, ""), out / "all", opt);
    CHECK(slurp(out / "all" / "data" / "a.txt") == "hello");
  }
}

TEST_CASE("restore refuses to overwrite without force") {
  Fixture f;
  f.log({f.data});
  TempDir out;
  RestoreOptions opt;
  auto a = artifact_entry(f.p.project(), f.run, "data/a.txt");

  write_file(out / "a.txt", "mine");
  auto e = thrown([&] { restore(f.p.project(), a, out / "a.txt", opt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(slurp(out / "a.txt") == "mine");

  // into an existing directory: new files are added, an existing one conflicts
  fs::create_directories(out / "d");
  write_file(out / "d" / "run.sh", "mine too");
  auto dir = artifact_entry(f.p.project(), f.run, "data");
  auto e2 = thrown([&] { restore(f.p.project(), dir, out / "d", opt); });
  REQUIRE(e2);
  CHECK(e2->code() == ExitCode::conflict);
  CHECK(slurp(out / "d" / "run.sh") == "mine too");

  // a directory where a file should go
  fs::create_directories(out / "isdir");
  auto e3 = thrown([&] { restore(f.p.project(), a, out / "isdir", opt); });
  REQUIRE(e3);
  CHECK(e3->code() == ExitCode::conflict);
  // a file where a directory should go
  write_file(out / "d2", "a file");
  auto e4 = thrown([&] { restore(f.p.project(), dir, out / "d2", opt); });
  REQUIRE(e4);
  CHECK(e4->code() == ExitCode::conflict);
  CHECK(slurp(out / "d2") == "a file");

  opt.force = true;
  restore(f.p.project(), a, out / "a.txt", opt);
  CHECK(slurp(out / "a.txt") == "hello");
  write_file(out / "d" / "extra", "left alone");
  write_file(out / "d" / "sub", "a file in the way of a directory");
  restore(f.p.project(), dir, out / "d", opt);
  CHECK(slurp(out / "d" / "run.sh") == "#!/bin/sh\necho hi\n");
  CHECK(slurp(out / "d" / "sub" / "b.bin") == f.b_content);
  CHECK(slurp(out / "d" / "extra") == "left alone");
  restore(f.p.project(), dir, out / "d2", opt);
  CHECK(slurp(out / "d2" / "a.txt") == "hello");
  // a directory in the way of a file: exit 5 even with force
  auto e5 = thrown([&] { restore(f.p.project(), a, out / "isdir", opt); });
  REQUIRE(e5);
  CHECK(e5->code() == ExitCode::conflict);
  CHECK(fs::is_directory(out / "isdir"));
}

TEST_CASE("restore never writes through a symlink in the destination") {
  Fixture f;
  f.log({f.data});
  TempDir out, elsewhere;
  write_file(elsewhere / "victim", "untouched");
  fs::create_symlink(elsewhere / "victim", out / "a.txt");
  fs::create_symlink(elsewhere.path(), out / "dirlink");
  auto a = artifact_entry(f.p.project(), f.run, "data/a.txt");
  auto dir = artifact_entry(f.p.project(), f.run, "data");
  RestoreOptions opt;

  auto e = thrown([&] { restore(f.p.project(), a, out / "a.txt", opt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  auto e2 = thrown([&] { restore(f.p.project(), dir, out / "dirlink", opt); });
  REQUIRE(e2);
  CHECK(e2->code() == ExitCode::conflict);
  opt.force = true;
  auto e3 = thrown([&] { restore(f.p.project(), dir, out / "dirlink", opt); });
  REQUIRE(e3);
  CHECK(e3->code() == ExitCode::conflict);
  // with force, the link itself is replaced by the file
  restore(f.p.project(), a, out / "a.txt", opt);
  CHECK_FALSE(fs::is_symlink(out / "a.txt"));
  CHECK(slurp(out / "a.txt") == "hello");
  CHECK(slurp(elsewhere / "victim") == "untouched");
  CHECK(names_in(elsewhere.path()) == std::set<std::string>{"victim"});
}

TEST_CASE("restore creates the links that lead to a restored entry, skipping and counting the others") {
  Fixture f;
  fs::create_symlink("/etc/passwd", f.data / "abs");
  fs::create_symlink("../../outside", f.data / "sub" / "esc");
  fs::create_symlink("../a.txt", f.data / "climb");          // above the restored folder
  fs::create_symlink("../a.txt", f.data / "sub" / "up");      // inside, through '..': kept
  fs::create_symlink("sub/../a.txt", f.data / "detour");     // likewise
  fs::create_symlink("sub/b.bin", f.data / "down");          // downwards: kept
  fs::create_symlink("sub/up/x", f.data / "through-file");   // a file used as a folder
  fs::create_directories(f.data / "a");
  fs::create_symlink("..", f.data / "a" / "K");              // a/K -> the folder itself: kept
  fs::create_symlink("a/K/..", f.data / "M");                // reads as 'a', climbs out through a/K
  f.log({f.data}, std::nullopt, true);
  TempDir out;
  std::vector<std::string> warnings;
  RestoreOptions opt;
  opt.warn = [&](const std::string& w) { warnings.push_back(w); };
  auto rs = restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data"), out / "copy", opt);
  std::sort(warnings.begin(), warnings.end());
  REQUIRE(warnings.size() == 5);
  CHECK(contains(warnings[0], "'M' -> 'a/K/..'"));
  CHECK(contains(warnings[1], "'abs' -> '/etc/passwd'"));
  CHECK(contains(warnings[2], "'climb' -> '../a.txt'"));
  CHECK(contains(warnings[3], "'sub/esc' -> '../../outside'"));
  CHECK(contains(warnings[4], "'through-file' -> 'sub/up/x'"));
  for (auto& w : warnings) CHECK(contains(w, "skipped symlink"));
  CHECK(rs.skipped == 5);
  CHECK(names_in(out / "copy") == std::set<std::string>{"a", "a.txt", "detour", "down", "link", "run.sh", "sub"});
  CHECK(names_in(out / "copy" / "sub") == std::set<std::string>{"b.bin", "self", "up"});
  CHECK(fs::read_symlink(out / "copy" / "down") == "sub/b.bin");
  CHECK(fs::read_symlink(out / "copy" / "sub" / "up") == "../a.txt");
  CHECK(slurp(out / "copy" / "detour") == "hello");
  CHECK(fs::read_symlink(out / "copy" / "a" / "K") == "..");

  // a single link restored on its own: skipped
  warnings.clear();
  rs = restore(f.p.project(), artifact_entry(f.p.project(), f.run, "data/down"), out / "down", opt);
  CHECK(rs.skipped == 1);
  CHECK(warnings.size() == 1);
  CHECK_FALSE(fs::exists(fs::symlink_status(out / "down")));
}

TEST_CASE("restore goes through directory fds: a folder swapped for a symlink meanwhile sends nothing outside") {
  Fixture f;
  f.log({f.data});
  TempDir out, elsewhere;
  auto dir = artifact_entry(f.p.project(), f.run, "data");
  RestoreOptions opt;
  int swaps = 0;

  SUBCASE("into an existing folder") {
    fs::create_directories(out / "copy");
    opt.after_write = [&](const std::string& rel) {
      if (rel != "a.txt" || swaps++) return;
      fs::rename(out / "copy", out / "moved");
      fs::create_symlink(elsewhere.path(), out / "copy");
    };
    try {
      restore(f.p.project(), dir, out / "copy", opt);
    } catch (const mlt::Error&) {
    }
    CHECK(swaps == 1);
    CHECK(names_in(elsewhere.path()).empty());
    CHECK(slurp(out / "moved" / "sub" / "b.bin") == f.b_content);   // it went on where it was
  }
  SUBCASE("into a new folder (built under a temporary name)") {
    opt.after_write = [&](const std::string& rel) {
      if (rel != "a.txt" || swaps++) return;
      for (auto& n : names_in(out.path())) {
        fs::rename(out / n, out / "moved");
        fs::create_symlink(elsewhere.path(), out / n);
      }
    };
    auto e = thrown([&] { restore(f.p.project(), dir, out / "copy", opt); });
    CHECK(swaps == 1);
    REQUIRE(e);
    CHECK(e->code() == ExitCode::conflict);   // the swapped name is not renamed into place
    CHECK(names_in(elsewhere.path()).empty());
    CHECK_FALSE(fs::exists(fs::symlink_status(out / "copy")));
  }
  SUBCASE("a sub-folder of the checkout (restore_below)") {
    fs::create_directories(out / "d" / "sub");
    opt.after_write = [&](const std::string& rel) {
      if (rel != "a.txt" || swaps++) return;
      fs::rename(out / "d" / "sub", out / "d" / "moved");
      fs::create_symlink(elsewhere.path(), out / "d" / "sub");
    };
    std::vector<std::pair<std::string, TreeEntry>> items{
        {"a.txt", *lookup(f.objects(), dir.digest, "a.txt")}, {"sub/b.bin", *lookup(f.objects(), dir.digest, "sub/b.bin")}};
    auto e = thrown([&] { restore_below(f.p.project(), dir, items, out / "d", opt); });
    CHECK(swaps == 1);
    REQUIRE(e);
    CHECK(e->code() == ExitCode::conflict);
    CHECK(names_in(elsewhere.path()).empty());
  }
}

TEST_CASE("a corrupted object makes restore fail with exit 6 and leave nothing at the destination") {
  Fixture f;
  f.log({f.data});
  auto b = artifact_entry(f.p.project(), f.run, "data/sub/b.bin");
  auto dir = artifact_entry(f.p.project(), f.run, "data");
  flip_byte(f.objects().path_of(b.digest), 16 + 100);
  TempDir out;
  write_file(out / "already-here", "x");
  RestoreOptions opt;

  SUBCASE("a new directory") {
    auto e = thrown([&] { restore(f.p.project(), dir, out / "copy", opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), b.digest.str()));
    CHECK_FALSE(fs::exists(fs::symlink_status(out / "copy")));
    CHECK(names_in(out.path()) == std::set<std::string>{"already-here"});
  }
  SUBCASE("a new file") {
    auto e = thrown([&] { restore(f.p.project(), b, out / "b.bin", opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(names_in(out.path()) == std::set<std::string>{"already-here"});
  }
  SUBCASE("a file over an existing one, with force") {
    write_file(out / "b.bin", "old");
    opt.force = true;
    auto e = thrown([&] { restore(f.p.project(), b, out / "b.bin", opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(slurp(out / "b.bin") == "old");
    CHECK(names_in(out.path()) == std::set<std::string>{"already-here", "b.bin"});
  }
  SUBCASE("a new directory in a new parent") {
    auto e = thrown([&] { restore(f.p.project(), dir, out / "new" / "copy", opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK_FALSE(fs::exists(out / "new" / "copy"));
  }
}

TEST_CASE("parse_runs_uri") {
  using P = std::pair<std::string, std::string>;
  CHECK(parse_runs_uri("runs:/abc123/model/weights.bin") == P{"abc123", "model/weights.bin"});
  CHECK(parse_runs_uri("runs:/abc123") == P{"abc123", ""});
  CHECK(parse_runs_uri("runs:/abc123/") == P{"abc123", ""});
  CHECK(parse_runs_uri("runs:///bold-fox/a") == P{"bold-fox", "a"});
  CHECK_FALSE(parse_runs_uri("model/weights.bin").has_value());
  CHECK_FALSE(parse_runs_uri("runs:abc/x").has_value());
  CHECK_FALSE(parse_runs_uri("file:///x").has_value());
  CHECK_FALSE(parse_runs_uri("RUNS:/abc/x").has_value());
  CHECK_FALSE(parse_runs_uri("").has_value());
  for (std::string bad : {"runs:/", "runs://", "runs:///x"}) {
    CAPTURE(bad);
    auto e = thrown([&] { parse_runs_uri(bad); });
    if (bad == "runs:///x") {
      CHECK_FALSE(e.has_value());
      continue;
    }
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
}
