// The content-addressed object store (.mlt/objects). Format version 1:
//
//   object   := header payload
//   header   := "MLTO" version:u8(=1) kind:u8 encoding:u8 0:u8 size:u64le      (16 bytes)
//   kind     := 1 blob      payload is the content; name = SHA-256(content)
//             | 2 chunked   payload is a manifest; name = SHA-256 of the whole file it lists
//             | 3 tree      payload is a tree listing (core/artifacts/tree.hpp); name = SHA-256(payload)
//   encoding := 0 raw | 1 zstd (one frame, content checksum on)
//   size     := length of the uncompressed payload
//   manifest := "MLTC" 1:u8 0:u8 0:u8 0:u8 file_size:u64le count:u64le (digest:32 size:u64le){count}
//               sha256-of-everything-before:32
//
// Files up to 1 MiB are one blob; larger files are cut into content-defined chunks (store/chunker)
// stored as blobs and listed by a manifest, so equal regions of different files are stored once.
// A larger file that is a single chunk is that chunk's blob (its name is the file's digest).
// Objects live at objects/<2 hex>/<62 hex>, read-only. Writes go to tmp/, then are linked into
// place (an existing object is never replaced); nothing is fsynced per object: sync() makes a
// batch durable at once, before the database rows that reference it are committed. Every read
// verifies the content against its name before handing bytes out.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/hash.hpp"

namespace mlt::store {

namespace fs = std::filesystem;

enum class ObjectKind : std::uint8_t { blob = 1, chunked = 2, tree = 3 };
enum class Encoding : std::uint8_t { raw = 0, zstd = 1 };

struct ObjectHeader {
  ObjectKind kind;
  Encoding encoding;
  std::uint64_t size;      // uncompressed payload bytes
  std::uint64_t stored;    // bytes of the object file
};

struct ChunkRef {
  Digest digest;
  std::uint64_t size;
};

struct StoredFile {
  Digest digest;
  std::uint64_t size = 0;
  std::uint64_t new_bytes = 0;   // bytes of object files this call wrote (0: all deduplicated)
};

class ObjectStore {
 public:
  ObjectStore(fs::path objects_dir, fs::path tmp_dir);
  ObjectStore(ObjectStore&& o) noexcept
      : objects_(std::move(o.objects_)), tmp_(std::move(o.tmp_)), dirty_(o.dirty_.load()) {}

  fs::path path_of(const Digest& d) const;
  bool has(const Digest& d) const;
  // Refreshes the mtime of an existing object when it is older than 10 minutes (see put), so a
  // gc with a grace period of at least that never removes an object an add is reusing; false
  // when it is missing.
  bool touch(const Digest& d) const;

  // Stores a payload under `d` (the caller computed it) unless present. An existing object gets
  // its mtime refreshed, so that `gc` counts it as young while its new reference is committed.
  // Returns the bytes written (0 when it was there already).
  std::uint64_t put(const Digest& d, ObjectKind kind, std::span<const std::uint8_t> payload);
  Digest put_blob(std::string_view content, ObjectKind kind = ObjectKind::blob);

  // Stores a regular file (chunked when large) and returns its SHA-256 and size. `progress`, when
  // given, is advanced by the bytes read. Chunking, hashing and compression run in parallel.
  StoredFile put_file(const fs::path& path, std::atomic<std::uint64_t>* progress = nullptr);

  ObjectHeader header(const Digest& d) const;             // exit 6 when missing or damaged
  std::string read(const Digest& d) const;                // a blob or tree payload, verified
  std::vector<ChunkRef> manifest(const Digest& d) const;  // of a chunked file, verified
  // Streams a file's content (blob or chunked) to `sink`, each piece verified before it is handed
  // out; the whole-file digest is checked at the end (exit 6 on any mismatch).
  void read_file(const Digest& d, const std::function<void(const std::uint8_t*, std::size_t)>& sink) const;
  // A whole file's content in memory (small files: MLmodel, manifests), verified as read_file does.
  std::string read_content(const Digest& d) const;
  // Re-reads and re-hashes an object completely (fsck --full). Returns an error text or nullopt.
  std::optional<std::string> verify(const Digest& d) const;

  // Makes every object written so far durable (one syncfs of the file system holding the store);
  // nothing to do when this store wrote nothing since the last sync.
  void sync() const;

  // Every object file: fn(digest, path, stored bytes, mtime). Stray files are skipped.
  void for_each(const std::function<void(const Digest&, const fs::path&, std::uint64_t,
                                         fs::file_time_type)>& fn) const;

  const fs::path& tmp_dir() const { return tmp_; }
  // A new empty file in tmp/ for an atomic write elsewhere (O_EXCL, mode 0600). Returns its fd.
  int make_temp(fs::path& path) const;

 private:
  fs::path objects_, tmp_;
  mutable std::atomic<bool> dirty_{false};
};

// Writes all n bytes to fd, retrying short writes and EINTR; exit 1 naming `path` on failure.
void write_all(int fd, const void* data, std::size_t n, const fs::path& path);

// Compresses with zstd level 1 (frame checksum on) when a probe of the first 64 KiB shrinks by
// more than 5%; otherwise nullopt (store raw).
std::optional<std::vector<std::uint8_t>> maybe_compress(std::span<const std::uint8_t> data);

}  // namespace mlt::store
