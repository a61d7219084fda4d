#include "core/maintenance.hpp"

#include <functional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/tree.hpp"

namespace mlt::core {
namespace {

using store::Digest;
using DigestSet = std::unordered_set<Digest, store::DigestHash>;

struct Root {
  Digest digest;
  std::string who;
  bool file = false;          // a single file (a file data version), not a tree
  std::uint64_t size = 0;     // its bytes, for a file
};

// Every tree the database points at, with a description of who points at it.
std::vector<Root> roots(store::Db& db) {
  std::vector<Root> out;
  store::Stmt q(db, "SELECT uuid, name, artifacts FROM runs WHERE artifacts IS NOT NULL");
  while (q.step()) {
    if (auto d = Digest::parse(q.text(2)))
      out.push_back({*d, fmt::format("run {} ({})", q.text(0).substr(0, 8), q.text(1))});
  }
  store::Stmt m(db, "SELECT r.uuid, m.path, m.tree FROM models m JOIN runs r ON r.id = m.run_id");
  while (m.step()) {
    if (auto d = Digest::parse(m.text(2)))
      out.push_back({*d, fmt::format("model runs:/{}/{}", m.text(0), m.text(1))});
  }
  store::Stmt v(db, "SELECT rm.name, v.version, v.tree FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id");
  while (v.step()) {
    if (auto d = Digest::parse(v.text(2)))
      out.push_back({*d, fmt::format("models:/{}/{}", v.text(0), v.int64(1))});
  }
  store::Stmt dep(db, "SELECT env, revision, tree, manifests FROM deployments");
  while (dep.step()) {
    for (int col : {2, 3})
      if (auto d = Digest::parse(dep.text(col)))
        out.push_back({*d, fmt::format("deployment {} revision {}", dep.text(0), dep.int64(1))});
  }
  store::Stmt dv(db,
                 "SELECT ds.name, v.version, v.digest, v.kind, v.bytes FROM data_versions v "
                 "JOIN datasets ds ON ds.id = v.dataset_id");
  while (dv.step()) {
    if (auto d = Digest::parse(dv.text(2)))
      out.push_back({*d, fmt::format("data {}@v{}", dv.text(0), dv.int64(1)), dv.text(3) == "file",
                     static_cast<std::uint64_t>(dv.int64(4))});
  }
  return out;
}

// Walks everything reachable from the roots. on_object(digest, who) for every object once;
// a damaged tree or manifest is reported through on_damage and not descended into.
struct Walker {
  store::ObjectStore& s;
  bool check_headers;
  std::function<void(const Digest&, const std::string&, std::uint64_t stored)> on_object;
  std::function<void(const Digest&, const std::string&, const std::string&)> on_damage;
  std::function<void(const Digest&, std::uint64_t size)> on_file;
  DigestSet seen;

  bool visit(const Digest& d, const std::string& who) {
    if (!seen.insert(d).second) return false;
    store::ObjectHeader h{};
    try {
      h = s.header(d);
    } catch (const Error& e) {
      on_damage(d, e.what(), who);
      return false;
    }
    on_object(d, who, h.stored);
    return true;
  }

  void file(const Digest& d, std::uint64_t size, const std::string& who) {
    if (on_file) on_file(d, size);
    if (!visit(d, who)) return;
    store::ObjectHeader h = s.header(d);
    if (h.kind != store::ObjectKind::chunked) return;
    try {
      for (auto& c : s.manifest(d)) visit(c.digest, who);
    } catch (const Error& e) {
      on_damage(d, e.what(), who);
    }
  }

  void root(const Root& r) {
    if (r.file) file(r.digest, r.size, r.who);
    else tree(r.digest, r.who, "");
  }

  void tree(const Digest& d, const std::string& who, const std::string& prefix) {
    if (!visit(d, who)) return;
    std::vector<TreeEntry> entries;
    try {
      entries = read_tree(s, d);
    } catch (const Error& e) {
      on_damage(d, e.what(), who);
      return;
    }
    for (auto& e : entries) {
      std::string path = prefix.empty() ? e.name : prefix + "/" + e.name;
      std::string w = fmt::format("{} artifact '{}'", who, path);
      if (e.kind == EntryKind::dir) tree(e.digest, who, path);
      else if (e.kind == EntryKind::file) file(e.digest, e.size, w);
      else visit(e.digest, w);
    }
  }
};

}  // namespace

std::chrono::seconds parse_duration(const std::string& s) {
  if (s == "0") return std::chrono::seconds(0);
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i + 1 != s.size() || i > 9)
    throw Error(ExitCode::usage, fmt::format("invalid duration '{}'", s), "write e.g. 14d, 12h, 30m or 45s");
  long long n = std::stoll(s.substr(0, i));
  switch (s[i]) {
    case 's': return std::chrono::seconds(n);
    case 'm': return std::chrono::seconds(n * 60);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'd': return std::chrono::seconds(n * 86400);
    case 'w': return std::chrono::seconds(n * 7 * 86400);
  }
  throw Error(ExitCode::usage, fmt::format("invalid duration '{}'", s), "write e.g. 14d, 12h, 30m or 45s");
}

FsckReport fsck(Project& p, bool full) {
  FsckReport r;
  {
    store::Stmt q(p.db(), full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
    std::string out;
    while (q.step()) out += (out.empty() ? "" : "; ") + q.text(0);
    r.database = out;
  }
  Walker w{p.objects(), true, {}, {}, {}, {}};
  std::vector<std::pair<Digest, std::string>> files;
  w.on_object = [&](const Digest& d, const std::string& who, std::uint64_t stored) {
    ++r.objects_checked;
    r.bytes_checked += stored;
    if (full) files.emplace_back(d, who);
  };
  w.on_damage = [&](const Digest& d, const std::string& why, const std::string& who) {
    r.damage.push_back({d.str(), why, who});
  };
  for (auto& root : roots(p.db())) w.root(root);
  if (full) {
    DigestSet bad;
    for (auto& dmg : r.damage)
      if (auto d = Digest::parse(dmg.object)) bad.insert(*d);
    for (auto& [d, who] : files) {
      if (bad.count(d)) continue;
      store::ObjectHeader h = p.objects().header(d);
      if (h.kind == store::ObjectKind::chunked) continue;  // its chunks are checked one by one
      if (auto err = p.objects().verify(d)) r.damage.push_back({d.str(), *err, who});
    }
    // whole-file digests of chunked files: the chunks are fine one by one, do they add up?
    for (auto& [d, who] : files) {
      if (bad.count(d)) continue;
      try {
        if (p.objects().header(d).kind == store::ObjectKind::chunked)
          if (auto err = p.objects().verify(d)) r.damage.push_back({d.str(), *err, who});
      } catch (const Error&) {
      }
    }
  }
  return r;
}

GcReport gc(Project& p, std::chrono::seconds grace, bool dry_run) {
  GcReport r;
  auto& s = p.objects();
  auto cutoff = std::filesystem::file_time_type::clock::now() - grace;
  // Young objects are roots too: a concurrent writer may not have committed its reference yet,
  // and a young tree or manifest keeps old children it reused alive.
  DigestSet marked;
  std::vector<Digest> young;
  s.for_each([&](const Digest& d, const std::filesystem::path&, std::uint64_t, std::filesystem::file_time_type t) {
    if (t >= cutoff) young.push_back(d);
  });
  Walker w{s, false, {}, {}, {}, {}};
  std::vector<std::string> damage;
  w.on_object = [&](const Digest& d, const std::string&, std::uint64_t) { marked.insert(d); };
  w.on_damage = [&](const Digest& d, const std::string& why, const std::string& who) {
    damage.push_back(fmt::format("{} ({}): {}", d.str(), who, why));
  };
  for (auto& root : roots(p.db())) w.root(root);
  DigestSet referenced = marked;
  if (!damage.empty())
    throw Error(ExitCode::integrity,
                fmt::format("gc stopped before deleting anything: {} referenced object{} cannot be read:\n  {}",
                            damage.size(), damage.size() == 1 ? "" : "s", fmt::join(damage, "\n  ")),
                "run 'mlt fsck' and repair the store first");
  for (auto& d : young) {
    if (marked.count(d)) continue;
    try {
      auto h = s.header(d);
      if (h.kind == store::ObjectKind::tree) w.tree(d, "a recent write", "");
      else if (h.kind == store::ObjectKind::chunked) w.file(d, h.size, "a recent write");
      else marked.insert(d);
    } catch (const Error&) {
      marked.insert(d);  // damaged and young: leave it for fsck
    }
  }
  s.for_each([&](const Digest& d, const std::filesystem::path& path, std::uint64_t size,
                 std::filesystem::file_time_type t) {
    if (marked.count(d) || t >= cutoff) {
      ++r.kept;
      r.kept_bytes += size;
      if (!referenced.count(d)) ++r.young;  // kept only for being young (or a young one's child)
      return;
    }
    ++r.removed;
    r.removed_bytes += size;
    if (!dry_run) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  });
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(s.tmp_dir(), ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (it->last_write_time(ec) < cutoff) {
      ++r.temp_removed;
      if (!dry_run) std::filesystem::remove_all(it->path(), ec);  // a killed run's capture folder too
    }
  }
  return r;
}

DuReport du(Project& p) {
  DuReport r;
  Walker w{p.objects(), false, {}, {}, {}, {}};
  DigestSet files;
  w.on_object = [&](const Digest&, const std::string&, std::uint64_t stored) {
    ++r.objects;
    r.stored += stored;
  };
  w.on_damage = [](const Digest&, const std::string&, const std::string&) {};
  w.on_file = [&](const Digest& d, std::uint64_t size) {
    if (files.insert(d).second) r.unique += size;
  };
  for (auto& root : roots(p.db())) {
    // a tree entry's size is the bytes below it, so shared subtrees still count per reference
    if (root.file) {
      r.logical += root.size;
    } else {
      try {
        for (auto& e : read_tree(p.objects(), root.digest))
          if (e.kind != EntryKind::link) r.logical += e.size;
      } catch (const Error&) {
      }
    }
    w.root(root);
  }
  p.objects().for_each([&](const Digest& d, const std::filesystem::path&, std::uint64_t size,
                           std::filesystem::file_time_type) {
    if (!w.seen.count(d)) r.unreferenced += size;
  });
  return r;
}

}  // namespace mlt::core
