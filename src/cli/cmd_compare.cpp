// mlt check (a CI gate), mlt diff (two runs, git-diff style), mlt compare (runs side by side)
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/artifacts.hpp"
#include "core/clock.hpp"
#include "core/query.hpp"
#include "core/runs.hpp"

namespace mlt::cli {
namespace {

struct CompareOptions {
  std::string filter, run, run_a, run_b;
  std::vector<std::string> runs;
};


int check(Context& ctx, const CompareOptions& o) {
  auto expr = core::parse_filter(o.filter);  // a bad filter is exit 2 before anything else
  auto run = core::resolve_run_or_env(ctx.db(), o.run);
  core::SearchSpec spec;
  spec.filter = o.filter;
  spec.lifecycle = core::Lifecycle::all;
  spec.only_run = run.id;
  bool match = !core::search_runs(ctx.db(), spec).empty();
  auto keys = core::filter_keys(*expr);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["filter"] = o.filter;
    j["match"] = match;
    j["values"] = Json::object();
    for (auto& k : keys) {
      auto v = core::key_value(ctx.db(), run.id, k);
      j["values"][k.text()] = v ? Json(*v) : Json(nullptr);
    }
    print_json(j);
  } else if (!ctx.global.quiet) {
    for (auto& k : keys) {
      auto v = core::key_value(ctx.db(), run.id, k);
      std::fprintf(stderr, "  %s = %s\n", k.text().c_str(), v ? v->c_str() : "(missing)");
    }
    std::fprintf(stderr, "mlt: run %s (%s) %s: %s\n", short_id(run.uuid).c_str(), run.name.c_str(),
                 match ? "matches" : "does not match", o.filter.c_str());
  }
  return match ? 0 : 1;
}

// Lower is better for losses and errors, higher for everything else.
bool lower_is_better(const std::string& key) {
  std::string k = key;
  for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"loss", "error", "err", "mae", "mse", "rmse", "perplexity", "wer", "cer", "latency"})
    if (k.find(w) != std::string::npos) return true;
  return false;
}

std::map<std::string, std::pair<core::EntryKind, std::string>> artifact_files(Context& ctx, const core::RunRef& r) {
  std::map<std::string, std::pair<core::EntryKind, std::string>> out;
  if (auto root = core::artifact_root(ctx.db(), r))
    core::walk_tree(ctx.project().objects(), *root, [&](const std::string& p, const core::TreeEntry& e) {
      if (e.kind != core::EntryKind::dir) out[p] = {e.kind, e.digest.str()};
    });
  return out;
}

int diff(Context& ctx, const CompareOptions& o) {
  auto ra = core::resolve_run(ctx.db(), o.run_a);
  auto rb = core::resolve_run(ctx.db(), o.run_b);
  auto a = core::load_run(ctx.db(), ra), b = core::load_run(ctx.db(), rb);
  ctx.page();
  Json j;
  j["a"] = a.uuid;
  j["b"] = b.uuid;
  std::string out;
  bool equal = true;

  auto kv_section = [&](const char* name, const std::map<std::string, std::string>& x,
                        const std::map<std::string, std::string>& y) {
    Json arr = Json::array();
    std::set<std::string> keys;
    for (auto& [k, v] : x) keys.insert(k);
    for (auto& [k, v] : y) keys.insert(k);
    std::string sec;
    for (auto& k : keys) {
      auto ix = x.find(k), iy = y.find(k);
      std::optional<std::string> va, vb;
      if (ix != x.end()) va = ix->second;
      if (iy != y.end()) vb = iy->second;
      if (va == vb) continue;
      if (va) sec += fmt::format("- {} = {}\n", k, *va);
      if (vb) sec += fmt::format("+ {} = {}\n", k, *vb);
      arr.push_back({{"key", k}, {"a", va ? Json(*va) : Json(nullptr)}, {"b", vb ? Json(*vb) : Json(nullptr)}});
    }
    if (!sec.empty()) {
      equal = false;
      out += fmt::format("{}:\n{}", name, sec);
    }
    j[name] = arr;
  };
  std::map<std::string, std::string> attrs_a = {{"status", a.status}, {"experiment", a.experiment}},
                                     attrs_b = {{"status", b.status}, {"experiment", b.experiment}};
  if (a.exit_code) attrs_a["exit_code"] = std::to_string(*a.exit_code);
  if (b.exit_code) attrs_b["exit_code"] = std::to_string(*b.exit_code);
  kv_section("attributes", attrs_a, attrs_b);
  kv_section("params", a.params, b.params);
  auto inputs_of = [](const core::Run& r) {
    std::map<std::string, std::string> m;   // "dataset (context)" -> "dataset@vN sha256:..."
    for (auto& in : r.inputs)
      m[in.context.empty() ? in.dataset : in.dataset + " (" + in.context + ")"] =
          fmt::format("{} sha256:{}", in.ref(), in.digest.substr(0, 12));
    return m;
  };
  kv_section("inputs", inputs_of(a), inputs_of(b));

  // metrics: last, min and max with deltas
  std::map<std::string, const core::MetricSummary*> ma, mb;
  for (auto& m : a.metrics) ma[m.key] = &m;
  for (auto& m : b.metrics) mb[m.key] = &m;
  std::set<std::string> mkeys;
  for (auto& [k, v] : ma) mkeys.insert(k);
  for (auto& [k, v] : mb) mkeys.insert(k);
  Json marr = Json::array();
  std::string msec;
  auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
  for (auto& k : mkeys) {
    auto* x = ma.count(k) ? ma[k] : nullptr;
    auto* y = mb.count(k) ? mb[k] : nullptr;
    Json item;
    item["key"] = k;
    auto summary = [](const core::MetricSummary* s) {
      if (!s) return Json(nullptr);
      Json v;
      put_number(v, "last", s->last);
      put_number(v, "min", s->min);
      put_number(v, "max", s->max);
      v["count"] = s->count;
      return v;
    };
    item["a"] = summary(x);
    item["b"] = summary(y);
    if (x && y && same(x->last, y->last) && x->min == y->min && x->max == y->max) continue;
    if (x && y) {
      put_number(item, "delta_last", y->last - x->last);
      msec += fmt::format("~ {}: last {} -> {} ({:+.6g}), min {} -> {}, max {} -> {}\n", k, display_number(x->last),
                          display_number(y->last), y->last - x->last, x->min ? display_number(*x->min) : "nan",
                          y->min ? display_number(*y->min) : "nan", x->max ? display_number(*x->max) : "nan",
                          y->max ? display_number(*y->max) : "nan");
    } else if (x) {
      msec += fmt::format("- {}: last {}\n", k, display_number(x->last));
    } else {
      msec += fmt::format("+ {}: last {}\n", k, display_number(y->last));
    }
    marr.push_back(std::move(item));
  }
  if (!msec.empty()) {
    equal = false;
    out += "metrics:\n" + msec;
  }
  j["metrics"] = marr;
  kv_section("tags", a.tags, b.tags);

  auto fa = artifact_files(ctx, ra), fb = artifact_files(ctx, rb);
  std::set<std::string> paths;
  for (auto& [p, v] : fa) paths.insert(p);
  for (auto& [p, v] : fb) paths.insert(p);
  Json aarr = Json::array();
  std::string asec;
  for (auto& p : paths) {
    auto ia = fa.find(p), ib = fb.find(p);
    if (ia != fa.end() && ib != fb.end() && ia->second == ib->second) continue;
    const char* change = ia == fa.end() ? "added" : ib == fb.end() ? "removed" : "modified";
    asec += fmt::format("{} {}\n", change[0] == 'a' ? "A" : change[0] == 'r' ? "D" : "M", p);
    aarr.push_back({{"path", p}, {"change", change},
                    {"a", ia == fa.end() ? Json(nullptr) : Json(ia->second.second)},
                    {"b", ib == fb.end() ? Json(nullptr) : Json(ib->second.second)}});
  }
  if (!asec.empty()) {
    equal = false;
    out += "artifacts:\n" + asec;
  }
  j["artifacts"] = aarr;
  j["equal"] = equal;
  if (ctx.global.json) {
    print_json(j);
  } else {
    std::printf("--- run %s (%s)\n+++ run %s (%s)\n%s", a.uuid.c_str(), a.name.c_str(), b.uuid.c_str(),
                b.name.c_str(), equal ? "" : out.c_str());
    if (equal) ctx.note("the runs have the same params, metrics, tags and artifacts");
  }
  return equal ? 0 : 1;
}

int compare(Context& ctx, const CompareOptions& o) {
  if (o.runs.size() < 2) throw Error(ExitCode::usage, "compare needs at least two runs", "name two or more RUNs");
  std::vector<core::Run> runs;
  for (auto& r : o.runs) runs.push_back(core::load_run(ctx.db(), core::resolve_run(ctx.db(), r)));
  ctx.page();
  struct Row {
    std::string key;
    std::vector<std::optional<std::string>> values;
    std::vector<std::optional<double>> numbers;
    bool differs = false;
    std::optional<std::size_t> best;
  };
  std::vector<Row> rows;
  auto add = [&](std::string key, auto get) {
    Row row{std::move(key), {}, {}, false, std::nullopt};
    for (auto& r : runs) {
      auto [text, num] = get(r);
      row.values.push_back(text);
      row.numbers.push_back(num);
    }
    for (auto& v : row.values) row.differs = row.differs || v != row.values[0];
    rows.push_back(std::move(row));
  };
  using V = std::pair<std::optional<std::string>, std::optional<double>>;
  add("status", [](const core::Run& r) { return V{r.status, std::nullopt}; });
  add("duration", [](const core::Run& r) {
    return r.end_ms ? V{core::human_duration(*r.end_ms - r.start_ms), std::nullopt} : V{};
  });
  std::set<std::string> pkeys, mkeys;
  for (auto& r : runs) {
    for (auto& [k, v] : r.params) pkeys.insert(k);
    for (auto& m : r.metrics) mkeys.insert(m.key);
  }
  for (auto& k : pkeys)
    add("params." + k, [&](const core::Run& r) {
      auto it = r.params.find(k);
      return it == r.params.end() ? V{} : V{it->second, std::nullopt};
    });
  for (auto& k : mkeys) {
    add("metrics." + k, [&](const core::Run& r) {
      auto it = std::find_if(r.metrics.begin(), r.metrics.end(), [&](auto& m) { return m.key == k; });
      if (it == r.metrics.end()) return V{};
      return V{display_number(it->last), std::isnan(it->last) ? std::nullopt : std::optional(it->last)};
    });
    auto& row = rows.back();
    bool low = lower_is_better(k);
    for (std::size_t i = 0; i < row.numbers.size(); ++i)
      if (row.numbers[i] && (!row.best || (low ? *row.numbers[i] < *row.numbers[*row.best]
                                               : *row.numbers[i] > *row.numbers[*row.best])))
        row.best = i;
    if (!row.differs) row.best.reset();
  }
  std::stable_partition(rows.begin(), rows.end(), [](const Row& r) { return r.differs; });
  if (ctx.global.json) {
    Json j;
    j["runs"] = Json::array();
    for (auto& r : runs) j["runs"].push_back(r.uuid);
    j["rows"] = Json::array();
    for (auto& row : rows) {
      Json x;
      x["key"] = row.key;
      x["values"] = Json::array();
      for (auto& v : row.values) x["values"].push_back(v ? Json(*v) : Json(nullptr));
      x["differs"] = row.differs;
      x["best"] = row.best ? Json(*row.best) : Json(nullptr);
      j["rows"].push_back(std::move(x));
    }
    print_json(j);
    return 0;
  }
  bool colour = ctx.color();
  std::vector<std::string> header = {"KEY"};
  for (auto& r : runs) header.push_back(short_id(r.uuid) + " " + r.name);
  std::vector<std::vector<std::string>> table;
  for (auto& row : rows) {
    std::vector<std::string> cells = {row.key};
    for (std::size_t i = 0; i < row.values.size(); ++i) {
      std::string v = row.values[i].value_or("-");
      if (row.best && *row.best == i) v = colour ? "\033[1;32m" + v + " *\033[0m" : v + " *";
      cells.push_back(v);
    }
    table.push_back(std::move(cells));
  }
  print_table(header, table);
  return 0;
}

}  // namespace

void add_compare_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<CompareOptions>();
  auto* c = root.add_subcommand("check", "Exit 0 when RUN matches FILTER and 1 when not: a gate for CI.");
  c->add_option("filter", o->filter, "A filter, e.g. 'metrics.auc >= 0.9 AND metrics.loss < 0.3'.")->required();
  c->add_option("--run", o->run, "The run (default $MLT_RUN_ID).")->type_name("RUN");
  c->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return check(ctx, *o); }); });

  auto* d = root.add_subcommand("diff", "Show what differs between two runs; exit 0 when nothing does, 1 otherwise.");
  d->add_option("run_a", o->run_a, "The first run (the one shown as '-').")->required()->type_name("RUN_A");
  d->add_option("run_b", o->run_b, "The second run (shown as '+').")->required()->type_name("RUN_B");
  d->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return diff(ctx, *o); }); });

  auto* m = root.add_subcommand("compare", "Show runs side by side, differing rows first, the best metric marked '*'.");
  m->add_option("runs", o->runs, "Two or more runs.")->required()->type_name("RUN");
  m->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return compare(ctx, *o); }); });
}

}  // namespace mlt::cli
