// mlt lineage: from a model, data version or run, what it came from and what came of it
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/data/lineage.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct LineageOptions {
  std::string ref, format = "tree";
};

int lineage(Context& ctx, const LineageOptions& o) {
  if (o.format != "tree" && o.format != "json" && o.format != "dot")
    throw Error(ExitCode::usage, fmt::format("unknown format '{}'", o.format), "use tree, json or dot");
  std::string format = ctx.global.json ? "json" : o.format;
  // '@' and '@~N' name runs; core::lineage reads any other text with '@' as a data version
  std::string ref = core::relative_run_offset(o.ref) ? core::resolve_run(ctx.db(), o.ref).uuid : o.ref;
  auto g = core::lineage(ctx.project(), ref);
  ctx.page();
  if (format == "json") {
    Json j;
    j["root"] = g.root;
    j["nodes"] = Json::array();
    for (auto& n : g.nodes) {
      Json x;
      x["id"] = n.id;
      x["kind"] = n.kind;
      x["label"] = n.label;
      for (auto& [k, v] : n.attrs) x[k] = v;
      j["nodes"].push_back(std::move(x));
    }
    j["edges"] = Json::array();
    for (auto& e : g.edges) j["edges"].push_back({{"from", e.from}, {"to", e.to}, {"relation", e.relation}});
    print_json(j);
  } else {
    auto text = format == "dot" ? core::lineage_dot(g) : core::lineage_tree(g);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

}  // namespace

void add_lineage_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<LineageOptions>();
  auto* l = root.add_subcommand("lineage",
                                "Show what a model, data version or run came from (data, code, runs) and what came of it "
                                "(runs, models, registry versions, deployments).");
  l->add_option("ref", o->ref, "models:/NAME/..., runs:/RUN/PATH, NAME@vN (a data version) or RUN (also @ and @~N).")
      ->required()
      ->type_name("URI|REF|RUN");
  l->add_option("--format", o->format, "tree (default), json or dot (Graphviz: mlt lineage X --format dot | dot -Tsvg).")
      ->type_name("FORMAT");
  l->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return lineage(ctx, *o); }); });
}

}  // namespace mlt::cli
