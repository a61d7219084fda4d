// mlt log param|metric|tag
#include <fmt/format.h>

#include "base/interrupt.hpp"
#include "cli/commands.hpp"
#include "cli/main.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/data/data.hpp"
#include "core/tracking/ingest.hpp"
#include "core/tracking/metrics.hpp"
#include "core/tracking/params_file.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct LogOptions {
  std::vector<std::string> pairs;
  std::string run, file, step, time;
  std::string format = "auto";
  bool strict = false;
  bool step_given = false, time_given = false;   // --step "" is an error, not "no step"
  std::vector<std::string> paths;
  std::string as;
  bool as_given = false;
  bool keep_links = false;
  std::string input, context;   // --as '' is an invalid path, not "no --as"
};

std::uint64_t bytes_below(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(p, ec)))
    return std::filesystem::is_regular_file(std::filesystem::symlink_status(p, ec)) ? std::filesystem::file_size(p, ec) : 0;
  std::uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(p, ec); !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

int log_artifact(Context& ctx, const LogOptions& o) {
  if (o.paths.empty()) throw Error(ExitCode::usage, "no paths given", "name files or directories to add");
  auto run = core::resolve_log_target(ctx.db(), o.run);
  std::vector<std::filesystem::path> sources(o.paths.begin(), o.paths.end());
  core::AddStats st;
  core::AddOptions ao;
  Progress progress(ctx, "add", 0);
  if (progress.enabled()) {  // the total costs a walk: only when a bar is shown
    std::uint64_t total = 0;
    for (auto& s : sources) total += bytes_below(s);
    progress.set_total(total);
  }
  ao.progress = progress.counter();
  ao.warn = [&ctx](const std::string& m) { ctx.warn(m); };
  ao.keep_links = o.keep_links;
  auto root = core::log_artifacts(ctx.project(), run, sources, o.as_given ? std::optional(o.as) : std::nullopt, st, ao);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["artifacts"] = root.str();
    j["files"] = st.files;
    j["links"] = st.links;
    j["followed_links"] = st.followed;
    j["bytes"] = st.bytes;
    j["read_bytes"] = st.hashed;
    j["new_bytes"] = st.new_bytes;
    print_json(j);
  } else {
    std::string links;
    if (st.links > 0) links += fmt::format(" and {} symlink{}", st.links, st.links == 1 ? "" : "s");
    if (st.followed > 0) links += fmt::format(", {} symlink{} stored as {} target{}", st.followed,
                                              st.followed == 1 ? "" : "s", st.followed == 1 ? "its" : "their",
                                              st.followed == 1 ? "" : "s");
    ctx.note(fmt::format("added {} file{}{} ({}), {} new in the store", st.files, st.files == 1 ? "" : "s", links,
                         human_bytes(st.bytes), human_bytes(st.new_bytes)));
  }
  return 0;
}

int log_input(Context& ctx, const LogOptions& o) {
  auto v = core::resolve_data_ref(ctx.db(), o.input);
  auto run = core::resolve_log_target(ctx.db(), o.run);
  core::log_input(ctx.db(), run, v, o.context);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["input"] = v.ref();
    j["digest"] = v.digest.str();
    j["context"] = o.context;
    print_json(j);
  }
  return 0;
}

int log_param(Context& ctx, const LogOptions& o) {
  std::vector<core::KeyValue> params;
  if (!o.file.empty()) params = core::read_params_file(o.file);
  for (auto& p : o.pairs) params.push_back(core::parse_kv(p, "param"));
  if (params.empty()) throw Error(ExitCode::usage, "no params given", "write K=V pairs or -f FILE");
  auto run = core::resolve_log_target(ctx.db(), o.run);
  core::log_params(ctx.db(), run, params);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["params"] = Json::object();
    for (auto& [k, v] : params) j["params"][k] = v;
    print_json(j);
  }
  return 0;
}

int log_metric(Context& ctx, const LogOptions& o) {
  if (o.pairs.empty()) throw Error(ExitCode::usage, "no metrics given", "write K=V pairs, e.g. loss=0.31");
  std::vector<std::pair<std::string, double>> values;
  for (auto& p : o.pairs) {
    auto [k, v] = core::parse_kv(p, "metric");
    auto d = core::parse_double(v);
    if (!d && out_of_range_number(v))
      throw Error(ExitCode::usage, fmt::format("metric '{}' has value '{}', which is out of range", k, v),
                  "a metric is a double (up to about 1.8e308); write inf or -inf for an infinity");
    if (!d)
      throw Error(ExitCode::usage, fmt::format("metric '{}' has value '{}', which is not a number", k, v),
                  "use a decimal number, nan, inf or -inf");
    values.emplace_back(k, *d);
  }
  std::optional<std::int64_t> step, time;
  if (o.step_given) {
    step = core::parse_int64(o.step);
    if (!step && out_of_range_number(o.step))
      throw Error(ExitCode::usage, fmt::format("--step '{}' is out of range", o.step), "a step is a 64-bit integer");
    if (!step) throw Error(ExitCode::usage, fmt::format("--step '{}' is not an integer", o.step));
  }
  if (o.time_given) {
    time = core::parse_int64(o.time);
    if (!time && out_of_range_number(o.time))
      throw Error(ExitCode::usage, fmt::format("--time '{}' is out of range", o.time),
                  "a time is epoch milliseconds, a 64-bit integer");
    if (!time || *time < 0)
      throw Error(ExitCode::usage, fmt::format("--time '{}' is not epoch milliseconds", o.time));
  }
  auto run = core::resolve_log_target(ctx.db(), o.run);
  auto used = core::log_metrics(ctx.db(), run, values, step, time);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["step"] = used;
    j["metrics"] = Json::object();
    for (auto& [k, v] : values) {
      Json x;
      put_number(x, "value", v);
      j["metrics"][k] = x;
    }
    print_json(j);
  }
  return 0;
}

int log_tag(Context& ctx, const LogOptions& o) {
  if (o.pairs.empty()) throw Error(ExitCode::usage, "no tags given", "write K=V pairs");
  std::vector<core::KeyValue> tags;
  for (auto& p : o.pairs) tags.push_back(core::parse_kv(p, "tag"));
  for (auto& [k, v] : tags) core::check_user_tag(k);
  auto run = core::resolve_log_target(ctx.db(), o.run);
  core::log_tags(ctx.db(), run, tags);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["tags"] = Json::object();
    for (auto& [k, v] : tags) j["tags"][k] = v;
    print_json(j);
  }
  return 0;
}

// Prints the end-of-stream summary (stderr; --json: one document on stdout) shared by
// 'mlt log stream' and the metrics channel of 'mlt run'.
std::string plural(std::uint64_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

void report_ingest(const Context& ctx, const core::IngestStats& st, const char* source) {
  double rate = st.seconds > 0 ? static_cast<double>(st.committed) / st.seconds : 0;
  ctx.note(fmt::format("mlt: {} {} ({}) from {}, {} rejected, in {:.2f} s ({:.0f} points/s)", source,
                       plural(st.committed, "point"), plural(st.keys, "key"), plural(st.lines, "line"), st.rejected,
                       st.seconds, rate));
}

int log_stream(Context& ctx, const LogOptions& o) {
  auto format = core::parse_line_format(o.format);
  if (!format)
    throw Error(ExitCode::usage, fmt::format("unknown format '{}'", o.format), "use auto, kv, jsonl or csv");
  auto run = core::resolve_log_target(ctx.db(), o.run);
  core::IngestOptions io;
  io.format = *format;
  io.strict = o.strict;
  Progress progress(ctx, "stream", 0, "point");   // on a terminal, after 0.5 s
  io.progress = progress.counter();
  core::Ingester ing(ctx.db(), run, io, [&progress](const core::Rejection& r) {
    progress.message(fmt::format("mlt: line {}: {}", r.line, r.reason));
  });
  core::InterruptScope interrupt;
  core::ingest_fd(0, ing, {}, &interrupt.flag(), false);
  progress.finish();
  auto st = ing.stats();
  report_ingest(ctx, st, "stored");
  if (auto f = ing.fatal())
    throw Error(ExitCode::usage, fmt::format("line {}: {}; stopped by --strict", f->line, f->reason),
                fmt::format("the {} before it {} stored", plural(st.committed, "point"),
                            st.committed == 1 ? "is" : "are"));
  if (interrupt.interrupted())
    throw Error(ExitCode::interrupted,
                fmt::format("interrupted; {} read before it {} stored", plural(st.committed, "point"),
                            st.committed == 1 ? "is" : "are"));
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["points"] = st.committed;
    j["keys"] = st.keys;
    j["lines"] = st.lines;
    j["rejected"] = st.rejected;
    j["seconds"] = st.seconds;
    print_json(j);
  }
  return 0;
}

}  // namespace

void add_log_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("log", "Log params, metrics, metric streams, tags and artifacts to a run ($MLT_RUN_ID or --run).");
  grp->require_subcommand(1);
  auto o = std::make_shared<LogOptions>();
  const char* run_help = "The run to log to (default $MLT_RUN_ID): id, id prefix or name.";

  auto* p = grp->add_subcommand("param", "Log params K=V; a param keeps its first value (a change is refused).");
  p->add_option("pairs", o->pairs, "Params as K=V.")->type_name("K=V");
  p->add_option("--file", o->file, "Read params from a YAML or JSON file; nested keys join with dots.")
      ->type_name("FILE");
  ctx.deprecate(p->add_option("-f", o->file)->type_name("FILE")->group(""), "--file");
  p->add_option("--run", o->run, run_help)->type_name("RUN");
  p->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return log_param(ctx, *o); }); });

  auto* m = grp->add_subcommand("metric", "Log metric values K=V at one step (nan, inf and -inf are kept).");
  m->add_option("pairs", o->pairs, "Metrics as K=V, V a number.")->type_name("K=V");
  auto* step = m->add_option("--step", o->step, "The step (default: one past the last step of these keys).")
                   ->type_name("N");
  auto* time = m->add_option("--time", o->time, "The time in epoch milliseconds (default: now).")->type_name("MS");
  m->add_option("--run", o->run, run_help)->type_name("RUN");
  m->callback([&ctx, o, step, time] {
    o->step_given = step->count() > 0;
    o->time_given = time->count() > 0;
    ctx.select(Needs::project, [&ctx, o] { return log_metric(ctx, *o); });
  });

  auto* t = grp->add_subcommand("tag", "Set tags K=V; a tag may be set again to a new value.");
  t->add_option("pairs", o->pairs, "Tags as K=V.")->type_name("K=V");
  t->add_option("--run", o->run, run_help)->type_name("RUN");
  t->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return log_tag(ctx, *o); }); });

  auto* a = grp->add_subcommand("artifact", "Store files or directories as artifacts of a run.");
  a->add_option("paths", o->paths, "Files or directories to add.")->type_name("PATH");
  auto* as = a->add_option("--as", o->as, "Store at DEST in the run's artifacts (with several PATHs: inside DEST).")
                 ->type_name("DEST");
  a->add_option("--run", o->run, run_help)->type_name("RUN");
  a->add_flag("--keep-links", o->keep_links,
              "Store every symlink below PATH as a link (default: only links leading inside PATH).");
  a->callback([&ctx, o, as] {
    o->as_given = as->count() > 0;
    ctx.select(Needs::project, [&ctx, o] { return log_artifact(ctx, *o); });
  });

  auto* in = grp->add_subcommand("input", "Record that a run used a data version (mlt data add makes them).");
  in->add_option("ref", o->input, "NAME@vN, NAME@latest or NAME@sha256:PREFIX.")->required()->type_name("DATA@VER");
  in->add_option("--context", o->context, "How the run used it: train, eval, test, ...")->type_name("NAME");
  in->add_option("--run", o->run, run_help)->type_name("RUN");
  in->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return log_input(ctx, *o); }); });

  auto* st = grp->add_subcommand("stream", "Read metric lines from stdin (kv, jsonl or csv) and store them in batches.");
  st->add_option("--format", o->format, "auto (by the first line, default), kv, jsonl or csv.")->type_name("FORMAT");
  st->add_flag("--strict", o->strict, "Stop at the first malformed line (exit 2) instead of skipping it.");
  st->add_option("--run", o->run, run_help)->type_name("RUN");
  st->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return log_stream(ctx, *o); }); });
}

}  // namespace mlt::cli
