// SHA-256 (OpenSSL libcrypto, which uses the CPU's SHA extensions) and digests as mlt shows them:
// "sha256:<64 lower-case hex>", the same hex `sha256sum` prints.
#pragma once
#include <array>
#include <atomic>
#include <filesystem>
#include <utility>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlt::store {

struct Digest {
  std::array<std::uint8_t, 32> bytes{};
  std::string hex() const;
  std::string str() const { return "sha256:" + hex(); }
  // "sha256:<hex>" or bare 64-hex; nullopt for anything else
  static std::optional<Digest> parse(std::string_view s);
  auto operator<=>(const Digest&) const = default;
};

struct DigestHash {
  std::size_t operator()(const Digest& d) const noexcept {
    std::size_t h;
    std::memcpy(&h, d.bytes.data(), sizeof h);
    return h;
  }
};

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  Digest finish();   // and resets for reuse

 private:
  void* ctx_;
};

Digest sha256(const void* data, std::size_t n);
inline Digest sha256(std::string_view s) { return sha256(s.data(), s.size()); }

// The digest and size of a file's bytes, read in 1 MiB pieces; `progress` advances by the bytes
// read. Exit 1 naming the file when it cannot be read; a symlink is not followed.
std::pair<Digest, std::uint64_t> sha256_file(const std::filesystem::path& path,
                                             std::atomic<std::uint64_t>* progress = nullptr);

}  // namespace mlt::store
