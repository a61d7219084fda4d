// Lineage: how data, code, runs, models, registry versions and deployments are connected.
// Edges point the way things were produced:
//   commit -> data version      (the version was made at that commit)
//   commit -> run               (the run's code)
//   data version -> run         (the run used it; relation "input" or "input:CONTEXT")
//   run -> model                (the run's model package, runs:/RUN/PATH)
//   model -> registry version   (registered as models:/NAME/N)
//   registry version -> deployment
// From a start node, lineage walks edges backwards (upstream: what it came from) and forwards
// (downstream: what came of it), each direction on its own.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/project.hpp"

namespace mlt::core {

struct LineageNode {
  std::string id;      // kind:key, e.g. run:<uuid>, data:train@v2, model:runs:/<uuid>/model
  std::string kind;    // commit, data, run, model, registry, deployment
  std::string label;   // what a person reads: train@v2, run brave-otter (1a2b3c4d), models:/churn/3
  std::map<std::string, std::string> attrs;
};

struct LineageEdge {
  std::string from, to, relation;
};

struct LineageGraph {
  std::string root;
  std::vector<LineageNode> nodes;     // the root first, then in the order they were reached
  std::vector<LineageEdge> edges;
  const LineageNode* node(const std::string& id) const;
};

// REF: models:/NAME/..., runs:/RUN/PATH (a model package), NAME@vN|@latest|@sha256:.. (a data
// version), or RUN. Exit 4 when it names nothing.
LineageGraph lineage(Project& p, const std::string& ref);

std::string lineage_tree(const LineageGraph& g);   // indented text, upstream then downstream
std::string lineage_dot(const LineageGraph& g);    // Graphviz

}  // namespace mlt::core
