// The one table of command groups. A new group: a cmd_<group>.cpp with its register function,
// a row here, a man page man/mlt-<group>.1 (every command of the group is on it), completion
// rules for its arguments (complete.cpp) and tests/cli/t_<group>.sh; the docs test checks all
// of these.
#pragma once
#include <span>

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace mlt::cli {

struct CommandGroup {
  const char* name;
  void (*add)(CLI::App& root, Context& ctx);
};

std::span<const CommandGroup> command_groups();

// The whole command tree with its global options: what main parses and completion walks.
void build_app(CLI::App& app, Context& ctx);
// `mlt __complete WORD... CUR` (see complete.cpp); the words after "__complete".
int complete_main(int argc, char** argv);

void add_project_commands(CLI::App& root, Context& ctx);  // init, status, version
void add_config_commands(CLI::App& root, Context& ctx);      // config get|set|unset|list
void add_completion_commands(CLI::App& root, Context& ctx);  // completion SHELL
void add_help_commands(CLI::App& root, Context& ctx);        // help [COMMAND]
void add_exp_commands(CLI::App& root, Context& ctx);
void add_run_commands(CLI::App& root, Context& ctx);
void add_log_commands(CLI::App& root, Context& ctx);
void add_runs_commands(CLI::App& root, Context& ctx);     // runs, metrics
void add_artifact_commands(CLI::App& root, Context& ctx);
void add_store_commands(CLI::App& root, Context& ctx);    // fsck, gc, du
void add_compare_commands(CLI::App& root, Context& ctx);  // check, diff, compare
void add_plot_commands(CLI::App& root, Context& ctx);
void add_model_commands(CLI::App& root, Context& ctx);    // model save|show|get|verify|ls|import
void add_registry_commands(CLI::App& root, Context& ctx);
void add_data_commands(CLI::App& root, Context& ctx);
void add_lineage_commands(CLI::App& root, Context& ctx);
void add_deploy_commands(CLI::App& root, Context& ctx);

}  // namespace mlt::cli
