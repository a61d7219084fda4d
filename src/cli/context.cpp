#include "cli/context.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

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
  if (project_) config();  // warns about unknown keys once (a bad value already stopped the open)
  return action_();
}

std::filesystem::path Context::cwd() const { return std::filesystem::current_path(); }

const core::Config& Context::config() {
  const core::Config* c;
  if (project_) {
    c = &project_->config();  // the one the project was opened with
  } else {
    if (!config_) config_.emplace(core::Config::load(core::Project::find(cwd())));
    c = &*config_;
  }
  if (!config_warned_) {
    config_warned_ = true;
    for (auto& w : c->warnings()) warn(w);
  }
  return *c;
}

bool Context::color() {
  if (global.json) return false;
  std::string when = global.color.empty() ? config().get_string("core.color") : global.color;
  if (when == "never") return false;
  if (when == "always") return true;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  return paging_ || ::isatty(STDOUT_FILENO) == 1;
}

void Context::note(const std::string& msg) const {
  if (global.quiet) return;
  std::fprintf(stderr, "%s\n", msg.c_str());
}

void Context::warn_deprecated() const {
  for (auto& d : deprecated_)
    if (d.alias->count() > 0) {
      std::string flag = d.alias->get_snames().empty() ? d.alias->get_name() : "-" + d.alias->get_snames().front();
      warn(fmt::format("'{}' is deprecated here: short flags now mean one thing in every mlt command; use '{}'",
                       flag, d.use_instead));
    }
}

void Context::warn(const std::string& msg) const { std::fprintf(stderr, "mlt: warning: %s\n", msg.c_str()); }

}  // namespace mlt::cli
