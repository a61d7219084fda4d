#include "core/artifacts/artifacts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/paths.hpp"
#include "store/dir_fd.hpp"
#include "store/failpoint.hpp"

namespace mlt::core {
namespace {

constexpr std::int64_t racy_margin_ns = 100'000'000;  // far above any file system's mtime granularity

std::int64_t ns_of(const struct timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

std::int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

[[noreturn]] void sys_fail(const std::string& what, const fs::path& p) {
  int e = errno;
  throw Error(io_exit_code(e, what), fmt::format("{} '{}': {}", what, p.string(), std::strerror(e)), io_hint(e));
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
    std::string name = name_of(abs);
    fs::path walk_root = abs;
    if (S_ISLNK(st.st_mode)) {  // a path named on the command line is followed
      walk_root = real_path(abs, src.string());
      if (::stat(walk_root.c_str(), &st) != 0) sys_fail("cannot add", src);
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
      throw Error(ExitCode::usage, fmt::format("cannot add '{}': not a file or directory", src.string()));
    root_ = walk_root;
    root_real_ = real_path(walk_root, src.string());
    Node root;
    validate_name(name, src.string());
    root.entry.name = name;
    {
      // one read transaction for all stat-cache lookups, not a lock round trip per file
      p_.db().exec("BEGIN");
      struct End {
        store::Db& db;
        ~End() {
          try {
            db.exec("COMMIT");
          } catch (...) {
          }
        }
      } end{p_.db()};
      walk(walk_root, st, root, src.string(), {}, false);
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
    bool skip = false;   // a link to a special file: left out
  };

  std::string cache_key(const fs::path& abs) const {
    auto rel = abs.lexically_relative(p_.root());
    if (!rel.empty() && !rel.native().starts_with("..")) return rel.string();
    return abs.string();
  }

  // The real path of `p` (every link resolved); exit 2 naming `shown` when it dangles.
  static fs::path real_path(const fs::path& p, const std::string& shown) {
    char* r = ::realpath(p.c_str(), nullptr);
    if (!r) {
      std::string target(4096, '\0');
      ssize_t n = ::readlink(p.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      throw Error(ExitCode::usage,
                  n > 0 ? fmt::format("cannot add '{}': it is a symlink to '{}', which does not exist ({})", shown,
                                      target, std::strerror(errno))
                        : fmt::format("cannot add '{}': {}", shown, std::strerror(errno)),
                  "fix or remove the link (--keep-links stores links as they are)");
    }
    fs::path out(r);
    std::free(r);
    return out;
  }

  static std::string read_link(const fs::path& abs, std::size_t size_hint) {
    std::string target(std::max<std::size_t>(size_hint, 4096), '\0');
    ssize_t n = ::readlink(abs.c_str(), target.data(), target.size());
    if (n < 0) sys_fail("cannot read link", abs);
    target.resize(static_cast<std::size_t>(n));
    return target;
  }

  // What is at `rel` below the source on disk, for resolve_link (the store is not part of it).
  std::optional<PathNode> on_disk(const std::vector<std::string>& rel) {
    fs::path p = root_;
    for (auto& c : rel) p /= c;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || is_store(st)) return std::nullopt;
    if (S_ISLNK(st.st_mode)) return PathNode{EntryKind::link, read_link(p, static_cast<std::size_t>(st.st_size))};
    return PathNode{S_ISDIR(st.st_mode) ? EntryKind::dir : EntryKind::file, {}};
  }

  // The project's .mlt folder, however it is reached.
  bool is_store(const struct stat& st) {
    if (!store_id_) {
      struct stat s {};
      store_id_ = ::stat(p_.dir().c_str(), &s) == 0 ? std::pair(s.st_dev, s.st_ino) : std::pair<dev_t, ino_t>(0, 0);
    }
    return S_ISDIR(st.st_mode) && st.st_dev == store_id_->first && st.st_ino == store_id_->second;
  }

  // `rel`: the node's path below the source; `deref`: below a folder reached through a link
  // (there every link is followed, as `cp -rL` does).
  void walk(const fs::path& abs, const struct stat& st, Node& node, const std::string& shown,
            const std::vector<std::string>& rel, bool deref) {
    if (abs == p_.dir() || is_store(st)) {  // never snapshot the store into itself (also reached through a link)
      node.entry.kind = EntryKind::dir;
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target = read_link(abs, static_cast<std::size_t>(st.st_size));
      bool keep = opt_.keep_links;
      if (!keep && !deref && !rel.empty()) {
        auto r = resolve_link({rel.begin(), rel.end() - 1}, target,
                              [this](const std::vector<std::string>& at) { return on_disk(at); });
        if (r.reach == LinkReach::loop)
          throw Error(ExitCode::usage, fmt::format("cannot add '{}': too many levels of symbolic links", shown),
                      "fix or remove the link (--keep-links stores links as they are)");
        keep = r.reach == LinkReach::inside;
      }
      if (keep) {
        node.entry.kind = EntryKind::link;
        node.entry.mode = 0777;
        node.entry.size = target.size();
        node.entry.digest = opt_.dry_run ? store::sha256(target) : p_.objects().put_blob(target);
        ++stats_.links;
        return;
      }
      // stored as what it points to
      fs::path real = real_path(abs, shown);
      struct stat tst {};
      if (::stat(real.c_str(), &tst) != 0) sys_fail("cannot add", real);
      if (S_ISDIR(tst.st_mode)) {
        auto contains = [&](const fs::path& dir) {
          auto d = dir.native(), r = root_real_.native();
          return r == d || (r.starts_with(d) && (d.ends_with("/") || r[d.size()] == '/'));
        };
        bool cycle = contains(real) || std::any_of(ancestors_.begin(), ancestors_.end(), [&](auto& a) {
                       return a.first == tst.st_dev && a.second == tst.st_ino;
                     });
        if (cycle)
          throw Error(ExitCode::usage,
                      fmt::format("cannot add '{}': the symlink leads to '{}', a folder that contains it", shown,
                                  real.string()),
                      "remove the link, or pass --keep-links to store links as they are");
      } else if (!S_ISREG(tst.st_mode)) {
        ++stats_.skipped;
        if (opt_.warn) opt_.warn(fmt::format("skipped '{}': it points to a special file", shown));
        node.entry.kind = EntryKind::dir;
        node.skip = true;
        return;
      }
      ++stats_.followed;
      walk(real, tst, node, shown, rel, true);
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
    ancestors_.emplace_back(st.st_dev, st.st_ino);
    struct Pop {
      std::vector<std::pair<dev_t, ino_t>>& v;
      ~Pop() { v.pop_back(); }
    } pop{ancestors_};
    std::vector<std::pair<std::string, struct stat>> items;
    std::error_code ec;
    for (auto it = fs::directory_iterator(abs, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (it->path() == p_.dir()) continue;  // the project's own store is never an artifact
      struct stat cst {};
      if (::lstat(it->path().c_str(), &cst) != 0) continue;  // vanished meanwhile
      if (is_store(cst)) continue;
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
      auto sub = rel;
      sub.push_back(items[i].first);
      walk(abs / items[i].first, items[i].second, node.children[i], shown + "/" + items[i].first, sub, deref);
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
            MLT_FAILPOINT("tree.file_stored");
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
      if (c.skip) continue;
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
  fs::path root_, root_real_;                          // the source being walked, and its real path
  std::vector<std::pair<dev_t, ino_t>> ancestors_;     // folders on the way down (link cycles)
  std::optional<std::pair<dev_t, ino_t>> store_id_;
};

// ---- restore ----

// One restore: everything below the destination goes through directory fds (store::DirFd).
class Restorer {
 public:
  Restorer(Project& p, const TreeEntry& context, const RestoreOptions& opt) : p_(p), context_(context), opt_(opt) {}

  // Writes `e` as entry `name` of `dir`; `rel` is its path below the restored entry.
  void into(const store::DirFd& dir, const TreeEntry& e, const std::string& name, const std::vector<std::string>& rel) {
    auto st = dir.stat(name);
    if (e.kind == EntryKind::dir) {
      if (st && S_ISLNK(st->st_mode))
        throw Error(ExitCode::conflict, fmt::format("'{}' is a symlink; refusing to write through it", (dir / name).string()),
                    "remove it or choose another destination");
      if (st && !S_ISDIR(st->st_mode)) {
        if (!opt_.force)
          throw Error(ExitCode::conflict, fmt::format("'{}' exists and is not a directory", (dir / name).string()),
                      "use --force to replace it");
        dir.unlink(name);
        st.reset();
      }
      auto sub = st ? dir.sub(name) : dir.make_sub(name);
      children(sub, e, rel);
      return;
    }
    if (st) {
      if (S_ISDIR(st->st_mode))
        throw Error(ExitCode::conflict, fmt::format("'{}' is a directory", (dir / name).string()),
                    "choose another destination");
      if (!opt_.force)
        throw Error(ExitCode::conflict, fmt::format("'{}' exists", (dir / name).string()), "use --force to replace it");
    }
    if (e.kind == EntryKind::link) link(dir, e, name, rel);
    else file(dir, e, name, rel);
  }

  // Writes the entries of directory `e` into the open folder `dir`.
  void children(const store::DirFd& dir, const TreeEntry& e, const std::vector<std::string>& rel) {
    for (auto& c : read_tree(p_.objects(), e.digest)) {
      auto sub = rel;
      sub.push_back(c.name);
      into(dir, c, c.name, sub);
    }
  }

  RestoreStats stats;

 private:
  static std::string shown(const std::vector<std::string>& rel, const std::string& name) {
    return rel.empty() ? name : join_path(rel);
  }

  void file(const store::DirFd& dir, const TreeEntry& e, const std::string& name, const std::vector<std::string>& rel) {
    std::string tmp;
    int fd = dir.create_temp(name, tmp);
    try {
      auto over = opt_.content.find(join_path(rel));
      if (!rel.empty() && over != opt_.content.end()) {
        store::write_all(fd, over->second.data(), over->second.size(), dir / tmp);
        if (opt_.progress) *opt_.progress += e.size;
      } else {
        p_.objects().read_file(e.digest, [&](const std::uint8_t* data, std::size_t n) {
          store::write_all(fd, data, n, dir / tmp);
          if (opt_.progress) *opt_.progress += n;
        });
      }
      ::fchmod(fd, e.mode & 0777);
      int rc = ::close(fd);
      fd = -1;
      if (rc != 0) sys_fail("cannot write", dir / tmp);
      dir.rename(tmp, name);
    } catch (...) {
      if (fd >= 0) ::close(fd);
      dir.unlink(tmp);
      throw;
    }
    ++stats.files;
    if (opt_.after_write) opt_.after_write(shown(rel, name));
  }

  // What is at `rel` below the restored entry, for resolve_link.
  std::optional<PathNode> in_tree(const std::vector<std::string>& rel) {
    if (context_.kind != EntryKind::dir) return std::nullopt;
    const TreeEntry* cur = &context_;
    TreeEntry found;
    for (auto& part : rel) {
      if (cur->kind != EntryKind::dir) return std::nullopt;
      auto it = trees_.find(cur->digest);
      if (it == trees_.end()) it = trees_.emplace(cur->digest, read_tree(p_.objects(), cur->digest)).first;
      auto e = std::find_if(it->second.begin(), it->second.end(), [&](const TreeEntry& t) { return t.name == part; });
      if (e == it->second.end()) return std::nullopt;
      found = *e;
      cur = &found;
    }
    PathNode n{cur->kind, {}};
    if (cur->kind == EntryKind::link) n.target = p_.objects().read(cur->digest);
    return n;
  }

  void link(const store::DirFd& dir, const TreeEntry& e, const std::string& name, const std::vector<std::string>& rel) {
    std::string target = p_.objects().read(e.digest);
    // Only a link that leads to an entry of what is restored is created, judged on the stored
    // tree (its text alone is not enough: a/K -> .. and M -> a/K/.. climbs out through another
    // link although 'a/K/..' reads as 'a').
    LinkReach reach = LinkReach::dangling;
    if (!rel.empty())
      reach = resolve_link({rel.begin(), rel.end() - 1}, target,
                           [this](const std::vector<std::string>& at) { return in_tree(at); })
                  .reach;
    if (reach != LinkReach::inside) {
      ++stats.skipped;
      if (opt_.warn)
        opt_.warn(fmt::format("skipped symlink '{}' -> '{}': {}", shown(rel, name), target,
                              reach == LinkReach::outside ? "it points outside the restored folder"
                              : reach == LinkReach::loop  ? "too many levels of symbolic links"
                                                          : "its target is not part of what is restored"));
      return;
    }
    std::string tmp;
    dir.temp_symlink(target, name, tmp);
    try {
      dir.rename(tmp, name);
    } catch (...) {
      dir.unlink(tmp);
      throw;
    }
    ++stats.links;
    if (opt_.after_write) opt_.after_write(shown(rel, name));
  }

  Project& p_;
  const TreeEntry& context_;
  const RestoreOptions& opt_;
  std::map<store::Digest, std::vector<TreeEntry>> trees_;
};

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
  if (stats.files == 0 && stats.links == 0) {
    std::string list;
    for (auto& src : sources) list += fmt::format("{}'{}'", list.empty() ? "" : ", ", src.string());
    throw Error(ExitCode::failure, fmt::format("nothing added: {} hold{} no file", list, sources.size() == 1 ? "s" : ""),
                "an add records files; empty folders alone are not recorded");
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

RestoreStats restore(Project& p, const TreeEntry& entry, const fs::path& dest_in, const RestoreOptions& opt) {
  fs::path dest = dest_in.has_filename() ? dest_in : dest_in.parent_path();   // "out/" is "out"
  std::string name = dest.filename().string();
  if (name.empty()) throw Error(ExitCode::usage, fmt::format("invalid destination '{}'", dest_in.string()));
  // Missing parent folders are created, and removed again if the restore fails.
  std::vector<fs::path> made;
  auto parent = store::DirFd::open_or_create(dest.parent_path(), &made);
  struct Undo {
    std::vector<fs::path>& made;
    bool done = false;
    ~Undo() {
      if (!done) store::remove_made(made);
    }
  } undo{made};
  Restorer r(p, entry, opt);
  auto st = parent.stat(name);
  if (entry.kind == EntryKind::dir && !st) {
    // A new directory appears whole or not at all.
    std::string tmp;
    auto dir = parent.make_temp_dir(name, tmp);
    try {
      if (::fchmod(dir.fd(), entry.mode & 0777) != 0) sys_fail("cannot create directory", parent / tmp);
      r.children(dir, entry, {});
      // what gets the final name is the folder written, not something put in its place meanwhile
      struct stat mine {};
      auto now = parent.stat(tmp);
      if (::fstat(dir.fd(), &mine) != 0 || !now || now->st_dev != mine.st_dev || now->st_ino != mine.st_ino)
        throw Error(ExitCode::conflict, fmt::format("'{}' was replaced while writing", (parent / tmp).string()),
                    "another process changes the destination; retry");
      parent.rename(tmp, name, false);
    } catch (...) {
      parent.remove_all(tmp);
      throw;
    }
  } else {
    r.into(parent, entry, name, {});
  }
  undo.done = true;
  return r.stats;
}

RestoreStats restore_below(Project& p, const TreeEntry& root, const std::vector<std::pair<std::string, TreeEntry>>& items,
                           const fs::path& dest, const RestoreOptions& opt_in) {
  RestoreOptions opt = opt_in;
  opt.force = true;
  auto top = store::DirFd::open(dest);
  Restorer r(p, root, opt);
  for (auto& [path, e] : items) {
    auto parts = validate_artifact_path(path);
    std::optional<store::DirFd> below;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i)
      below = (below ? *below : top).sub_or_make(parts[i]);
    TreeEntry named = e;
    named.name = parts.back();
    r.into(below ? *below : top, named, parts.back(), parts);
  }
  return r.stats;
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
