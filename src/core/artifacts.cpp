#include "core/artifacts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "core/paths.hpp"

namespace mlt::core {
namespace {

constexpr std::int64_t racy_margin_ns = 100'000'000;  // far above any file system's mtime granularity

std::int64_t ns_of(const struct timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

std::int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

[[noreturn]] void sys_fail(const std::string& what, const fs::path& p) {
  throw Error(ExitCode::failure, fmt::format("{} '{}': {}", what, p.string(), std::strerror(errno)));
}

std::string name_of(const fs::path& p) {
  auto n = p.filename().string();
  if (n.empty()) n = p.parent_path().filename().string();  // "dir/" -> "dir"
  return n;
}

struct CacheRow {
  std::string key;
  struct stat st;
  store::Digest digest;
  std::int64_t checked_ns;
};

struct FileJob {
  fs::path path;
  struct stat st;
  std::string key;
  TreeEntry* entry;
};

// The snapshot of one add: walks sources, asks the stat cache, hashes what it must in parallel.
class Snapshotter {
 public:
  Snapshotter(Project& p, AddStats& stats, const AddOptions& opt) : p_(p), stats_(stats), opt_(opt) {}

  TreeEntry add(const fs::path& src) {
    fs::path abs = fs::absolute(src).lexically_normal();
    if (!abs.has_filename()) abs = abs.parent_path();
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0)
      throw Error(ExitCode::usage, fmt::format("cannot add '{}': {}", src.string(), std::strerror(errno)),
                  "check the path");
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
      throw Error(ExitCode::usage, fmt::format("cannot add '{}': not a file, directory or symlink", src.string()));
    Node root;
    std::string name = name_of(abs);
    validate_name(name, src.string());
    root.entry.name = name;
    {
      // one read transaction for all stat-cache lookups, not a lock round trip per file
      p_.db().exec("BEGIN");
      struct End {
        store::Db& db;
        ~End() { sqlite3_end(db); }
        static void sqlite3_end(store::Db& d) {
          try {
            d.exec("COMMIT");
          } catch (...) {
          }
        }
      } end{p_.db()};
      walk(abs, st, root, src.string());
      lookup_.reset();
    }
    hash_pending();
    finish(root, "");
    return root.entry;
  }

  void save_cache() {
    if (rows_.empty()) return;
    auto& db = p_.db();
    store::Transaction tx(db);
    store::Stmt q(db,
                  "INSERT INTO file_cache(path, size, mtime_ns, ctime_ns, inode, digest, checked_ns) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
                  "mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, inode = excluded.inode, "
                  "digest = excluded.digest, checked_ns = excluded.checked_ns");
    for (auto& r : rows_)
      q.bind(1, r.key)
          .bind(2, static_cast<std::int64_t>(r.st.st_size))
          .bind(3, ns_of(r.st.st_mtim))
          .bind(4, ns_of(r.st.st_ctim))
          .bind(5, static_cast<std::int64_t>(r.st.st_ino))
          .bind(6, r.digest.hex())
          .bind(7, r.checked_ns)
          .exec();
    tx.commit();
    rows_.clear();
  }

 private:
  struct Node {
    TreeEntry entry;
    std::vector<Node> children;
  };

  std::string cache_key(const fs::path& abs) const {
    auto rel = abs.lexically_relative(p_.root());
    if (!rel.empty() && !rel.native().starts_with("..")) return rel.string();
    return abs.string();
  }

  void walk(const fs::path& abs, const struct stat& st, Node& node, const std::string& shown) {
    if (abs == p_.dir()) {  // never snapshot the store into itself
      node.entry.kind = EntryKind::dir;
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096), '\0');
      ssize_t n = ::readlink(abs.c_str(), target.data(), target.size());
      if (n < 0) sys_fail("cannot read link", abs);
      target.resize(static_cast<std::size_t>(n));
      node.entry.kind = EntryKind::link;
      node.entry.mode = 0777;
      node.entry.size = target.size();
      node.entry.digest = opt_.dry_run ? store::sha256(target) : p_.objects().put_blob(target);
      ++stats_.links;
      return;
    }
    if (S_ISREG(st.st_mode)) {
      node.entry.kind = EntryKind::file;
      node.entry.mode = (st.st_mode & 0111) ? 0755 : 0644;
      node.entry.size = static_cast<std::uint64_t>(st.st_size);
      ++stats_.files;
      stats_.bytes += node.entry.size;
      std::string key = cache_key(abs);
      if (auto d = cached(key, st)) {
        node.entry.digest = *d;
        if (opt_.progress) *opt_.progress += node.entry.size;
      } else {
        jobs_.push_back({abs, st, key, &node.entry});
      }
      return;
    }
    node.entry.kind = EntryKind::dir;
    node.entry.mode = 0755;
    ++stats_.dirs;
    std::vector<std::pair<std::string, struct stat>> items;
    std::error_code ec;
    for (auto it = fs::directory_iterator(abs, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (it->path() == p_.dir()) continue;  // the project's own store is never an artifact
      struct stat cst {};
      if (::lstat(it->path().c_str(), &cst) != 0) continue;  // vanished meanwhile
      validate_name(name, shown + "/" + name);
      if (!S_ISREG(cst.st_mode) && !S_ISDIR(cst.st_mode) && !S_ISLNK(cst.st_mode)) {
        ++stats_.skipped;
        if (opt_.warn) opt_.warn(fmt::format("skipped '{}/{}': not a file, directory or symlink", shown, name));
        continue;
      }
      items.emplace_back(std::move(name), cst);
    }
    if (ec) throw Error(ExitCode::failure, fmt::format("cannot read directory '{}': {}", abs.string(), ec.message()));
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first < b.first; });
    node.children.resize(items.size());  // no reallocation after this: jobs point into it
    for (std::size_t i = 0; i < items.size(); ++i) {
      node.children[i].entry.name = items[i].first;
      walk(abs / items[i].first, items[i].second, node.children[i], shown + "/" + items[i].first);
    }
  }

  std::optional<store::Digest> cached(const std::string& key, const struct stat& st) {
    if (!lookup_) {
      lookup_.emplace(p_.db(),
                      "SELECT size, mtime_ns, ctime_ns, inode, digest, checked_ns FROM file_cache WHERE path = ?1");
    }
    auto& q = *lookup_;
    q.bind(1, key);
    std::optional<store::Digest> out;
    if (q.step() && q.int64(0) == st.st_size && q.int64(1) == ns_of(st.st_mtim) && q.int64(2) == ns_of(st.st_ctim) &&
        q.int64(3) == static_cast<std::int64_t>(st.st_ino) && ns_of(st.st_mtim) + racy_margin_ns < q.int64(5)) {
      auto d = store::Digest::parse(q.text(4));
      if (d && (opt_.dry_run || p_.objects().touch(*d))) out = d;
    }
    q.reset();
    return out;
  }

  void hash_pending() {
    if (jobs_.empty()) return;
    std::atomic<std::size_t> next{0};
    std::mutex m;
    std::exception_ptr failure;
    auto work = [&] {
      try {
        for (std::size_t i = next++; i < jobs_.size() && !failure; i = next++) {
          auto& j = jobs_[i];
          std::int64_t checked = now_ns();
          store::StoredFile stored;
          if (opt_.dry_run) {
            auto [digest, size] = store::sha256_file(j.path, opt_.progress);
            stored.digest = digest;
            stored.size = size;
          } else {
            stored = p_.objects().put_file(j.path, opt_.progress);
          }
          j.entry->digest = stored.digest;
          std::lock_guard l(m);
          stats_.hashed += stored.size;
          stats_.new_bytes += stored.new_bytes;
          if (stored.size != static_cast<std::uint64_t>(j.st.st_size)) {
            // it changed while we read it: record what we read, cache nothing
            stats_.bytes += stored.size - j.entry->size;
            j.entry->size = stored.size;
            continue;
          }
          if (!j.key.starts_with(".mlt/")) rows_.push_back({j.key, j.st, stored.digest, checked});
        }
      } catch (...) {
        std::lock_guard l(m);
        if (!failure) failure = std::current_exception();
      }
    };
    // Large files parallelize inside put_file; many small files parallelize here.
    unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < n && jobs_.size() > 1; ++i) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    jobs_.clear();
    if (failure) std::rethrow_exception(failure);
  }

  // `path` is the node's path below the source ("" for the source itself)
  void finish(Node& node, const std::string& path) {
    if (node.entry.kind != EntryKind::dir) {
      if (opt_.listing) opt_.listing->emplace_back(path.empty() ? node.entry.name : path, node.entry);
      return;
    }
    std::vector<TreeEntry> entries;
    node.entry.size = 0;
    for (auto& c : node.children) {
      finish(c, path.empty() ? c.entry.name : path + "/" + c.entry.name);
      if (c.entry.kind != EntryKind::link) node.entry.size += c.entry.size;  // bytes of files
      entries.push_back(c.entry);
    }
    node.entry.digest = opt_.dry_run ? store::sha256(serialize_tree(std::move(entries)))
                                     : put_tree(p_.objects(), std::move(entries));
  }

  Project& p_;
  AddStats& stats_;
  const AddOptions& opt_;
  std::vector<FileJob> jobs_;
  std::vector<CacheRow> rows_;
  std::optional<store::Stmt> lookup_;
};

// ---- restore ----

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

bool lexists(const fs::path& p, struct stat& st) { return ::lstat(p.c_str(), &st) == 0; }

void write_file(Project& p, const TreeEntry& e, const fs::path& dest, const RestoreOptions& opt) {
  fs::path tmp = dest.parent_path() / fmt::format(".{}.mlt-{}", e.name.empty() ? "file" : e.name.substr(0, 64), random_suffix());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) sys_fail("cannot create", tmp);
  try {
    p.objects().read_file(e.digest, [&](const std::uint8_t* data, std::size_t n) {
      store::write_all(fd, data, n, tmp);
      if (opt.progress) *opt.progress += n;
    });
    ::fchmod(fd, e.mode & 0777);
    if (::close(fd) != 0) {
      fd = -1;
      sys_fail("cannot write", tmp);
    }
    fd = -1;
    if (::rename(tmp.c_str(), dest.c_str()) != 0) sys_fail("cannot rename into", dest);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

void write_link(Project& p, const TreeEntry& e, const fs::path& dest, const std::string& rel_path,
                const RestoreOptions& opt) {
  std::string target = p.objects().read(e.digest);
  // Only links that can only lead downwards are created: relative, without a '..' component.
  // (Judging '..' by the text alone is not enough: through another link, l1 -> l2/../x with
  // l2 -> . leaves the destination although the text stays inside.)
  bool up = false;
  for (auto& part : fs::path(target)) up = up || part == "..";
  if (target.empty() || fs::path(target).is_absolute() || up) {
    if (opt.warn)
      opt.warn(fmt::format("skipped symlink '{}' -> '{}': only relative links without '..' are restored", rel_path,
                           target));
    return;
  }
  fs::path tmp = dest.parent_path() / fmt::format(".{}.mlt-{}", e.name.substr(0, 64), random_suffix());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) sys_fail("cannot create symlink", tmp);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    ::unlink(tmp.c_str());
    sys_fail("cannot rename into", dest);
  }
}

void restore_into(Project& p, const TreeEntry& e, const fs::path& dest, const std::string& rel,
                  const RestoreOptions& opt) {
  struct stat st {};
  bool exists = lexists(dest, st);
  if (e.kind == EntryKind::dir) {
    if (exists && S_ISLNK(st.st_mode))
      throw Error(ExitCode::conflict, fmt::format("'{}' is a symlink; refusing to write through it", dest.string()),
                  "remove it or choose another destination");
    if (exists && !S_ISDIR(st.st_mode)) {
      if (!opt.force)
        throw Error(ExitCode::conflict, fmt::format("'{}' exists and is not a directory", dest.string()),
                    "use --force to replace it");
      if (::unlink(dest.c_str()) != 0) sys_fail("cannot remove", dest);
      exists = false;
    }
    if (!exists && ::mkdir(dest.c_str(), 0755) != 0) sys_fail("cannot create directory", dest);
    for (auto& c : read_tree(p.objects(), e.digest))
      restore_into(p, c, dest / c.name, rel.empty() ? c.name : rel + "/" + c.name, opt);
    return;
  }
  if (exists) {
    if (S_ISDIR(st.st_mode))
      throw Error(ExitCode::conflict, fmt::format("'{}' is a directory", dest.string()), "choose another destination");
    if (!opt.force)
      throw Error(ExitCode::conflict, fmt::format("'{}' exists", dest.string()), "use --force to replace it");
  }
  if (e.kind == EntryKind::link) write_link(p, e, dest, rel, opt);
  else write_file(p, e, dest, opt);
}

}  // namespace

TreeEntry snapshot(Project& p, const fs::path& src, AddStats& stats, const AddOptions& opt) {
  Snapshotter s(p, stats, opt);
  auto e = s.add(src);
  p.objects().sync();
  s.save_cache();
  return e;
}

std::optional<store::Digest> artifact_root(store::Db& db, const RunRef& run) {
  store::Stmt q(db, "SELECT artifacts FROM runs WHERE id = ?1");
  q.bind(1, run.id);
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return store::Digest::parse(q.text(0));
}

store::Digest log_artifacts(Project& p, const RunRef& run, const std::vector<fs::path>& sources,
                            const std::optional<std::string>& dest, AddStats& stats, const AddOptions& opt) {
  if (sources.empty()) throw Error(ExitCode::usage, "no paths to add", "name files or directories");
  std::vector<std::string> prefix;
  if (dest) prefix = validate_artifact_path(*dest);  // before any write
  Snapshotter s(p, stats, opt);
  std::vector<std::pair<std::string, TreeEntry>> placed;
  for (auto& src : sources) {
    auto e = s.add(src);
    std::string at;
    if (dest && sources.size() == 1) at = join_path(prefix);
    else if (dest) at = join_path(prefix) + "/" + e.name;
    else at = e.name;
    placed.emplace_back(at, e);
  }
  auto root = commit_artifacts(p, run, placed);
  s.save_cache();
  return root;
}

store::Digest commit_artifacts(Project& p, const RunRef& run, const std::vector<std::pair<std::string, TreeEntry>>& placed,
                               const std::function<void(const std::optional<store::Digest>&)>& check,
                               const std::function<void(const store::Digest&)>& also) {
  // Optimistic: build the new root from the current one, make everything durable, then commit
  // only if no other process changed the root meanwhile (else rebuild from the new one).
  for (int attempt = 0;; ++attempt) {
    auto before = artifact_root(p.db(), run);
    if (check) check(before);
    std::optional<store::Digest> root = before;
    for (auto& [at, e] : placed) root = tree_set(p.objects(), root, at, e);
    p.objects().sync();
    store::Transaction tx(p.db());
    if (artifact_root(p.db(), run) != before) {
      if (attempt > 100) throw Error(ExitCode::conflict, "too many concurrent changes to the run's artifacts");
      continue;
    }
    store::Stmt u(p.db(), "UPDATE runs SET artifacts = ?2 WHERE id = ?1");
    u.bind(1, run.id).bind(2, root->hex()).exec();
    if (also) also(*root);
    tx.commit();
    return *root;
  }
}

TreeEntry artifact_entry(Project& p, const RunRef& run, const std::string& path) {
  auto root = artifact_root(p.db(), run);
  std::string clean = path;
  while (!clean.empty() && clean.back() == '/') clean.pop_back();
  if (clean == ".") clean.clear();
  if (!root) {
    throw Error(ExitCode::not_found, fmt::format("run '{}' has no artifacts", run.name),
                "add some with 'mlt log artifact PATH --run RUN'");
  }
  auto e = lookup(p.objects(), *root, clean);
  if (!e)
    throw Error(ExitCode::not_found, fmt::format("run '{}' has no artifact '{}'", run.name, clean),
                fmt::format("see 'mlt artifact ls {}'", run.uuid.substr(0, 8)));
  if (e->name.empty()) e->name = clean.empty() ? "artifacts" : clean.substr(clean.rfind('/') + 1);
  return *e;
}

static void restore_new_or_into(Project& p, const TreeEntry& entry, const fs::path& dest, bool exists,
                                const fs::path& parent, const RestoreOptions& opt);

void restore(Project& p, const TreeEntry& entry, const fs::path& dest, const RestoreOptions& opt) {
  struct stat st {};
  bool exists = lexists(dest, st);
  fs::path parent = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  std::error_code ec;
  // Missing parent folders are created, and removed again if the restore fails.
  std::vector<fs::path> made;
  for (fs::path dir = parent; !dir.empty() && !fs::exists(fs::symlink_status(dir, ec)); dir = dir.parent_path()) {
    made.push_back(dir);
    if (dir == dir.parent_path()) break;
  }
  fs::create_directories(parent, ec);
  struct Undo {
    std::vector<fs::path>& made;
    bool done = false;
    ~Undo() {
      if (done) return;
      std::error_code e;
      for (auto& p : made) fs::remove(p, e);  // innermost first; only empty folders go
    }
  } undo{made};
  restore_new_or_into(p, entry, dest, exists, parent, opt);
  undo.done = true;
}

static void restore_new_or_into(Project& p, const TreeEntry& entry, const fs::path& dest, bool exists,
                                const fs::path& parent, const RestoreOptions& opt) {
  std::error_code ec;
  if (entry.kind == EntryKind::dir && !exists) {
    // A new directory appears whole or not at all.
    fs::path tmp = parent / fmt::format(".{}.mlt-{}", entry.name.substr(0, 64), random_suffix());
    try {
      restore_into(p, entry, tmp, "", opt);
      if (::rename(tmp.c_str(), dest.c_str()) != 0) sys_fail("cannot rename into", dest);
    } catch (...) {
      fs::remove_all(tmp, ec);
      throw;
    }
    return;
  }
  restore_into(p, entry, dest, entry.kind == EntryKind::dir ? "" : entry.name, opt);
}

std::optional<std::pair<std::string, std::string>> parse_runs_uri(const std::string& s) {
  if (!s.starts_with("runs:/")) return std::nullopt;
  std::string rest = s.substr(6);
  while (!rest.empty() && rest.front() == '/') rest.erase(rest.begin());
  auto slash = rest.find('/');
  std::string run = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (run.empty()) throw Error(ExitCode::usage, fmt::format("invalid URI '{}': no run", s), "write runs:/RUN/PATH");
  return std::make_pair(run, path);
}

}  // namespace mlt::core
