#include "store/hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/error.hpp"

namespace mlt::store {
namespace {

const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_sha256();
  return md;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Digest::hex() const {
  static const char* digits = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < 32; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

std::optional<Digest> Digest::parse(std::string_view s) {
  if (s.starts_with("sha256:")) s.remove_prefix(7);
  if (s.size() != 64) return std::nullopt;
  Digest d;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return d;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr) != 1)
    throw Error(ExitCode::failure, "cannot initialize SHA-256");
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(const void* data, std::size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}

Digest Sha256::finish() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.bytes.data(), &len);
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr);
  return d;
}

Digest sha256(const void* data, std::size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.finish();
}

}  // namespace mlt::store

namespace mlt::store {

std::pair<Digest, std::uint64_t> sha256_file(const std::filesystem::path& path, std::atomic<std::uint64_t>* progress) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  auto fail = [&] {
    return Error(ExitCode::failure, fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  };
  if (fd < 0) throw fail();
  Sha256 h;
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = fail();
      ::close(fd);
      throw e;
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
    if (progress) *progress += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return {h.finish(), total};
}

}  // namespace mlt::store
