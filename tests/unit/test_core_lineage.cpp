// core/lineage: the graph lineage() builds from a registry version, a model package, a data version
// and a run: its nodes (ids, kinds, labels, attributes), its edges (direction and relation), the
// root first, no repeats, each direction walked on its own; unknown references (exit 4); the tree
// and Graphviz texts. Commits are recorded as a run's mlt.git.commit tag and a data version's
// git_commit (the temporary project is not a git repository).
#include "core/data/lineage.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/data/data.hpp"
#include "core/models/models.hpp"
#include "core/models/registry.hpp"
#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

const std::string c1(40, '1'), c2(40, '2');

ExitCode code_of(const std::optional<mlt::Error>& e) { return e ? e->code() : ExitCode::ok; }

std::set<std::string> ids(const LineageGraph& g) {
  std::set<std::string> out;
  for (auto& n : g.nodes) out.insert(n.id);
  return out;
}

std::set<std::string> edges(const LineageGraph& g) {
  std::set<std::string> out;
  for (auto& e : g.edges) out.insert(e.from + " |" + e.relation + "| " + e.to);
  return out;
}

// The graph is well formed: the root first, no node or edge twice, every edge between two nodes.
void check_shape(const LineageGraph& g) {
  REQUIRE_FALSE(g.nodes.empty());
  CHECK(g.nodes[0].id == g.root);
  CHECK(ids(g).size() == g.nodes.size());
  CHECK(edges(g).size() == g.edges.size());
  for (auto& e : g.edges) {
    CAPTURE(e.from);
    CAPTURE(e.to);
    CHECK(g.node(e.from) != nullptr);
    CHECK(g.node(e.to) != nullptr);
    CHECK(e.from != e.to);
  }
  for (auto& n : g.nodes) {
    CAPTURE(n.id);
    CHECK(n.id.starts_with((n.kind == "deployment" ? std::string("deploy") : n.kind) + ":"));   // mlt-lineage(1)
    CHECK_FALSE(n.label.empty());
  }
}

std::string attr(const LineageGraph& g, const std::string& id, const std::string& key) {
  auto* n = g.node(id);
  if (!n) return "<no node " + id + ">";
  auto it = n->attrs.find(key);
  return it == n->attrs.end() ? "<no " + key + ">" : it->second;
}

// train@v1 (a directory, at c1) and holdout@v1 (a file, at c1) used by run 'fit' (code at c2),
// which saved the model package 'model', registered as churn/1 (alias champion); run 'other'
// used train@v1 too; train@v2 (at c2) is used by nothing.
struct Graph {
  TempProject p;
  ScopedEnv clock{"MLT_NOW_MS", "1700000000000"};
  DataVersion train, holdout, train2;
  RunRef fit, other;
  ModelRecord model;
  std::string N_REG = "registry:churn/1", N_MODEL, N_FIT, N_OTHER, N_TRAIN = "data:train@v1",
              N_HOLD = "data:holdout@v1", N_C1 = "commit:" + c1, N_C2 = "commit:" + c2;

  DataVersion add(const fs::path& path, const std::string& name, const std::string& commit) {
    DataAddSpec s;
    s.path = path;
    s.name = name;
    s.git_tag = false;
    AddStats st;
    AddOptions opt;
    auto v = add_data(p.project(), s, st, opt).version;
    mlt::store::Stmt(p.db(), "UPDATE data_versions SET git_commit = ?2, git_dirty = 0 WHERE id = ?1")
        .bind(1, v.id)
        .bind(2, commit)
        .exec();
    return v;
  }
  RunRef run(const std::string& name, const std::string& commit) {
    NewRun spec;
    spec.name = name;
    spec.tags = {{"mlt.git.commit", commit}};
    return create_run(p.db(), spec).ref;
  }

  Graph() {
    fs::create_directories(p.root() / "data");
    write_file(p.root() / "data" / "train.csv", "id,x\n1,a\n2,b\n");
    write_file(p.root() / "eval.csv", "id,x\n9,z\n");
    train = add(p.root() / "data", "train", c1);
    holdout = add(p.root() / "eval.csv", "holdout", c1);
    fit = run("fit", c2);
    log_input(p.db(), fit, train, "train");
    log_input(p.db(), fit, holdout, "eval");
    write_file(p.root() / "model.pkl", "pickled weights\n");
    SaveSpec ss;
    ss.source = p.root() / "model.pkl";
    ss.flavor = "sklearn";
    ss.name = "model";
    ss.python_version = "3.11.2";
    AddStats st;
    AddOptions opt;
    model = save_model(p.project(), fit, ss, st, opt);
    end_run(p.db(), fit, RunStatus::finished, 0);
    Registry reg(p.db(), "alice");
    reg.register_version("churn", fit, "model", model.tree, "", {});
    reg.set_alias("churn", "champion", 1);
    other = run("other", c2);
    log_input(p.db(), other, train, "");
    write_file(p.root() / "data" / "train.csv", "id,x\n1,a\n2,b\n3,c\n");
    train2 = add(p.root() / "data", "train", c2);
    N_MODEL = "model:runs:/" + fit.uuid + "/model";
    N_FIT = "run:" + fit.uuid;
    N_OTHER = "run:" + other.uuid;
  }

  std::set<std::string> upstream_of_registry() const {
    return {N_MODEL + " |registered as| " + N_REG, N_FIT + " |produced| " + N_MODEL,
            N_TRAIN + " |input:train| " + N_FIT,   N_HOLD + " |input:eval| " + N_FIT,
            N_C2 + " |code| " + N_FIT,             N_C1 + " |versioned at| " + N_TRAIN,
            N_C1 + " |versioned at| " + N_HOLD};
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("lineage of a registry version: upstream the package, the run, its inputs and the commits; nothing downstream") {
  Graph f;
  for (std::string ref : {"models:/churn/1", "models:/churn@champion", "models:/churn/latest"}) {
    CAPTURE(ref);
    auto g = lineage(f.p.project(), ref);
    check_shape(g);
    CHECK(g.root == f.N_REG);
    CHECK(ids(g) == std::set<std::string>{f.N_REG, f.N_MODEL, f.N_FIT, f.N_TRAIN, f.N_HOLD, f.N_C1, f.N_C2});
    CHECK(edges(g) == f.upstream_of_registry());
  }
  auto g = lineage(f.p.project(), "models:/churn/1");
  CHECK(g.node(f.N_REG)->kind == "registry");
  CHECK(g.node(f.N_REG)->label == "models:/churn/1");
  CHECK(attr(g, f.N_REG, "stage") == "None");
  CHECK(attr(g, f.N_REG, "aliases") == "champion");
  CHECK(attr(g, f.N_REG, "digest") == f.model.tree.str());
  CHECK(g.node(f.N_MODEL)->kind == "model");
  CHECK(attr(g, f.N_MODEL, "uri") == f.model.uri());
  CHECK(attr(g, f.N_MODEL, "digest") == f.model.tree.str());
  CHECK(g.node(f.N_FIT)->kind == "run");
  CHECK(attr(g, f.N_FIT, "run_id") == f.fit.uuid);
  CHECK(attr(g, f.N_FIT, "name") == "fit");
  CHECK(attr(g, f.N_FIT, "status") == "FINISHED");
  CHECK(g.node(f.N_TRAIN)->kind == "data");
  CHECK(g.node(f.N_TRAIN)->label == "train@v1");
  CHECK(attr(g, f.N_TRAIN, "digest") == f.train.digest.str());
  CHECK(attr(g, f.N_TRAIN, "commit") == c1);
  CHECK(g.node(f.N_C1)->kind == "commit");
  CHECK(attr(g, f.N_C1, "commit") == c1);
  CHECK(g.node(f.N_C1)->label == "commit " + c1.substr(0, 12));
}

TEST_CASE("lineage of a data version: upstream its commit, downstream every run that used it and what came of them") {
  Graph f;
  auto g = lineage(f.p.project(), "train@v1");
  check_shape(g);
  CHECK(g.root == f.N_TRAIN);
  // the sibling input (holdout) and the run's code commit are neither up- nor downstream of train@v1
  CHECK(ids(g) == std::set<std::string>{f.N_TRAIN, f.N_C1, f.N_FIT, f.N_OTHER, f.N_MODEL, f.N_REG});
  CHECK(edges(g) == std::set<std::string>{f.N_C1 + " |versioned at| " + f.N_TRAIN, f.N_TRAIN + " |input:train| " + f.N_FIT,
                                          f.N_TRAIN + " |input| " + f.N_OTHER, f.N_FIT + " |produced| " + f.N_MODEL,
                                          f.N_MODEL + " |registered as| " + f.N_REG});
  CHECK(lineage(f.p.project(), "train@sha256:" + f.train.digest.hex().substr(0, 12)).root == f.N_TRAIN);

  auto unused = lineage(f.p.project(), "train@latest");
  check_shape(unused);
  CHECK(unused.root == "data:train@v2");
  CHECK(edges(unused) == std::set<std::string>{f.N_C2 + " |versioned at| data:train@v2"});
}

TEST_CASE("lineage of a run and of a model package (runs:/RUN/PATH): both directions") {
  Graph f;
  for (std::string ref : {std::string("fit"), f.fit.uuid, f.fit.uuid.substr(0, 8)}) {
    CAPTURE(ref);
    auto g = lineage(f.p.project(), ref);
    check_shape(g);
    CHECK(g.root == f.N_FIT);
    CHECK(edges(g) == f.upstream_of_registry());
  }
  for (const std::string& ref : std::vector<std::string>{f.model.uri(), "runs:/fit/model", "runs:/" + f.fit.uuid + "/model/"}) {
    CAPTURE(ref);
    auto g = lineage(f.p.project(), ref);
    check_shape(g);
    CHECK(g.root == f.N_MODEL);
    CHECK(edges(g) == f.upstream_of_registry());
  }
  auto o = lineage(f.p.project(), "other");
  check_shape(o);
  CHECK(edges(o) == std::set<std::string>{f.N_TRAIN + " |input| " + f.N_OTHER, f.N_C1 + " |versioned at| " + f.N_TRAIN,
                                          f.N_C2 + " |code| " + f.N_OTHER});
}

TEST_CASE("lineage: a package registered under several names has every registry version downstream") {
  Graph f;
  Registry reg(f.p.db(), "bob");
  reg.register_version("churn", f.fit, "model", f.model.tree, "", {});
  reg.register_version("fraud", f.fit, "model", f.model.tree, "", {});
  reg.set_stage("churn", 2, Stage::production, false);
  auto g = lineage(f.p.project(), "fit");
  check_shape(g);
  std::set<std::string> regs;
  for (auto& e : g.edges)
    if (e.relation == "registered as") regs.insert(e.from + " -> " + e.to);
  CHECK(regs == std::set<std::string>{f.N_MODEL + " -> registry:churn/1", f.N_MODEL + " -> registry:churn/2",
                                      f.N_MODEL + " -> registry:fraud/1"});
  CHECK(attr(g, "registry:churn/2", "stage") == "Production");
}

TEST_CASE("lineage of unknown references exits 4") {
  Graph f;
  for (std::string ref : {"models:/nope/1", "models:/churn/9", "models:/churn@nope", "nope@v1", "train@v9",
                          "train@sha256:0000000000", "runs:/fit/nothere", "runs:/ffffffffffff/model", "no-such-run"}) {
    CAPTURE(ref);
    CHECK(code_of(thrown([&] { lineage(f.p.project(), ref); })) == ExitCode::not_found);
  }
  CHECK(code_of(thrown([&] { lineage(f.p.project(), "train@x"); })) == ExitCode::usage);
}

TEST_CASE("lineage of a run without inputs or git: the run alone") {
  TempProject p;
  NewRun spec;
  spec.name = "lonely";
  auto r = create_run(p.db(), spec).ref;
  auto g = lineage(p.project(), "lonely");
  check_shape(g);
  CHECK(g.nodes.size() == 1);
  CHECK(g.edges.empty());
  CHECK(lineage_tree(g) == "run lonely (" + r.uuid.substr(0, 8) +
                               ")  RUNNING\nupstream:\n   (nothing recorded)\ndownstream:\n   (nothing recorded)\n");
}

TEST_CASE("lineage_tree and lineage_dot: the texts of a graph") {
  Graph f;
  auto g = lineage(f.p.project(), "models:/churn/1");
  auto tree = lineage_tree(g);
  CHECK(tree.starts_with("models:/churn/1  None  @champion\nupstream:\n"));
  CHECK(tree.ends_with("downstream:\n   (nothing recorded)\n"));
  std::string d = f.model.tree.str().substr(0, 19);
  CHECK(contains(tree, "\n   <- " + f.model.uri() + "  " + d + "  [registered as]\n"));
  CHECK(contains(tree, "\n      <- run fit (" + f.fit.uuid.substr(0, 8) + ")  FINISHED  [produced]\n"));
  CHECK(contains(tree, "\n         <- train@v1  " + f.train.digest.str().substr(0, 19) + "  [input:train]\n"));
  CHECK(contains(tree, "\n            <- commit " + c1.substr(0, 12) + "  [versioned at]\n"));
  CHECK(contains(tree, "\n         <- commit " + c2.substr(0, 12) + "  [code]\n"));

  auto dot = lineage_dot(g);
  CHECK(dot.starts_with("digraph lineage {\n"));
  CHECK(dot.ends_with("}\n"));
  for (auto& e : g.edges) {
    CAPTURE(e.from);
    CHECK(contains(dot, "  \"" + e.from + "\" -> \"" + e.to + "\" [label=\"" + e.relation + "\"];\n"));
  }
  CHECK(std::count(dot.begin(), dot.end(), '\n') == 3 + static_cast<long>(g.nodes.size() + g.edges.size()) + 1);
  CHECK(contains(dot, "\"" + f.N_REG + "\" [label=\"models:/churn/1\\n" + d + "\", shape=note, penwidth=2];"));

  // quotes and backslashes in a run's name are escaped
  rename_run(f.p.db(), f.fit, "say \"hi\" \\ now");
  auto q = lineage_dot(lineage(f.p.project(), f.fit.uuid));
  CHECK(contains(q, "[label=\"run say \\\"hi\\\" \\\\ now (" + f.fit.uuid.substr(0, 8) + ")\", shape=box, penwidth=2];"));
}
