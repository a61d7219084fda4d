// Fuzzes the object decoder (store/object_store: header, zstd payload, chunk manifest) and the
// tree listing parser (core/tree), which read files of .mlt/objects that may be damaged. There is
// no in-memory decode function: each input is written as an object file into a scratch store.
//
// Input: byte 0 is a mode, the rest is split at "\n--\n": the first part is the object file,
// each further part the content of a blob stored properly beside it.
//   mode bit 0: name the object after its decoded content (so that the read gets past the
//               name check and into what follows); without it, after a fixed digest
//   mode bit 1: a chunked object (kind 2, raw): rewrite its manifest to list the stored blobs
//               (entry i -> blob i mod n), with a correct total and checksum, named after the
//               file the chunks make up, so that read_file gets to the chunk reader
// Properties: damage ends in Error (exit 6 for what is inside the file), never a crash, a hang or
// another exception; a successful read hands out content matching the object's name; verify()
// agrees with the reads; a tree that parses serializes to a listing that parses to the same.
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "core/artifacts/tree.hpp"
#include "fuzz_common.hpp"
#include "store/hash.hpp"
#include "store/object_store.hpp"

using namespace mlt;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t header_size = 16;

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::vector<std::string_view> parts(std::string_view s) {
  std::vector<std::string_view> out;
  constexpr std::string_view sep = "\n--\n";
  while (true) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + sep.size());
  }
  return out;
}

// The payload of an object file as the harness sees it (nullopt: not decodable here).
std::optional<std::string> payload_of(const std::string& file) {
  if (file.size() < header_size) return std::nullopt;
  auto* h = reinterpret_cast<const std::uint8_t*>(file.data());
  std::string body = file.substr(header_size);
  if (h[6] == 0) return body;
  if (h[6] != 1) return std::nullopt;
  auto n = ZSTD_getFrameContentSize(body.data(), body.size());
  if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > (1u << 20)) return std::nullopt;
  std::string out(n, '\0');
  auto r = ZSTD_decompress(out.data(), out.size(), body.data(), body.size());
  if (ZSTD_isError(r)) return std::nullopt;
  out.resize(r);
  return out;
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fuzz::finding("harness: cannot write " + p.string());
  store::write_all(fd, bytes.data(), bytes.size(), p);
  ::close(fd);
}

void check_tree(const std::string& payload, const store::Digest& d) {
  std::vector<core::TreeEntry> entries;
  try {
    entries = core::parse_tree(payload, d);
  } catch (const Error& e) {
    if (e.code() != ExitCode::integrity) fuzz::finding(std::string("parse_tree: not exit 6: ") + e.what());
    return;
  }
  std::vector<core::TreeEntry> again;
  try {
    again = core::parse_tree(core::serialize_tree(entries), d);
  } catch (const Error& e) {
    fuzz::finding(std::string("a parsed tree does not serialize to a valid tree: ") + e.what());
  }
  if (again.size() != entries.size()) fuzz::finding("a tree changed its entries through serialize_tree");
  for (std::size_t i = 0; i < again.size(); ++i)
    if (again[i].name != entries[i].name || again[i].kind != entries[i].kind || again[i].mode != entries[i].mode ||
        again[i].size != entries[i].size || again[i].digest != entries[i].digest)
      fuzz::finding("a tree entry changed through serialize_tree: " + entries[i].name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 512 * 1024) return 0;
  static const fs::path root = [] {
    fuzz::pin_environment();
    return fuzz::scratch_dir() / "store";
  }();
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root / "objects");
  fs::create_directories(root / "tmp");
  store::ObjectStore s(root / "objects", root / "tmp");

  std::uint8_t mode = data[0];
  auto ps = parts(fuzz::as_text(data + 1, size - 1));
  std::string file(ps[0]);
  std::vector<std::pair<store::Digest, std::uint64_t>> blobs;
  for (std::size_t i = 1; i < ps.size(); ++i) blobs.emplace_back(s.put_blob(ps[i]), ps[i].size());

  store::Digest d = store::sha256("fixed name");
  if ((mode & 2) && !blobs.empty() && file.size() >= header_size + 56 && file[6] == 0) {
    // a well-formed manifest over the stored blobs; the fuzzer picks how many entries and the
    // header; sizes and digests are made right
    auto* h = reinterpret_cast<std::uint8_t*>(file.data());
    std::uint64_t count = std::min<std::uint64_t>(get_u64(h + header_size + 16), 64);
    std::string mf(24 + count * 40 + 32, '\0');
    std::memcpy(mf.data(), file.data() + header_size, 24);
    auto* m = reinterpret_cast<std::uint8_t*>(mf.data());
    put_u64(m + 16, count);
    std::uint64_t total = 0;
    std::string content;
    for (std::uint64_t i = 0; i < count; ++i) {
      auto& [bd, bn] = blobs[i % blobs.size()];
      std::memcpy(m + 24 + i * 40, bd.bytes.data(), 32);
      put_u64(m + 24 + i * 40 + 32, bn);
      total += bn;
      content += ps[1 + i % blobs.size()];
    }
    put_u64(m + 8, total);
    auto check = store::sha256(mf.data(), mf.size() - 32);
    std::memcpy(m + mf.size() - 32, check.bytes.data(), 32);
    put_u64(h + 8, mf.size());
    file = file.substr(0, header_size) + mf;
    d = store::sha256(content);
  } else if (mode & 1) {
    if (auto p = payload_of(file)) d = store::sha256(*p);
  }
  write_file(s.path_of(d), file);

  // every way mlt reads an object
  std::optional<std::string> content;
  bool read_ok = false;
  try {
    auto h = s.header(d);
    if (h.stored != file.size()) fuzz::finding("header() reports another file size");
  } catch (const Error& e) {
    if (e.code() != ExitCode::integrity) fuzz::finding(std::string("header(): not exit 6: ") + e.what());
  }
  try {
    auto payload = s.read(d);
    if (store::sha256(payload) != d) fuzz::finding("read() handed out content that does not match the name");
    check_tree(payload, d);
  } catch (const Error& e) {
    if (e.code() != ExitCode::integrity) fuzz::finding(std::string("read(): not exit 6: ") + e.what());
  }
  try {
    s.manifest(d);
  } catch (const Error& e) {
    if (e.code() != ExitCode::integrity) fuzz::finding(std::string("manifest(): not exit 6: ") + e.what());
  }
  try {
    content = s.read_content(d);
    read_ok = true;
    if (store::sha256(*content) != d) fuzz::finding("read_content() handed out content that does not match the name");
  } catch (const Error& e) {
    if (e.code() != ExitCode::integrity) fuzz::finding(std::string("read_content(): not exit 6: ") + e.what());
  }
  auto v = s.verify(d);
  if (read_ok && v) fuzz::finding("verify() reports damage in an object that reads fine: " + *v);
  if (!read_ok && !v) fuzz::finding("verify() passes an object that does not read");
  // the payload as a tree listing, however it is named
  if (auto p = payload_of(file)) check_tree(*p, d);
  return 0;
}
