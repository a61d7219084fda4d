// core/tree: the tree format (serialize sorts, parse round-trips and rejects damaged trees),
// tree_set (nested directories created, entries replaced, a file in the way replaced), lookup
// and walk_tree's depth-first name order.
#include "core/artifacts/tree.hpp"

#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::ObjectStore;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;
namespace fs = std::filesystem;

namespace {

struct Store {
  TempDir dir;
  ObjectStore s;
  Store() : s(make(dir)) {}
  static ObjectStore make(const TempDir& d) {
    fs::create_directories(d / "objects");
    fs::create_directories(d / "tmp");
    return ObjectStore(d / "objects", d / "tmp");
  }
};

TreeEntry file_entry(ObjectStore& s, const std::string& content, std::uint32_t mode = 0644) {
  return TreeEntry{EntryKind::file, mode, content.size(), s.put_blob(content), ""};
}

bool same(const TreeEntry& a, const TreeEntry& b) {
  return a.kind == b.kind && a.mode == b.mode && a.size == b.size && a.digest == b.digest && a.name == b.name;
}

const Digest some = sha256(std::string_view("x"));

std::string line(char kind, const std::string& mode, const std::string& size, const std::string& hex,
                 const std::string& name) {
  return std::string(1, kind) + " " + mode + " " + size + " " + hex + " " + name + "\n";
}

}  // namespace

TEST_CASE("serialize_tree writes the format and sorts bytewise by name") {
  Digest a = sha256(std::string_view("a")), b = sha256(std::string_view("b"));
  std::vector<TreeEntry> entries = {
      {EntryKind::file, 0644, 5, a, "b.txt"},
      {EntryKind::dir, 0755, 12, b, "B"},
      {EntryKind::link, 0777, 3, a, "a link"},
      {EntryKind::file, 0755, 0, b, "a.txt"},
  };
  std::string text = serialize_tree(entries);
  // 'B' (0x42) sorts before 'a' (0x61); ' ' (0x20) before '.' (0x2e)
  CHECK(text == "mlt-tree 1\n" + line('d', "755", "12", b.hex(), "B") + line('l', "777", "3", a.hex(), "a link") +
                     line('f', "755", "0", b.hex(), "a.txt") + line('f', "644", "5", a.hex(), "b.txt"));
  // order does not depend on the input order
  std::reverse(entries.begin(), entries.end());
  CHECK(serialize_tree(entries) == text);
  CHECK(serialize_tree({}) == "mlt-tree 1\n");
}

TEST_CASE("parse_tree round-trips what serialize_tree wrote") {
  std::vector<TreeEntry> entries = {
      {EntryKind::file, 0644, 123456789012ULL, sha256(std::string_view("1")), "weights.bin"},
      {EntryKind::dir, 0755, 7, sha256(std::string_view("2")), "sub dir"},
      {EntryKind::link, 0777, 9, sha256(std::string_view("3")), "ünï cödé"},
      {EntryKind::file, 0600, 0, sha256(std::string_view("4")), "..a"},
      {EntryKind::file, 0755, 1, sha256(std::string_view("5")), "a.b"},
  };
  std::string text = serialize_tree(entries);
  auto parsed = parse_tree(text, some);
  REQUIRE(parsed.size() == 5);
  std::sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.name < y.name; });
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(same(parsed[i], entries[i]));
  }
  CHECK(serialize_tree(parsed) == text);
  CHECK(parse_tree("mlt-tree 1\n", some).empty());
}

TEST_CASE("parse_tree rejects damaged trees with exit 6") {
  const std::string h = sha256(std::string_view("x")).hex();
  const std::string head = "mlt-tree 1\n";
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "no tree header"},
      {"mlt-tree 2\n", "no tree header"},
      {"MLT-TREE 1\n", "no tree header"},
      {"mlt-tree 1" + line('f', "644", "1", h, "a"), "no tree header"},
      {head + line('f', "644", "1", h, "b") + line('f', "644", "1", h, "a"), "entries out of order"},
      {head + line('f', "644", "1", h, "a") + line('f', "644", "1", h, "a"), "entries out of order"},
      {head + line('f', "644", "1", h, "a").substr(0, 20), "unterminated entry"},
      {head + "f 644 1\n", "short entry"},
      {head + line('x', "644", "1", h, "a"), "unknown entry kind"},
      {head + "ff 644 1 " + h + " a\n", "unknown entry kind"},
      {head + line('f', "644", "-1", h, "a"), "bad entry"},
      {head + line('f', "644", "ten", h, "a"), "bad entry"},
      {head + line('f', "644", "1", h.substr(1), "a"), "bad entry"},
      {head + line('f', "644", "1", "sha256:" + h.substr(7), "a"), "bad entry"},
      {head + line('f', "644", "1", h, ""), "invalid entry name"},
      {head + line('f', "644", "1", h, "."), "invalid entry name"},
      {head + line('f', "644", "1", h, ".."), "invalid entry name"},
      {head + line('f', "644", "1", h, "a/b"), "invalid entry name"},
      {head + line('f', "644", "1", h, "a\\b"), "invalid entry name"},
      {head + line('f', "644", "1", h, "a\rb"), "invalid entry name"},
      {head + line('f', "644", "1", h, "\xff"), "invalid entry name"},
  };
  Digest d = sha256(std::string_view("the tree"));
  for (auto& row1_ : table) {  // clang 14 cannot capture structured bindings
    auto& text = std::get<0>(row1_);
    auto& why = std::get<1>(row1_);
    CAPTURE(text);
    auto e = thrown([&] { parse_tree(text, d); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), why));
    CHECK(contains(e->what(), d.str()));
  }
}

TEST_CASE("parse_tree rejects a mode that is not octal permission bits") {
  // tree.hpp: "mode := octal permission bits, e.g. 644, 755"; parse_tree reads it with strtoul and
  // no check, so "abc" becomes mode 0 and "9" becomes 0, and a damaged tree parses.
  const std::string h = sha256(std::string_view("x")).hex();
  for (std::string mode : {"abc", "9", "", "64z", "7777777"}) {
    CAPTURE(mode);
    auto e = thrown([&] { parse_tree("mlt-tree 1\n" + line('f', mode, "1", h, "a"), some); });
    CHECK(e.has_value());
    if (e) CHECK(e->code() == ExitCode::integrity);
  }
}

TEST_CASE("put_tree and read_tree store a tree object") {
  Store st;
  auto f = file_entry(st.s, "hello");
  f.name = "hello.txt";
  Digest t = put_tree(st.s, {f});
  CHECK(st.s.header(t).kind == mlt::store::ObjectKind::tree);
  CHECK(t == sha256(serialize_tree({f})));
  auto back = read_tree(st.s, t);
  REQUIRE(back.size() == 1);
  CHECK(same(back[0], f));
  // equal directories have equal digests
  CHECK(put_tree(st.s, {f}) == t);
}

TEST_CASE("tree_set builds nested directories, replaces entries, and lookup finds them") {
  Store st;
  auto a = file_entry(st.s, "aaaa");          // 4 bytes
  auto b = file_entry(st.s, "bbbbbbbb", 0755);   // 8 bytes
  Digest r1 = tree_set(st.s, std::nullopt, "x/y/a.txt", a);
  Digest r2 = tree_set(st.s, r1, "x/b.bin", b);
  CHECK(r2 != r1);

  auto ea = lookup(st.s, r2, "x/y/a.txt");
  REQUIRE(ea);
  CHECK(ea->kind == EntryKind::file);
  CHECK(ea->digest == a.digest);
  CHECK(ea->size == 4);
  CHECK(ea->name == "a.txt");
  auto eb = lookup(st.s, r2, "x/b.bin");
  REQUIRE(eb);
  CHECK(eb->mode == 0755);
  auto ex = lookup(st.s, r2, "x");
  REQUIRE(ex);
  CHECK(ex->kind == EntryKind::dir);
  CHECK(ex->size == 12);   // every file below it
  CHECK(lookup(st.s, r2, "x/y")->size == 4);
  auto root = lookup(st.s, r2, "");
  REQUIRE(root);
  CHECK(root->kind == EntryKind::dir);
  CHECK(root->digest == r2);
  CHECK(root->size == 12);
  // the old root is unchanged
  CHECK_FALSE(lookup(st.s, r1, "x/b.bin").has_value());
  CHECK(lookup(st.s, r1, "x")->size == 4);

  // missing paths, and paths through a file
  CHECK_FALSE(lookup(st.s, r2, "nope").has_value());
  CHECK_FALSE(lookup(st.s, r2, "x/y/nope").has_value());
  CHECK_FALSE(lookup(st.s, r2, "x/b.bin/deeper").has_value());
  auto bad = thrown([&] { lookup(st.s, r2, "../x"); });
  REQUIRE(bad);
  CHECK(bad->code() == ExitCode::usage);

  // replacing a file keeps its siblings
  auto a2 = file_entry(st.s, "a2");
  Digest r3 = tree_set(st.s, r2, "x/y/a.txt", a2);
  CHECK(lookup(st.s, r3, "x/y/a.txt")->digest == a2.digest);
  CHECK(lookup(st.s, r3, "x/b.bin")->digest == b.digest);
  CHECK(lookup(st.s, r3, "x")->size == 10);
  // setting the same thing again gives the same root
  CHECK(tree_set(st.s, r3, "x/y/a.txt", a2) == r3);
  // order of insertion does not matter
  Digest other = tree_set(st.s, tree_set(st.s, std::nullopt, "x/b.bin", b), "x/y/a.txt", a2);
  CHECK(other == r3);

  // a file in the way of a directory is replaced by one
  Digest r4 = tree_set(st.s, r3, "x/b.bin/inner", a);
  auto eb4 = lookup(st.s, r4, "x/b.bin");
  REQUIRE(eb4);
  CHECK(eb4->kind == EntryKind::dir);
  CHECK(lookup(st.s, r4, "x/b.bin/inner")->digest == a.digest);
  // a directory replaced by a file
  Digest r5 = tree_set(st.s, r4, "x", b);
  CHECK(lookup(st.s, r5, "x")->kind == EntryKind::file);
  CHECK_FALSE(lookup(st.s, r5, "x/y").has_value());

  // invalid paths are refused before anything is written
  for (std::string p : {"", "/abs", "a//b", "a/../b", "a/"}) {
    CAPTURE(p);
    auto e = thrown([&] { tree_set(st.s, r2, p, a); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
}

TEST_CASE("directory sizes count the bytes of files, not link targets") {
  Store st;
  auto f = file_entry(st.s, "four");
  TreeEntry l{EntryKind::link, 0777, 7, st.s.put_blob("target1"), ""};
  Digest root = tree_set(st.s, std::nullopt, "x/f", f);
  root = tree_set(st.s, root, "x/l", l);
  root = tree_set(st.s, root, "top-link", l);
  CHECK(lookup(st.s, root, "x")->size == 4);
  CHECK(lookup(st.s, root, "")->size == 4);
  CHECK(lookup(st.s, root, "x/l")->size == 7);   // the link's own entry keeps its target's length
}

TEST_CASE("walk_tree visits depth first in name order") {
  Store st;
  auto f = file_entry(st.s, "f");
  std::optional<Digest> root;
  for (std::string p : {"b", "a/z", "a/c/d", "a.txt", "a/c/a", "A"}) root = tree_set(st.s, root, p, f);
  std::vector<std::string> seen;
  walk_tree(st.s, *root, [&](const std::string& path, const TreeEntry& e) {
    seen.push_back(path + (e.kind == EntryKind::dir ? "/" : ""));
  });
  // "a" < "a.txt" < "b" by name; a full-path sort would put "a.txt" before "a/c"
  CHECK(seen == std::vector<std::string>{"A", "a/", "a/c/", "a/c/a", "a/c/d", "a/z", "a.txt", "b"});
  // with a prefix
  std::vector<std::string> under;
  walk_tree(st.s, lookup(st.s, *root, "a/c")->digest, [&](const std::string& path, const TreeEntry&) {
    under.push_back(path);
  }, "a/c");
  CHECK(under == std::vector<std::string>{"a/c/a", "a/c/d"});
}
