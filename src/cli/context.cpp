#include "cli/context.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace mlt::cli {

int Context::run() {
  if (needs_ == Needs::project) project_.emplace(core::Project::open(cwd()));
  if (needs_ == Needs::optional_project) {
    try {
      project_.emplace(core::Project::open(cwd()));
    } catch (const Error& e) {
      if (e.code() != ExitCode::no_project) throw;
    }
  }
  return action_();
}

std::filesystem::path Context::cwd() const { return std::filesystem::current_path(); }

bool Context::color() const {
  if (global.json || global.color == "never") return false;
  if (global.color == "always") return true;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

void Context::note(const std::string& msg) const {
  if (global.quiet) return;
  std::fprintf(stderr, "%s\n", msg.c_str());
}

void Context::warn(const std::string& msg) const { std::fprintf(stderr, "mlt: warning: %s\n", msg.c_str()); }

}  // namespace mlt::cli
