#include "core/maintenance.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "core/artifacts/tree.hpp"

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

using RunIds = std::set<std::int64_t>;

// Every tree the database points at, with a description of who points at it; without the
// artifacts and model packages of the runs in `except` (runs a dry run would purge).
std::vector<Root> roots(store::Db& db, const RunIds& except = {}) {
  std::vector<Root> out;
  store::Stmt q(db, "SELECT uuid, name, artifacts, id FROM runs WHERE artifacts IS NOT NULL");
  while (q.step()) {
    if (except.count(q.int64(3))) continue;
    if (auto d = Digest::parse(q.text(2)))
      out.push_back({*d, fmt::format("run {} ({})", q.text(0).substr(0, 8), q.text(1))});
  }
  store::Stmt m(db, "SELECT r.uuid, m.path, m.tree, r.id FROM models m JOIN runs r ON r.id = m.run_id");
  while (m.step()) {
    if (except.count(m.int64(3))) continue;
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

FsckReport fsck(Project& p, bool full, std::atomic<std::uint64_t>* progress,
                const std::function<void(std::uint64_t)>& set_total) {
  FsckReport r;
  {
    // SQLite can hand out its report's rows and then fail with SQLITE_CORRUPT: the rows and the
    // error are the report, and the objects are still checked.
    std::string out;
    try {
      store::Stmt q(p.db(), full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
      while (q.step()) out += (out.empty() ? "" : "; ") + q.text(0);
    } catch (const Error& e) {
      if (e.code() != ExitCode::integrity) throw;
      out += (out.empty() ? "" : "; ") + std::string(e.what());
    }
    r.database = out;
  }
  Walker w{p.objects(), true, {}, {}, {}, {}};
  std::vector<std::pair<Digest, std::string>> files;
  std::unordered_map<Digest, std::uint64_t, store::DigestHash> stored_size;
  w.on_object = [&](const Digest& d, const std::string& who, std::uint64_t stored) {
    ++r.objects_checked;
    r.bytes_checked += stored;
    if (full) {
      files.emplace_back(d, who);
      stored_size[d] = stored;
    }
  };
  w.on_damage = [&](const Digest& d, const std::string& why, const std::string& who) {
    r.damage.push_back({d.str(), why, who});
  };
  for (auto& root : roots(p.db())) w.root(root);
  if (full) {
    if (set_total) set_total(r.bytes_checked);
    auto advance = [&](const Digest& d) {
      if (progress) *progress += stored_size[d];
    };
    DigestSet bad;
    for (auto& dmg : r.damage)
      if (auto d = Digest::parse(dmg.object)) bad.insert(*d);
    for (auto& [d, who] : files) {
      if (bad.count(d)) continue;
      store::ObjectHeader h = p.objects().header(d);
      if (h.kind == store::ObjectKind::chunked) continue;  // its chunks are checked one by one
      if (auto err = p.objects().verify(d)) r.damage.push_back({d.str(), *err, who});
      advance(d);
    }
    // whole-file digests of chunked files: the chunks are fine one by one, do they add up?
    for (auto& [d, who] : files) {
      if (bad.count(d)) continue;
      try {
        if (p.objects().header(d).kind == store::ObjectKind::chunked) {
          if (auto err = p.objects().verify(d)) r.damage.push_back({d.str(), *err, who});
          advance(d);
        }
      } catch (const Error&) {
      }
    }
    std::vector<Digest> unreferenced;
    p.objects().for_each([&](const Digest& d, const std::filesystem::path&, std::uint64_t, std::filesystem::file_time_type) {
      if (!w.seen.count(d)) unreferenced.push_back(d);
    });
    for (auto& d : unreferenced) {
      ++r.unreferenced_checked;
      // a chunked file whose chunks are gone counts too: the next add of that file would trust it
      if (auto err = p.objects().verify(d)) r.damage.push_back({d.str(), *err, "nothing (unreferenced; 'mlt gc' removes it after the grace period)"});
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(p.objects().tmp_dir(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    ++r.temporary_files;
    r.temporary_bytes += it->file_size(fec);
  }
  return r;
}

namespace {

struct Candidate {
  std::int64_t id;
  PurgedRun run;
};

// The deleted runs a purge takes: all of them, or those deleted longer than `older_than` ago.
// A run deleted by a version that did not record when has its end, else its start time instead.
std::vector<Candidate> purge_candidates(store::Db& db, const GcOptions& o) {
  std::string sql = "SELECT id, uuid, name, deleted_ms FROM runs WHERE lifecycle = 'deleted'";
  if (o.older_than) sql += " AND coalesce(deleted_ms, end_ms, start_ms) <= ?1";
  sql += " ORDER BY coalesce(deleted_ms, end_ms, start_ms), id";
  store::Stmt q(db, sql);
  if (o.older_than) q.bind(1, now_ms() - static_cast<std::int64_t>(o.older_than->count()) * 1000);
  std::vector<Candidate> out;
  while (q.step()) out.push_back({q.int64(0), {q.text(1), q.text(2), q.opt_int64(3)}});
  return out;
}

// What still refers to a run that purging it would leave dangling or lose: registry versions
// (their history too: a removed version is kept), deployments, and runs not purged with it.
std::vector<std::string> purge_blockers(store::Db& db, const Candidate& c, const RunIds& purging) {
  std::vector<std::string> out;
  // A deleted run may still be running: its supervisor or a 'log stream' holds its id, and
  // purging it would let their later writes land on a new run that reuses the id.
  store::Stmt st(db, "SELECT status FROM runs WHERE id = ?1");
  st.bind(1, c.id);
  if (st.step() && st.text(0) == "RUNNING")
    out.push_back("its own status: it is still RUNNING (end it first; 'mlt run end RUN --status killed' if its "
                  "process is gone)");
  store::Stmt v(db,
                "SELECT rm.name, v.version, v.deleted_ms IS NOT NULL FROM model_versions v "
                "JOIN registered_models rm ON rm.id = v.model_id WHERE v.run_id = ?1 ORDER BY rm.name, v.version");
  v.bind(1, c.id);
  while (v.step())
    out.push_back(fmt::format("registry version models:/{}/{}{}", v.text(0), v.int64(1),
                              v.int64(2) ? " (removed, kept in the registry's history)" : ""));
  store::Stmt d(db, "SELECT env, revision FROM deployments WHERE run_uuid = ?1 ORDER BY env, revision");
  d.bind(1, c.run.id);
  while (d.step()) out.push_back(fmt::format("deployment {} revision {}", d.text(0), d.int64(1)));
  store::Stmt ch(db, "SELECT id, uuid, name FROM runs WHERE parent_id = ?1 ORDER BY id");
  ch.bind(1, c.id);
  while (ch.step())
    if (!purging.count(ch.int64(0)))
      out.push_back(fmt::format("its child run {} ({})", ch.text(1).substr(0, 8), ch.text(2)));
  return out;
}

std::string sql_ident(const std::string& ident) {
  std::string out = "\"";
  for (char ch : ident) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

// Removes the candidates and every row that refers to them, in one transaction (nothing is
// removed unless everything is). Returns the metric points removed.
std::uint64_t purge_runs(store::Db& db, const std::vector<Candidate>& runs) {
  // Every table with a foreign key to runs (params, tags, metric_summary, run_inputs, models and
  // any later one): rows there belong to the run. runs.parent_id and model_versions are checked
  // by purge_blockers first.
  std::vector<std::pair<std::string, std::string>> owned;
  {
    store::Stmt q(db,
                  "SELECT m.name, f.\"from\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
                  "WHERE m.type = 'table' AND f.\"table\" = 'runs' ORDER BY m.name");
    while (q.step())
      if (q.text(0) != "runs" && q.text(0) != "model_versions") owned.emplace_back(q.text(0), q.text(1));
  }
  std::uint64_t points = 0;
  store::Stmt mp(db, "DELETE FROM metric_points WHERE run_id = ?1");
  store::Stmt detach(db, "UPDATE runs SET parent_id = NULL WHERE parent_id = ?1");  // children purged too
  store::Stmt del(db, "DELETE FROM runs WHERE id = ?1 AND lifecycle = 'deleted'");
  for (auto& c : runs) {
    mp.bind(1, c.id).exec();
    points += static_cast<std::uint64_t>(db.changes());
    for (auto& [table, col] : owned) {
      store::Stmt q(db, fmt::format("DELETE FROM {} WHERE {} = ?1", sql_ident(table), sql_ident(col)));
      q.bind(1, c.id).exec();
    }
    detach.bind(1, c.id).exec();
    try {
      del.bind(1, c.id).exec();
    } catch (const Error& e) {
      throw Error(ExitCode::conflict,
                  fmt::format("cannot purge run {} ({}): other records still refer to it ({})", c.run.id.substr(0, 8),
                              c.run.name, e.what()),
                  "nothing was purged; see 'mlt lineage' for what refers to the run");
    }
  }
  return points;
}

std::uint64_t database_bytes(store::Db& db) {
  store::Stmt q(db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
  q.step();
  return static_cast<std::uint64_t>(q.int64(0));
}

// Gives the space of purged rows back to the file system: incremental_vacuum when the database
// was made with auto_vacuum=INCREMENTAL, else VACUUM (mlt's databases are made without
// auto_vacuum), which rewrites the file. Then a checkpoint, so that the file itself shrinks.
void compact(store::Db& db) {
  int mode = 0;
  {
    store::Stmt q(db, "PRAGMA auto_vacuum");
    if (q.step()) mode = static_cast<int>(q.int64(0));
  }
  if (mode == 2) {
    store::Stmt q(db, "PRAGMA incremental_vacuum");
    q.exec();
  } else {
    db.exec("VACUUM");
  }
  store::Stmt ck(db, "PRAGMA wal_checkpoint(TRUNCATE)");  // readers may keep it from finishing: fine
  ck.exec();
}

}  // namespace

GcReport gc(Project& p, const GcOptions& o) {
  GcReport r;
  auto& db = p.db();
  {
    store::Stmt q(db, "PRAGMA quick_check");
    std::string out;
    while (q.step()) out += (out.empty() ? "" : "; ") + q.text(0);
    if (out != "ok")
      throw Error(ExitCode::integrity,
                  fmt::format("gc stopped before deleting anything: the database '{}' fails its check: {}", db.path(),
                              out),
                  "restore .mlt/mlt.db from a backup; 'mlt fsck --full' checks the whole project");
  }
  r.database_bytes_before = r.database_bytes_after = database_bytes(db);
  bool had_roots = !roots(db).empty();

  RunIds purging;
  if (o.purge_deleted) {
    std::optional<store::Transaction> tx;
    if (!o.dry_run) tx.emplace(db);
    auto runs = purge_candidates(db, o);
    for (auto& c : runs) purging.insert(c.id);
    std::vector<std::string> blocked;
    for (auto& c : runs)
      for (auto& why : purge_blockers(db, c, purging))
        blocked.push_back(fmt::format("run {} ({}): {}", c.run.id.substr(0, 8), c.run.name, why));
    if (!blocked.empty())
      throw Error(ExitCode::conflict,
                  fmt::format("cannot purge deleted runs that are still referenced; nothing was purged:\n  {}",
                              fmt::join(blocked, "\n  ")),
                  "remove what refers to them first, or restore them with 'mlt run restore'; "
                  "--older-than purges only runs deleted longer ago");
    for (auto& c : runs) r.purged.push_back(c.run);
    if (o.dry_run) {
      store::Stmt q(db, "SELECT count(*) FROM metric_points WHERE run_id = ?1");
      for (auto& c : runs) {
        q.bind(1, c.id);
        q.step();
        r.metric_points_purged += static_cast<std::uint64_t>(q.int64(0));
        q.reset();
      }
    } else {
      r.metric_points_purged = purge_runs(db, runs);
      tx->commit();
      purging.clear();  // gone from the database: the roots no longer hold them
    }
  }

  auto& s = p.objects();
  auto cutoff = std::filesystem::file_time_type::clock::now() - o.grace;
  // Young objects are roots too: a concurrent writer may not have committed its reference yet,
  // and a young tree or manifest keeps old children it reused alive.
  DigestSet marked;
  std::vector<Digest> young;
  std::uint64_t total = 0;
  s.for_each([&](const Digest& d, const std::filesystem::path&, std::uint64_t, std::filesystem::file_time_type t) {
    ++total;
    if (t >= cutoff) young.push_back(d);
  });
  if (o.set_total) o.set_total(total);
  auto tick = [&] {
    if (o.progress) ++*o.progress;
  };
  Walker w{s, false, {}, {}, {}, {}};
  std::vector<std::string> damage;
  w.on_object = [&](const Digest& d, const std::string&, std::uint64_t) {
    marked.insert(d);
    tick();
  };
  w.on_damage = [&](const Digest& d, const std::string& why, const std::string& who) {
    damage.push_back(fmt::format("{} ({}): {}", d.str(), who, why));
  };
  for (auto& root : roots(db, purging)) w.root(root);
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
      else if (marked.insert(d).second) tick();
    } catch (const Error&) {
      if (marked.insert(d).second) tick();  // damaged and young: leave it for fsck
    }
  }
  std::vector<std::filesystem::path> doomed;
  s.for_each([&](const Digest& d, const std::filesystem::path& path, std::uint64_t size,
                 std::filesystem::file_time_type t) {
    if (marked.count(d) || t >= cutoff) {
      ++r.kept;
      r.kept_bytes += size;
      if (!referenced.count(d)) ++r.young;  // kept only for being young (or a young one's child)
      if (!marked.count(d)) tick();
      return;
    }
    ++r.removed;
    r.removed_bytes += size;
    doomed.push_back(path);
  });
  // A database that references nothing beside a store full of old objects is more likely the
  // wrong database (emptied, replaced, restored from the wrong backup) than a project whose
  // every object is garbage: deleting them would lose the project.
  if (!had_roots && r.removed > 0 && !o.force)
    throw Error(ExitCode::integrity,
                fmt::format("gc stopped before deleting anything: the database '{}' references no object, but the "
                            "store holds {} object{} ({} bytes) that gc would remove",
                            db.path(), r.removed, r.removed == 1 ? "" : "s", r.removed_bytes),
                "check that .mlt/mlt.db is this project's database (restore it from a backup if not); "
                "if every object really is garbage, run 'mlt gc --force'");
  // What could not be removed (a read-only store, say) is reported, not counted as removed.
  std::uint64_t failed = 0;
  std::string first_failure;
  int first_errno = 0;
  auto note_failure = [&](const std::filesystem::path& path, const std::error_code& ec) {
    if (failed++ == 0) {
      first_failure = fmt::format("'{}': {}", path.string(), ec.message());
      first_errno = ec.value();
    }
  };
  for (auto& path : doomed) {
    if (!o.dry_run) {
      std::error_code ec;
      if (!std::filesystem::remove(path, ec) && ec) {
        note_failure(path, ec);
        --r.removed;
        std::error_code sec;
        r.removed_bytes -= std::min<std::uint64_t>(r.removed_bytes, std::filesystem::file_size(path, sec));
      }
    }
    tick();
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(s.tmp_dir(), ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::error_code tec;
    if (it->last_write_time(tec) < cutoff) {
      if (o.dry_run) {
        ++r.temp_removed;
      } else if (std::filesystem::remove_all(it->path(), tec); !tec) {  // a killed run's capture folder too
        ++r.temp_removed;
      } else {
        note_failure(it->path(), tec);
      }
    }
  }
  if (failed > 0)
    throw Error(io_exit_code(first_errno, "cannot remove"),
                fmt::format("gc removed {} object{} but could not remove {} more file{}; the first: {}", r.removed,
                            r.removed == 1 ? "" : "s", failed, failed == 1 ? "" : "s", first_failure),
                io_hint(first_errno).empty() ? "check the permissions of .mlt/objects and .mlt/tmp" : io_hint(first_errno));
  if (!o.dry_run && !r.purged.empty()) {
    compact(db);
    r.vacuumed = true;
    r.database_bytes_after = database_bytes(db);
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
