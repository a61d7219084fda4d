#include "cli/commands.hpp"

namespace mlt::cli {

static constexpr CommandGroup groups[] = {
    {"project", add_project_commands},
    {"config", add_config_commands},
    {"completion", add_completion_commands},
    {"help", add_help_commands},
    {"exp", add_exp_commands},
    {"run", add_run_commands},
    {"log", add_log_commands},
    {"runs", add_runs_commands},
    {"artifact", add_artifact_commands},
    {"store", add_store_commands},
    {"compare", add_compare_commands},
    {"plot", add_plot_commands},
    {"model", add_model_commands},
    {"registry", add_registry_commands},
    {"data", add_data_commands},
    {"lineage", add_lineage_commands},
    {"deploy", add_deploy_commands},
};

std::span<const CommandGroup> command_groups() { return groups; }

}  // namespace mlt::cli
