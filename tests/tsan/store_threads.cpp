// The object store's threaded parts under ThreadSanitizer (target mlt_store_tsan, built with
// -DMLT_TSAN_STORE=ON as scripts/build.sh does; CTest entry tsan.store). put_file hashes and
// compresses a large file's chunks on worker threads, read_file reads a chunked file ahead on
// worker threads, and many processes' threads put the same objects at once. Only the store's own
// sources are built with -fsanitize=thread here, so this stays a few files to compile.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/hash.hpp"
#include "store/object_store.hpp"

namespace fs = std::filesystem;
using mlt::store::ObjectStore;

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    std::string t = (fs::temp_directory_path() / "mlt-tsan.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    dir = t;
    fs::create_directories(dir / "objects");
    fs::create_directories(dir / "tmp");
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Bytes that compress a little and cut into many content-defined chunks.
std::string sample(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 7 == 0 ? 'a' : rng() & 0xff);
  return s;
}

fs::path write_file(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

}  // namespace

TEST_CASE("threads putting the same large file at once store it once, whole") {
  Scratch s;
  ObjectStore store(s.dir / "objects", s.dir / "tmp");
  std::string content = sample(12 * 1024 * 1024, 1);
  auto file = write_file(s.dir / "big.bin", content);
  auto expected = mlt::store::sha256(content);
  std::vector<std::thread> threads;
  std::vector<mlt::store::StoredFile> got(4);
  std::atomic<std::uint64_t> progress{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { got[static_cast<std::size_t>(i)] = store.put_file(file, &progress); });
  for (auto& t : threads) t.join();
  for (auto& g : got) CHECK(g.digest == expected);
  CHECK(progress.load() >= content.size());
  CHECK(store.read_content(expected) == content);
  CHECK_FALSE(store.verify(expected).has_value());
  CHECK(fs::is_empty(s.dir / "tmp"));
}

TEST_CASE("a chunked file is read ahead on worker threads, from several readers at once") {
  Scratch s;
  ObjectStore store(s.dir / "objects", s.dir / "tmp");
  std::string content = sample(9 * 1024 * 1024, 2);
  auto stored = store.put_file(write_file(s.dir / "f.bin", content));
  store.sync();
  std::vector<std::thread> readers;
  std::atomic<int> equal{0};
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      if (store.read_content(stored.digest) == content) ++equal;
    });
  for (auto& t : readers) t.join();
  CHECK(equal.load() == 3);
}

TEST_CASE("many threads putting overlapping small objects and syncing") {
  Scratch s;
  ObjectStore store(s.dir / "objects", s.dir / "tmp");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        std::string c = "object " + std::to_string((i + t) % 40);
        auto d = store.put_blob(c);
        if (store.read(d) != c) ++mismatches;
        if (i % 20 == 0) store.sync();
      }
    });
  for (auto& t : threads) t.join();
  CHECK(mismatches.load() == 0);
  int n = 0;
  store.for_each([&](const mlt::store::Digest& d, const fs::path&, std::uint64_t, fs::file_time_type) {
    ++n;
    CHECK_FALSE(store.verify(d).has_value());
  });
  CHECK(n == 40);
}
