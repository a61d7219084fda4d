#include "store/object_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "store/chunker.hpp"
#include "store/failpoint.hpp"

namespace mlt::store {
namespace {

constexpr std::size_t header_size = 16;
constexpr std::size_t small_file_limit = 1024 * 1024;
constexpr char manifest_magic[4] = {'M', 'L', 'T', 'C'};

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void io_error(const std::string& what, const fs::path& p) {
  int e = errno;
  throw Error(io_exit_code(e, what), fmt::format("{} '{}': {}", what, p.string(), std::strerror(e)), io_hint(e));
}

[[noreturn]] void damaged(const Digest& d, const std::string& why) {
  throw Error(ExitCode::integrity, fmt::format("object {} is damaged: {}", d.str(), why),
              "run 'mlt fsck' to list the damage; the object must be restored from another copy");
}

}  // namespace

void write_all(int fd, const void* data, std::size_t n, const fs::path& p) {
  auto* c = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      io_error("cannot write", p);
    }
    c += w;
    n -= static_cast<std::size_t>(w);
  }
}

namespace {

// Reads up to n bytes; fewer only at the end of the file.
std::size_t read_full(int fd, void* data, std::size_t n, const fs::path& p) {
  auto* c = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, c + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      io_error("cannot read", p);
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

struct ZstdCCtxHolder {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZstdCCtxHolder() {
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  }
  ~ZstdCCtxHolder() { ZSTD_freeCCtx(c); }
};

ZSTD_CCtx* cctx() {
  thread_local ZstdCCtxHolder h;
  return h.c;
}

// A bounded queue of chunk jobs for the put_file pipeline.
struct Job {
  std::shared_ptr<std::vector<std::uint8_t>> buf;
  std::size_t offset, length, index;
};

class JobQueue {
 public:
  explicit JobQueue(std::size_t cap) : cap_(cap) {}
  void push(Job j) {
    std::unique_lock l(m_);
    not_full_.wait(l, [&] { return q_.size() < cap_ || aborted_; });
    q_.push_back(std::move(j));
    not_empty_.notify_one();
  }
  std::optional<Job> pop() {
    std::unique_lock l(m_);
    not_empty_.wait(l, [&] { return !q_.empty() || closed_ || aborted_; });
    if (aborted_ || q_.empty()) return std::nullopt;
    Job j = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return j;
  }
  void close() {
    std::lock_guard l(m_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void abort() {
    std::lock_guard l(m_);
    aborted_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  bool aborted() {
    std::lock_guard l(m_);
    return aborted_;
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Job> q_;
  std::size_t cap_;
  bool closed_ = false, aborted_ = false;
};

}  // namespace

std::optional<std::vector<std::uint8_t>> maybe_compress(std::span<const std::uint8_t> data) {
  if (data.size() < 64) return std::nullopt;
  std::size_t probe = std::min<std::size_t>(data.size(), 64 * 1024);
  std::vector<std::uint8_t> out(ZSTD_compressBound(data.size()));
  if (probe < data.size()) {
    std::size_t r = ZSTD_compress2(cctx(), out.data(), out.size(), data.data(), probe);
    if (ZSTD_isError(r) || r > probe * 95 / 100) return std::nullopt;
  }
  std::size_t r = ZSTD_compress2(cctx(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(r) || r >= data.size() * 95 / 100) return std::nullopt;
  out.resize(r);
  return out;
}

ObjectStore::ObjectStore(fs::path objects_dir, fs::path tmp_dir)
    : objects_(std::move(objects_dir)), tmp_(std::move(tmp_dir)) {}

fs::path ObjectStore::path_of(const Digest& d) const {
  auto h = d.hex();
  return objects_ / h.substr(0, 2) / h.substr(2);
}

bool ObjectStore::has(const Digest& d) const {
  struct stat st {};
  return ::stat(path_of(d).c_str(), &st) == 0;
}

bool ObjectStore::touch(const Digest& d) const {
  // Refreshing an mtime is a metadata write; a stat is far cheaper. Objects touched in the last
  // 10 minutes are young for any sensible gc grace period, so only older ones are refreshed.
  struct stat st {};
  auto p = path_of(d);
  if (::stat(p.c_str(), &st) != 0) return false;
  // Shorter than its header: what a power loss can leave of an object whose bytes never reached
  // the disk (objects are synced once per command, before the database refers to them). put()
  // then writes it again; any other damage is fsck's to find.
  if (st.st_size < static_cast<off_t>(header_size)) return false;
  if (st.st_mtime + 600 > ::time(nullptr)) return true;
  return ::utimensat(AT_FDCWD, p.c_str(), nullptr, 0) == 0 || has(d);
}

int ObjectStore::make_temp(fs::path& path) const {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()) << 32};
  for (int attempt = 0; attempt < 100; ++attempt) {
    path = tmp_ / fmt::format("obj-{:016x}.tmp", rng());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EEXIST) io_error("cannot create a temporary file in", tmp_);
  }
  throw Error(ExitCode::failure, fmt::format("cannot create a temporary file in '{}'", tmp_.string()));
}

std::uint64_t ObjectStore::put(const Digest& d, ObjectKind kind, std::span<const std::uint8_t> payload) {
  fs::path final_path = path_of(d);
  if (touch(d)) return 0;  // present: freshened for gc
  std::optional<std::vector<std::uint8_t>> packed;
  if (kind != ObjectKind::chunked) packed = maybe_compress(payload);
  std::uint8_t h[header_size] = {'M', 'L', 'T', 'O', 1, static_cast<std::uint8_t>(kind),
                                 static_cast<std::uint8_t>(packed ? Encoding::zstd : Encoding::raw), 0};
  put_u64(h + 8, payload.size());
  fs::path tmp;
  Fd fd(make_temp(tmp));
  struct Unlink {
    const fs::path& p;
    ~Unlink() { ::unlink(p.c_str()); }
  } cleanup{tmp};
  write_all(fd.fd, h, header_size, tmp);
  if (packed) write_all(fd.fd, packed->data(), packed->size(), tmp);
  else write_all(fd.fd, payload.data(), payload.size(), tmp);
  ::fchmod(fd.fd, 0444);
  if (::close(fd.fd) != 0) {
    fd.fd = -1;
    io_error("cannot write", tmp);
  }
  fd.fd = -1;
  MLT_FAILPOINT("object.tmp_written");
  if (::mkdir(final_path.parent_path().c_str(), 0755) != 0 && errno != EEXIST)
    io_error("cannot create", final_path.parent_path());
  dirty_ = true;
  if (::link(tmp.c_str(), final_path.c_str()) != 0) {
    if (errno != EEXIST) io_error("cannot store object", final_path);
    // present: another writer's complete copy (keep it), or a stub shorter than a header (replace it)
    struct stat st {};
    if (::stat(final_path.c_str(), &st) == 0 && st.st_size < static_cast<off_t>(header_size) &&
        ::rename(tmp.c_str(), final_path.c_str()) != 0)
      io_error("cannot store object", final_path);
  }
  MLT_FAILPOINT("object.linked");
  return header_size + (packed ? packed->size() : payload.size());
}

Digest ObjectStore::put_blob(std::string_view content, ObjectKind kind) {
  Digest d = sha256(content);
  put(d, kind, {reinterpret_cast<const std::uint8_t*>(content.data()), content.size()});
  return d;
}

StoredFile ObjectStore::put_file(const fs::path& path, std::atomic<std::uint64_t>* progress) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.fd < 0) io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) io_error("cannot stat", path);
  if (!S_ISREG(st.st_mode))
    throw Error(ExitCode::usage, fmt::format("'{}' is not a regular file", path.string()));
  ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  StoredFile out;

  if (static_cast<std::uint64_t>(st.st_size) <= small_file_limit) {
    std::vector<std::uint8_t> data(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t n = read_full(fd.fd, data.data(), data.size(), path);
    if (n > small_file_limit) goto large;  // it grew while we looked: take the general path
    data.resize(n);
    out.digest = sha256(data.data(), n);
    out.size = n;
    out.new_bytes = put(out.digest, ObjectKind::blob, data);
    if (progress) *progress += n;
    return out;
  }
large:
  if (::lseek(fd.fd, 0, SEEK_SET) != 0) io_error("cannot read", path);
  {
    constexpr std::size_t segment = 8 * 1024 * 1024;
    JobQueue queue(4);
    std::mutex m;
    std::vector<ChunkRef> chunks;
    std::exception_ptr failure;
    std::atomic<std::uint64_t> written{0};
    auto worker = [&] {
      try {
        while (auto job = queue.pop()) {
          const std::uint8_t* p = job->buf->data() + job->offset;
          Digest d = sha256(p, job->length);
          written += put(d, ObjectKind::blob, {p, job->length});
          std::lock_guard l(m);
          chunks[job->index] = {d, job->length};
        }
      } catch (...) {
        std::lock_guard l(m);
        if (!failure) failure = std::current_exception();
        queue.abort();
      }
    };
    unsigned n_workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < n_workers; ++i) workers.emplace_back(worker);
    Sha256 whole;
    try {
      auto buf = std::make_shared<std::vector<std::uint8_t>>(segment);
      std::size_t have = 0, pos = 0, index = 0;
      bool eof = false;
      while (!eof && !queue.aborted()) {
        std::size_t n = read_full(fd.fd, buf->data() + have, buf->size() - have, path);
        eof = have + n < buf->size();
        whole.update(buf->data() + have, n);
        if (progress) *progress += n;
        have += n;
        out.size += n;
        while (pos < have) {
          std::size_t cut = find_cut(buf->data() + pos, have - pos, eof);
          if (cut == 0) break;
          {
            std::lock_guard l(m);
            chunks.push_back({});
          }
          queue.push({buf, pos, cut, index++});
          pos += cut;
        }
        if (!eof) {  // carry the unfinished chunk over to a fresh buffer
          auto next = std::make_shared<std::vector<std::uint8_t>>(segment);
          std::memcpy(next->data(), buf->data() + pos, have - pos);
          have -= pos;
          pos = 0;
          buf = std::move(next);
        }
      }
    } catch (...) {
      std::lock_guard l(m);
      if (!failure) failure = std::current_exception();
      queue.abort();
    }
    queue.close();
    for (auto& t : workers) t.join();
    if (failure) std::rethrow_exception(failure);
    out.digest = whole.finish();
    out.new_bytes = written;
    // the manifest
    std::vector<std::uint8_t> mf(24 + chunks.size() * 40 + 32);
    std::memcpy(mf.data(), manifest_magic, 4);
    mf[4] = 1;
    put_u64(mf.data() + 8, out.size);
    put_u64(mf.data() + 16, chunks.size());
    std::size_t off = 24;
    for (auto& c : chunks) {
      std::memcpy(mf.data() + off, c.digest.bytes.data(), 32);
      put_u64(mf.data() + off + 32, c.size);
      off += 40;
    }
    Digest check = sha256(mf.data(), off);
    std::memcpy(mf.data() + off, check.bytes.data(), 32);
    out.new_bytes += put(out.digest, ObjectKind::chunked, mf);
  }
  return out;
}

namespace {

// Checks the 16-byte header of object `d` whose file holds `stored` bytes.
ObjectHeader parse_header(const Digest& d, const std::uint8_t* h, std::size_t got, std::uint64_t stored) {
  if (got != header_size) damaged(d, "truncated header");
  if (std::memcmp(h, "MLTO", 4) != 0) damaged(d, "not an mlt object");
  if (h[4] != 1) damaged(d, fmt::format("unknown format version {}", h[4]));
  if (h[5] < 1 || h[5] > 3) damaged(d, fmt::format("unknown kind {}", h[5]));
  if (h[6] > 1) damaged(d, fmt::format("unknown encoding {}", h[6]));
  if (h[7] != 0) damaged(d, fmt::format("reserved header byte is {}, not 0", h[7]));
  ObjectHeader oh{static_cast<ObjectKind>(h[5]), static_cast<Encoding>(h[6]), get_u64(h + 8), stored};
  if (oh.encoding == Encoding::raw && oh.stored != header_size + oh.size)
    damaged(d, fmt::format("size {} does not match its header ({})", oh.stored - header_size, oh.size));
  return oh;
}

int open_object(const ObjectStore& s, const Digest& d) {
  fs::path p = s.path_of(d);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ExitCode::integrity, fmt::format("object {} is missing", d.str()),
                                     "run 'mlt fsck' to list the damage");
    io_error("cannot open", p);
  }
  return fd;
}

std::uint64_t file_size(int fd, const fs::path& p) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) io_error("cannot stat", p);
  return static_cast<std::uint64_t>(st.st_size);
}

ZSTD_DCtx* dctx() {
  struct Holder {
    ZSTD_DCtx* c = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(c); }
  };
  thread_local Holder h;
  if (!h.c) throw Error(ExitCode::failure, "out of memory (zstd decompression context)");
  return h.c;
}

// Reads the payload of an object with one open, decompressed, checked against the header and
// zstd's checksum (not against its name: callers hash what they need to).
std::vector<std::uint8_t> load_payload(const ObjectStore& s, const Digest& d, ObjectHeader& oh) {
  Fd fd(open_object(s, d));
  fs::path p = s.path_of(d);
  std::uint8_t h[header_size];
  std::size_t got = read_full(fd.fd, h, header_size, p);
  oh = parse_header(d, h, got, file_size(fd.fd, p));
  std::vector<std::uint8_t> body(oh.stored - header_size);
  if (read_full(fd.fd, body.data(), body.size(), p) != body.size()) damaged(d, "truncated");
  if (oh.encoding == Encoding::raw) return body;
  unsigned long long content = ZSTD_getFrameContentSize(body.data(), body.size());
  if (content != oh.size) damaged(d, "compressed size does not match its header");
  // A zstd block of at most 128 KiB takes at least 3 bytes: a damaged (or hostile) header that
  // claims more than its compressed bytes can hold must not make us allocate it.
  if (oh.size / (128 * 1024) > body.size() / 3 + 1)
    damaged(d, fmt::format("its header claims {} bytes, more than {} compressed bytes can hold", oh.size, body.size()));
  std::vector<std::uint8_t> out(oh.size);
  std::size_t r = ZSTD_decompressDCtx(dctx(), out.data(), out.size(), body.data(), body.size());
  if (ZSTD_isError(r) || r != oh.size) damaged(d, fmt::format("cannot decompress ({})", ZSTD_getErrorName(r)));
  return out;
}

std::vector<ChunkRef> parse_manifest(const Digest& d, const std::vector<std::uint8_t>& mf) {
  if (mf.size() < 56 || std::memcmp(mf.data(), manifest_magic, 4) != 0 || mf[4] != 1) damaged(d, "bad manifest");
  std::uint64_t count = get_u64(mf.data() + 16);
  if (count > (mf.size() - 56) / 40 || mf.size() != 24 + count * 40 + 32) damaged(d, "bad manifest length");
  Digest check = sha256(mf.data(), mf.size() - 32);
  if (std::memcmp(check.bytes.data(), mf.data() + mf.size() - 32, 32) != 0) damaged(d, "manifest checksum mismatch");
  std::vector<ChunkRef> out;
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    ChunkRef c;
    std::memcpy(c.digest.bytes.data(), mf.data() + 24 + i * 40, 32);
    c.size = get_u64(mf.data() + 24 + i * 40 + 32);
    total += c.size;
    out.push_back(c);
  }
  if (total != get_u64(mf.data() + 8)) damaged(d, "manifest sizes do not add up");
  return out;
}

// One chunk of a chunked file, verified against its manifest entry.
std::vector<std::uint8_t> load_chunk(const ObjectStore& s, const ChunkRef& c) {
  ObjectHeader oh{};
  auto data = load_payload(s, c.digest, oh);
  if (oh.kind == ObjectKind::chunked) damaged(c.digest, "expected a blob or tree, found a chunked file");
  if (data.size() != c.size) damaged(c.digest, "chunk size does not match the manifest");
  if (sha256(data.data(), data.size()) != c.digest) damaged(c.digest, "content does not match its name");
  return data;
}

// Asks the kernel to start reading an object into the page cache; errors are left to the read.
void prefetch(const ObjectStore& s, const Digest& d) {
  int fd = ::open(s.path_of(d).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  ::close(fd);
}

// Loads the chunks of a large file on worker threads, a bounded window ahead of the consumer,
// with the kernel's read-ahead started further ahead still, and hands them out in order.
class ChunkReader {
 public:
  ChunkReader(const ObjectStore& s, const std::vector<ChunkRef>& chunks) : s_(s), chunks_(chunks) {
    for (std::size_t i = 0; i < std::min(chunks_.size(), prefetch_ahead); ++i) prefetch(s_, chunks_[i].digest);
    unsigned n = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
    try {
      for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
    } catch (...) {
      finish();
      throw;
    }
  }
  ~ChunkReader() { finish(); }
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // Chunk i (called for i = 0, 1, ... in order). Every chunk before the first that failed is
  // handed out, so the stream stops exactly where a serial read would, with the same error.
  std::vector<std::uint8_t> take(std::size_t i) {
    std::unique_lock l(m_);
    cv_.wait(l, [&] { return done_.count(i) || (failure_ && failed_at_ <= i); });
    if (!done_.count(i)) std::rethrow_exception(failure_);
    auto node = done_.extract(i);
    consumed_ = i + 1;
    l.unlock();
    cv_.notify_all();
    return std::move(node.mapped());
  }

 private:
  static constexpr std::size_t window = 6, prefetch_ahead = 16;

  void finish() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void work() {
    for (;;) {
      std::size_t i;
      {
        std::unique_lock l(m_);
        cv_.wait(l, [&] { return stop_ || failure_ || next_ >= chunks_.size() || next_ < consumed_ + window; });
        if (stop_ || failure_ || next_ >= chunks_.size()) return;
        i = next_++;
      }
      try {
        if (i + prefetch_ahead < chunks_.size()) prefetch(s_, chunks_[i + prefetch_ahead].digest);
        auto data = load_chunk(s_, chunks_[i]);
        std::lock_guard l(m_);
        done_.emplace(i, std::move(data));
      } catch (...) {
        std::lock_guard l(m_);
        if (!failure_ || i < failed_at_) {
          failure_ = std::current_exception();
          failed_at_ = i;
        }
      }
      cv_.notify_all();
    }
  }

  const ObjectStore& s_;
  const std::vector<ChunkRef>& chunks_;
  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::size_t, std::vector<std::uint8_t>> done_;
  std::size_t next_ = 0, consumed_ = 0, failed_at_ = 0;
  bool stop_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> workers_;
};

}  // namespace

ObjectHeader ObjectStore::header(const Digest& d) const {
  Fd fd(open_object(*this, d));
  fs::path p = path_of(d);
  std::uint8_t h[header_size];
  std::size_t got = read_full(fd.fd, h, header_size, p);
  return parse_header(d, h, got, file_size(fd.fd, p));
}

std::string ObjectStore::read(const Digest& d) const {
  ObjectHeader oh{};
  auto data = load_payload(*this, d, oh);
  if (oh.kind == ObjectKind::chunked) damaged(d, "expected a blob or tree, found a chunked file");
  if (sha256(data.data(), data.size()) != d) damaged(d, "content does not match its name");
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

std::vector<ChunkRef> ObjectStore::manifest(const Digest& d) const {
  ObjectHeader oh{};
  auto mf = load_payload(*this, d, oh);
  if (oh.kind != ObjectKind::chunked) damaged(d, "expected a chunked file");
  return parse_manifest(d, mf);
}

std::string ObjectStore::read_content(const Digest& d) const {
  std::string out;
  read_file(d, [&](const std::uint8_t* data, std::size_t n) { out.append(reinterpret_cast<const char*>(data), n); });
  return out;
}

void ObjectStore::read_file(const Digest& d,
                            const std::function<void(const std::uint8_t*, std::size_t)>& sink) const {
  ObjectHeader oh{};
  auto payload = load_payload(*this, d, oh);
  if (oh.kind != ObjectKind::chunked) {
    if (sha256(payload.data(), payload.size()) != d) damaged(d, "content does not match its name");
    sink(payload.data(), payload.size());
    return;
  }
  auto chunks = parse_manifest(d, payload);
  Sha256 whole;
  auto deliver = [&](const std::vector<std::uint8_t>& data) {
    whole.update(data.data(), data.size());
    sink(data.data(), data.size());
  };
  std::optional<ChunkReader> reader;
  if (chunks.size() >= 3) {
    try {
      reader.emplace(*this, chunks);
    } catch (const std::system_error&) {  // no threads to be had: read in this one
    }
  }
  for (std::size_t i = 0; i < chunks.size(); ++i) deliver(reader ? reader->take(i) : load_chunk(*this, chunks[i]));
  if (whole.finish() != d) damaged(d, "the chunks do not add up to the file's digest");
}

std::optional<std::string> ObjectStore::verify(const Digest& d) const {
  try {
    ObjectHeader oh = header(d);
    if (oh.kind == ObjectKind::chunked) read_file(d, [](const std::uint8_t*, std::size_t) {});
    else read(d);
    return std::nullopt;
  } catch (const Error& e) {
    return std::string(e.what());
  } catch (const std::bad_alloc&) {
    return std::string("object ") + d.str() + " is damaged: it claims more memory than there is";
  }
}

void ObjectStore::sync() const {
  if (!dirty_.exchange(false)) return;
  Fd fd(::open(objects_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0) io_error("cannot open", objects_);
  MLT_FAILPOINT("objects.before_sync");
  if (::syncfs(fd.fd) != 0) io_error("cannot sync", objects_);
  MLT_FAILPOINT("objects.after_sync");
}

void ObjectStore::for_each(const std::function<void(const Digest&, const fs::path&, std::uint64_t,
                                                    fs::file_time_type)>& fn) const {
  std::error_code ec;
  for (auto& shard : fs::directory_iterator(objects_, ec)) {
    auto sname = shard.path().filename().string();
    if (sname.size() != 2 || !shard.is_directory(ec)) continue;
    for (auto& f : fs::directory_iterator(shard.path(), ec)) {
      auto d = Digest::parse(sname + f.path().filename().string());
      if (!d || !f.is_regular_file(ec)) continue;
      fn(*d, f.path(), f.file_size(ec), f.last_write_time(ec));
    }
  }
}

}  // namespace mlt::store
