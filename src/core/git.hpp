// Git state of a working tree, read with libgit2. libgit2 is loaded with dlopen() on first use:
// its dependency tree costs ~1.5 ms of start-up that commands without git must not pay.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mlt::core {

struct GitState {
  std::string commit;       // 40 hex, empty on a branch without commits
  std::string branch;       // short name; empty when HEAD is detached
  std::string remote_url;   // 'origin' (else the first remote), credentials removed
  bool dirty = false;       // tracked files differ from HEAD (untracked files do not count)
  std::int64_t untracked = 0;   // untracked entries as 'git status' lists them (a new folder: one)
  std::string diff;         // when dirty: the patch from HEAD to the working tree (git diff HEAD)
  std::filesystem::path workdir;
};

struct GitLookup {
  std::optional<GitState> state;
  std::string why_not;      // set when state is empty: "not a git repository", "libgit2 unavailable: ..."
};

// `with_diff`: also the patch of a dirty tree (costly on large tracked changes). The repository is
// found as git finds it ($GIT_DIR, '.git' folders and files, $GIT_CEILING_DIRECTORIES), and
// libgit2 is loaded only when there is one.
GitLookup git_state(const std::filesystem::path& dir, bool with_diff = true);

// The commit a revision (hex, branch, tag, "HEAD", ...) names in the repository at or above
// `dir`; nullopt with `why_not` set when there is no repository or no such commit.
std::optional<std::string> git_resolve_commit(const std::filesystem::path& dir, const std::string& rev,
                                              std::string& why_not);

struct GitTag {
  std::string name;        // e.g. churn@v3.0.0, data/train/v2
  std::string target;      // a revision: commit hex or "HEAD"
  std::string message;
  std::string tagger_name, tagger_email;   // when git has no user.name/user.email configured
};
struct GitTagResult {
  bool created = false;
  bool in_repository = false;
  bool exists = false;     // a tag of that name exists already (it is left alone)
  std::string commit;      // the tagged commit
  std::string why_not;
};
// Creates an annotated tag; never replaces an existing one.
GitTagResult git_create_tag(const std::filesystem::path& dir, const GitTag& tag);

// https://user:token@host/x -> https://host/x (never store a credential)
std::string redact_url(const std::string& url);

}  // namespace mlt::core
