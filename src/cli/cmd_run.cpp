// mlt run -- CMD (the main job), mlt run start|end|show|rm|restore|rename|note
#include <cstdlib>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/data/data.hpp"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "base/values.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/git.hpp"
#include "core/tracking/channel.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct RunOptions {
  std::string experiment, name, parent, run, status, new_name, text;
  std::vector<std::string> params, tags, command, inputs;
  bool no_git = false, no_capture = false, export_env = false, metrics_from_stdout = false;
  std::optional<std::string> metrics_prefix;   // not given: the run.metrics_prefix setting
};

// What every new run records about where it started: user, host, working directory, git state.
core::NewRun new_run_spec(Context& ctx, const RunOptions& o, std::string* git_diff = nullptr) {
  core::NewRun spec;
  spec.experiment = o.experiment;
  spec.name = o.name;
  spec.parent = o.parent;
  spec.user = core::current_user();
  for (auto& p : o.params) spec.params.push_back(core::parse_kv(p, "param"));
  for (auto& t : o.tags) spec.tags.push_back(core::parse_kv(t, "tag"));
  for (auto& [k, v] : spec.tags) core::check_user_tag(k);
  if (spec.parent.empty())
    if (const char* outer = std::getenv("MLT_RUN_ID"); outer && *outer) {
      // Started inside another run that is still going (a sweep script under 'mlt run'): nest
      // under it. A leftover MLT_RUN_ID of an ended run is ignored.
      try {
        auto p = core::resolve_run(ctx.db(), outer, false);
        if (p.status == "RUNNING") spec.parent = p.uuid;
      } catch (const Error&) {
        ctx.warn(fmt::format("MLT_RUN_ID '{}' is not a run of this project; not nesting under it", outer));
      }
    }
  spec.tags.emplace_back("mlt.host", core::host_name());
  auto cwd = ctx.cwd();
  auto rel = cwd.lexically_relative(ctx.project().root());
  spec.tags.emplace_back("mlt.source.cwd",
                         (rel.empty() || rel.native().starts_with("..")) ? cwd.string() : rel.string());
  if (!o.no_git) {
    auto g = core::git_state(cwd);
    if (g.state) {
      for (auto& [k, v] : {std::pair<const char*, const std::string&>{"mlt.git.commit", g.state->commit},
                           {"mlt.git.branch", g.state->branch},
                           {"mlt.git.remote", g.state->remote_url}})
        if (!v.empty()) spec.tags.emplace_back(k, v);
      spec.tags.emplace_back("mlt.git.dirty", g.state->dirty ? "true" : "false");
      spec.tags.emplace_back("mlt.git.untracked", std::to_string(g.state->untracked));
      if (git_diff) *git_diff = g.state->diff;
    } else if (g.why_not != "not a git repository") {
      ctx.warn(fmt::format("git state not recorded: {}", g.why_not));
    }
  }
  return spec;
}


// A capture file in .mlt/tmp for one of the child's outputs, removed at the end.
struct CaptureFile {
  std::filesystem::path path;
  int fd = -1;
  CaptureFile(const std::filesystem::path& dir, const char* name) : path(dir / name) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ExitCode::failure, fmt::format("cannot create '{}'", path.string()));
  }
  ~CaptureFile() {
    if (fd >= 0) ::close(fd);
  }
};

// --input values, resolved before the run is created so that a bad one records nothing.
std::vector<std::pair<core::DataVersion, std::string>> resolve_inputs(Context& ctx, const RunOptions& o) {
  std::vector<std::pair<core::DataVersion, std::string>> out;
  for (auto& in : o.inputs) {
    auto eq = in.find('=');
    std::string context = eq == std::string::npos ? "" : in.substr(0, eq);
    std::string ref = eq == std::string::npos ? in : in.substr(eq + 1);
    out.emplace_back(core::resolve_data_ref(ctx.db(), ref), context);
  }
  return out;
}

void record_inputs(Context& ctx, const core::RunRef& run,
                   const std::vector<std::pair<core::DataVersion, std::string>>& inputs) {
  for (auto& [v, context] : inputs) core::log_input(ctx.db(), run, v, context);
}

// Whether CMD came after '--' on the command line. CLI11 does not say, so the process's own
// arguments are read back: CMD is their tail, and '--' is the word just before it.
bool command_after_double_dash(const std::vector<std::string>& cmd) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  if (!in) return true;  // cannot tell: accept the command as written
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::size_t start = 0;
  while (start < all.size()) {
    auto end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  if (args.size() < cmd.size() + 1) return true;
  return args[args.size() - cmd.size() - 1] == "--";
}

// 'mlt run ls' and 'mlt run strat' are slips for 'mlt runs' and 'mlt run start', not programs to
// track: without '--', a first word that is 'ls' or 'list', or that is no program on PATH and is
// one edit away from a subcommand of 'mlt run', is refused (exit 2). 'mlt run -- ls' runs /bin/ls.
void refuse_subcommand_slip(const std::vector<std::string>& cmd, const std::vector<std::string>& subcommands) {
  const std::string& w = cmd[0];
  std::string suggestion;
  if (w == "ls" || w == "list") suggestion = "mlt runs";
  // a slip is no program: 'mlt run env X' and 'mlt run node x.js' run what PATH finds
  std::string why;
  bool program = suggestion.empty() && core::find_executable(w, why).has_value();
  for (auto& s : subcommands)
    if (suggestion.empty() && !program && core::edit_distance(w, s, 1) <= 1) suggestion = "mlt run " + s;
  if (suggestion.empty() || command_after_double_dash(cmd)) return;
  throw Error(ExitCode::usage, fmt::format("'{}' is not a 'mlt run' subcommand", w),
              fmt::format("did you mean '{}'? To run the program '{}' as a tracked run, write 'mlt run -- {}'",
                          suggestion, w, core::shell_quote(cmd)));
}

int run_command(Context& ctx, const RunOptions& o, const std::vector<std::string>& cmd) {
  if (cmd.empty())
    throw Error(ExitCode::usage, "no command to run", "write 'mlt run [OPTIONS] -- CMD [ARG]...'");
  // A reader that goes away ('mlt run -- CMD | head -1') must not kill the supervisor: the run
  // still ends with the child's status, and the captured output is still stored.
  ::signal(SIGPIPE, SIG_IGN);
  std::string why;
  if (!core::find_executable(cmd[0], why)) {
    // like a shell: 127 when the command cannot be found, 126 when it cannot be executed
    bool exists = why == "not an executable file";
    throw Error(exists ? ExitCode{126} : ExitCode{127}, fmt::format("cannot run '{}': {}", cmd[0], why),
                "check the command name and PATH; no run was recorded");
  }
  auto inputs = resolve_inputs(ctx, o);
  std::string git_diff;
  auto spec = new_run_spec(ctx, o, &git_diff);
  spec.tags.emplace_back("mlt.source.command", core::shell_quote(cmd));
  spec.supervisor = core::this_process();   // tells a run whose mlt was killed from a live one
  auto created = core::create_run(ctx.db(), spec);
  record_inputs(ctx, created.ref, inputs);
  if (created.created_experiment) ctx.note(fmt::format("mlt: created experiment '{}'", created.experiment));
  ctx.note(fmt::format("mlt: run {} ({}) started in '{}'", short_id(created.ref.uuid), created.ref.name,
                       created.experiment));

  std::vector<std::pair<std::string, std::string>> env = {{"MLT_RUN_ID", created.ref.uuid},
                                                          {"MLT_EXE", core::self_exe()}};
  if (std::getenv("MLT_DIR") == nullptr) env.emplace_back("MLT_DIR", ctx.project().dir().string());

  // Captured output goes to files in a private folder of .mlt/tmp, stored as artifacts at the end.
  std::filesystem::path capture_dir = ctx.project().objects().tmp_dir() / fmt::format("run-{}", created.ref.uuid);
  struct RemoveDir {
    std::filesystem::path p;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } remove_capture{capture_dir};
  std::optional<CaptureFile> out_file, err_file;
  if (!o.no_capture) {
    if (::mkdir(capture_dir.c_str(), 0700) != 0)
      throw Error(ExitCode::failure, fmt::format("cannot create '{}'", capture_dir.string()));
    out_file.emplace(capture_dir, "stdout.txt");
    err_file.emplace(capture_dir, "stderr.txt");
  }

  auto on_reject = [](const char* what) {
    return [what](const core::Rejection& r) {
      std::fprintf(stderr, "mlt: %s line %llu: %s\n", what, static_cast<unsigned long long>(r.line), r.reason.c_str());
    };
  };
  // The metrics channel: a pipe whose write end the child gets as fd 3 (a single digit, which
  // every shell can redirect to), named by MLT_METRICS_FD.
  core::Pipe metrics_pipe;
  constexpr int child_metrics_fd = 3;
  env.emplace_back("MLT_METRICS_FD", std::to_string(child_metrics_fd));
  core::IngestOptions channel_opt;
  channel_opt.detect_each_line = true;  // a program may write kv and jsonl lines alike
  core::PipeReader channel(ctx.project(), created.ref, channel_opt, metrics_pipe.release_read(), {},
                           on_reject("MLT_METRICS_FD"));

  bool stdout_metrics = o.metrics_from_stdout || o.metrics_prefix;  // giving a prefix implies the mode
  std::optional<core::Pipe> out_pipe, err_pipe;
  std::optional<core::PipeReader> out_reader, err_reader;
  if (out_file || stdout_metrics) {
    out_pipe.emplace();
    std::vector<int> tees{STDOUT_FILENO};
    if (out_file) tees.push_back(out_file->fd);
    std::optional<core::IngestOptions> io;
    if (stdout_metrics) {
      io = channel_opt;
      io->prefix = o.metrics_prefix ? *o.metrics_prefix : ctx.config().get_string("run.metrics_prefix");
    }
    out_reader.emplace(ctx.project(), created.ref, io, out_pipe->release_read(), tees, on_reject("stdout"));
  }
  if (err_file) {
    err_pipe.emplace();
    err_reader.emplace(ctx.project(), created.ref, std::nullopt, err_pipe->release_read(),
                       std::vector<int>{STDERR_FILENO, err_file->fd}, nullptr);
  }
  // Output to a pipe is block-buffered by Python and many runtimes; ask for lines as they come.
  if (out_pipe && !std::getenv("PYTHONUNBUFFERED")) env.emplace_back("PYTHONUNBUFFERED", "1");

  std::vector<std::pair<int, int>> fds;
  if (out_pipe) fds.emplace_back(out_pipe->write, STDOUT_FILENO);
  if (err_pipe) fds.emplace_back(err_pipe->write, STDERR_FILENO);
  fds.emplace_back(metrics_pipe.write, child_metrics_fd);
  core::ChildResult res;
  try {
    core::Heartbeat heartbeat(ctx.project(), created.ref, core::heartbeat_interval_ms);
    res = core::run_child(cmd, env, fds);
  } catch (const Error&) {
    core::end_run(ctx.db(), created.ref, core::RunStatus::failed, 127);
    throw;
  }
  metrics_pipe.close_write();
  if (out_pipe) out_pipe->close_write();
  if (err_pipe) err_pipe->close_write();
  // a child killed by a signal may have been cut off in the middle of its last metric line
  bool whole = res.signal == 0;
  channel.finish(whole);
  if (out_reader) out_reader->finish(whole);
  if (err_reader) err_reader->finish(whole);
  for (auto* r : {&channel, out_reader ? &*out_reader : nullptr}) {
    if (!r) continue;
    if (r->error()) {
      try {
        std::rethrow_exception(r->error());
      } catch (const std::exception& e) {
        ctx.warn(fmt::format("metrics from the command were not all stored: {}", e.what()));
      }
    }
    auto st = r->stats();
    if (st.points > 0 || st.rejected > 0)
      ctx.note(fmt::format("mlt: {} {} point{} ({} key{}), {} rejected line{}",
                           r == &channel ? "metrics channel:" : "stdout metrics:", st.committed,
                           st.committed == 1 ? "" : "s", st.keys, st.keys == 1 ? "" : "s", st.rejected,
                           st.rejected == 1 ? "" : "s"));
  }

  // Store the captured output and the dirty tree's diff, then end the run.
  if (out_file || !git_diff.empty()) {
    std::vector<std::filesystem::path> files;
    if (out_file) files = {out_file->path, err_file->path};
    if (!git_diff.empty()) {
      if (!std::filesystem::exists(capture_dir)) ::mkdir(capture_dir.c_str(), 0700);
      auto diff_path = capture_dir / "git.diff";
      FILE* f = std::fopen(diff_path.c_str(), "wb");
      if (f) {
        std::fwrite(git_diff.data(), 1, git_diff.size(), f);
        std::fclose(f);
        files.push_back(diff_path);
      }
    }
    try {
      core::AddStats st;
      std::string dest = files.size() == 1 ? "mlt/" + files[0].filename().string() : "mlt";
      core::log_artifacts(ctx.project(), created.ref, files, dest, st, {});
    } catch (const Error& e) {
      ctx.warn(fmt::format("the command's output was not stored: {}", e.what()));
    }
  }
  core::RunStatus status = core::RunStatus::finished;
  if (res.signal != 0 || (res.received != 0 && res.exit_code != 0)) status = core::RunStatus::killed;
  else if (res.exit_code != 0) status = core::RunStatus::failed;
  try {
    core::end_run(ctx.db(), created.ref, status, res.exit_code);
  } catch (const Error& e) {
    if (e.code() != ExitCode::conflict) throw;
    // someone ended it meanwhile ('mlt run end'): their status stands, the command's exit code too
    ctx.warn(e.what());
  }
  auto run = core::load_run(ctx.db(), created.ref);
  ctx.note(fmt::format("mlt: run {} {} in {} (exit {})", short_id(run.uuid), run.status,
                       core::human_duration(run.end_ms.value_or(run.start_ms) - run.start_ms), res.exit_code));
  if (ctx.global.json) print_json(run_json(run));
  return res.exit_code;
}

int run_start(Context& ctx, const RunOptions& o) {
  auto inputs = resolve_inputs(ctx, o);
  auto created = core::create_run(ctx.db(), new_run_spec(ctx, o));
  record_inputs(ctx, created.ref, inputs);
  if (created.created_experiment) ctx.note(fmt::format("mlt: created experiment '{}'", created.experiment));
  if (o.export_env)
    std::printf("export MLT_RUN_ID=%s\n", created.ref.uuid.c_str());
  else if (ctx.global.json)
    print_json(run_json(core::load_run(ctx.db(), created.ref)));
  else
    std::printf("%s\n", created.ref.uuid.c_str());
  return 0;
}

int run_end(Context& ctx, const RunOptions& o) {
  auto ref = core::resolve_run_or_env(ctx.db(), o.run);
  auto st = core::parse_status(o.status);
  if (!st || *st == core::RunStatus::running)
    throw Error(ExitCode::usage, fmt::format("invalid status '{}'", o.status), "use finished, failed or killed");
  core::end_run(ctx.db(), ref, *st, std::nullopt);
  if (ctx.global.json) print_json(run_json(core::load_run(ctx.db(), ref)));
  else ctx.note(fmt::format("run {} ({}) ended {}", short_id(ref.uuid), ref.name, core::to_string(*st)));
  return 0;
}

int run_show(Context& ctx, const RunOptions& o) {
  auto run = core::load_run(ctx.db(), core::resolve_run(ctx.db(), o.run));
  ctx.page();
  if (ctx.global.json) {
    print_json(run_json(run));
    return 0;
  }
  std::string out;
  auto field = [&](const char* k, const std::string& v) { out += fmt::format("{:<11}{}\n", k, v); };
  field("run", fmt::format("{}  {}{}", run.uuid, run.name, run.deleted ? "  (deleted)" : ""));
  field("experiment", run.experiment);
  if (run.stale)
    field("status", fmt::format("{} (stale: its 'mlt run' process is gone; end it with 'mlt run end {} --status killed')",
                                run.status, short_id(run.uuid)));
  else
    field("status", run.exit_code ? fmt::format("{} (exit {})", run.status, *run.exit_code) : run.status);
  field("user", run.user);
  field("start", core::local_time(run.start_ms));
  if (run.end_ms)
    field("end", fmt::format("{}  ({})", core::local_time(*run.end_ms), core::human_duration(*run.end_ms - run.start_ms)));
  else
    field("running", core::human_duration(core::now_ms() - run.start_ms));
  if (run.status == "RUNNING" && run.supervisor) {
    field("supervisor", fmt::format("pid {} on {}{}", run.supervisor->pid, run.supervisor->host,
                                    run.stale ? " (gone)" : core::same_host(*run.supervisor) ? "" : " (another host)"));
    if (run.heartbeat_ms)
      field("heartbeat", fmt::format("{}  ({} ago; written every {})", core::local_time(*run.heartbeat_ms),
                                     core::human_duration(std::max<std::int64_t>(0, core::now_ms() - *run.heartbeat_ms)),
                                     core::human_duration(core::heartbeat_interval_ms)));
  }
  if (run.parent_uuid) field("parent", *run.parent_uuid);
  for (auto& c : run.children) field("child", c);
  if (auto it = run.tags.find("mlt.note"); it != run.tags.end()) field("note", it->second);
  for (auto& in : run.inputs)
    field("input", fmt::format("{}  sha256:{}{}", in.ref(), in.digest.substr(0, 12),
                               in.context.empty() ? "" : "  (" + in.context + ")"));
  if (run.artifacts) field("artifacts", fmt::format("sha256:{}  (see 'mlt artifact ls {}')", *run.artifacts, short_id(run.uuid)));
  if (!run.params.empty()) {
    out += "\nparams:\n";
    std::size_t w = 0;
    for (auto& [k, v] : run.params) w = std::max(w, k.size());
    for (auto& [k, v] : run.params) out += fmt::format("  {:<{}}  {}\n", k, w, v);
  }
  if (!run.metrics.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (auto& m : run.metrics)
      rows.push_back({"  " + m.key, display_number(m.last), m.min ? display_number(*m.min) : "-",
                      m.max ? display_number(*m.max) : "-", std::to_string(m.last_step), std::to_string(m.count)});
    out += "\nmetrics:\n";
    std::fputs(out.c_str(), stdout);
    out.clear();
    print_table({"  KEY", "LAST", "MIN", "MAX", "STEP", "COUNT"}, rows);
  }
  if (!run.tags.empty()) {
    out += "\ntags:\n";
    std::size_t w = 0;
    for (auto& [k, v] : run.tags) w = std::max(w, k.size());
    for (auto& [k, v] : run.tags) out += fmt::format("  {:<{}}  {}\n", k, w, v);
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

int run_set_deleted(Context& ctx, const RunOptions& o, bool deleted) {
  auto ref = core::resolve_run(ctx.db(), o.run);
  bool changed = core::set_run_deleted(ctx.db(), ref, deleted);
  if (ctx.global.json) print_json(run_json(core::load_run(ctx.db(), ref)));
  else if (!changed)
    ctx.note(fmt::format("run {} ({}) is already {}", short_id(ref.uuid), ref.name, deleted ? "deleted" : "active"));
  else
    ctx.note(fmt::format("{} run {} ({})", deleted ? "deleted" : "restored", short_id(ref.uuid), ref.name));
  return 0;
}

int run_rename(Context& ctx, const RunOptions& o) {
  auto ref = core::resolve_run(ctx.db(), o.run);
  core::rename_run(ctx.db(), ref, o.new_name);
  if (ctx.global.json) print_json(run_json(core::load_run(ctx.db(), ref)));
  else ctx.note(fmt::format("renamed run {} from '{}' to '{}'", short_id(ref.uuid), ref.name, o.new_name));
  return 0;
}

int run_note(Context& ctx, const RunOptions& o) {
  auto ref = core::resolve_run(ctx.db(), o.run);
  core::require_active(ref);
  core::log_tags(ctx.db(), ref, {{"mlt.note", o.text}});
  if (ctx.global.json) print_json(run_json(core::load_run(ctx.db(), ref)));
  return 0;
}

void add_new_run_options(CLI::App* c, RunOptions& o) {
  c->add_option("-e,--experiment", o.experiment,
                "Put the run in experiment EXP (created if missing; default $MLT_EXPERIMENT or Default).")
      ->type_name("EXP");
  c->add_option("-n,--name", o.name, "Name the run (default: a generated adjective-noun name).")
      ->type_name("NAME")
      ->check([](const std::string& s) { return s.empty() ? std::string("a run name cannot be empty") : std::string(); });
  // one value per -p/-t, so that '-p a=1 -- CMD --flag' leaves '--' and CMD alone
  c->add_option("-p,--param", o.params, "Log param K=V (repeatable).")->type_name("K=V")->allow_extra_args(false);
  c->add_option("-t,--tag", o.tags, "Set tag K=V (repeatable).")->type_name("K=V")->allow_extra_args(false);
  c->add_option("--parent", o.parent, "Nest the run under RUN (default: $MLT_RUN_ID when set).")->type_name("RUN");
  c->add_flag("--no-git", o.no_git, "Do not record the git state of the working tree.");
  c->add_option("--input", o.inputs, "Record data version DATA@VER as an input, or CONTEXT=DATA@VER (repeatable).")
      ->type_name("DATA@VER")
      ->allow_extra_args(false);
}


}  // namespace

void add_run_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<RunOptions>();
  auto* grp = root.add_subcommand("run", "Run CMD as a tracked run, or start, end, show and manage runs.");
  add_new_run_options(grp, *o);
  grp->add_flag("--no-capture", o->no_capture,
                "Leave CMD's stdout and stderr alone (a terminal stays a terminal); store no copy of them.");
  grp->add_flag("--metrics-from-stdout", o->metrics_from_stdout,
                "Also store metric lines that CMD prints on stdout after the prefix (kv or jsonl).");
  auto* prefix = grp->add_option("--metrics-prefix", "Read metric lines that start with PREFIX from stdout (default: the run.metrics_prefix setting, 'mlt:').")
      ->type_name("PREFIX");
  grp->add_option("cmd", o->command, "The command and its arguments, after '--'.")->type_name("CMD");
  grp->callback([&ctx, o, grp, prefix] {
    if (!grp->get_subcommands().empty()) return;
    if (prefix->count() > 0) o->metrics_prefix = prefix->as<std::string>();
    if (!o->command.empty()) {
      std::vector<std::string> names;
      for (auto* sub : grp->get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
      refuse_subcommand_slip(o->command, names);
    }
    ctx.select(Needs::project, [&ctx, o] { return run_command(ctx, *o, o->command); });
  });

  auto* s = grp->add_subcommand("start", "Start a run and print its id; log to it, then 'mlt run end'.");
  add_new_run_options(s, *o);
  s->add_flag("--export", o->export_env, "Print 'export MLT_RUN_ID=ID' for eval in a shell.");
  s->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_start(ctx, *o); }); });

  auto* e = grp->add_subcommand("end", "End RUN (default $MLT_RUN_ID) with a final status.");
  e->add_option("run", o->run, "The run: id, id prefix (4+ hex digits) or name.")->type_name("RUN");
  o->status = "finished";
  e->add_option("--status", o->status, "finished (default), failed or killed.")->type_name("STATUS");
  e->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_end(ctx, *o); }); });

  auto* sh = grp->add_subcommand("show", "Show everything about RUN: attributes, params, metrics, tags.");
  sh->add_option("run", o->run, "The run: id, id prefix (4+ hex digits) or name.")->required()->type_name("RUN");
  sh->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_show(ctx, *o); }); });

  auto* rm = grp->add_subcommand("rm", "Mark RUN deleted; it disappears from listings until restored.");
  rm->add_option("run", o->run, "The run to remove.")->required()->type_name("RUN");
  rm->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_set_deleted(ctx, *o, true); }); });

  auto* rs = grp->add_subcommand("restore", "Restore deleted RUN.");
  rs->add_option("run", o->run, "The run to restore.")->required()->type_name("RUN");
  rs->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_set_deleted(ctx, *o, false); }); });

  auto* rn = grp->add_subcommand("rename", "Give RUN a new name.");
  rn->add_option("run", o->run, "The run to rename.")->required()->type_name("RUN");
  rn->add_option("name", o->new_name, "The new name.")->required();
  rn->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_rename(ctx, *o); }); });

  auto* nt = grp->add_subcommand("note", "Attach a note (free text) to RUN, replacing an earlier one.");
  nt->add_option("run", o->run, "The run to annotate.")->required()->type_name("RUN");
  nt->add_option("text", o->text, "The note.")->required();
  nt->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return run_note(ctx, *o); }); });

  // set last: a subcommand created after it would inherit it
  grp->footer("Usage: mlt run [OPTIONS] -- CMD [ARG]...  runs CMD with MLT_RUN_ID set, records its exit code, "
              "git state and duration, and exits with CMD's status.");
}

}  // namespace mlt::cli
