// Helpers shared by the libFuzzer targets in this folder (one target per fuzz_<name>.cpp).
//
// The contract every target checks: mlt code given any bytes either returns or throws
// mlt::Error (a clean rejection, exit code and message). Any other exception escaping, a crash,
// a sanitizer report, or a broken property (finding()) is a defect to report.
#pragma once
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace mlt::fuzz {

// A broken property: print what and stop the fuzzer with a crash it records.
[[noreturn]] inline void finding(std::string_view what) {
  std::fprintf(stderr, "\nmlt fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  __builtin_trap();
}


inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits on '\n' (the last piece may be empty).
inline std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// A private scratch directory for the life of the process (removed at exit), for targets whose
// code under test reads files or needs a project. Under /dev/shm when it exists: fast.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::string base = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    // a crash skips the atexit handler: first remove what crashed processes left behind
    for (auto& e : std::filesystem::directory_iterator(base, ec)) {
      std::string name = e.path().filename().string();
      if (!name.starts_with("mlt-fuzz-")) continue;
      long pid = std::strtol(name.c_str() + 9, nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove_all(e.path(), ec);
    }
    std::string tmpl = base + "/mlt-fuzz-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    std::atexit([] {
      std::error_code ec2;
      std::filesystem::remove_all(scratch_dir(), ec2);
    });
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

// Clears the MLT_* variables that change where and how core/ works (as tests/unit does), so a
// fuzzer run does not depend on the caller's environment; HOME and XDG_CONFIG_HOME point into the
// scratch directory so that no user settings file is read.
inline void pin_environment() {
  std::vector<std::string> names;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).starts_with("MLT_") && !std::string_view(*e).starts_with("MLT_FUZZ_"))
      names.emplace_back(*e, std::string_view(*e).find('='));
  for (auto& n : names) ::unsetenv(n.c_str());
  std::filesystem::create_directories(scratch_dir() / "home");
  ::setenv("HOME", (scratch_dir() / "home").c_str(), 1);
  ::setenv("XDG_CONFIG_HOME", (scratch_dir() / "home" / ".config").c_str(), 1);
  ::setenv("TZ", "UTC", 1);
}

}  // namespace mlt::fuzz
