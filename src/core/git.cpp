#include "core/git.hpp"

#include <dlfcn.h>
#include <git2.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <fmt/format.h>

namespace mlt::core {
namespace {

#define MLT_GIT_FUNCTIONS(X)                                                                        \
  X(git_libgit2_init) X(git_error_last) X(git_repository_open_ext) X(git_repository_free)          \
  X(git_repository_head) X(git_repository_head_unborn) X(git_repository_workdir)                   \
  X(git_repository_is_bare) X(git_reference_lookup) X(git_reference_symbolic_target)               \
  X(git_reference_free) X(git_reference_shorthand) X(git_reference_target)                         \
  X(git_reference_is_branch) X(git_oid_tostr_s) X(git_remote_lookup) X(git_remote_url)              \
  X(git_remote_free) X(git_remote_list) X(git_strarray_dispose) X(git_status_options_init)          \
  X(git_status_list_new) X(git_status_list_entrycount) X(git_status_list_free) X(git_status_byindex)                     \
  X(git_reference_peel) X(git_object_free) X(git_diff_options_init)                                \
  X(git_diff_tree_to_workdir_with_index) X(git_diff_to_buf) X(git_diff_free) X(git_buf_dispose)     \
  X(git_revparse_single) X(git_object_peel) X(git_object_id) X(git_signature_default)              \
  X(git_signature_now) X(git_signature_free) X(git_tag_create)

struct GitApi {
#define MLT_DECLARE(f) decltype(&::f) f = nullptr;
  MLT_GIT_FUNCTIONS(MLT_DECLARE)
#undef MLT_DECLARE
  std::string error;  // why loading failed
};

const GitApi& api() {
  static GitApi a;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* soname = "libgit2.so." LIBGIT2_SOVERSION;
    void* h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      a.error = fmt::format("libgit2 unavailable ({})", dlerror());
      return;
    }
#define MLT_LOAD(f)                                              \
  a.f = reinterpret_cast<decltype(&::f)>(dlsym(h, #f));          \
  if (!a.f) {                                                    \
    a.error = fmt::format("libgit2 unavailable (no symbol {})", #f); \
    return;                                                      \
  }
    MLT_GIT_FUNCTIONS(MLT_LOAD)
#undef MLT_LOAD
    a.git_libgit2_init();
  });
  return a;
}


std::string last_error(const GitApi& g, const char* fallback) {
  const git_error* e = g.git_error_last();   // may be NULL on libgit2 1.5
  return e && e->message ? e->message : fallback;
}

bool path_exists(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// The directories in $GIT_CEILING_DIRECTORIES: the search for a repository does not go up into
// one of them (it still looks in the directory it starts from).
std::vector<std::filesystem::path> ceiling_dirs() {
  std::vector<std::filesystem::path> out;
  const char* env = std::getenv("GIT_CEILING_DIRECTORIES");
  if (!env) return out;
  std::string_view v(env);
  while (!v.empty()) {
    auto colon = v.find(':');
    auto part = v.substr(0, colon);
    if (!part.empty()) out.emplace_back(std::filesystem::path(part).lexically_normal());
    if (colon == std::string_view::npos) break;
    v.remove_prefix(colon + 1);
  }
  for (auto& d : out)
    if (d.native().size() > 1 && d.native().back() == '/') d = d.parent_path();
  return out;
}

// Opens the repository at or above `dir` the way git finds one: $GIT_DIR when set, else the
// nearest '.git' (a folder, or a file 'gitdir: ...' of a worktree or submodule) or repository
// folder, not going up into a $GIT_CEILING_DIRECTORIES entry. Loading libgit2 and its search
// cost ~30 ms, so a few stat() calls first rule out the common case of no repository at all.
// Returns 0, or libgit2's error code; `why_not` says "not a git repository" or why libgit2
// cannot be used.
int open_repo(const std::filesystem::path& dir, git_repository** out, std::string& why_not) {
  const char* git_dir = std::getenv("GIT_DIR");
  bool from_env = git_dir && *git_dir;
  std::string ceilings;
  bool found_by_stat = false;
  if (!from_env) {
    auto ceil = ceiling_dirs();
    for (auto& c : ceil) ceilings += (ceilings.empty() ? "" : ":") + c.string();
    auto p = std::filesystem::absolute(dir).lexically_normal();
    if (p.native().size() > 1 && p.native().back() == '/') p = p.parent_path();
    while (true) {
      if (path_exists(p / ".git") || (path_exists(p / "HEAD") && path_exists(p / "objects") && path_exists(p / "refs"))) {
        found_by_stat = true;
        break;
      }
      auto parent = p.parent_path();
      if (parent == p || std::find(ceil.begin(), ceil.end(), parent) != ceil.end()) break;
      p = parent;
    }
    if (!found_by_stat) {
      why_not = "not a git repository";
      return GIT_ENOTFOUND;
    }
  }
  const GitApi& g = api();
  if (!g.error.empty()) {
    why_not = g.error;
    return GIT_ERROR;
  }
  int rc = from_env ? g.git_repository_open_ext(out, nullptr, GIT_REPOSITORY_OPEN_FROM_ENV, nullptr)
                    : g.git_repository_open_ext(out, dir.c_str(), 0, ceilings.empty() ? nullptr : ceilings.c_str());
  if (rc != 0) {
    // the search above found a repository: say why libgit2 refused it (e.g. its owner check)
    const git_error* e = found_by_stat ? g.git_error_last() : nullptr;
    why_not = e && e->message ? fmt::format("cannot open the git repository: {}", e->message) : "not a git repository";
  }
  return rc;
}

struct Repo {
  const GitApi& g;
  git_repository* r = nullptr;
  ~Repo() {
    if (r) g.git_repository_free(r);
  }
};

// The commit `rev` names in `repo`, or nullopt.
std::optional<std::string> peel_commit(const GitApi& g, git_repository* repo, const std::string& rev,
                                       git_object** keep = nullptr) {
  git_object* obj = nullptr;
  if (g.git_revparse_single(&obj, repo, rev.c_str()) != 0) return std::nullopt;
  git_object* commit = nullptr;
  int rc = g.git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
  g.git_object_free(obj);
  if (rc != 0) return std::nullopt;
  std::string hex = g.git_oid_tostr_s(g.git_object_id(commit));
  if (keep) *keep = commit;
  else g.git_object_free(commit);
  return hex;
}

}  // namespace

std::optional<std::string> git_resolve_commit(const std::filesystem::path& dir, const std::string& rev,
                                              std::string& why_not) {
  git_repository* r = nullptr;
  if (open_repo(dir, &r, why_not) != 0) return std::nullopt;
  const GitApi& g = api();
  Repo repo{g, r};
  auto hex = peel_commit(g, repo.r, rev);
  if (!hex) why_not = fmt::format("no commit '{}' in the repository", rev);
  return hex;
}

GitTagResult git_create_tag(const std::filesystem::path& dir, const GitTag& tag) {
  GitTagResult res;
  git_repository* r = nullptr;
  if (open_repo(dir, &r, res.why_not) != 0) return res;
  const GitApi& g = api();
  Repo repo{g, r};
  res.in_repository = true;
  git_object* target = nullptr;
  auto hex = peel_commit(g, repo.r, tag.target, &target);
  if (!hex) {
    res.why_not = tag.target == "HEAD" ? "the repository has no commit yet (HEAD does not exist)"
                                       : fmt::format("commit {} is not in the repository", tag.target);
    return res;
  }
  git_signature* sig = nullptr;
  if (g.git_signature_default(&sig, repo.r) != 0 &&
      g.git_signature_now(&sig, tag.tagger_name.c_str(), tag.tagger_email.c_str()) != 0) {
    g.git_object_free(target);
    res.why_not = fmt::format("cannot make a tagger signature: {}", last_error(g, "unknown error"));
    return res;
  }
  git_oid oid;
  int rc = g.git_tag_create(&oid, repo.r, tag.name.c_str(), target, sig, tag.message.c_str(), 0);
  g.git_signature_free(sig);
  g.git_object_free(target);
  if (rc == GIT_EEXISTS) {
    res.exists = true;
    res.why_not = fmt::format("tag '{}' exists already", tag.name);
    return res;
  }
  if (rc != 0) {
    res.why_not = fmt::format("cannot create tag '{}': {}", tag.name, last_error(g, "unknown error"));
    return res;
  }
  res.created = true;
  res.commit = *hex;
  return res;
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto host_start = scheme + 3;
  auto slash = url.find('/', host_start);
  auto at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at == std::string::npos || at < host_start) return url;
  std::string userinfo = url.substr(host_start, at - host_start);
  bool http = url.starts_with("http://") || url.starts_with("https://");
  // https puts tokens in the user name too; elsewhere (ssh://git@host) the user name is not secret
  if (http) return url.substr(0, host_start) + url.substr(at + 1);
  auto colon = userinfo.find(':');
  if (colon == std::string::npos) return url;
  return url.substr(0, host_start) + userinfo.substr(0, colon) + url.substr(at);
}

GitLookup git_state(const std::filesystem::path& dir, bool with_diff) {
  git_repository* repo = nullptr;
  std::string why_not;
  if (open_repo(dir, &repo, why_not) != 0) return {std::nullopt, why_not};
  const GitApi& g = api();
  struct RepoGuard {
    const GitApi& g;
    git_repository* r;
    ~RepoGuard() { g.git_repository_free(r); }
  } guard{g, repo};
  if (g.git_repository_is_bare(repo)) return {std::nullopt, "bare git repository"};

  GitState st;
  if (const char* wd = g.git_repository_workdir(repo)) st.workdir = wd;
  if (g.git_repository_head_unborn(repo) == 1) {
    git_reference* head = nullptr;
    if (g.git_reference_lookup(&head, repo, "HEAD") == 0) {
      if (const char* target = g.git_reference_symbolic_target(head)) {
        std::string t = target;
        st.branch = t.starts_with("refs/heads/") ? t.substr(11) : t;
      }
      g.git_reference_free(head);
    }
  } else {
    git_reference* head = nullptr;
    if (g.git_repository_head(&head, repo) == 0) {
      if (const git_oid* oid = g.git_reference_target(head)) st.commit = g.git_oid_tostr_s(oid);
      if (g.git_reference_is_branch(head)) st.branch = g.git_reference_shorthand(head);
      g.git_reference_free(head);
    }
  }
  git_remote* remote = nullptr;
  if (g.git_remote_lookup(&remote, repo, "origin") != 0) {
    remote = nullptr;
    git_strarray names{};
    if (g.git_remote_list(&names, repo) == 0) {
      if (names.count > 0 && g.git_remote_lookup(&remote, repo, names.strings[0]) != 0) remote = nullptr;
      g.git_strarray_dispose(&names);
    }
  }
  if (remote) {
    if (const char* url = g.git_remote_url(remote)) st.remote_url = redact_url(url);
    g.git_remote_free(remote);
  }
  git_status_options opts;
  g.git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  // Untracked files are listed as 'git status' shows them (an untracked folder is one entry, what
  // .gitignore and .git/info/exclude name is left out) and counted apart from the changes.
  opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES | GIT_STATUS_OPT_INCLUDE_UNTRACKED;
  git_status_list* list = nullptr;
  if (g.git_status_list_new(&list, repo, &opts) == 0) {
    std::size_t n = g.git_status_list_entrycount(list);
    for (std::size_t i = 0; i < n; ++i) {
      const git_status_entry* e = g.git_status_byindex(list, i);
      if (!e) continue;
      if (e->status == GIT_STATUS_WT_NEW) {
        // mlt's own folder is not the user's untracked work (projects made before 'mlt init'
        // wrote .mlt/.gitignore list it as an untracked folder)
        const char* path = e->index_to_workdir ? e->index_to_workdir->new_file.path : nullptr;
        std::string_view pv = path ? path : "";
        bool mlt_dir = pv == ".mlt/" || (pv.size() > 6 && pv.substr(pv.size() - 6) == "/.mlt/");
        if (!mlt_dir) ++st.untracked;
      } else {
        st.dirty = true;
      }
    }
    g.git_status_list_free(list);
  }
  if (st.dirty && with_diff) {
    // the patch from HEAD (or nothing, before the first commit) to the working tree
    git_tree* head_tree = nullptr;
    git_reference* head = nullptr;
    if (g.git_repository_head(&head, repo) == 0) {
      git_object* obj = nullptr;
      if (g.git_reference_peel(&obj, head, GIT_OBJECT_TREE) == 0) head_tree = reinterpret_cast<git_tree*>(obj);
      g.git_reference_free(head);
    }
    git_diff_options dopts;
    g.git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
    dopts.flags = GIT_DIFF_IGNORE_SUBMODULES;
    git_diff* diff = nullptr;
    if (g.git_diff_tree_to_workdir_with_index(&diff, repo, head_tree, &dopts) == 0) {
      git_buf buf{};
      if (g.git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH) == 0 && buf.ptr) st.diff.assign(buf.ptr, buf.size);
      g.git_buf_dispose(&buf);
      g.git_diff_free(diff);
    }
    if (head_tree) g.git_object_free(reinterpret_cast<git_object*>(head_tree));
  }
  return {st, {}};
}

}  // namespace mlt::core
