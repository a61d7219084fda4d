#include "core/data/lineage.hpp"

#include <deque>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/values.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/data/data.hpp"
#include "core/models/registry.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::core {
namespace {

class Builder {
 public:
  Builder(Project& p, LineageGraph& g) : p_(p), db_(p.db()), g_(g) {}

  // Adds a node once; returns its id.
  std::string add(LineageNode n) {
    if (!seen_.count(n.id)) {
      seen_.insert(n.id);
      g_.nodes.push_back(n);
    }
    return n.id;
  }

  void edge(const std::string& from, const std::string& to, const std::string& relation) {
    std::string key = from + "\n" + to + "\n" + relation;
    if (edges_.insert(key).second) g_.edges.push_back({from, to, relation});
  }

  // ---- nodes ----

  std::string commit(const std::string& hex) {
    return add({"commit:" + hex, "commit", "commit " + hex.substr(0, 12), {{"commit", hex}}});
  }
  std::string data(std::int64_t id) {
    store::Stmt q(db_,
                  "SELECT ds.name, v.version, v.digest, v.git_commit FROM data_versions v "
                  "JOIN datasets ds ON ds.id = v.dataset_id WHERE v.id = ?1");
    q.bind(1, id);
    q.step();
    std::string ref = q.text(0) + "@v" + std::to_string(q.int64(1));
    LineageNode n{"data:" + ref, "data", ref, {{"ref", ref}, {"digest", "sha256:" + q.text(2)}}};
    if (auto c = q.opt_text(3)) n.attrs["commit"] = *c;
    data_ids_[n.id] = id;
    return add(n);
  }
  std::string run(std::int64_t id) {
    store::Stmt q(db_, "SELECT uuid, name, status FROM runs WHERE id = ?1");
    q.bind(1, id);
    q.step();
    LineageNode n{"run:" + q.text(0), "run", fmt::format("run {} ({})", q.text(1), q.text(0).substr(0, 8)),
                  {{"run_id", q.text(0)}, {"name", q.text(1)}, {"status", q.text(2)}}};
    run_ids_[n.id] = id;
    return add(n);
  }
  std::string model(std::int64_t run_id, const std::string& uuid, const std::string& path,
                    const std::optional<std::string>& tree) {
    std::string uri = "runs:/" + uuid + "/" + path;
    LineageNode n{"model:" + uri, "model", uri, {{"uri", uri}}};
    if (tree) n.attrs["digest"] = "sha256:" + *tree;
    models_[n.id] = {run_id, path};
    return add(n);
  }
  std::string registry(std::int64_t model_id, const std::string& name, std::int64_t version) {
    std::string uri = "models:/" + name + "/" + std::to_string(version);
    store::Stmt q(db_, "SELECT tree, stage FROM model_versions WHERE model_id = ?1 AND version = ?2");
    q.bind(1, model_id).bind(2, version);
    q.step();
    LineageNode n{"registry:" + name + "/" + std::to_string(version), "registry", uri,
                  {{"uri", uri}, {"digest", "sha256:" + q.text(0)}, {"stage", q.text(1)}}};
    store::Stmt a(db_,
                  "SELECT group_concat(a.alias, ',') FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                  "WHERE v.model_id = ?1 AND v.version = ?2");
    a.bind(1, model_id).bind(2, version);
    if (a.step() && !a.is_null(0)) n.attrs["aliases"] = a.text(0);
    registry_[n.id] = {model_id, version};
    return add(n);
  }

  std::string deployment(const std::string& env, std::int64_t revision) {
    store::Stmt q(db_, "SELECT target, tree, action FROM deployments WHERE env = ?1 AND revision = ?2");
    q.bind(1, env).bind(2, revision);
    q.step();
    LineageNode n{"deploy:" + env + "#" + std::to_string(revision), "deployment",
                  fmt::format("deployment {} revision {}", env, revision),
                  {{"env", env}, {"revision", std::to_string(revision)}, {"target", q.text(0)},
                   {"digest", "sha256:" + q.text(1)}, {"action", q.text(2)}}};
    return add(n);
  }

  // ---- edges, both ways ----

  std::vector<std::string> parents(const std::string& id) {
    std::vector<std::string> out;
    auto kind = id.substr(0, id.find(':'));
    if (kind == "data") {
      auto* n = g_.node(id);
      if (auto it = n->attrs.find("commit"); it != n->attrs.end()) out.push_back(link(commit(it->second), id, "versioned at"));
    } else if (kind == "run") {
      auto rid = run_ids_.at(id);
      store::Stmt q(db_, "SELECT data_version_id, context FROM run_inputs WHERE run_id = ?1 ORDER BY created_ms");
      q.bind(1, rid);
      std::vector<std::pair<std::int64_t, std::string>> ins;
      while (q.step()) ins.emplace_back(q.int64(0), q.text(1));
      for (auto& [dv, ctx] : ins) out.push_back(link(data(dv), id, ctx.empty() ? "input" : "input:" + ctx));
      store::Stmt c(db_, "SELECT value FROM tags WHERE run_id = ?1 AND key = 'mlt.git.commit'");
      c.bind(1, rid);
      if (c.step()) {
        auto hex = c.text(0);
        out.push_back(link(commit(hex), id, "code"));
      }
    } else if (kind == "model") {
      auto [rid, path] = models_.at(id);
      out.push_back(link(run(rid), id, "produced"));
    } else if (kind == "deploy") {
      auto* n = g_.node(id);
      store::Stmt q(db_, "SELECT model_name, model_version, run_uuid, path, tree FROM deployments "
                         "WHERE env = ?1 AND revision = ?2");
      q.bind(1, n->attrs.at("env")).bind(2, parse_int64(n->attrs.at("revision")).value_or(0));
      if (q.step()) {
        if (!q.is_null(1)) {
          store::Stmt m(db_, "SELECT id FROM registered_models WHERE name = ?1");
          m.bind(1, q.text(0));
          if (m.step()) out.push_back(link(registry(m.int64(0), q.text(0), q.int64(1)), id, "deployed"));
        } else {
          store::Stmt r(db_, "SELECT id FROM runs WHERE uuid = ?1");
          r.bind(1, q.text(2));
          if (r.step()) out.push_back(link(model(r.int64(0), q.text(2), q.text(3), q.text(4)), id, "deployed"));
        }
      }
    } else if (kind == "registry") {
      auto [mid, version] = registry_.at(id);
      store::Stmt q(db_,
                    "SELECT v.run_id, r.uuid, v.path, v.tree FROM model_versions v JOIN runs r ON r.id = v.run_id "
                    "WHERE v.model_id = ?1 AND v.version = ?2");
      q.bind(1, mid).bind(2, version);
      if (q.step()) out.push_back(link(model(q.int64(0), q.text(1), q.text(2), q.text(3)), id, "registered as"));
    }
    return out;
  }

  std::vector<std::string> children(const std::string& id) {
    std::vector<std::string> out;
    auto kind = id.substr(0, id.find(':'));
    if (kind == "commit") {
      auto hex = g_.node(id)->attrs.at("commit");
      store::Stmt d(db_, "SELECT id FROM data_versions WHERE git_commit = ?1 ORDER BY id");
      d.bind(1, hex);
      std::vector<std::int64_t> ids;
      while (d.step()) ids.push_back(d.int64(0));
      for (auto dv : ids) out.push_back(link_to(id, data(dv), "versioned at"));
      store::Stmt r(db_, "SELECT run_id FROM tags WHERE key = 'mlt.git.commit' AND value = ?1 ORDER BY run_id");
      r.bind(1, hex);
      ids.clear();
      while (r.step()) ids.push_back(r.int64(0));
      for (auto rid : ids) out.push_back(link_to(id, run(rid), "code"));
    } else if (kind == "data") {
      store::Stmt q(db_, "SELECT run_id, context FROM run_inputs WHERE data_version_id = ?1 ORDER BY created_ms");
      q.bind(1, data_ids_.at(id));
      std::vector<std::pair<std::int64_t, std::string>> rows;
      while (q.step()) rows.emplace_back(q.int64(0), q.text(1));
      for (auto& [rid, ctx] : rows) out.push_back(link_to(id, run(rid), ctx.empty() ? "input" : "input:" + ctx));
    } else if (kind == "run") {
      auto rid = run_ids_.at(id);
      store::Stmt uuid(db_, "SELECT uuid FROM runs WHERE id = ?1");
      uuid.bind(1, rid);
      uuid.step();
      std::string u = uuid.text(0);
      // packages recorded by model save/import, and any path a registry version was registered from
      store::Stmt q(db_,
                    "SELECT path, tree FROM models WHERE run_id = ?1 UNION "
                    "SELECT path, tree FROM model_versions WHERE run_id = ?1 ORDER BY 1");
      q.bind(1, rid);
      std::set<std::string> paths;
      std::vector<std::pair<std::string, std::string>> rows;
      while (q.step())
        if (paths.insert(q.text(0)).second) rows.emplace_back(q.text(0), q.text(1));
      for (auto& [path, tree] : rows) out.push_back(link_to(id, model(rid, u, path, tree), "produced"));
    } else if (kind == "model") {
      auto [rid, path] = models_.at(id);
      store::Stmt q(db_,
                    "SELECT rm.id, rm.name, v.version FROM model_versions v JOIN registered_models rm ON rm.id = v.model_id "
                    "WHERE v.run_id = ?1 AND v.path = ?2 ORDER BY rm.name, v.version");
      q.bind(1, rid).bind(2, path);
      std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> rows;
      while (q.step()) rows.emplace_back(q.int64(0), q.text(1), q.int64(2));
      for (auto& [mid, name, v] : rows) out.push_back(link_to(id, registry(mid, name, v), "registered as"));
      // deployments made from the runs:/ URI itself, not through the registry
      store::Stmt d(db_, "SELECT env, revision FROM deployments WHERE model_version IS NULL AND model_uri = ?1 "
                         "ORDER BY env, revision");
      d.bind(1, g_.node(id)->attrs.at("uri"));
      std::vector<std::pair<std::string, std::int64_t>> deps;
      while (d.step()) deps.emplace_back(d.text(0), d.int64(1));
      for (auto& [env, rev] : deps) out.push_back(link_to(id, deployment(env, rev), "deployed"));
    } else if (kind == "registry") {
      auto [mid, version] = registry_.at(id);
      store::Stmt n(db_, "SELECT name FROM registered_models WHERE id = ?1");
      n.bind(1, mid);
      n.step();
      store::Stmt q(db_, "SELECT env, revision FROM deployments WHERE model_name = ?1 AND model_version = ?2 "
                         "ORDER BY env, revision");
      q.bind(1, n.text(0)).bind(2, version);
      std::vector<std::pair<std::string, std::int64_t>> rows;
      while (q.step()) rows.emplace_back(q.text(0), q.int64(1));
      for (auto& [env, rev] : rows) out.push_back(link_to(id, deployment(env, rev), "deployed"));
    }
    return out;
  }

  void walk(const std::string& root, bool up) {
    std::deque<std::string> todo{root};
    std::set<std::string> done{root};
    while (!todo.empty()) {
      auto id = todo.front();
      todo.pop_front();
      for (auto& next : up ? parents(id) : children(id))
        if (done.insert(next).second) todo.push_back(next);
    }
  }

  std::map<std::string, std::int64_t> run_ids_, data_ids_;
  std::map<std::string, std::pair<std::int64_t, std::string>> models_;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> registry_;

 private:
  std::string link(const std::string& from, const std::string& to, const std::string& rel) {
    edge(from, to, rel);
    return from;
  }
  std::string link_to(const std::string& from, const std::string& to, const std::string& rel) {
    edge(from, to, rel);
    return to;
  }

  Project& p_;
  store::Db& db_;
  LineageGraph& g_;
  std::set<std::string> seen_, edges_;
};

std::string describe(const LineageNode& n) {
  std::string s = n.label;
  auto attr = [&](const char* k) -> std::string {
    auto it = n.attrs.find(k);
    return it == n.attrs.end() ? "" : it->second;
  };
  if (n.kind == "data" || n.kind == "model") {
    if (auto d = attr("digest"); !d.empty()) s += "  " + d.substr(0, 19);
  } else if (n.kind == "run") {
    s += "  " + attr("status");
  } else if (n.kind == "registry") {
    s += "  " + attr("stage");
    if (auto a = attr("aliases"); !a.empty()) s += "  @" + a;
  }
  return s;
}

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

const LineageNode* LineageGraph::node(const std::string& id) const {
  for (auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

LineageGraph lineage(Project& p, const std::string& ref) {
  LineageGraph g;
  Builder b(p, g);
  if (ref.starts_with("models:/")) {
    auto v = Registry(p.db()).resolve(parse_version_ref(ref));
    store::Stmt q(p.db(), "SELECT id FROM registered_models WHERE name = ?1");
    q.bind(1, v.model);
    q.step();
    g.root = b.registry(q.int64(0), v.model, v.version);
  } else if (auto runs = parse_runs_uri(ref)) {
    auto run = resolve_run(p.db(), runs->first);
    auto e = artifact_entry(p, run, runs->second);
    if (e.kind != EntryKind::dir || !lookup(p.objects(), e.digest, "MLmodel"))
      throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it has no MLmodel file", ref),
                  "lineage starts from a model (runs:/RUN/PATH, models:/...), a data version or a run");
    std::string path = runs->second;
    while (!path.empty() && path.back() == '/') path.pop_back();
    g.root = b.model(run.id, run.uuid, path, e.digest.hex());
  } else if (ref.find('@') != std::string::npos) {
    g.root = b.data(resolve_data_ref(p.db(), ref).id);
  } else {
    g.root = b.run(resolve_run(p.db(), ref).id);
  }
  b.walk(g.root, true);
  b.walk(g.root, false);
  return g;
}

std::string lineage_tree(const LineageGraph& g) {
  std::string out = describe(*g.node(g.root)) + "\n";
  std::function<void(const std::string&, bool, int, std::set<std::string>&)> rec =
      [&](const std::string& id, bool up, int depth, std::set<std::string>& path) {
        for (auto& e : g.edges) {
          if ((up ? e.to : e.from) != id) continue;
          const std::string& next = up ? e.from : e.to;
          if (path.count(next)) continue;
          out += std::string(static_cast<std::size_t>(depth) * 3, ' ') + (up ? "<- " : "-> ") + describe(*g.node(next)) +
                 "  [" + e.relation + "]\n";
          path.insert(next);
          rec(next, up, depth + 1, path);
          path.erase(next);
        }
      };
  std::set<std::string> path{g.root};
  std::string before = out;
  out += "upstream:\n";
  auto mark = out.size();
  rec(g.root, true, 1, path);
  if (out.size() == mark) out += "   (nothing recorded)\n";
  out += "downstream:\n";
  mark = out.size();
  rec(g.root, false, 1, path);
  if (out.size() == mark) out += "   (nothing recorded)\n";
  return out;
}

std::string lineage_dot(const LineageGraph& g) {
  std::string out = "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  for (auto& n : g.nodes) {
    const char* shape = n.kind == "commit" ? "cds" : n.kind == "data" ? "cylinder" : n.kind == "run" ? "box"
                      : n.kind == "model" ? "component" : n.kind == "registry" ? "note" : "box3d";
    std::string label = n.label;
    if (auto it = n.attrs.find("digest"); it != n.attrs.end()) label += "\n" + it->second.substr(0, 19);
    if (auto it = n.attrs.find("stage"); it != n.attrs.end() && it->second != "None") label += "\n" + it->second;
    out += fmt::format("  {} [label={}, shape={}{}];\n", dot_quote(n.id), dot_quote(label), shape,
                       n.id == g.root ? ", penwidth=2" : "");
  }
  for (auto& e : g.edges)
    out += fmt::format("  {} -> {} [label={}];\n", dot_quote(e.from), dot_quote(e.to), dot_quote(e.relation));
  return out + "}\n";
}

}  // namespace mlt::core
