// Store maintenance: fsck (is everything the database references present and intact), gc (remove
// objects nothing references, after a grace period), du (logical vs stored bytes).
#pragma once
#include <chrono>
#include <cstdint>
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
  std::string database;      // "ok" or SQLite's report
  std::vector<Damage> damage;
};

// Fast: every referenced object exists with a valid header and size, trees and manifests parse.
// Full: every object is read back and re-hashed, and the database gets integrity_check.
FsckReport fsck(Project& p, bool full);

struct GcReport {
  std::uint64_t kept = 0, kept_bytes = 0;
  std::uint64_t removed = 0, removed_bytes = 0;
  std::uint64_t young = 0;   // unreferenced but younger than the grace period
  std::uint64_t temp_removed = 0;
};

// Marks from every reference in the database and from every young object (a concurrent writer's
// work in progress), then removes unreferenced objects older than `grace` (unless `dry_run`).
// Refuses (exit 6) when a referenced tree cannot be read: nothing is deleted then.
GcReport gc(Project& p, std::chrono::seconds grace, bool dry_run);

struct DuReport {
  std::uint64_t logical = 0;        // bytes of every referenced file, counted once per reference
  std::uint64_t unique = 0;         // bytes of distinct file contents
  std::uint64_t stored = 0;         // bytes of the object files they need
  std::uint64_t unreferenced = 0;   // bytes of object files nothing references (gc removes them)
  std::uint64_t objects = 0;
};
DuReport du(Project& p);

// "14d", "12h", "30m", "45s", "2w", "0" -> seconds; exit 2 otherwise.
std::chrono::seconds parse_duration(const std::string& s);

}  // namespace mlt::core
