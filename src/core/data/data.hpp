// Data versions: a file or directory of the project snapshotted into the object store (chunked,
// deduplicated), numbered per dataset, tied to the git commit it was made at by an annotated tag
// (prefix from data.tag_prefix, default "data/": data/NAME/vN), and recorded as runs' inputs.
// References: NAME@vN, NAME@latest (or NAME), NAME@sha256:HEXPREFIX.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/artifacts/artifacts.hpp"
#include "core/artifacts/tree.hpp"
#include "core/project.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::core {

struct DataVersion {
  std::int64_t id = 0;
  std::string dataset;
  std::int64_t version = 0;
  bool is_dir = false;
  store::Digest digest;          // the file's SHA-256, or the directory's tree digest
  std::uint32_t mode = 0644;
  std::int64_t files = 0, bytes = 0;
  std::string source, message, user;
  std::int64_t created_ms = 0;
  std::optional<std::string> git_commit, git_tag;
  bool git_dirty = false;
  std::string ref() const { return dataset + "@v" + std::to_string(version); }
  TreeEntry entry() const;       // as a tree entry named after the source's base name
};

void check_dataset_name(const std::string& name);   // exit 2

struct DataAddSpec {
  std::filesystem::path path;
  std::string name;               // empty: the path's base name
  std::string message;
  bool git_tag = true;
};
struct DataAddResult {
  DataVersion version;
  bool created = false;           // false: the content equals the latest version's
  std::vector<std::string> notes; // git tag made, no repository, ...
  std::vector<std::string> warnings;
};
DataAddResult add_data(Project& p, const DataAddSpec& spec, AddStats& stats, const AddOptions& opt);

struct DatasetSummary {
  std::string name;
  std::int64_t versions = 0;
  DataVersion latest;
};
std::vector<DatasetSummary> list_datasets(store::Db& db);
// Versions of NAME (newest first); every dataset's when NAME is empty; only those made at
// `commit` (40 hex) when given. Unknown NAME: exit 4.
std::vector<DataVersion> list_data_versions(store::Db& db, const std::string& name,
                                            const std::optional<std::string>& commit = std::nullopt);
DataVersion resolve_data_ref(store::Db& db, const std::string& ref);   // exit 4 / 2

struct FileChange {
  enum class Kind { added, removed, modified } kind;
  std::string path;
  std::uint64_t old_size = 0, new_size = 0;
  std::optional<std::int64_t> rows_added, rows_removed;   // CSV/TSV files
};
// Differences between two entries (files or directories) in the store; with `rows`, modified
// .csv/.tsv files also get the number of rows added and removed (as multisets of lines).
std::vector<FileChange> diff_entries(Project& p, const TreeEntry& a, const TreeEntry& b, bool rows);

struct CheckoutResult {
  std::uint64_t written = 0, unchanged = 0, bytes = 0;
  std::vector<std::string> extra;  // files at the destination that the version does not have
  std::uint64_t skipped = 0;       // links not created (see `warn`)
};
// Restores a version at `dest` (default: its source path), every byte verified. Files that
// differ from the version are refused (exit 5, listing them) unless `force`; equal files are
// left untouched; files the version lacks are left alone and listed.
// Links are created only when they lead to an entry of the version; the others are counted in
// `skipped` and reported through `warn`.
CheckoutResult checkout_data(Project& p, const DataVersion& v, const std::filesystem::path& dest, bool force,
                             std::atomic<std::uint64_t>* progress = nullptr,
                             const std::function<void(const std::string&)>& warn = {});

struct DataStatus {
  DataVersion latest;
  bool missing = false;             // the source path does not exist
  std::vector<FileChange> changes;  // the working copy against the latest version
};
// NAME empty: every dataset. Uses the stat cache, so unchanged files are not read.
std::vector<DataStatus> data_status(Project& p, const std::string& name);

// Records that a run used a data version (idempotent per context).
void log_input(store::Db& db, const RunRef& run, const DataVersion& v, const std::string& context);

}  // namespace mlt::core
