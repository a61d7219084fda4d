// core/git: redact_url and git_state (against repositories made with the git command).
#include "core/git.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "base/child.hpp"
#include "temp_project.hpp"

using mlt::core::git_state;
using mlt::core::redact_url;
using mlt::test::TempDir;

namespace {

bool have_git() {
  std::string why;
  return mlt::core::find_executable("git", why).has_value();
}

// Runs a shell command in `dir` with git's identity, config and clock pinned; returns its stdout.
std::string git(const std::filesystem::path& dir, const std::string& args) {
  std::string cmd = "cd '" + dir.string() + "' && env HOME='" + dir.string() +
                    "' GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null"
                    " GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com"
                    " GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com"
                    " GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'"
                    " git " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  REQUIRE_MESSAGE(status == 0, "git " << args << ": " << out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A repository in `dir` with one commit of train.py on branch main.
void make_repo(const std::filesystem::path& dir) {
  git(dir, "init -q -b main .");
  mlt::test::write_file(dir / "train.py", "print('hello')\n");
  git(dir, "add train.py");
  git(dir, "commit -q -m first");
}

}  // namespace

TEST_CASE("redact_url removes credentials") {
  CHECK(redact_url("https://user:pass@github.com/o/r.git") == "https://github.com/o/r.git");
  CHECK(redact_url("https://ghp_token@github.com/o/r.git") == "https://github.com/o/r.git");
  CHECK(redact_url("https://user:p@ss@host.example/x") == "https://host.example/x");
  CHECK(redact_url("https://u:p@host:8443/x/y") == "https://host:8443/x/y");
  CHECK(redact_url("https://u:p@host") == "https://host");
  CHECK(redact_url("http://u:p@host/x?q=1") == "http://host/x?q=1");
}

TEST_CASE("redact_url leaves URLs without credentials alone") {
  CHECK(redact_url("git@github.com:o/r.git") == "git@github.com:o/r.git");
  CHECK(redact_url("https://github.com/o/r.git") == "https://github.com/o/r.git");
  CHECK(redact_url("https://host/path/with@at") == "https://host/path/with@at");
  CHECK(redact_url("file:///srv/git/r.git") == "file:///srv/git/r.git");
  CHECK(redact_url("/srv/git/r.git") == "/srv/git/r.git");
  CHECK(redact_url("") == "");
}

TEST_CASE("git_state outside a repository") {
  TempDir dir;
  auto g = git_state(dir.path());
  if (mlt::test::contains(g.why_not, "libgit2 unavailable")) {
    MESSAGE("skipped: " << g.why_not);
    return;
  }
  CHECK(g.state == std::nullopt);
  CHECK(g.why_not == "not a git repository");
}

TEST_CASE("git_state of a repository: commit, branch, remote, dirty") {
  if (!have_git()) {
    MESSAGE("skipped: git is not on PATH");
    return;
  }
  TempDir dir;
  make_repo(dir.path());
  auto g = git_state(dir.path());
  if (mlt::test::contains(g.why_not, "libgit2 unavailable")) {
    MESSAGE("skipped: " << g.why_not);
    return;
  }
  REQUIRE_MESSAGE(g.state, g.why_not);
  const auto head = git(dir.path(), "rev-parse HEAD");
  CHECK(head.size() == 40);
  CHECK(g.why_not == "");
  CHECK(g.state->commit == head);
  CHECK(g.state->branch == "main");
  CHECK(g.state->remote_url == "");
  CHECK_FALSE(g.state->dirty);
  CHECK(std::filesystem::equivalent(g.state->workdir, dir.path()));

  // From a subdirectory, the same repository.
  std::filesystem::create_directory(dir / "src");
  auto sub = git_state(dir / "src");
  REQUIRE(sub.state);
  CHECK(sub.state->commit == head);
  CHECK(std::filesystem::equivalent(sub.state->workdir, dir.path()));

  CHECK(g.state->untracked == 0);

  // Untracked files do not make the tree dirty; they are counted, ignored ones are not, and an
  // untracked folder counts once, as 'git status' shows it.
  mlt::test::write_file(dir / "notes.txt", "scratch\n");
  CHECK_FALSE(git_state(dir.path()).state->dirty);
  CHECK(git_state(dir.path()).state->untracked == 1);
  std::filesystem::create_directory(dir / "new");
  mlt::test::write_file(dir / "new" / "a.py", "a\n");
  mlt::test::write_file(dir / "new" / "b.py", "b\n");
  mlt::test::write_file(dir / "run.log", "log\n");
  mlt::test::write_file(dir / ".git" / "info" / "exclude", "*.log\n");
  CHECK(git_state(dir.path()).state->untracked == 2);
  std::filesystem::remove_all(dir / "new");

  // A change to a tracked file does.
  mlt::test::write_file(dir / "train.py", "print('changed')\n");
  CHECK(git_state(dir.path()).state->dirty);
  git(dir.path(), "checkout -q -- train.py");
  CHECK_FALSE(git_state(dir.path()).state->dirty);

  // So does a staged new file.
  git(dir.path(), "add notes.txt");
  CHECK(git_state(dir.path()).state->dirty);
  git(dir.path(), "commit -q -m notes");
  auto after = git_state(dir.path());
  REQUIRE(after.state);
  CHECK_FALSE(after.state->dirty);
  CHECK(after.state->commit == git(dir.path(), "rev-parse HEAD"));
  CHECK(after.state->commit != head);

  // The remote, credentials removed; origin is preferred over other remotes.
  git(dir.path(), "remote add backup https://backup.example/r.git");
  CHECK(git_state(dir.path()).state->remote_url == "https://backup.example/r.git");
  git(dir.path(), "remote add origin https://user:s3cret@git.example/team/r.git");
  CHECK(git_state(dir.path()).state->remote_url == "https://git.example/team/r.git");
}

TEST_CASE("git_state finds a worktree's .git file and stops at GIT_CEILING_DIRECTORIES") {
  if (!have_git()) {
    MESSAGE("skipped: git is not on PATH");
    return;
  }
  TempDir dir;
  std::filesystem::create_directory(dir / "main");
  make_repo(dir / "main");
  git(dir / "main", "worktree add -q ../wt");
  REQUIRE(std::filesystem::is_regular_file(dir / "wt" / ".git"));
  auto g = git_state(dir / "wt");
  if (mlt::test::contains(g.why_not, "libgit2 unavailable")) {
    MESSAGE("skipped: " << g.why_not);
    return;
  }
  REQUIRE_MESSAGE(g.state, g.why_not);
  CHECK(g.state->commit == git(dir / "main", "rev-parse HEAD"));

  std::filesystem::create_directories(dir / "main" / "a" / "b");
  CHECK(git_state(dir / "main" / "a" / "b").state);
  {
    mlt::test::ScopedEnv ceiling("GIT_CEILING_DIRECTORIES", (dir / "main" / "a").string());
    auto below = git_state(dir / "main" / "a" / "b");
    CHECK_FALSE(below.state);
    CHECK(below.why_not == "not a git repository");
    CHECK(git_state(dir / "main" / "a").state);   // the search does not go up into a ceiling
  }
  {
    // $GIT_DIR names the repository wherever mlt is started
    TempDir elsewhere;
    mlt::test::ScopedEnv git_dir("GIT_DIR", (dir / "main" / ".git").string());
    auto via_env = git_state(elsewhere.path(), false);
    REQUIRE_MESSAGE(via_env.state, via_env.why_not);
    CHECK(via_env.state->commit == git(dir / "main", "rev-parse HEAD"));
  }
}

TEST_CASE("git_state: a detached HEAD has no branch; an unborn branch has no commit") {
  if (!have_git()) {
    MESSAGE("skipped: git is not on PATH");
    return;
  }
  TempDir dir;
  git(dir.path(), "init -q -b trunk .");
  auto unborn = git_state(dir.path());
  if (mlt::test::contains(unborn.why_not, "libgit2 unavailable")) {
    MESSAGE("skipped: " << unborn.why_not);
    return;
  }
  REQUIRE_MESSAGE(unborn.state, unborn.why_not);
  CHECK(unborn.state->commit == "");
  CHECK(unborn.state->branch == "trunk");
  CHECK_FALSE(unborn.state->dirty);

  mlt::test::write_file(dir / "a.txt", "a\n");
  git(dir.path(), "add a.txt");
  git(dir.path(), "commit -q -m a");
  const auto head = git(dir.path(), "rev-parse HEAD");
  git(dir.path(), "checkout -q --detach");
  auto detached = git_state(dir.path());
  REQUIRE(detached.state);
  CHECK(detached.state->commit == head);
  CHECK(detached.state->branch == "");
}
