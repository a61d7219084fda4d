// The one table of command groups. A new group: a cmd_<group>.cpp with its register function,
// a row here, a man page, a completion entry and tests/cli/t_<group>.sh.
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

void add_project_commands(CLI::App& root, Context& ctx);  // init, status, version
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
