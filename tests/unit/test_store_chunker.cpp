// store/chunker: content-defined cuts are deterministic, respect the min/max bounds, survive an
// insertion (only the chunks around it change), and average about 1 MiB on random data.
#include "store/chunker.hpp"

#include <cstdint>
#include <cstring>
#include <unordered_set>
#include <vector>

#include <doctest/doctest.h>

#include "store/hash.hpp"

using mlt::store::ChunkSizes;
using mlt::store::Digest;
using mlt::store::DigestHash;
using mlt::store::find_cut;
using mlt::store::sha256;

namespace {

constexpr std::size_t KiB = 1024, MiB = 1024 * 1024;

// Deterministic pseudo-random bytes (splitmix64), so every run sees the same data.
std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<std::size_t>(8, n - i));
  }
  return out;
}

// Every chunk length of `data` cut as a whole input.
std::vector<std::size_t> chunk_lengths(const std::vector<std::uint8_t>& data, const ChunkSizes& s = {}) {
  std::vector<std::size_t> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t cut = find_cut(data.data() + pos, data.size() - pos, true, s);
    REQUIRE(cut > 0);
    REQUIRE(cut <= data.size() - pos);
    out.push_back(cut);
    pos += cut;
  }
  return out;
}

std::vector<Digest> chunk_digests(const std::vector<std::uint8_t>& data) {
  std::vector<Digest> out;
  std::size_t pos = 0;
  for (auto len : chunk_lengths(data)) {
    out.push_back(sha256(data.data() + pos, len));
    pos += len;
  }
  return out;
}

}  // namespace

TEST_CASE("find_cut is deterministic and depends only on the content") {
  auto data = random_bytes(12 * MiB, 1);
  std::size_t a = find_cut(data.data(), data.size(), false);
  CHECK(a == find_cut(data.data(), data.size(), false));
  CHECK(a > 256 * KiB);
  CHECK(a <= 4 * MiB);
  // the same bytes at another address, with other bytes after the cut, cut at the same place
  std::vector<std::uint8_t> copy(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(a));
  auto tail = random_bytes(6 * MiB, 99);
  copy.insert(copy.end(), tail.begin(), tail.end());
  CHECK(find_cut(copy.data(), copy.size(), false) == a);
  // an input that ends at the cut, or a bit after it, cuts there too
  CHECK(find_cut(data.data(), a, true) == a);
  CHECK(find_cut(data.data(), a + 1000, false) == a);
  // the whole sequence of chunks is the same on a second pass
  auto lengths = chunk_lengths(data);
  CHECK(lengths == chunk_lengths(data));
  std::size_t total = 0;
  for (auto l : lengths) total += l;
  CHECK(total == data.size());
}

TEST_CASE("find_cut respects the minimum and maximum sizes") {
  const ChunkSizes s;   // 256 KiB / 1 MiB / 4 MiB
  REQUIRE(s.min == 256 * KiB);
  REQUIRE(s.avg == 1 * MiB);
  REQUIRE(s.max == 4 * MiB);

  // Zero bytes never satisfy the cut condition: only the bounds decide.
  std::vector<std::uint8_t> zeros(6 * MiB, 0);
  CHECK(find_cut(zeros.data(), 0, true) == 0);
  CHECK(find_cut(zeros.data(), 1, true) == 1);
  CHECK(find_cut(zeros.data(), 1, false) == 0);
  CHECK(find_cut(zeros.data(), s.min, true) == s.min);
  CHECK(find_cut(zeros.data(), s.min, false) == 0);
  CHECK(find_cut(zeros.data(), s.min + 1, true) == s.min + 1);
  CHECK(find_cut(zeros.data(), 3 * MiB, false) == 0);        // n < max, no cut: wait for more
  CHECK(find_cut(zeros.data(), 3 * MiB, true) == 3 * MiB);   // the end of the input
  CHECK(find_cut(zeros.data(), s.max - 1, false) == 0);
  CHECK(find_cut(zeros.data(), s.max, false) == s.max);
  CHECK(find_cut(zeros.data(), s.max, true) == s.max);
  CHECK(find_cut(zeros.data(), 6 * MiB, false) == s.max);
  CHECK(find_cut(zeros.data(), 6 * MiB, true) == s.max);
  // whole input of zeros: max-size chunks, then the rest
  CHECK(chunk_lengths(zeros) == std::vector<std::size_t>{4 * MiB, 2 * MiB});

  // Random data: every chunk but the last is within (min, max].
  auto data = random_bytes(24 * MiB, 7);
  auto lengths = chunk_lengths(data);
  REQUIRE(lengths.size() > 4);
  for (std::size_t i = 0; i + 1 < lengths.size(); ++i) {
    CAPTURE(i);
    CHECK(lengths[i] > s.min);
    CHECK(lengths[i] <= s.max);
  }
  // below the minimum nothing is cut, whatever the content
  CHECK(find_cut(data.data(), 1000, false) == 0);
  CHECK(find_cut(data.data(), 1000, true) == 1000);

  // Custom sizes: the bounds follow them.
  ChunkSizes small{4 * KiB, 16 * KiB, 64 * KiB};
  auto cut_lengths = chunk_lengths(data, small);
  for (std::size_t i = 0; i + 1 < cut_lengths.size(); ++i) {
    CAPTURE(i);
    CHECK(cut_lengths[i] > small.min);
    CHECK(cut_lengths[i] <= small.max);
  }
  CHECK(find_cut(zeros.data(), 100 * KiB, false, small) == 64 * KiB);
}

TEST_CASE("chunk boundaries are stable under an insertion") {
  auto original = random_bytes(20 * MiB, 42);
  auto modified = original;
  auto inserted = random_bytes(100, 4242);
  modified.insert(modified.begin() + static_cast<std::ptrdiff_t>(10 * MiB), inserted.begin(), inserted.end());
  REQUIRE(modified.size() == original.size() + 100);

  auto before = chunk_digests(original);
  auto after = chunk_digests(modified);
  std::unordered_set<Digest, DigestHash> known(before.begin(), before.end());
  std::size_t shared = 0;
  for (auto& d : after) shared += known.count(d);
  CAPTURE(before.size());
  CAPTURE(after.size());
  CAPTURE(shared);
  CHECK(before.size() >= 8);
  CHECK(shared * 100 >= after.size() * 80);
  CHECK(shared < after.size());          // the chunk holding the insertion did change
  CHECK(after.size() - shared <= 3);     // ... and only the ones around it
}

TEST_CASE("chunks average about 1 MiB on random data") {
  auto data = random_bytes(64 * MiB, 2024);
  auto lengths = chunk_lengths(data);
  double avg = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
  CAPTURE(lengths.size());
  CAPTURE(avg);
  CHECK(avg >= 0.5 * MiB);
  CHECK(avg <= 2.0 * MiB);
}
