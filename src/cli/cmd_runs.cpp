// mlt runs (list runs), mlt metrics (a run's full metric history)
#include <set>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/tracking/metrics.hpp"
#include "core/tracking/query.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct RunsOptions {
  std::vector<std::string> experiments, order;
  std::int64_t limit = -1;
  bool all = false, deleted = false;
  std::string format = "table", filter, columns;
};

// The value of a filter-language key for a loaded run: exact text for machines, short for tables.
std::optional<std::string> run_value(const core::Run& r, const core::QueryKey& k, bool table) {
  auto num = [&](double v) { return table ? display_number(v) : core::format_double(v); };
  switch (k.kind) {
    case core::KeyKind::param: {
      auto it = r.params.find(k.name);
      return it == r.params.end() ? std::nullopt : std::optional(it->second);
    }
    case core::KeyKind::tag: {
      auto it = r.tags.find(k.name);
      return it == r.tags.end() ? std::nullopt : std::optional(it->second);
    }
    case core::KeyKind::metric: {
      auto it = std::find_if(r.metrics.begin(), r.metrics.end(), [&](auto& m) { return m.key == k.name; });
      if (it == r.metrics.end()) return k.agg == core::Agg::count ? std::optional<std::string>("0") : std::nullopt;
      switch (k.agg) {
        case core::Agg::last: return num(it->last);
        case core::Agg::min: return it->min ? num(*it->min) : "nan";
        case core::Agg::max: return it->max ? num(*it->max) : "nan";
        case core::Agg::count: return std::to_string(it->count);
      }
      return std::nullopt;
    }
    case core::KeyKind::dataset: {
      std::vector<std::string> values;
      for (auto& in : r.inputs)
        values.push_back(k.name == "name" ? in.dataset : k.name == "digest" ? "sha256:" + in.digest
                         : k.name == "context" ? in.context : std::to_string(in.version));
      if (values.empty()) return std::nullopt;
      return fmt::format("{}", fmt::join(values, ","));
    }
    case core::KeyKind::attribute: {
      const auto& n = k.name;
      if (n == "run_id") return r.uuid;
      if (n == "run_name" || n == "name") return r.name;
      if (n == "status") return r.status;
      if (n == "user" || n == "user_id") return r.user;
      if (n == "experiment") return r.experiment;
      if (n == "start_time") return table ? core::local_time(r.start_ms) : core::rfc3339_utc(r.start_ms);
      if (n == "end_time")
        return r.end_ms ? std::optional(table ? core::local_time(*r.end_ms) : core::rfc3339_utc(*r.end_ms)) : std::nullopt;
      if (n == "duration")
        return r.end_ms ? std::optional(table ? core::human_duration(*r.end_ms - r.start_ms)
                                              : std::to_string(*r.end_ms - r.start_ms))
                        : std::nullopt;
      if (n == "exit_code") return r.exit_code ? std::optional(std::to_string(*r.exit_code)) : std::nullopt;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<core::QueryKey> parse_columns(const std::string& list) {
  std::vector<core::QueryKey> out;
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    char c = i < list.size() ? list[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      std::string item = list.substr(start, i - start);
      if (!item.empty()) out.push_back(core::parse_key(item, "'--columns' key"));
      start = i + 1;
    }
  }
  return out;
}

int runs(Context& ctx, const RunsOptions& o) {
  core::SearchSpec q;
  q.experiments = o.experiments;
  q.lifecycle = o.all ? core::Lifecycle::all : o.deleted ? core::Lifecycle::deleted : core::Lifecycle::active;
  if (o.limit >= 0) q.limit = o.limit;
  q.filter = o.filter;
  q.order = o.order;
  Format fmt = parse_format(o.format);  // validated even when --json overrides it
  if (ctx.global.json) fmt = Format::json;
  auto columns = parse_columns(o.columns);
  for (auto& s : o.order) core::parse_order(s, "'-s' order key");   // errors name the option
  auto list = core::load_runs(ctx.db(), core::search_runs(ctx.db(), q));
  ctx.page();

  if (fmt == Format::json) {
    Json j;
    j["runs"] = Json::array();
    for (auto& r : list) j["runs"].push_back(run_json(r));
    print_json(j);
    return 0;
  }
  bool table = fmt == Format::table;
  if (!columns.empty()) {
    std::vector<std::string> header = {table ? "ID" : "id", table ? "NAME" : "name"};
    for (auto& k : columns) header.push_back(k.text());
    std::vector<std::vector<std::string>> rows;
    for (auto& r : list) {
      std::vector<std::string> row = {table ? short_id(r.uuid) : r.uuid, r.name};
      for (auto& k : columns) row.push_back(run_value(r, k, table).value_or(table ? "-" : ""));
      rows.push_back(std::move(row));
    }
    if (table) print_table(header, rows);
    else print_delimited(fmt == Format::csv ? ',' : '\t', header, rows);
    return 0;
  }
  std::set<std::string> param_keys, metric_keys;
  for (auto& r : list) {
    for (auto& [k, v] : r.params) param_keys.insert(k);
    for (auto& m : r.metrics) metric_keys.insert(m.key);
  }
  std::vector<std::string> header = {"id", "name", "experiment", "status", "start", table ? "duration" : "duration_ms"};
  if (table)
    for (auto& h : header) std::transform(h.begin(), h.end(), h.begin(), ::toupper);
  for (auto& k : param_keys) header.push_back("params." + k);
  for (auto& k : metric_keys) header.push_back("metrics." + k);
  auto now = core::now_ms();
  std::vector<std::vector<std::string>> rows;
  for (auto& r : list) {
    std::vector<std::string> row;
    auto dur = r.end_ms.value_or(now) - r.start_ms;
    row.push_back(table ? short_id(r.uuid) : r.uuid);
    row.push_back(r.name + (table && r.deleted ? " (deleted)" : ""));
    row.push_back(r.experiment);
    row.push_back(table && r.stale ? "STALE" : r.status);   // RUNNING, its 'mlt run' is gone
    row.push_back(table ? core::local_time(r.start_ms) : core::rfc3339_utc(r.start_ms));
    row.push_back(table ? core::human_duration(dur) : (r.end_ms ? std::to_string(dur) : std::string()));
    for (auto& k : param_keys) {
      auto it = r.params.find(k);
      row.push_back(it == r.params.end() ? (table ? "-" : "") : it->second);
    }
    for (auto& k : metric_keys) {
      auto it = std::find_if(r.metrics.begin(), r.metrics.end(), [&](auto& m) { return m.key == k; });
      if (it == r.metrics.end()) row.push_back(table ? "-" : "");
      else row.push_back(table ? display_number(it->last) : core::format_double(it->last));
    }
    rows.push_back(std::move(row));
  }
  if (table) {
    if (rows.empty()) {
      ctx.note(o.filter.empty() ? "no runs yet: try 'mlt run -- CMD' or 'mlt run start'" : "no runs match the filter");
      return 0;
    }
    print_table(header, rows);
  } else {
    print_delimited(fmt == Format::csv ? ',' : '\t', header, rows);
  }
  return 0;
}

struct MetricsOptions {
  std::string run;
  std::vector<std::string> keys;
  std::string format = "table";
};

// Streams: a run may hold millions of points, so rows go out as they are read.
int metrics(Context& ctx, const MetricsOptions& o) {
  Format fmt = parse_format(o.format);
  if (ctx.global.json) fmt = Format::json;
  auto run = core::resolve_run(ctx.db(), o.run);
  auto keys = core::metric_keys(ctx.db(), run, o.keys);
  ctx.page();
  std::string buf;
  auto flush = [&](bool force) {
    if (force || buf.size() > (1 << 16)) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
  };
  if (fmt == Format::json) {
    // One document, written incrementally: {"run": ..., "metrics": {"k": [ {...}, ... ], ...}}
    buf = fmt::format("{{\n  \"run\": {},\n  \"name\": {},\n  \"metrics\": {{", Json(run.uuid).dump(),
                      Json(run.name).dump());
    std::string current;
    bool first_key = true, first_point = true;
    for (auto& k : keys) {
      buf += fmt::format("{}\n    {}: [", first_key ? "" : ",", Json(k).dump());
      first_key = false;
      first_point = true;
      current = k;
      core::for_each_point(ctx.db(), run, {k}, [&](const std::string&, const core::MetricPoint& p) {
        Json x;
        x["step"] = p.step;
        put_time(x, "time", p.time_ms);
        put_number(x, "value", p.value);
        buf += first_point ? "\n      " : ",\n      ";
        buf += x.dump();
        first_point = false;
        flush(false);
      });
      buf += first_point ? "]" : "\n    ]";
    }
    buf += keys.empty() ? "}\n}\n" : "\n  }\n}\n";
    flush(true);
    return 0;
  }
  if (fmt == Format::csv || fmt == Format::tsv) {
    char sep = fmt == Format::csv ? ',' : '\t';
    buf = fmt::format("key{0}step{0}time_ms{0}value\n", sep);
    core::for_each_point(ctx.db(), run, keys, [&](const std::string& k, const core::MetricPoint& p) {
      buf += fmt::format("{1}{0}{2}{0}{3}{0}{4}\n", sep, delimited_cell(sep, k), p.step, p.time_ms,
                         core::format_double(p.value));
      flush(false);
    });
    flush(true);
    return 0;
  }
  std::size_t w = 3;
  for (auto& k : keys) w = std::max(w, k.size());
  buf = fmt::format("{:<{}}  {:>8}  {:<29}  {}\n", "KEY", w, "STEP", "TIME", "VALUE");
  core::for_each_point(ctx.db(), run, keys, [&](const std::string& k, const core::MetricPoint& p) {
    buf += fmt::format("{:<{}}  {:>8}  {:<29}  {}\n", k, w, p.step, core::local_time(p.time_ms),
                       core::format_double(p.value));
    flush(false);
  });
  flush(true);
  return 0;
}

}  // namespace

void add_runs_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<RunsOptions>();
  auto* r = root.add_subcommand("runs", "List runs, newest first, with their params and last metric values.");
  r->add_option("-e,--experiment", o->experiments, "Only runs of experiment EXP (repeatable).")
      ->type_name("EXP")
      ->allow_extra_args(false);
  r->add_option("-f,--filter", o->filter, "Only runs matching FILTER, e.g. \"metrics.loss < 0.3 AND params.lr = '0.1'\".")
      ->type_name("FILTER");
  r->add_option("-s,--sort", o->order, "Order by KEY [ASC|DESC] (repeatable; missing values last).")
      ->type_name("ORDER")
      ->allow_extra_args(false);
  r->add_option("--columns", o->columns, "Show these keys, comma-separated, e.g. params.lr,min(metrics.loss).")
      ->type_name("LIST");
  auto limit_check = [](const std::string& s) {
    return !s.empty() && s[0] == '-' ? std::string("must be 0 or more") : std::string();
  };
  r->add_option("--limit", o->limit, "Show at most N runs.")->type_name("N")->check(limit_check);
  ctx.deprecate(r->add_option("-n", o->limit)->type_name("N")->check(limit_check)->group(""), "--limit");
  auto* all = r->add_flag("--all", o->all, "Include deleted runs.");
  r->add_flag("--deleted", o->deleted, "List only deleted runs.")->excludes(all);
  r->add_option("--format", o->format, "table (default), json, csv or tsv.")->type_name("FORMAT");
  r->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return runs(ctx, *o); }); });

  auto m = std::make_shared<MetricsOptions>();
  auto* h = root.add_subcommand("metrics", "Print the full history of RUN's metrics (all keys, or the KEYs given).");
  h->add_option("run", m->run, "The run: id, id prefix (4+ hex digits) or name.")->required()->type_name("RUN");
  h->add_option("keys", m->keys, "Metric keys to print (default: all).")->type_name("KEY");
  h->add_option("--format", m->format, "table (default), json, csv or tsv.")->type_name("FORMAT");
  h->callback([&ctx, m] { ctx.select(Needs::project, [&ctx, m] { return metrics(ctx, *m); }); });
}

}  // namespace mlt::cli
