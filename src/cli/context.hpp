// What every command handler gets: the global options, the project (opened once, by main), and
// the output helpers. Handlers are chosen by CLI11 callbacks and run by main after parsing.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/project.hpp"

namespace mlt::cli {

// optional_project: opened when there is one (commands that also work on plain files).
enum class Needs { nothing, project, optional_project };

struct GlobalOptions {
  std::string chdir;          // -C DIR
  bool json = false;          // --json
  bool quiet = false;         // -q, --quiet
  std::string color = "auto";
};

class Context {
 public:
  GlobalOptions global;

  // Called from a CLI11 callback: records the action that main runs after parsing.
  void select(Needs needs, std::function<int()> action) {
    needs_ = needs;
    action_ = std::move(action);
  }
  bool has_action() const { return static_cast<bool>(action_); }
  int run();  // opens the project if needed, then runs the action

  core::Project& project() { return *project_; }
  core::Project* maybe_project() { return project_ ? &*project_ : nullptr; }
  store::Db& db() { return project_->db(); }
  std::filesystem::path cwd() const;

  bool color() const;                    // colour on stdout
  void note(const std::string& msg) const;     // chatter on stderr, silenced by -q
  void warn(const std::string& msg) const;     // "mlt: warning: ...", never silenced

 private:
  Needs needs_ = Needs::nothing;
  std::function<int()> action_;
  std::optional<core::Project> project_;
};

}  // namespace mlt::cli
