// The fixtures of temp_project.hpp, and the doctest listener that counts failed assertions.
#include "temp_project.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include <doctest/doctest.h>

namespace mlt::test {
namespace {

std::atomic<int> g_failed{0};
std::atomic<bool> g_failure_expected{false};

// Listeners see every failed assertion (and, with --success, the passing ones too). Failures in a
// test marked may_fail/should_fail (a known, reported bug) keep the run green, so they keep no
// directory either: only unexpected failures count.
struct FailureCounter : doctest::IReporter {
  explicit FailureCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    g_failure_expected = tc.m_may_fail || tc.m_should_fail || tc.m_expected_failures > 0;
  }
  void test_case_reenter(const doctest::TestCaseData& tc) override { test_case_start(tc); }
  void test_case_end(const doctest::CurrentTestCaseStats&) override { g_failure_expected = false; }
  void test_case_exception(const doctest::TestCaseException&) override { count(); }
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& ad) override {
    if (ad.m_failed) count();
  }
  static void count() {
    if (!g_failure_expected) ++g_failed;
  }
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace
}  // namespace mlt::test

DOCTEST_REGISTER_LISTENER("mlt-failure-counter", 1, mlt::test::FailureCounter);

namespace mlt::test {

int failed_assertions() { return g_failed.load(); }

ScopedEnv::ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) saved_ = old;
  set(value);
}

ScopedEnv::~ScopedEnv() {
  if (saved_) ::setenv(name_.c_str(), saved_->c_str(), 1);
  else ::unsetenv(name_.c_str());
}

void ScopedEnv::set(const std::optional<std::string>& value) {
  if (value) ::setenv(name_.c_str(), value->c_str(), 1);
  else ::unsetenv(name_.c_str());
}

TempDir::TempDir() : failed_at_start_(failed_assertions()), uncaught_at_start_(std::uncaught_exceptions()) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = (fs::path(tmp && *tmp ? tmp : "/tmp") / "mlt-unit-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  // Canonical, so that paths compare equal to what libraries (libgit2, realpath) report.
  path_ = fs::canonical(tmpl);
}

TempDir::~TempDir() {
  if (failed_assertions() > failed_at_start_ || std::uncaught_exceptions() > uncaught_at_start_) {
    std::cerr << "mlt_unit: test failed, kept its directory " << path_.string() << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TempProject::TempProject() {
  for (const char* name : {"MLT_DIR", "MLT_RUN_ID", "MLT_EXPERIMENT", "MLT_NOW_MS", "MLT_LOCK_TIMEOUT"})
    env_.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
  core::Project::init(dir_.path());
  project_.emplace(core::Project::open(dir_.path()));
}

TempProject::~TempProject() { project_.reset(); }

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string random_text(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<std::size_t>(8, n - i));
  }
  return out;
}

}  // namespace mlt::test
