// Test fixtures for the unit tests:
//  - ScopedEnv sets or unsets one environment variable for a scope (MLT_NOW_MS pins the clock).
//  - TempDir is a fresh directory from mkdtemp(3), removed at the end of the scope unless the test
//    failed: then it is kept and its path printed on stderr, to look at what the test left behind.
//  - TempProject is a TempDir holding a project made by core::Project::init, opened, with the
//    MLT_* variables that change where and how core/ works unset for its lifetime (make the
//    TempProject first, then the ScopedEnv that pins MLT_NOW_MS or sets MLT_RUN_ID).
// "The test failed" means that a doctest assertion failed (counted by a listener registered in
// temp_project.cpp; tests marked may_fail, known bugs, do not count) or that an exception is
// unwinding the test since the fixture was made.
#pragma once
#include <filesystem>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "core/project.hpp"
#include "store/db.hpp"

namespace mlt::test {

namespace fs = std::filesystem;

// Assertions that failed so far in this run of mlt_unit, outside tests marked may_fail.
int failed_assertions();

class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value);   // nullopt: unset
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  void set(const std::optional<std::string>& value);              // change it within the scope

 private:
  std::string name_;
  std::optional<std::string> saved_;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& p) const { return path_ / p; }

 private:
  fs::path path_;
  int failed_at_start_;
  int uncaught_at_start_;
};

class TempProject {
 public:
  TempProject();
  ~TempProject();
  core::Project& project() { return *project_; }
  store::Db& db() { return project_->db(); }
  const fs::path& root() const { return dir_.path(); }

 private:
  TempDir dir_;                           // destroyed last: after the database is closed
  std::vector<std::unique_ptr<ScopedEnv>> env_;
  std::optional<core::Project> project_;
};

// Writes `text` to `path` (a test's input file).
void write_file(const fs::path& path, const std::string& text);
// The whole content of a file.
std::string slurp(const fs::path& path);
// n pseudo-random bytes, the same for the same seed on every platform (splitmix64).
std::string random_text(std::size_t n, std::uint64_t seed);

// The mlt::Error that f() throws, or nullopt when it returns normally. Other exceptions pass.
template <typename F>
std::optional<Error> thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace mlt::test
