// Git state of a working tree, read with libgit2. libgit2 is loaded with dlopen() on first use:
// its dependency tree costs ~1.5 ms of start-up that commands without git must not pay.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace mlt::core {

struct GitState {
  std::string commit;       // 40 hex, empty on a branch without commits
  std::string branch;       // short name; empty when HEAD is detached
  std::string remote_url;   // 'origin' (else the first remote), credentials removed
  bool dirty = false;       // tracked files differ from HEAD (untracked files do not count)
  std::string diff;         // when dirty: the patch from HEAD to the working tree (git diff HEAD)
  std::filesystem::path workdir;
};

struct GitLookup {
  std::optional<GitState> state;
  std::string why_not;      // set when state is empty: "not a git repository", "libgit2 unavailable: ..."
};

GitLookup git_state(const std::filesystem::path& dir);

// https://user:token@host/x -> https://host/x (never store a credential)
std::string redact_url(const std::string& url);

}  // namespace mlt::core
