// mlt exp create|ls|rename|rm|restore
#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/values.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/tracking/experiments.hpp"

namespace mlt::cli {
namespace {

struct ExpOptions {
  std::string name, new_name, description;
  std::vector<std::string> tags;
  bool all = false, deleted = false;
};

Json experiment_json(const core::Experiment& e) {
  Json j;
  j["name"] = e.name;
  j["description"] = e.description;
  j["lifecycle"] = e.deleted ? "deleted" : "active";
  j["runs"] = e.run_count;
  put_time(j, "created", e.created_ms);
  put_time(j, "updated", e.updated_ms);
  j["tags"] = Json::object();
  for (auto& [k, v] : e.tags) j["tags"][k] = v;
  return j;
}

int exp_create(Context& ctx, const ExpOptions& o) {
  std::vector<core::KeyValue> tags;
  for (auto& t : o.tags) tags.push_back(core::parse_kv(t, "tag"));
  core::create_experiment(ctx.db(), o.name, o.description, tags);
  if (ctx.global.json) {
    print_json(experiment_json(core::get_experiment(ctx.db(), o.name)));
  } else {
    std::printf("%s\n", o.name.c_str());
  }
  return 0;
}

int exp_ls(Context& ctx, const ExpOptions& o) {
  auto which = o.all ? core::Lifecycle::all : o.deleted ? core::Lifecycle::deleted : core::Lifecycle::active;
  auto list = core::list_experiments(ctx.db(), which);
  if (ctx.global.json) {
    Json j;
    j["experiments"] = Json::array();
    for (auto& e : list) j["experiments"].push_back(experiment_json(e));
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& e : list)
    rows.push_back({e.name + (e.deleted ? " (deleted)" : ""), std::to_string(e.run_count),
                    core::local_time(e.created_ms), e.description});
  print_table({"NAME", "RUNS", "CREATED", "DESCRIPTION"}, rows);
  return 0;
}

int exp_rename(Context& ctx, const ExpOptions& o) {
  core::rename_experiment(ctx.db(), o.name, o.new_name);
  if (ctx.global.json) print_json(experiment_json(core::get_experiment(ctx.db(), o.new_name)));
  else ctx.note(fmt::format("renamed experiment '{}' to '{}'", o.name, o.new_name));
  return 0;
}

int exp_set_deleted(Context& ctx, const ExpOptions& o, bool deleted) {
  bool changed = core::set_experiment_deleted(ctx.db(), o.name, deleted);
  if (ctx.global.json) print_json(experiment_json(core::get_experiment(ctx.db(), o.name)));
  else if (!changed)
    ctx.note(fmt::format("experiment '{}' is already {}", o.name, deleted ? "deleted" : "active"));
  else
    ctx.note(fmt::format("{} experiment '{}'", deleted ? "deleted" : "restored", o.name));
  return 0;
}

}  // namespace

void add_exp_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("exp", "Create, list, rename, remove and restore experiments.");
  grp->require_subcommand(1);
  auto o = std::make_shared<ExpOptions>();

  auto* c = grp->add_subcommand("create", "Create experiment NAME and print its name.");
  c->add_option("name", o->name, "The experiment's name, unique in the project.")->required();
  c->add_option("-d,--description", o->description, "A sentence on what the experiment is for.")->type_name("TEXT");
  c->add_option("-t,--tag", o->tags, "Set tag K to V (repeatable).")->type_name("K=V")->allow_extra_args(false);
  c->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return exp_create(ctx, *o); }); });

  auto* l = grp->add_subcommand("ls", "List experiments with their number of runs.");
  auto* all = l->add_flag("--all", o->all, "Include deleted experiments.");
  l->add_flag("--deleted", o->deleted, "List only deleted experiments.")->excludes(all);
  l->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return exp_ls(ctx, *o); }); });

  auto* r = grp->add_subcommand("rename", "Rename experiment NAME to NEW; its runs follow.");
  r->add_option("name", o->name, "The current name.")->required();
  r->add_option("new", o->new_name, "The new name.")->required();
  r->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return exp_rename(ctx, *o); }); });

  auto* d = grp->add_subcommand("rm", "Mark experiment NAME deleted; 'mlt exp restore' brings it back.");
  d->add_option("name", o->name, "The experiment to remove.")->required();
  d->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return exp_set_deleted(ctx, *o, true); }); });

  auto* s = grp->add_subcommand("restore", "Restore deleted experiment NAME.");
  s->add_option("name", o->name, "The experiment to restore.")->required();
  s->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return exp_set_deleted(ctx, *o, false); }); });
}

}  // namespace mlt::cli
