// core/data: add_data (directories and files, numbering, unchanged content, the digest, bad input,
// the note outside git), check_dataset_name, resolve_data_ref (every form, every error, an
// ambiguous digest prefix), list_datasets / list_data_versions (newest first, by commit),
// diff_entries (added, removed, modified, sizes; CSV/TSV rows as multisets, also across the
// store's chunks), checkout_data (new directory, in place, refusals, --force, files), data_status
// and log_input. The project directory is not a git repository: add_data is asked for no tag.
#include "core/data/data.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/git.hpp"
#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::slurp;
using mlt::test::TempDir;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

using Kind = FileChange::Kind;

ExitCode code_of(const std::optional<mlt::Error>& e) { return e ? e->code() : ExitCode::ok; }

// A change as one comparable line: "modified train.csv 17->21 rows +2 -1".
std::string show(const FileChange& c) {
  std::string k = c.kind == Kind::added ? "added" : c.kind == Kind::removed ? "removed" : "modified";
  std::string s = k + " " + c.path + " " + std::to_string(c.old_size) + "->" + std::to_string(c.new_size);
  if (c.rows_added || c.rows_removed)
    s += " rows +" + std::to_string(c.rows_added.value_or(-1)) + " -" + std::to_string(c.rows_removed.value_or(-1));
  return s;
}
std::vector<std::string> show(const std::vector<FileChange>& cs) {
  std::vector<std::string> out;
  for (auto& c : cs) out.push_back(show(c));
  return out;
}

std::vector<std::string> refs(const std::vector<DataVersion>& vs) {
  std::vector<std::string> out;
  for (auto& v : vs) out.push_back(v.ref());
  return out;
}

// A project with data/ (train.csv, readme.md, sub/notes.txt), the clock pinned.
struct Fixture {
  TempProject p;
  ScopedEnv clock{"MLT_NOW_MS", "1700000000000"};
  fs::path data = p.root() / "data";
  AddOptions opt;

  Fixture() {
    fs::create_directories(data / "sub");
    write_file(data / "train.csv", "id,x\n1,a\n2,b\n3,c\n");   // 17 bytes
    write_file(data / "readme.md", "a\n");                      // 2
    write_file(data / "sub" / "notes.txt", "notes v1\n");       // 9
  }
  void at(std::int64_t ms) { clock.set(std::to_string(ms)); }

  DataAddResult add(const fs::path& path, const std::string& name = "", const std::string& message = "") {
    DataAddSpec s;
    s.path = path;
    s.name = name;
    s.message = message;
    s.git_tag = false;   // never touch a repository the temporary directory might be in
    AddStats st;
    return add_data(p.project(), s, st, opt);
  }
  // data/ changed to its second state: a row gone, two new, sub/ gone, extra.txt new, readme.md changed
  void change() {
    write_file(data / "train.csv", "id,x\n1,a\n3,c\n4,d\n5,e\n");   // 21 bytes
    fs::remove_all(data / "sub");
    write_file(data / "extra.txt", "extra\n");                       // 6
    write_file(data / "readme.md", "bb\n");                          // 3
  }
  std::int64_t count(const char* table) {
    mlt::store::Stmt q(p.db(), std::string("SELECT count(*) FROM ") + table);
    q.step();
    return q.int64(0);
  }
};

// Every file below a directory with its bytes (to compare two trees).
std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().lexically_relative(dir).generic_string()] = slurp(e.path());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("data add_data: a directory is v1 (digest, size, source); unchanged content is no new version; a change is v2") {
  Fixture f;
  auto r = f.add(f.data, "train", "first cut");
  CHECK(r.created);
  CHECK(r.version.ref() == "train@v1");
  CHECK(r.version.dataset == "train");
  CHECK(r.version.version == 1);
  CHECK(r.version.is_dir);
  CHECK(r.version.files == 3);
  CHECK(r.version.bytes == 28);
  CHECK(r.version.source == "data");
  CHECK(r.version.message == "first cut");
  CHECK(r.version.created_ms == 1700000000000);
  CHECK_FALSE(r.version.user.empty());
  CHECK_FALSE(r.version.git_commit.has_value());
  CHECK_FALSE(r.version.git_tag.has_value());
  CHECK(r.warnings.empty());

  // the digest is the directory's tree digest, as a dry-run snapshot computes it
  AddStats st;
  AddOptions dry;
  dry.dry_run = true;
  CHECK(snapshot(f.p.project(), f.data, st, dry).digest == r.version.digest);
  auto e = r.version.entry();
  CHECK(e.kind == EntryKind::dir);
  CHECK(e.name == "data");
  CHECK(e.digest == r.version.digest);

  f.at(1700000001000);
  auto same = f.add(f.data, "train", "again");
  CHECK_FALSE(same.created);
  CHECK(same.version.ref() == "train@v1");
  CHECK(same.version.id == r.version.id);
  CHECK(same.version.message == "first cut");
  CHECK(same.version.created_ms == 1700000000000);
  CHECK(f.add(f.data / "" , "train").version.ref() == "train@v1");   // a trailing slash: the same directory

  f.change();
  auto r2 = f.add(f.data, "train", "second");
  CHECK(r2.created);
  CHECK(r2.version.ref() == "train@v2");
  CHECK(r2.version.digest != r.version.digest);
  CHECK(r2.version.files == 3);
  CHECK(r2.version.bytes == 30);
  CHECK(f.count("data_versions") == 2);
  CHECK(f.count("datasets") == 1);

  // going back to v1's content is a new version (v3), not v1 again: versions only move forward
  f.at(1700000002000);
  fs::remove(f.data / "extra.txt");
  fs::create_directories(f.data / "sub");
  write_file(f.data / "train.csv", "id,x\n1,a\n2,b\n3,c\n");
  write_file(f.data / "readme.md", "a\n");
  write_file(f.data / "sub" / "notes.txt", "notes v1\n");
  auto r3 = f.add(f.data, "train");
  CHECK(r3.created);
  CHECK(r3.version.ref() == "train@v3");
  CHECK(r3.version.digest == r.version.digest);
  // a digest prefix both v1 and v3 have: the same content, one answer, the newest
  CHECK(resolve_data_ref(f.p.db(), "train@sha256:" + r.version.digest.hex().substr(0, 12)).ref() == "train@v3");
}

TEST_CASE("data add_data: a file is a file version named after it; its digest is the SHA-256 of its bytes") {
  Fixture f;
  auto r = f.add(f.data / "train.csv");
  CHECK(r.created);
  CHECK(r.version.ref() == "train.csv@v1");
  CHECK_FALSE(r.version.is_dir);
  CHECK(r.version.files == 1);
  CHECK(r.version.bytes == 17);
  CHECK(r.version.source == "data/train.csv");
  CHECK(r.version.digest == sha256(std::string_view("id,x\n1,a\n2,b\n3,c\n")));
  CHECK(r.version.entry().kind == EntryKind::file);
  CHECK(r.version.entry().name == "train.csv");

  // the same bytes under another dataset name: a version of that dataset
  auto other = f.add(f.data / "train.csv", "copy");
  CHECK(other.created);
  CHECK(other.version.ref() == "copy@v1");
  CHECK(other.version.digest == r.version.digest);

  // a dataset may change from a file to a directory: a new version
  auto dir = f.add(f.data, "copy");
  CHECK(dir.created);
  CHECK(dir.version.ref() == "copy@v2");
  CHECK(dir.version.is_dir);
}

TEST_CASE("data add_data refuses bad input with exit 2 and records nothing") {
  Fixture f;
  TempDir outside;
  write_file(outside / "x.csv", "x\n");
  fs::create_symlink("nowhere", f.p.root() / "link");   // dangling (a link to data is followed)
  fs::create_symlink(outside.path(), f.p.root() / "escape");
  struct Bad {
    fs::path path;
    std::string name, what;
  };
  std::vector<Bad> bad = {
      {outside / "x.csv", "", "outside the project"},
      {outside.path(), "x", "outside the project"},
      {f.p.root() / ".." , "x", "outside the project"},
      {f.p.root() / "escape" / "x.csv", "x", "outside the project"},
      {f.p.root() / ".mlt", "x", "inside the store"},
      {f.p.root() / ".mlt" / "config.yaml", "x", "inside the store"},
      {f.data / ".." / ".mlt" / "objects", "x", "inside the store"},
      {f.p.root() / "missing", "", "no such file"},
      {f.p.root() / "link", "", "symbolic link"},
      {f.data, "a b", "invalid dataset name"},
      {f.data, "-x", "invalid dataset name"},
      {f.data, "x.lock", "invalid dataset name"},
  };
  for (auto& b : bad) {
    CAPTURE(b.path);
    CAPTURE(b.name);
    auto e = thrown([&] { f.add(b.path, b.name); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), b.what));
  }
  CHECK(f.count("data_versions") == 0);
  CHECK(f.count("datasets") == 0);
  CHECK(list_datasets(f.p.db()).empty());
}

TEST_CASE("data check_dataset_name: 1-128 letters, digits, '_', '.', '-', from a letter or digit; no '..', '.lock' or a final '.'") {
  for (const std::string& ok : std::vector<std::string>{"train", "t", "0", "Train_set-2.v1", "a.b", "a-", std::string(128, 'x')}) {
    CAPTURE(ok);
    CHECK_FALSE(thrown([&] { check_dataset_name(ok); }));
  }
  for (const std::string& bad : std::vector<std::string>{"", "-x", ".x", "_x", "a..b", "a.", "x.lock", "a b", "a/b", "a@b", "a:b", "a~b", "a^b",
                          "a\\b", "caf\xc3\xa9", "a\nb", std::string(129, 'x')}) {
    CAPTURE(bad);
    auto e = thrown([&] { check_dataset_name(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "invalid dataset name"));
  }
}

TEST_CASE("data add_data outside git: the note is given once per project") {
  Fixture f;
  if (git_state(f.p.root(), false).state) {
    MESSAGE("the temporary directory is inside a git repository; skipped");
    return;
  }
  DataAddSpec s;
  s.path = f.data;
  s.name = "train";
  AddStats st;
  auto r = add_data(f.p.project(), s, st, f.opt);   // git_tag asked for, but there is no repository
  CHECK(r.created);
  REQUIRE(r.notes.size() == 1);
  CHECK(contains(r.notes[0], "not a git repository"));
  CHECK(r.warnings.empty());
  CHECK_FALSE(r.version.git_tag.has_value());
  f.change();
  auto r2 = add_data(f.p.project(), s, st, f.opt);
  CHECK(r2.created);
  CHECK(r2.notes.empty());
  CHECK(r2.warnings.empty());
}

TEST_CASE("data resolve_data_ref: NAME@vN, NAME@latest, NAME, NAME@sha256:PREFIX; unknown 4, malformed 2") {
  Fixture f;
  auto v1 = f.add(f.data, "train").version;
  f.change();
  f.at(1700000001000);
  auto v2 = f.add(f.data, "train").version;
  auto& db = f.p.db();
  std::map<std::string, std::string> want = {
      {"train@v1", "train@v1"},
      {"train@V2", "train@v2"},
      {"train@v2", "train@v2"},
      {"train@latest", "train@v2"},
      {"train@LATEST", "train@v2"},
      {"train", "train@v2"},
      {"train@sha256:" + v1.digest.hex().substr(0, 12), "train@v1"},
      {"train@sha256:" + v2.digest.hex(), "train@v2"},
      {"train@" + v1.digest.str(), "train@v1"},
  };
  std::string upper = v2.digest.hex().substr(0, 16);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  want["train@sha256:" + upper] = "train@v2";
  for (auto& [ref, expected] : want) {
    const auto& shown_ref = ref;   // clang 14 cannot capture a structured binding
    CAPTURE(shown_ref);
    auto v = resolve_data_ref(db, ref);
    CHECK(v.ref() == expected);
    CHECK(v.digest == (expected == "train@v1" ? v1.digest : v2.digest));
  }

  // a prefix neither digest has
  std::string none;
  for (char c : std::string("0123456789abcdef"))
    if (c != v1.digest.hex()[0] && c != v2.digest.hex()[0]) {
      none = std::string(1, c) + "0000000";
      break;
    }
  for (const std::string& ref : std::vector<std::string>{"nope@v1", "nope", "nope@latest", "train@v3", "train@v0", "train@v99999999999",
                          "train@sha256:" + none}) {
    CAPTURE(ref);
    CHECK(code_of(thrown([&] { resolve_data_ref(db, ref); })) == ExitCode::not_found);
  }
  for (const std::string& ref : std::vector<std::string>{"", "@v1", "train@", "train@x", "train@v", "train@v1x", "train@-1", "train@sha256:abc",
                          "train@sha256:xyz1", "train@sha256:" + std::string(65, 'a'), "train@sha1:abcd"}) {
    CAPTURE(ref);
    CHECK(code_of(thrown([&] { resolve_data_ref(db, ref); })) == ExitCode::usage);
  }
  auto e = thrown([&] { resolve_data_ref(db, "train@sha256:ab"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "sha256:ab"));
}

TEST_CASE("data resolve_data_ref: a digest prefix matching two versions exits 2 listing both") {
  Fixture f;
  // "row 1074\n" and "row 1437\n": SHA-256 digests beginning with the same 5 hex digits
  auto d1 = sha256(std::string_view("row 1074\n")), d2 = sha256(std::string_view("row 1437\n"));
  REQUIRE(d1.hex().substr(0, 5) == d2.hex().substr(0, 5));
  write_file(f.p.root() / "rows.txt", "row 1074\n");
  CHECK(f.add(f.p.root() / "rows.txt", "rows").version.digest == d1);
  write_file(f.p.root() / "rows.txt", "row 1437\n");
  CHECK(f.add(f.p.root() / "rows.txt", "rows").version.digest == d2);
  for (std::size_t n : {4, 5}) {
    auto e = thrown([&] { resolve_data_ref(f.p.db(), "rows@sha256:" + d1.hex().substr(0, n)); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "matches 2 versions"));
    CHECK(contains(e->what(), "rows@v1"));
    CHECK(contains(e->what(), "rows@v2"));
  }
  std::size_t n = 5;
  while (d1.hex()[n] == d2.hex()[n]) ++n;
  CHECK(resolve_data_ref(f.p.db(), "rows@sha256:" + d2.hex().substr(0, n + 1)).ref() == "rows@v2");
  CHECK(resolve_data_ref(f.p.db(), "rows@sha256:" + d1.hex().substr(0, n + 1)).ref() == "rows@v1");
}

TEST_CASE("data list_datasets and list_data_versions: by name, newest first, by commit; unknown NAME exit 4") {
  Fixture f;
  f.add(f.data, "train");
  f.at(1700000001000);
  f.add(f.data / "readme.md", "readme");
  f.at(1700000002000);
  f.change();
  f.add(f.data, "train");

  auto sets = list_datasets(f.p.db());
  REQUIRE(sets.size() == 2);
  CHECK(sets[0].name == "readme");
  CHECK(sets[0].versions == 1);
  CHECK(sets[0].latest.ref() == "readme@v1");
  CHECK(sets[1].name == "train");
  CHECK(sets[1].versions == 2);
  CHECK(sets[1].latest.ref() == "train@v2");

  CHECK(refs(list_data_versions(f.p.db(), "train")) == std::vector<std::string>{"train@v2", "train@v1"});
  CHECK(refs(list_data_versions(f.p.db(), "")) == std::vector<std::string>{"train@v2", "readme@v1", "train@v1"});
  CHECK(code_of(thrown([&] { list_data_versions(f.p.db(), "nope"); })) == ExitCode::not_found);

  // versions made at a commit (set here: the project is not in git)
  std::string c1(40, 'a'), c2(40, 'b');
  mlt::store::Stmt(f.p.db(), "UPDATE data_versions SET git_commit = ?1 WHERE version = 1").bind(1, c1).exec();
  mlt::store::Stmt(f.p.db(), "UPDATE data_versions SET git_commit = ?1 WHERE version = 2").bind(1, c2).exec();
  CHECK(refs(list_data_versions(f.p.db(), "", c1)) == std::vector<std::string>{"readme@v1", "train@v1"});
  CHECK(refs(list_data_versions(f.p.db(), "train", c1)) == std::vector<std::string>{"train@v1"});
  CHECK(refs(list_data_versions(f.p.db(), "", c2)) == std::vector<std::string>{"train@v2"});
  CHECK(list_data_versions(f.p.db(), "", std::string(40, 'c')).empty());
  CHECK(resolve_data_ref(f.p.db(), "train@v1").git_commit == c1);
}

TEST_CASE("data diff_entries: added, removed, modified files with sizes; CSV rows only when asked") {
  Fixture f;
  auto v1 = f.add(f.data, "train").version;
  f.change();
  auto v2 = f.add(f.data, "train").version;
  auto& p = f.p.project();
  CHECK(show(diff_entries(p, v1.entry(), v2.entry(), true)) ==
        std::vector<std::string>{"added extra.txt 0->6", "modified readme.md 2->3", "removed sub/notes.txt 9->0",
                                 "modified train.csv 17->21 rows +2 -1"});
  CHECK(show(diff_entries(p, v2.entry(), v1.entry(), true)) ==
        std::vector<std::string>{"removed extra.txt 6->0", "modified readme.md 3->2", "added sub/notes.txt 0->9",
                                 "modified train.csv 21->17 rows +1 -2"});
  auto plain = diff_entries(p, v1.entry(), v2.entry(), false);
  REQUIRE(plain.size() == 4);
  for (auto& c : plain) {
    CAPTURE(c.path);
    CHECK_FALSE(c.rows_added.has_value());
    CHECK_FALSE(c.rows_removed.has_value());
  }
  CHECK(diff_entries(p, v1.entry(), v1.entry(), true).empty());
}

TEST_CASE("data diff_entries rows: multisets of lines; the header, CRLF and blank lines do not count; .tsv and .CSV too") {
  Fixture f;
  auto& p = f.p.project();
  auto rows_of = [&](const std::string& name, const std::string& a, const std::string& b) {
    write_file(f.p.root() / name, a);
    auto va = f.add(f.p.root() / name, "r").version;
    write_file(f.p.root() / name, b);
    auto vb = f.add(f.p.root() / name, "r").version;
    auto cs = diff_entries(p, va.entry(), vb.entry(), true);
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].kind == Kind::modified);
    CHECK(cs[0].path == name);
    return std::make_pair(cs[0].rows_added, cs[0].rows_removed);
  };
  using R = std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>;
  CHECK(rows_of("s.csv", "h,v\n1,x\n2,y\n2,y\n", "h,v\n2,y\n3,z\n") == R{1, 2});
  CHECK(rows_of("s.csv", "h,v\n2,y\n3,z\n", "H,V\n2,y\n3,z\n") == R{0, 0});                  // the header
  CHECK(rows_of("s.csv", "H,V\n2,y\n3,z\n", "H,V\r\n2,y\r\n\r\n3,z\r\n\n") == R{0, 0});      // CRLF, blank lines
  CHECK(rows_of("s.csv", "H,V\n2,y\n3,z", "H,V\n2,y\n3,z\n4,w") == R{1, 0});                 // no final newline
  CHECK(rows_of("s.csv", "H,V\n", "H,V\n1,a\n1,a\n") == R{2, 0});
  CHECK(rows_of("t.tsv", "a\tb\n1\t2\n", "a\tb\n1\t3\n") == R{1, 1});
  CHECK(rows_of("U.CSV", "a\n1\n", "a\n2\n") == R{1, 1});
  CHECK(rows_of("n.txt", "a\n1\n", "a\n2\n") == R{std::nullopt, std::nullopt});              // not a table
}

TEST_CASE("data diff_entries rows of a CSV spread over many of the store's chunks") {
  Fixture f;
  // ~6 MB of rows: the store cuts it into chunks, and lines cross chunk boundaries
  std::string a = "id,value,text\n", b = "id,value,text\n";
  for (int i = 0; i < 200000; ++i) {
    std::string row = std::to_string(i) + "," + std::to_string(i * 7919 % 100003) + ",row number " + std::to_string(i) + "\n";
    a += row;
    if (i == 10 || i == 100000 || i == 199999) continue;   // 3 rows removed
    b += row;
    if (i == 30000 || i == 150000) b += "new," + std::to_string(i) + ",added\n";   // 2 rows added
  }
  b += "tail,1,added\ntail,2,added\ntail,3,added\n";    // 3 more
  REQUIRE(a.size() > 5'000'000);
  write_file(f.p.root() / "big.csv", a);
  auto va = f.add(f.p.root() / "big.csv", "big").version;
  write_file(f.p.root() / "big.csv", b);
  auto vb = f.add(f.p.root() / "big.csv", "big").version;
  auto cs = diff_entries(f.p.project(), va.entry(), vb.entry(), true);
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].old_size == a.size());
  CHECK(cs[0].new_size == b.size());
  CHECK(cs[0].rows_added == 5);
  CHECK(cs[0].rows_removed == 3);
}

TEST_CASE("data checkout_data: to a new directory byte-identical; again: nothing written") {
  Fixture f;
  auto before = contents(f.data);
  auto v1 = f.add(f.data, "train").version;
  f.change();
  auto v2 = f.add(f.data, "train").version;
  auto after = contents(f.data);

  auto r = checkout_data(f.p.project(), v1, f.p.root() / "out" / "v1", false);
  CHECK(r.written == 3);
  CHECK(r.unchanged == 0);
  CHECK(r.bytes == 28);
  CHECK(r.extra.empty());
  CHECK(contents(f.p.root() / "out" / "v1") == before);
  auto again = checkout_data(f.p.project(), v1, f.p.root() / "out" / "v1", false);
  CHECK(again.written == 0);
  CHECK(again.unchanged == 3);

  checkout_data(f.p.project(), v2, f.p.root() / "out" / "v2", false);
  CHECK(contents(f.p.root() / "out" / "v2") == after);
}

TEST_CASE("data checkout_data in place: restores deleted files, lists extra ones, refuses modified ones (exit 5) unless force") {
  Fixture f;
  auto v1 = f.add(f.data, "train").version;
  auto original = contents(f.data);

  fs::remove(f.data / "sub" / "notes.txt");
  write_file(f.data / "local.txt", "mine\n");
  auto r = checkout_data(f.p.project(), v1, {}, false);   // default: the path it was added from
  CHECK(r.written == 1);
  CHECK(r.unchanged == 2);
  CHECK(r.bytes == 9);
  CHECK(r.extra == std::vector<std::string>{"local.txt"});
  CHECK(slurp(f.data / "sub" / "notes.txt") == "notes v1\n");
  CHECK(slurp(f.data / "local.txt") == "mine\n");
  fs::remove(f.data / "local.txt");

  write_file(f.data / "readme.md", "changed\n");
  write_file(f.data / "train.csv", "id,x\n");
  fs::remove_all(f.data / "sub");
  auto e = thrown([&] { checkout_data(f.p.project(), v1, {}, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(contains(e->what(), "readme.md"));
  CHECK(contains(e->what(), "train.csv"));
  CHECK(contains(e->what(), "2 files"));
  CHECK(slurp(f.data / "readme.md") == "changed\n");      // nothing written
  CHECK_FALSE(fs::exists(f.data / "sub"));

  auto forced = checkout_data(f.p.project(), v1, {}, true);
  CHECK(forced.written == 3);
  CHECK(contents(f.data) == original);
}

TEST_CASE("data checkout_data of a file version: in place, to another path, into a directory; a file in the way; a symlink refused") {
  Fixture f;
  auto csv = f.data / "train.csv";
  auto v1 = f.add(csv, "t").version;
  write_file(csv, "id,x\n9,z\n");
  auto v2 = f.add(csv, "t").version;

  auto e = thrown([&] { checkout_data(f.p.project(), v1, {}, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(slurp(csv) == "id,x\n9,z\n");
  checkout_data(f.p.project(), v1, {}, true);
  CHECK(slurp(csv) == "id,x\n1,a\n2,b\n3,c\n");

  fs::remove(csv);
  auto r = checkout_data(f.p.project(), v2, {}, false);
  CHECK(r.written == 1);
  CHECK(slurp(csv) == "id,x\n9,z\n");

  checkout_data(f.p.project(), v1, f.p.root() / "copy.csv", false);
  CHECK(slurp(f.p.root() / "copy.csv") == "id,x\n1,a\n2,b\n3,c\n");

  // into an existing directory: inside it, under the file's name (like cp); the rest stays
  fs::create_directories(f.p.root() / "adir");
  write_file(f.p.root() / "adir" / "keep.txt", "keep\n");
  auto in_dir = checkout_data(f.p.project(), v1, f.p.root() / "adir", false);
  CHECK(in_dir.written == 1);
  CHECK(slurp(f.p.root() / "adir" / "train.csv") == "id,x\n1,a\n2,b\n3,c\n");
  CHECK(slurp(f.p.root() / "adir" / "keep.txt") == "keep\n");
  // a directory version where a file is: refused without force
  auto dv = f.add(f.data, "d").version;
  auto d = thrown([&] { checkout_data(f.p.project(), dv, f.p.root() / "copy.csv", false); });
  REQUIRE(d);
  CHECK(d->code() == ExitCode::conflict);
  CHECK(slurp(f.p.root() / "copy.csv") == "id,x\n1,a\n2,b\n3,c\n");

  fs::create_symlink(f.p.root() / "copy.csv", f.p.root() / "viaLink.csv");
  for (bool force : {false, true}) {
    CAPTURE(force);
    auto l = thrown([&] { checkout_data(f.p.project(), v2, f.p.root() / "viaLink.csv", force); });
    REQUIRE(l);
    CHECK(l->code() == ExitCode::conflict);
    CHECK(slurp(f.p.root() / "copy.csv") == "id,x\n1,a\n2,b\n3,c\n");   // not written through the link
  }
}

TEST_CASE("data data_status: clean, then added / removed / modified (same size) files; a missing path; every dataset") {
  Fixture f;
  f.add(f.data, "train");
  f.add(f.data / "readme.md", "readme");
  auto all = data_status(f.p.project(), "");
  REQUIRE(all.size() == 2);
  CHECK(all[0].latest.dataset == "readme");
  CHECK(all[1].latest.dataset == "train");
  for (auto& s : all) {
    CAPTURE(s.latest.dataset);
    CHECK_FALSE(s.missing);
    CHECK(s.changes.empty());
  }

  write_file(f.data / "train.csv", "id,x\n1,a\n2,b\n3,C\n");   // same size
  write_file(f.data / "new.txt", "n\n");
  fs::remove(f.data / "sub" / "notes.txt");
  auto st = data_status(f.p.project(), "train");
  REQUIRE(st.size() == 1);
  CHECK(st[0].latest.ref() == "train@v1");
  CHECK_FALSE(st[0].missing);
  CHECK(show(st[0].changes) ==
        std::vector<std::string>{"added new.txt 0->2", "removed sub/notes.txt 9->0", "modified train.csv 17->17"});
  CHECK(data_status(f.p.project(), "readme")[0].changes.empty());

  fs::remove(f.data / "readme.md");
  auto gone = data_status(f.p.project(), "readme");
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].missing);
  CHECK(show(gone[0].changes) == std::vector<std::string>{"removed readme.md 2->0"});

  fs::remove_all(f.data);
  auto dir_gone = data_status(f.p.project(), "train");
  CHECK(dir_gone[0].missing);
  CHECK(dir_gone[0].changes.size() == 3);
  CHECK(code_of(thrown([&] { data_status(f.p.project(), "nope"); })) == ExitCode::not_found);
}

TEST_CASE("data log_input: once per context, listed by load_run; bad context exit 2; a deleted run exit 5") {
  Fixture f;
  auto v1 = f.add(f.data, "train").version;
  f.change();
  auto v2 = f.add(f.data, "train").version;
  auto readme = f.add(f.data / "readme.md", "readme").version;
  NewRun spec;
  spec.name = "consumer";
  auto run = create_run(f.p.db(), spec).ref;

  log_input(f.p.db(), run, v1, "train");
  log_input(f.p.db(), run, v1, "train");          // again: nothing new
  log_input(f.p.db(), run, v1, "eval");           // another context: a second input
  log_input(f.p.db(), run, v2, "");
  log_input(f.p.db(), run, readme, "");
  auto r = load_run(f.p.db(), run);
  std::vector<std::string> got;
  for (auto& in : r.inputs) got.push_back(in.ref() + " " + in.context + " " + in.digest.substr(0, 8));
  CHECK(got == std::vector<std::string>{"readme@v1  " + readme.digest.hex().substr(0, 8),
                                        "train@v1 eval " + v1.digest.hex().substr(0, 8),
                                        "train@v1 train " + v1.digest.hex().substr(0, 8),
                                        "train@v2  " + v2.digest.hex().substr(0, 8)});
  CHECK(f.count("run_inputs") == 4);

  for (std::string ctx : {std::string(251, 'c'), std::string("bad\xff")}) {
    auto e = thrown([&] { log_input(f.p.db(), run, v1, ctx); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
  CHECK(f.count("run_inputs") == 4);

  // an ended run may still record what it used; a deleted one may not
  end_run(f.p.db(), run, RunStatus::finished, 0);
  CHECK_FALSE(thrown([&] { log_input(f.p.db(), resolve_run(f.p.db(), "consumer"), v2, "test"); }));
  set_run_deleted(f.p.db(), run, true);
  auto deleted = resolve_run(f.p.db(), run.uuid);
  REQUIRE(deleted.deleted);
  CHECK(code_of(thrown([&] { log_input(f.p.db(), deleted, v2, "later"); })) == ExitCode::conflict);
  CHECK(f.count("run_inputs") == 5);
}
