// The floor for adding files to the object store: one thread reads each file in 1 MiB blocks,
// hashes it with SHA-256 (OpenSSL), compresses each block with zstd level 1 and writes the
// result to a file of its own in OUTDIR, then makes everything durable with one syncfs. No
// chunking, no dedup, no parallelism: what the work itself costs on one core.
// Usage: bench_floor_store OUTDIR FILE...   (prints: bytes seconds)
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_floor_store OUTDIR FILE...\n");
    return 2;
  }
  std::vector<unsigned char> buf(1 << 20), packed(ZSTD_compressBound(1 << 20));
  // Owned by unique_ptr so that the early error returns free them too (LeakSanitizer checks
  // this program in the sanitizer pass).
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md_owner(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> z_owner(ZSTD_createCCtx(), ZSTD_freeCCtx);
  EVP_MD_CTX* md = md_owner.get();
  ZSTD_CCtx* z = z_owner.get();
  if (!md || !z) return 1;
  auto t0 = std::chrono::steady_clock::now();
  long long total = 0;
  for (int i = 2; i < argc; ++i) {
    int in = ::open(argv[i], O_RDONLY);
    std::string out_path = std::string(argv[1]) + "/" + std::to_string(i);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) return 1;
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    ssize_t n;
    while ((n = ::read(in, buf.data(), buf.size())) > 0) {
      EVP_DigestUpdate(md, buf.data(), static_cast<size_t>(n));
      size_t c = ZSTD_compressCCtx(z, packed.data(), packed.size(), buf.data(), static_cast<size_t>(n), 1);
      if (ZSTD_isError(c) || ::write(out, packed.data(), c) != static_cast<ssize_t>(c)) return 1;
      total += n;
    }
    unsigned char digest[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    ::close(in);
    ::close(out);
  }
  int dir = ::open(argv[1], O_RDONLY | O_DIRECTORY);
  ::syncfs(dir);
  ::close(dir);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld %.3f\n", total, secs);
  return 0;
}
