#include "cli/commands.hpp"

#include <cctype>
#include <memory>
#include <string>

namespace mlt::cli {
namespace {

// Usage lines name positionals as the man pages do: by their placeholder (NAME[/VERSION], RUN),
// in brackets when optional, with "..." when repeatable.
class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_option_usage(const CLI::Option* o) const override {
    std::string t = o->get_type_name();
    if (auto colon = t.find(':'); colon != std::string::npos) t.resize(colon);
    if (t.empty() || t == "TEXT") {
      t = o->get_name();
      for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string s;
    int max = o->get_expected_max();
    if (max >= CLI::detail::expected_max_vector_size) s = t + "...";
    else
      for (int i = 0; i < max; ++i) s += (i ? " " : "") + t;
    return o->get_required() ? s : "[" + s + "]";
  }
};

}  // namespace

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

void build_app(CLI::App& app, Context& ctx) {
  app.formatter(std::make_shared<UsageFormatter>());  // before the subcommands: they copy it
  app.description("mlt tracks machine-learning experiments, runs, models and data in a .mlt folder beside your code.");
  app.name("mlt");
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("mlt ") + MLT_VERSION, "Print the version of mlt and exit.");
  app.add_option("-C", ctx.global.chdir, "Run as if mlt was started in DIR.")->type_name("DIR");
  app.add_flag("--json", ctx.global.json, "Print one JSON document on stdout (errors as JSON on stderr).");
  app.add_flag("-q,--quiet", ctx.global.quiet, "Print no messages on stderr except warnings and errors.");
  app.add_option("--color", ctx.global.color, "Colour output: auto (on a terminal), always or never.")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");
  app.add_flag("--no-pager", ctx.global.no_pager, "Never pipe output to a pager.");
  for (const auto& g : command_groups()) {
    auto named = [](CLI::App* a) { return !a->get_name().empty(); };
    std::size_t before = app.get_subcommands(named).size();
    g.add(app, ctx);
    auto subs = app.get_subcommands(named);
    for (std::size_t i = before; i < subs.size(); ++i) ctx.pages[subs[i]->get_name()] = std::string("mlt-") + g.name;
  }
}

}  // namespace mlt::cli
