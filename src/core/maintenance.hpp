// Store maintenance: fsck (is everything the database references present and intact), gc (remove
// objects nothing references, after a grace period; purge deleted runs), du (logical vs stored
// bytes).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/project.hpp"

namespace mlt::core {

struct Damage {
  std::string object;        // sha256:...
  std::string problem;
  std::string referenced_by; // e.g. "run 3f2a9c1b (bold-fox) artifact 'model/weights.bin'"
};

struct FsckReport {
  std::uint64_t objects_checked = 0, bytes_checked = 0;
  std::uint64_t unreferenced_checked = 0;             // full only: objects nothing references, re-hashed too
  std::uint64_t temporary_files = 0, temporary_bytes = 0;  // left in .mlt/tmp (information, not damage)
  std::string database;      // "ok" or SQLite's report
  std::vector<Damage> damage;
};

// Fast: every referenced object exists with a valid header and size, trees and manifests parse.
// Full: every object in the store, referenced or not, is read back and re-hashed (a damaged
// unreferenced object would otherwise be taken as present by the next add of the same content),
// and the database gets integrity_check. Both count what interrupted commands left in .mlt/tmp.
// `progress`, when given, counts the stored bytes re-hashed so far (full only); `set_total` is
// told how many there are to re-hash once that is known.
FsckReport fsck(Project& p, bool full, std::atomic<std::uint64_t>* progress = nullptr,
                const std::function<void(std::uint64_t)>& set_total = {});

struct GcOptions {
  std::chrono::seconds grace{14 * 86400};
  bool dry_run = false;
  bool force = false;            // remove objects even when the database references none at all
  bool purge_deleted = false;    // first remove deleted runs and everything that is only theirs
  std::optional<std::chrono::seconds> older_than;   // purge only runs deleted longer ago than this
  std::atomic<std::uint64_t>* progress = nullptr;  // objects examined so far (marked, then swept)
  std::function<void(std::uint64_t)> set_total;     // ... of this many, once known
};

struct PurgedRun {
  std::string id, name;
  std::optional<std::int64_t> deleted_ms;   // when it was deleted (NULL for runs deleted before v1 kept it)
};

struct GcReport {
  std::uint64_t kept = 0, kept_bytes = 0;
  std::uint64_t removed = 0, removed_bytes = 0;
  std::uint64_t young = 0;   // unreferenced but younger than the grace period
  std::uint64_t temp_removed = 0;
  std::vector<PurgedRun> purged;             // deleted runs purged (or that would be)
  std::uint64_t metric_points_purged = 0;    // their metric points
  bool vacuumed = false;                     // the database was compacted after a purge
  std::uint64_t database_bytes_before = 0, database_bytes_after = 0;   // pages in use x page size
};

// Checks the database first (quick_check; exit 6 when it fails). With purge_deleted, removes the
// runs whose lifecycle is 'deleted' (deleted longer than older_than ago: by deleted_ms, or when a
// run has none, its end or start time) with their params, tags, metrics, inputs, model packages
// and every other row that refers to them, refusing (exit 5, nothing removed) while one is still
// referenced by a registry version, a deployment or a run that is not purged with it (its child);
// then compacts the database (VACUUM, or incremental_vacuum when auto_vacuum is incremental).
// Marks from every reference in the database and from every young object (a concurrent writer's
// work in progress), then removes unreferenced objects older than `grace` (unless `dry_run`).
// Refuses (exit 6) when a referenced tree cannot be read, or, unless `force`, when the database
// references no object at all but the store holds objects gc would remove (a wrong or emptied
// database): nothing is deleted then. dry_run changes nothing and reports what would happen.
GcReport gc(Project& p, const GcOptions& o);
inline GcReport gc(Project& p, std::chrono::seconds grace, bool dry_run) {
  GcOptions o;
  o.grace = grace;
  o.dry_run = dry_run;
  return gc(p, o);
}

struct DuReport {
  std::uint64_t logical = 0;        // bytes of every referenced file, counted once per reference
  std::uint64_t unique = 0;         // bytes of distinct file contents
  std::uint64_t stored = 0;         // bytes of the object files they need
  std::uint64_t unreferenced = 0;   // bytes of object files nothing references (gc removes them)
  std::uint64_t objects = 0;
};
DuReport du(Project& p);

}  // namespace mlt::core
