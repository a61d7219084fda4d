// Run artifacts: files and directories snapshotted into the object store as trees, one tree per
// run (runs.artifacts), and restored from it. Adds use the stat cache (file_cache) so unchanged
// files are not read again, hash and compress on every core, and make the new objects durable
// once (one syncfs) before the database row that references them is committed.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/artifacts/tree.hpp"
#include "core/project.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::core {

struct AddStats {
  std::uint64_t files = 0, dirs = 0, links = 0, skipped = 0;
  std::uint64_t followed = 0;     // symlinks stored as what they point to
  std::uint64_t bytes = 0;        // logical bytes of the files added
  std::uint64_t hashed = 0;       // bytes actually read (not served by the stat cache)
  std::uint64_t new_bytes = 0;    // bytes of new object files
};

struct AddOptions {
  std::atomic<std::uint64_t>* progress = nullptr;                 // bytes read so far
  std::function<void(const std::string&)> warn;                   // skipped special files etc.
  // Hash only: nothing is written to the store (the stat cache is still consulted and updated),
  // and every file and link is reported to `listing` with its path below the source.
  bool dry_run = false;
  std::vector<std::pair<std::string, TreeEntry>>* listing = nullptr;
  bool keep_links = false;   // store every symlink below the source as a link (--keep-links)
};

// Snapshots a file or directory into the store. The source itself is followed when it is a
// symlink. Below it, a relative symlink that resolves inside the source (see resolve_link) is
// kept as a link; any other link is stored as what it points to, as `cp -rL` would, and so is
// every link below a folder reached that way. A dangling link (exit 2) and a link leading to a
// folder that contains it (exit 2) fail the add. `keep_links` stores every link as a link.
// Durability is the caller's: call project.objects().sync() before committing references.
TreeEntry snapshot(Project& p, const std::filesystem::path& src, AddStats& stats, const AddOptions& opt);

// `mlt log artifact`: adds each source at DEST (or its base name) in the run's tree. With
// several sources, DEST is a directory holding them. Returns the new root.
store::Digest log_artifacts(Project& p, const RunRef& run, const std::vector<std::filesystem::path>& sources,
                            const std::optional<std::string>& dest, AddStats& stats, const AddOptions& opt);

// Sets each path of the run's artifact tree to its entry and commits the new root; when another
// process changed the root meanwhile, rebuilds from the new one. `check` sees the current root
// first (it may throw, e.g. to refuse replacing something); `also` runs inside the committing
// transaction with the new root (rows that must land together with the tree).
store::Digest commit_artifacts(Project& p, const RunRef& run, const std::vector<std::pair<std::string, TreeEntry>>& placed,
                               const std::function<void(const std::optional<store::Digest>&)>& check = {},
                               const std::function<void(const store::Digest&)>& also = {});

std::optional<store::Digest> artifact_root(store::Db& db, const RunRef& run);
// The entry at PATH ("" for the root) of the run's artifacts; exit 4 when it does not exist.
TreeEntry artifact_entry(Project& p, const RunRef& run, const std::string& path);

struct RestoreOptions {
  bool force = false;   // replace existing files
  std::atomic<std::uint64_t>* progress = nullptr;
  std::function<void(const std::string&)> warn;
  // Files written with this content instead of the stored one, by path below the restored entry
  // (model get without digests writes its MLmodel so).
  std::map<std::string, std::string> content;
  // Called after each file or link is in place, with its path below the restored entry (a test
  // seam: a test changes the destination between two writes).
  std::function<void(const std::string&)> after_write;
};
struct RestoreStats {
  std::uint64_t files = 0, links = 0;
  std::uint64_t skipped = 0;   // links not created (each reported through `warn`)
};
// Writes an entry (file, directory or link) at `dest`, every byte verified first: a file is
// written to a temporary name and renamed into place only when its digest checked out; a new
// directory is built under a temporary name and renamed at the end. The destination's parent is
// opened once and everything below is reached through directory fds without following a link
// (store/dir_fd.hpp), so swapping a folder for a symlink meanwhile sends nothing elsewhere.
// A link is created only when it resolves inside the restored entry (resolve_link); the others
// are skipped, counted and reported through `warn`. Existing files: exit 5 unless `force`.
RestoreStats restore(Project& p, const TreeEntry& entry, const std::filesystem::path& dest, const RestoreOptions& opt);
// Writes `items` (paths below `root`, a directory entry) into the existing folder `dest`, which
// stands for `root`: missing folders are created, existing files replaced (as `force`), links
// judged against `root`. The data checkout of changed files.
RestoreStats restore_below(Project& p, const TreeEntry& root, const std::vector<std::pair<std::string, TreeEntry>>& items,
                           const std::filesystem::path& dest, const RestoreOptions& opt);

// A run's artifact as a URI: runs:/RUN/PATH -> {RUN, PATH}; nullopt when `s` is not one.
std::optional<std::pair<std::string, std::string>> parse_runs_uri(const std::string& s);

}  // namespace mlt::core
