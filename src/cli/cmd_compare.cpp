// mlt check (a CI gate), mlt diff (two runs, git-diff style), mlt compare (runs side by side)
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/tracking/query.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct CompareOptions {
  std::string filter, run, run_a, run_b;
  std::vector<std::string> runs, higher, lower;
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

enum class Goal { unknown, lower, higher };

const char* goal_name(Goal g) { return g == Goal::lower ? "lower" : g == Goal::higher ? "higher" : nullptr; }

// The words of a metric key: split at _ . - / and spaces, and where camelCase turns to a new word
// (valLoss, F1Score, top1Acc, ROCAuc), lower-cased.
std::vector<std::string> key_words(const std::string& key) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) words.push_back(w);
    w.clear();
  };
  auto is_up = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
  auto is_low = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '_' || c == '.' || c == '-' || c == '/' || c == ' ' || c == ':') {
      flush();
      continue;
    }
    if (is_up(c) && i > 0) {
      char p = key[i - 1];
      bool next_low = i + 1 < key.size() && is_low(key[i + 1]);
      if (is_low(p) || std::isdigit(static_cast<unsigned char>(p)) || (is_up(p) && next_low)) flush();
    }
    w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  flush();
  return words;
}

// Which way a metric improves, from the whole words of its name; the last word with a rule
// decides (val_acc_loss is a loss). Unknown words decide nothing: no best value is marked.
Goal goal_from_name(const std::string& key) {
  static const std::set<std::string> lower = {
      "loss",  "losses", "error", "errors",  "err",     "wer",      "cer",     "ter",      "mse",     "mae",
      "rmse",  "mape",   "smape", "rmsle",   "msle",    "nll",      "perplexity", "ppl",   "latency", "time",
      "duration", "runtime", "seconds", "secs", "ms",   "cost",     "regret",  "fpr",      "fnr",     "eer",
      "bpc",   "bpd",    "distance", "divergence", "kl", "fid"};
  static const std::set<std::string> higher = {
      "acc",    "accuracy", "f1",     "fscore",  "auc",    "auroc",    "auprc",  "roc",     "precision", "prec",
      "recall", "bleu",     "rouge",  "rouge1",  "rouge2", "rougel",   "meteor", "map",     "ndcg",      "mrr",
      "iou",    "miou",     "dice",   "r2",      "score",  "reward",   "return", "throughput", "fps",    "psnr",
      "ssim",   "top1",     "top5",   "kappa",   "mcc",    "tpr",      "specificity", "sensitivity", "hits",
      "em",     "exact",    "pass@1", "winrate", "sharpe"};
  auto words = key_words(key);
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    if (lower.count(*it)) return Goal::lower;
    if (higher.count(*it)) return Goal::higher;
  }
  return Goal::unknown;
}

// A comma-separated list of metric keys (a setting, or one --higher/--lower value); a leading
// "metrics." is allowed.
std::vector<std::string> key_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ',') continue;
    std::string k = text.substr(start, i - start);
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.front()))) k.erase(0, 1);
    while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.pop_back();
    if (k.starts_with("metrics.")) k = k.substr(8);
    if (!k.empty()) out.push_back(k);
    start = i + 1;
  }
  return out;
}

// The goal of each key named by --higher/--lower (they win) or compare.higher/compare.lower.
std::map<std::string, Goal> goal_overrides(Context& ctx, const CompareOptions& o) {
  std::map<std::string, Goal> out;
  auto put = [&](const std::string& text, Goal g, const std::string& source, bool strict) {
    for (auto& k : key_list(text)) {
      auto [it, fresh] = out.emplace(k, g);
      if (!fresh && it->second != g && strict)
        throw Error(ExitCode::usage, fmt::format("metric '{}' is given as both higher and lower is better", k),
                    fmt::format("name it in {} once", source));
      it->second = g;
    }
  };
  std::map<std::string, Goal> flags;
  for (auto& t : o.higher) put(t, Goal::higher, "--higher or --lower", true);
  for (auto& t : o.lower) put(t, Goal::lower, "--higher or --lower", true);
  flags.swap(out);
  put(ctx.config().get_string("compare.higher"), Goal::higher, "compare.higher or compare.lower", true);
  put(ctx.config().get_string("compare.lower"), Goal::lower, "compare.higher or compare.lower", true);
  for (auto& [k, g] : flags) out[k] = g;
  return out;
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
  auto overrides = goal_overrides(ctx, o);   // a bad flag or setting is exit 2 before anything else
  std::vector<core::Run> runs;
  for (auto& r : o.runs) runs.push_back(core::load_run(ctx.db(), core::resolve_run(ctx.db(), r)));
  ctx.page();
  struct Row {
    std::string key;
    std::vector<std::optional<std::string>> values;
    std::vector<std::optional<double>> numbers;
    bool differs = false;
    std::optional<std::size_t> best;
    Goal goal = Goal::unknown;
    bool metric = false;
  };
  std::vector<std::string> undecided;   // differing metrics whose direction is unknown
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
    row.metric = true;
    auto ov = overrides.find(k);
    row.goal = ov != overrides.end() ? ov->second : goal_from_name(k);
    if (row.goal == Goal::unknown) {
      if (row.differs) undecided.push_back(k);
      continue;
    }
    bool low = row.goal == Goal::lower;
    for (std::size_t i = 0; i < row.numbers.size(); ++i) {
      if (!row.numbers[i] || !std::isfinite(*row.numbers[i])) continue;   // NaN and +-inf are never best
      if (!row.best || (low ? *row.numbers[i] < *row.numbers[*row.best] : *row.numbers[i] > *row.numbers[*row.best]))
        row.best = i;
    }
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
      if (row.metric) x["goal"] = goal_name(row.goal) ? Json(goal_name(row.goal)) : Json(nullptr);
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
  if (!undecided.empty())
    ctx.note(fmt::format("no best marked for {}: whether higher or lower is better is not known from the name; "
                         "say so with --higher KEY or --lower KEY, or the settings compare.higher and compare.lower",
                         fmt::join(undecided, ", ")));
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
  m->add_option("--higher", o->higher, "Higher is better for metric KEY (repeatable, or KEY,KEY).")
      ->type_name("KEY")
      ->allow_extra_args(false);
  m->add_option("--lower", o->lower, "Lower is better for metric KEY (repeatable, or KEY,KEY).")
      ->type_name("KEY")
      ->allow_extra_args(false);
  m->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return compare(ctx, *o); }); });
}

}  // namespace mlt::cli
