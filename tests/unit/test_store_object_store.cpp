// store/object_store: the on-disk object format (0 bytes, 1 byte, the 1 MiB blob/chunked edge,
// large chunked files), raw vs zstd encoding, deduplication, and corruption caught on every read
// (a flipped byte, a truncated object, a swapped object, a bad magic) and by verify().
#include "store/object_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "store/chunker.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using mlt::store::ChunkRef;
using mlt::store::Digest;
using mlt::store::Encoding;
using mlt::store::ObjectKind;
using mlt::store::ObjectStore;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::TempDir;
using mlt::test::thrown;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t KiB = 1024, MiB = 1024 * 1024;

using mlt::test::random_text;

std::string compressible_text(std::size_t n) {
  std::string out;
  for (int i = 0; out.size() < n; ++i) out += "epoch " + std::to_string(i % 100) + " loss 0.25 acc 0.75\n";
  out.resize(n);
  return out;
}

// Text that zstd shrinks to well under half but that is not periodic, so it has chunk cuts.
std::string log_text(std::size_t n, std::uint64_t seed) {
  std::string out;
  std::uint64_t x = seed;
  for (int i = 0; out.size() < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out += "step " + std::to_string(i) + " loss 0." + std::to_string((x >> 20) % 1000000) + "\n";
  }
  out.resize(n);
  return out;
}

using mlt::test::slurp;

void overwrite(const fs::path& p, const std::string& bytes) {
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  mlt::test::write_file(p, bytes);
}

// An object store in a temporary directory.
struct Store {
  TempDir dir;
  ObjectStore s;
  Store() : s(make(dir)) {}
  static ObjectStore make(const TempDir& d) {
    fs::create_directories(d / "objects");
    fs::create_directories(d / "tmp");
    return ObjectStore(d / "objects", d / "tmp");
  }
  // What the object's file says about it: the 16-byte header fields.
  std::string raw(const Digest& d) const { return slurp(s.path_of(d)); }
  std::string file_content(const Digest& d) const {
    std::string out;
    s.read_file(d, [&](const std::uint8_t* p, std::size_t n) { out.append(reinterpret_cast<const char*>(p), n); });
    return out;
  }
  Digest put_file_text(const std::string& name, const std::string& content, std::uint64_t* new_bytes = nullptr) {
    mlt::test::write_file(dir / name, content);
    auto stored = s.put_file(dir / name);
    CHECK(stored.size == content.size());
    if (new_bytes) *new_bytes = stored.new_bytes;
    return stored.digest;
  }
  std::size_t tmp_files() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir / "tmp"), fs::directory_iterator()));
  }
};

std::uint64_t u64_at(const std::string& s, std::size_t off) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

void check_header_bytes(const std::string& raw, ObjectKind kind, Encoding enc, std::uint64_t size) {
  REQUIRE(raw.size() >= 16);
  CHECK(raw.substr(0, 4) == "MLTO");
  CHECK(raw[4] == 1);
  CHECK(raw[5] == static_cast<char>(kind));
  CHECK(raw[6] == static_cast<char>(enc));
  CHECK(raw[7] == 0);
  CHECK(u64_at(raw, 8) == size);
}

}  // namespace

TEST_CASE("objects live at objects/<2 hex>/<62 hex>") {
  Store st;
  Digest d = sha256(std::string_view("abc"));
  CHECK(st.s.path_of(d) == st.dir / "objects" / "ba" /
                               "7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(st.s.has(d));
  CHECK_FALSE(st.s.touch(d));
  CHECK(st.s.put_blob("abc") == d);
  CHECK(st.s.has(d));
  CHECK(st.s.touch(d));
  CHECK(st.tmp_files() == 0);   // the temporary file is gone once linked into place
  // read-only once stored
  struct stat sb {};
  REQUIRE(::stat(st.s.path_of(d).c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0444);
}

TEST_CASE("put and read round trip at the size edges") {
  Store st;
  SUBCASE("0 bytes") {
    Digest d = st.s.put_blob("");
    CHECK(d.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(st.s.read(d) == "");
    auto raw = st.raw(d);
    CHECK(raw.size() == 16);
    check_header_bytes(raw, ObjectKind::blob, Encoding::raw, 0);
    auto h = st.s.header(d);
    CHECK(h.kind == ObjectKind::blob);
    CHECK(h.encoding == Encoding::raw);
    CHECK(h.size == 0);
    CHECK(h.stored == 16);
    CHECK(st.file_content(d) == "");
    // an empty file through put_file is the same object
    CHECK(st.put_file_text("empty", "") == d);
  }
  SUBCASE("1 byte") {
    Digest d = st.s.put_blob("x");
    CHECK(st.s.read(d) == "x");
    auto raw = st.raw(d);
    CHECK(raw.size() == 17);
    check_header_bytes(raw, ObjectKind::blob, Encoding::raw, 1);
    CHECK(raw[16] == 'x');
    CHECK(st.put_file_text("one", "x") == d);
    CHECK(st.file_content(d) == "x");
  }
  SUBCASE("exactly 1 MiB is one blob") {
    auto content = random_text(1 * MiB, 11);
    Digest d = st.put_file_text("one-mib", content);
    CHECK(d == sha256(content));
    auto h = st.s.header(d);
    CHECK(h.kind == ObjectKind::blob);
    CHECK(h.size == 1 * MiB);
    CHECK(h.stored == 16 + 1 * MiB);
    CHECK(st.s.read(d) == content);
    CHECK(st.file_content(d) == content);
  }
  SUBCASE("1 MiB + 1 is chunked") {
    auto content = random_text(1 * MiB + 1, 27);   // seed 27: the chunker cuts it at 569273
    REQUIRE(mlt::store::find_cut(reinterpret_cast<const std::uint8_t*>(content.data()), content.size(), true) ==
            569273);
    Digest d = st.put_file_text("one-mib-plus", content);
    CHECK(d == sha256(content));
    auto h = st.s.header(d);
    CHECK(h.kind == ObjectKind::chunked);
    CHECK(h.encoding == Encoding::raw);   // manifests are never compressed
    auto chunks = st.s.manifest(d);
    REQUIRE(!chunks.empty());
    std::uint64_t total = 0;
    for (auto& c : chunks) {
      total += c.size;
      CHECK(st.s.header(c.digest).kind == ObjectKind::blob);
    }
    CHECK(total == content.size());
    CHECK(chunks.size() == 2);
    // manifest payload: "MLTC" 1 0 0 0 size count (digest size)* checksum
    CHECK(h.size == 24 + 40 * chunks.size() + 32);
    auto raw = st.raw(d);
    CHECK(raw.substr(16, 4) == "MLTC");
    CHECK(u64_at(raw, 16 + 8) == content.size());
    CHECK(u64_at(raw, 16 + 16) == chunks.size());
    CHECK(st.file_content(d) == content);
    // a chunked file is not a blob
    auto e = thrown([&] { st.s.read(d); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
  }
}

TEST_CASE("a file over 1 MiB that is a single chunk is stored as that chunk's blob") {
  // object_store.hpp: "A larger file that is a single chunk is that chunk's blob (its name is the
  // file's digest)": no manifest is needed, and reads verify it like any blob.
  Store st;
  auto content = random_text(1 * MiB + 1, 12);   // seed 12: no cut before the end
  REQUIRE(mlt::store::find_cut(reinterpret_cast<const std::uint8_t*>(content.data()), content.size(), true) ==
          content.size());
  Digest d = st.put_file_text("single", content);
  CHECK(d == sha256(content));
  CHECK(st.file_content(d) == content);   // the content itself is fine either way
  CHECK(st.s.header(d).kind == ObjectKind::blob);
  CHECK(st.s.read(d) == content);
}

TEST_CASE("a 5 MiB file is chunked at content-defined cuts and named by its whole SHA-256") {
  Store st;
  auto content = random_text(5 * MiB + 123, 5);
  std::atomic<std::uint64_t> progress{0};
  mlt::test::write_file(st.dir / "big", content);
  auto stored = st.s.put_file(st.dir / "big", &progress);
  CHECK(stored.digest == sha256(content));
  CHECK(stored.size == content.size());
  CHECK(progress.load() == content.size());
  auto chunks = st.s.manifest(stored.digest);
  REQUIRE(chunks.size() >= 2);
  // the chunks are the chunker's cuts, in order, each stored as a blob of its bytes
  std::size_t pos = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CAPTURE(i);
    auto cut = mlt::store::find_cut(reinterpret_cast<const std::uint8_t*>(content.data()) + pos,
                                    content.size() - pos, true);
    CHECK(chunks[i].size == cut);
    CHECK(chunks[i].digest == sha256(content.substr(pos, cut)));
    CHECK(st.s.read(chunks[i].digest) == content.substr(pos, cut));
    pos += chunks[i].size;
  }
  CHECK(pos == content.size());
  // the random chunks are stored raw: new bytes are the content plus headers plus the manifest
  auto manifest_stored = st.s.header(stored.digest).stored;
  CHECK(stored.new_bytes == content.size() + 16 * chunks.size() + manifest_stored);
  CHECK(st.file_content(stored.digest) == content);
  CHECK_FALSE(st.s.verify(stored.digest).has_value());
  CHECK(st.tmp_files() == 0);
}

TEST_CASE("incompressible data is stored raw, compressible data with zstd") {
  Store st;
  auto noise = random_text(200 * KiB, 3);
  Digest dn = st.s.put_blob(noise);
  auto raw = st.raw(dn);
  CHECK(raw[6] == 0);
  CHECK(raw.size() == 16 + noise.size());
  CHECK(st.s.header(dn).encoding == Encoding::raw);
  CHECK(st.s.read(dn) == noise);

  auto text = compressible_text(200 * KiB);
  Digest dt = st.s.put_blob(text);
  auto packed = st.raw(dt);
  CHECK(packed[6] == 1);
  CHECK(packed.size() < text.size() / 4);
  check_header_bytes(packed, ObjectKind::blob, Encoding::zstd, text.size());
  // the payload is one zstd frame (magic 28 b5 2f fd)
  CHECK(packed.substr(16, 4) == std::string("\x28\xb5\x2f\xfd", 4));
  CHECK(st.s.header(dt).encoding == Encoding::zstd);
  CHECK(st.s.read(dt) == text);

  // tiny payloads are never worth compressing
  Digest small = st.s.put_blob(std::string(63, 'a'));
  CHECK(st.raw(small)[6] == 0);

  // compressible chunks of a large file are compressed one by one
  auto big = log_text(3 * MiB, 1);
  Digest db = st.put_file_text("big.txt", big);
  auto chunks = st.s.manifest(db);
  CHECK(chunks.size() >= 2);
  for (auto& c : chunks) {
    CHECK(st.raw(c.digest)[6] == 1);
    CHECK(st.s.header(c.digest).stored < c.size / 2);
  }
  CHECK(st.file_content(db) == big);

  // maybe_compress decides the same way
  auto as_bytes = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  CHECK_FALSE(mlt::store::maybe_compress(as_bytes(noise)).has_value());
  CHECK(mlt::store::maybe_compress(as_bytes(text)).has_value());
}

TEST_CASE("storing the same content twice writes nothing the second time") {
  Store st;
  auto text = compressible_text(10 * KiB);
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  Digest d = sha256(text);
  auto first = st.s.put(d, ObjectKind::blob, bytes);
  CHECK(first == st.s.header(d).stored);
  CHECK(first > 16);
  CHECK(st.s.put(d, ObjectKind::blob, bytes) == 0);

  auto content = random_text(3 * MiB, 77);
  std::uint64_t new1 = 0, new2 = 0;
  Digest f1 = st.put_file_text("a", content, &new1);
  Digest f2 = st.put_file_text("b", content, &new2);
  CHECK(f1 == f2);
  CHECK(new1 > content.size());
  CHECK(new2 == 0);
  std::uint64_t small1 = 0, small2 = 0;
  st.put_file_text("c", "small", &small1);
  st.put_file_text("d", "small", &small2);
  CHECK(small1 == 16 + 5);
  CHECK(small2 == 0);
  CHECK(st.tmp_files() == 0);
}

TEST_CASE("an object file shorter than its header is written again by the next put of that content") {
  // What a power loss can leave of an object linked into place before its bytes reached the disk
  // (objects are synced once per command): the next add of the same content must not trust it.
  Store st;
  auto text = compressible_text(4 * KiB);
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  Digest d = sha256(text);
  for (std::size_t keep : {std::size_t{0}, std::size_t{7}}) {
    CAPTURE(keep);
    st.s.put(d, ObjectKind::blob, bytes);
    auto path = st.s.path_of(d);
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    fs::resize_file(path, keep);
    CHECK(st.s.verify(d).has_value());
    CHECK(st.s.put(d, ObjectKind::blob, bytes) > 16);
    CHECK_FALSE(st.s.verify(d).has_value());
    CHECK(st.s.read(d) == text);
    CHECK(st.tmp_files() == 0);
  }
}

TEST_CASE("a damaged object is caught on read and by verify") {
  Store st;
  auto noise = random_text(4 * KiB, 21);
  auto text = compressible_text(40 * KiB);
  Digest raw_d = st.s.put_blob(noise);
  Digest zstd_d = st.s.put_blob(text);
  Digest other = st.s.put_blob(random_text(4 * KiB, 22));
  REQUIRE(st.raw(raw_d)[6] == 0);
  REQUIRE(st.raw(zstd_d)[6] == 1);
  REQUIRE_FALSE(st.s.verify(raw_d).has_value());
  REQUIRE_FALSE(st.s.verify(zstd_d).has_value());

  auto expect_damage = [&](const Digest& d, const std::string& why) {
    CAPTURE(why);
    auto e = thrown([&] { st.s.read(d); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), d.str()));
    CHECK(contains(e->what(), why));
    auto v = st.s.verify(d);
    REQUIRE(v.has_value());
    CHECK(contains(*v, d.str()));
    CHECK(contains(*v, why));
    // streaming hands out nothing
    std::size_t handed = 0;
    auto e2 = thrown([&] { st.s.read_file(d, [&](const std::uint8_t*, std::size_t n) { handed += n; }); });
    REQUIRE(e2);
    CHECK(e2->code() == ExitCode::integrity);
    CHECK(handed == 0);
  };

  SUBCASE("a flipped payload byte, raw") {
    auto bytes = st.raw(raw_d);
    bytes[16 + 1000] ^= 0x01;
    overwrite(st.s.path_of(raw_d), bytes);
    expect_damage(raw_d, "content does not match its name");
  }
  SUBCASE("a flipped payload byte, zstd") {
    auto bytes = st.raw(zstd_d);
    bytes[bytes.size() / 2] ^= 0x40;
    overwrite(st.s.path_of(zstd_d), bytes);
    expect_damage(zstd_d, "is damaged");
  }
  SUBCASE("a flipped size in the header") {
    auto bytes = st.raw(raw_d);
    bytes[8] ^= 0x01;
    overwrite(st.s.path_of(raw_d), bytes);
    expect_damage(raw_d, "does not match its header");
  }
  SUBCASE("a truncated object, raw") {
    auto bytes = st.raw(raw_d);
    bytes.pop_back();
    overwrite(st.s.path_of(raw_d), bytes);
    expect_damage(raw_d, "does not match its header");
  }
  SUBCASE("a truncated object, zstd") {
    auto bytes = st.raw(zstd_d);
    bytes.resize(bytes.size() - 10);
    overwrite(st.s.path_of(zstd_d), bytes);
    expect_damage(zstd_d, "is damaged");
  }
  SUBCASE("a truncated header") {
    overwrite(st.s.path_of(raw_d), st.raw(raw_d).substr(0, 10));
    expect_damage(raw_d, "truncated header");
  }
  SUBCASE("a swapped object") {
    fs::permissions(st.s.path_of(raw_d), fs::perms::owner_write, fs::perm_options::add);
    fs::copy_file(st.s.path_of(other), st.s.path_of(raw_d), fs::copy_options::overwrite_existing);
    REQUIRE(st.raw(raw_d) == st.raw(other));
    expect_damage(raw_d, "content does not match its name");
  }
  SUBCASE("a bad magic") {
    auto bytes = st.raw(raw_d);
    bytes[0] = 'X';
    overwrite(st.s.path_of(raw_d), bytes);
    expect_damage(raw_d, "not an mlt object");
  }
  SUBCASE("an unknown version, kind or encoding") {
    for (int field : {4, 5, 6}) {
      CAPTURE(field);
      auto bytes = st.raw(zstd_d);
      bytes[static_cast<std::size_t>(field)] = 9;
      overwrite(st.s.path_of(raw_d), bytes);
      expect_damage(raw_d, field == 4 ? "unknown format version" : field == 5 ? "unknown kind" : "unknown encoding");
    }
  }
}

TEST_CASE("a damaged chunk or manifest of a chunked file is caught") {
  Store st;
  auto content = random_text(3 * MiB, 31);
  Digest f = st.put_file_text("f", content);
  auto chunks = st.s.manifest(f);
  REQUIRE(chunks.size() >= 2);
  REQUIRE_FALSE(st.s.verify(f).has_value());

  SUBCASE("a flipped byte in a chunk") {
    auto bytes = st.raw(chunks[1].digest);
    bytes[100] ^= 0x80;
    overwrite(st.s.path_of(chunks[1].digest), bytes);
    auto v = st.s.verify(f);
    REQUIRE(v.has_value());
    CHECK(contains(*v, chunks[1].digest.str()));
    std::string got;
    auto e = thrown([&] {
      st.s.read_file(f, [&](const std::uint8_t* p, std::size_t n) { got.append(reinterpret_cast<const char*>(p), n); });
    });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(got == content.substr(0, chunks[0].size));   // only verified chunks were handed out
  }
  SUBCASE("a missing chunk") {
    fs::remove(st.s.path_of(chunks[0].digest));
    auto v = st.s.verify(f);
    REQUIRE(v.has_value());
    CHECK(contains(*v, "missing"));
  }
  SUBCASE("a flipped byte in the manifest") {
    auto bytes = st.raw(f);
    bytes[16 + 24 + 35] ^= 0x01;   // inside the first chunk's size
    overwrite(st.s.path_of(f), bytes);
    auto v = st.s.verify(f);
    REQUIRE(v.has_value());
    CHECK(contains(*v, "manifest checksum mismatch"));
    auto e = thrown([&] { st.s.manifest(f); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
  }
  SUBCASE("a manifest swapped for another file's") {
    Digest g = st.put_file_text("g", random_text(2 * MiB, 32));
    fs::permissions(st.s.path_of(f), fs::perms::owner_write, fs::perm_options::add);
    fs::copy_file(st.s.path_of(g), st.s.path_of(f), fs::copy_options::overwrite_existing);
    auto v = st.s.verify(f);
    REQUIRE(v.has_value());
    CHECK(contains(*v, "do not add up to the file's digest"));
  }
}

TEST_CASE("a file of many chunks is read ahead on worker threads and handed out in order") {
  Store st;
  auto content = random_text(24 * MiB, 41);
  Digest f = st.put_file_text("f", content);
  auto chunks = st.s.manifest(f);
  REQUIRE(chunks.size() >= 12);
  std::vector<std::size_t> offsets{0};
  for (auto& c : chunks) offsets.push_back(offsets.back() + c.size);

  SUBCASE("round trip, piece by piece in file order") {
    std::string got;
    std::vector<std::size_t> pieces;
    st.s.read_file(f, [&](const std::uint8_t* p, std::size_t n) {
      pieces.push_back(got.size());
      got.append(reinterpret_cast<const char*>(p), n);
    });
    CHECK(got == content);
    pieces.push_back(got.size());
    CHECK(pieces == offsets);
  }
  SUBCASE("a damaged chunk in the middle stops the stream before it") {
    std::size_t bad = chunks.size() / 2;
    auto bytes = st.raw(chunks[bad].digest);
    bytes[bytes.size() / 2] ^= 0x01;
    overwrite(st.s.path_of(chunks[bad].digest), bytes);
    std::string got;
    auto e = thrown([&] {
      st.s.read_file(f, [&](const std::uint8_t* p, std::size_t n) { got.append(reinterpret_cast<const char*>(p), n); });
    });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), chunks[bad].digest.str()));
    CHECK(got == content.substr(0, offsets[bad]));  // every chunk before the damaged one, as a serial read
  }
  SUBCASE("a missing last chunk") {
    fs::remove(st.s.path_of(chunks.back().digest));
    auto e = thrown([&] { st.file_content(f); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), "missing"));
  }
  SUBCASE("a sink that fails stops the readers and its error comes out") {
    int calls = 0;
    auto e = thrown([&] {
      st.s.read_file(f, [&](const std::uint8_t*, std::size_t) {
        if (++calls == 3) throw mlt::Error(ExitCode::failure, "disk full in the sink");
      });
    });
    REQUIRE(e);
    CHECK(contains(e->what(), "disk full in the sink"));
    CHECK(calls == 3);
    CHECK(st.file_content(f) == content);  // nothing was left half-done in the store
  }
  SUBCASE("several threads read the same file at once") {
    std::vector<std::string> outs(4);
    std::vector<std::thread> ts;
    for (auto& o : outs) ts.emplace_back([&st, &f, &o] { o = st.file_content(f); });
    for (auto& t : ts) t.join();
    for (auto& o : outs) CHECK(o == content);
  }
}

TEST_CASE("a missing object is reported with its digest") {
  Store st;
  Digest d = sha256(std::string_view("never stored"));
  auto e = thrown([&] { st.s.read(d); });
  REQUIRE(e);
  CHECK(contains(e->what(), d.str()));
  CHECK(contains(e->what(), "missing"));
  auto v = st.s.verify(d);
  REQUIRE(v.has_value());
  CHECK(contains(*v, "missing"));
}

TEST_CASE("header() of a missing object exits 6") {
  Store st;
  Digest d = sha256(std::string_view("never stored"));
  auto e = thrown([&] { st.s.header(d); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(e->what() == "object " + d.str() + " is missing");
}

TEST_CASE("put_file refuses what is not a regular file") {
  Store st;
  fs::create_directories(st.dir / "d");
  auto e = thrown([&] { st.s.put_file(st.dir / "d"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  mlt::test::write_file(st.dir / "target", "t");
  fs::create_symlink(st.dir / "target", st.dir / "link");
  CHECK(thrown([&] { st.s.put_file(st.dir / "link"); }).has_value());   // never followed
  CHECK(thrown([&] { st.s.put_file(st.dir / "nope"); }).has_value());
}

TEST_CASE("for_each lists every object and skips stray files") {
  Store st;
  std::map<Digest, std::uint64_t> expected;
  for (const std::string& s : std::vector<std::string>{"one", "two", "three"}) {
    Digest d = st.s.put_blob(s);
    expected[d] = 16 + s.size();
  }
  Digest big = st.put_file_text("big", random_text(2 * MiB, 12));
  for (auto& c : st.s.manifest(big)) expected[c.digest] = st.s.header(c.digest).stored;
  expected[big] = st.s.header(big).stored;
  // stray files: wrong shard names, short names, non-hex, a directory
  mlt::test::write_file(st.dir / "objects" / "README", "x");
  fs::create_directories(st.dir / "objects" / "zz");
  mlt::test::write_file(st.dir / "objects" / "zz" / std::string(62, 'a'), "x");
  fs::create_directories(st.dir / "objects" / "ab");
  mlt::test::write_file(st.dir / "objects" / "ab" / "short", "x");
  mlt::test::write_file(st.dir / "objects" / "ab" / (std::string(61, '0') + "g"), "x");
  fs::create_directories(st.dir / "objects" / "ab" / std::string(62, 'c'));

  std::map<Digest, std::uint64_t> seen;
  st.s.for_each([&](const Digest& d, const fs::path& p, std::uint64_t size, fs::file_time_type) {
    CHECK(p == st.s.path_of(d));
    CHECK(seen.emplace(d, size).second);
  });
  CHECK(seen == expected);
}

TEST_CASE("make_temp creates unique private files in tmp/") {
  Store st;
  fs::path a, b;
  int fa = st.s.make_temp(a), fb = st.s.make_temp(b);
  CHECK(fa >= 0);
  CHECK(fb >= 0);
  CHECK(a != b);
  CHECK(a.parent_path() == st.dir / "tmp");
  struct stat sb {};
  REQUIRE(::stat(a.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  ::close(fa);
  ::close(fb);
  st.s.sync();   // does not throw on a healthy store
}
