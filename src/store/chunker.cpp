#include "store/chunker.hpp"

#include <array>

namespace mlt::store {
namespace {

constexpr std::array<std::uint64_t, 256> make_gear() {
  std::array<std::uint64_t, 256> g{};
  std::uint64_t x = 0x6d6c742d63646331ULL;
  for (auto& v : g) {
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    v = z ^ (z >> 31);
  }
  return g;
}

constexpr auto gear = make_gear();
constexpr std::uint64_t top_bits(int n) { return ~0ULL << (64 - n); }
constexpr std::uint64_t mask_hard = top_bits(22);
constexpr std::uint64_t mask_easy = top_bits(18);

}  // namespace

std::size_t find_cut(const std::uint8_t* data, std::size_t n, bool at_end, const ChunkSizes& s) {
  if (n <= s.min) return at_end ? n : 0;
  std::size_t limit = n < s.max ? n : s.max;
  std::size_t normal = s.avg < limit ? s.avg : limit;
  std::uint64_t fp = 0;
  std::size_t i = s.min;
  // The hash only depends on the last 64 bytes, so warm it up on the bytes before min.
  for (std::size_t j = s.min - 64; j < s.min; ++j) fp = (fp << 1) + gear[data[j]];
  for (; i < normal; ++i) {
    fp = (fp << 1) + gear[data[i]];
    if ((fp & mask_hard) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    fp = (fp << 1) + gear[data[i]];
    if ((fp & mask_easy) == 0) return i + 1;
  }
  if (limit == s.max) return s.max;
  return at_end ? n : 0;
}

}  // namespace mlt::store
