// What every command handler gets: the global options, the project (opened once, by main), and
// the output helpers. Handlers are chosen by CLI11 callbacks and run by main after parsing.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/project.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace mlt::cli {

// optional_project: opened when there is one (commands that also work on plain files).
enum class Needs { nothing, project, optional_project };

struct GlobalOptions {
  std::string chdir;          // -C DIR
  bool json = false;          // --json
  bool quiet = false;         // -q, --quiet
  std::string color;           // --color; empty: the core.color setting
  bool no_pager = false;       // --no-pager
};

class Context {
 public:
  GlobalOptions global;
  std::map<std::string, std::string> pages;   // top-level command -> its man page (mlt-GROUP)

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

  // Settings: built-in < user file < project file (when a project is found) < MLT_* variables.
  const core::Config& config();
  bool color();                          // colour on stdout: --color, else core.color (NO_COLOR)
  // Sends the rest of stdout through the pager when stdout is a terminal (see pager.cpp).
  void page();
  // A short flag that meant something else in this command before each short flag got one
  // meaning across mlt: `alias` is that flag, added hidden (group "") to the same variable as
  // `use_instead`; it still works, and main warns when it is used.
  //   ctx.deprecate(s->add_flag("-f", o->force)->group(""), "--force");
  void deprecate(const CLI::Option* alias, std::string use_instead) {
    deprecated_.push_back({alias, std::move(use_instead)});
  }
  void warn_deprecated() const;   // by main after parsing: for each such alias that was used

  void note(const std::string& msg) const;     // chatter on stderr, silenced by -q
  void warn(const std::string& msg) const;     // "mlt: warning: ...", never silenced

 private:
  Needs needs_ = Needs::nothing;
  std::function<int()> action_;
  std::optional<core::Project> project_;
  std::optional<core::Config> config_;   // when there is no project
  bool config_warned_ = false;
  bool paging_ = false;   // stdout goes to the pager, and so to the terminal
  struct Deprecated {
    const CLI::Option* alias;
    std::string use_instead;
  };
  std::vector<Deprecated> deprecated_;
};

}  // namespace mlt::cli
