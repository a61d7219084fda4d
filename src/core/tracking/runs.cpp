#include "core/tracking/runs.hpp"

#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include <fmt/format.h>

#include "base/child.hpp"
#include "base/clock.hpp"

namespace mlt::core {
namespace {

constexpr std::array adjectives = {
    "able",   "amber",  "ancient", "bold",   "brave",  "bright", "brisk",  "calm",   "clever", "cosmic",
    "crisp",  "curious", "daring", "deep",   "eager",  "early",  "fair",   "fancy",  "fast",   "fierce",
    "gentle", "glad",   "golden",  "grand",  "happy",  "hidden", "humble", "jolly",  "keen",   "kind",
    "lively", "loyal",  "lucky",   "merry",  "mighty", "misty",  "modest", "noble",  "polite", "proud",
    "quick",  "quiet",  "rapid",   "rare",   "silent", "silver", "sleek",  "smart",  "snowy",  "solid",
    "steady", "sunny",  "swift",   "tender", "tidy",   "upbeat", "vast",   "vivid",  "warm",   "wise",
    "witty",  "young",  "zesty",   "zen"};
constexpr std::array nouns = {
    "ant",    "badger", "bear",   "bee",    "bison",  "cat",    "cobra",  "crane",  "crow",   "deer",
    "dingo",  "dove",   "eagle",  "eel",    "elk",    "falcon", "ferret", "finch",  "fox",    "gecko",
    "goat",   "goose",  "hare",   "hawk",   "heron",  "horse",  "ibis",   "jackal", "jay",    "koala",
    "lark",   "lemur",  "lion",   "lynx",   "mole",   "moose",  "moth",   "newt",   "otter",  "owl",
    "panda",  "parrot", "pike",   "puffin", "quail",  "raven",  "robin",  "salmon", "seal",   "shark",
    "sloth",  "snail",  "squid",  "stoat",  "swan",   "tapir",  "tiger",  "toad",   "trout",  "viper",
    "walrus", "whale",  "wolf",   "yak"};

void random_bytes(void* buf, std::size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    ssize_t got = ::getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::failure, fmt::format("cannot read random bytes: {}", std::strerror(errno)));
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::uint32_t random_below(std::uint32_t n) {
  std::uint32_t r;
  random_bytes(&r, sizeof r);
  return r % n;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool name_taken(store::Db& db, const std::string& name) {
  store::Stmt q(db, "SELECT 1 FROM runs WHERE name = ?1 LIMIT 1");
  q.bind(1, name);
  return q.step();
}

void insert_params(store::Db& db, std::int64_t run_id, const std::vector<KeyValue>& params) {
  store::Stmt get(db, "SELECT value FROM params WHERE run_id = ?1 AND key = ?2");
  store::Stmt ins(db, "INSERT INTO params(run_id, key, value) VALUES (?1, ?2, ?3)");
  std::map<std::string, std::string> seen;  // duplicates within one call must agree too
  for (auto& [k, v] : params) {
    check_key(k, "param");
    check_value(k, v, "param");
    if (auto it = seen.find(k); it != seen.end()) {
      if (it->second != v)
        throw Error(ExitCode::conflict, fmt::format("param '{}' given twice: '{}' and '{}'", k, it->second, v),
                    "params are immutable; give each key one value");
      continue;
    }
    seen[k] = v;
    get.bind(1, run_id).bind(2, k);
    if (get.step()) {
      std::string old = get.text(0);
      get.reset();
      if (old != v)
        throw Error(ExitCode::conflict,
                    fmt::format("param '{}' is already '{}', cannot change it to '{}'", k, old, v),
                    "params are immutable; log a tag or start a new run");
      continue;
    }
    ins.bind(1, run_id).bind(2, k).bind(3, v).exec();
  }
}

void upsert_tags(store::Db& db, std::int64_t run_id, const std::vector<KeyValue>& tags) {
  store::Stmt ins(db,
                  "INSERT INTO tags(run_id, key, value) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value");
  for (auto& [k, v] : tags) {
    check_key(k, "tag");
    check_value(k, v, "tag");
    ins.bind(1, run_id).bind(2, k).bind(3, v).exec();
  }
}


std::string read_small_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Field 22 of /proc/PID/stat, the start time in clock ticks after boot; nullopt when there is no
// such process. The command name (field 2) may hold spaces and parentheses: fields are counted
// after its last ')'.
std::optional<std::int64_t> process_start_ticks(std::int64_t pid) {
  auto stat = read_small_file(fmt::format("/proc/{}/stat", pid).c_str());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::size_t pos = close + 1;
  for (int field = 3; field <= 22; ++field) {
    auto start = stat.find_first_not_of(' ', pos);
    if (start == std::string::npos) return std::nullopt;
    auto end = stat.find(' ', start);
    if (end == std::string::npos) end = stat.size();
    if (field == 22) {
      try {
        return std::stoll(stat.substr(start, end - start));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    pos = end;
  }
  return std::nullopt;
}

std::string pid_namespace() {
  char buf[256];
  ssize_t n = ::readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

Supervisor this_process() {
  Supervisor s;
  s.pid = ::getpid();
  s.start_ticks = process_start_ticks(s.pid).value_or(0);
  s.host = host_name();
  static const std::string boot = read_small_file("/proc/sys/kernel/random/boot_id");
  static const std::string ns = pid_namespace();
  s.boot_id = boot;
  s.pid_ns = ns;
  return s;
}

bool same_host(const Supervisor& s) {
  static const std::string boot = read_small_file("/proc/sys/kernel/random/boot_id");
  static const std::string ns = pid_namespace();
  return !s.boot_id.empty() && s.boot_id == boot && s.pid_ns == ns && s.host == host_name();
}

std::optional<bool> supervisor_gone(const Supervisor& s) {
  if (s.pid <= 0 || !same_host(s)) return std::nullopt;
  if (::kill(static_cast<pid_t>(s.pid), 0) != 0 && errno == ESRCH) return true;
  auto started = process_start_ticks(s.pid);
  if (!started) {
    // Exited between the two looks, or alive but its /proc entry is hidden from us (hidepid,
    // another user's process): only a second ESRCH proves it gone; unknown is never stale.
    if (::kill(static_cast<pid_t>(s.pid), 0) != 0 && errno == ESRCH) return true;
    return std::nullopt;
  }
  return s.start_ticks != 0 && *started != s.start_ticks;   // the pid was reused
}

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::running: return "RUNNING";
    case RunStatus::finished: return "FINISHED";
    case RunStatus::failed: return "FAILED";
    case RunStatus::killed: return "KILLED";
  }
  return "RUNNING";
}

std::optional<RunStatus> parse_status(std::string_view s) {
  auto l = ascii_lower(s);
  if (l == "running") return RunStatus::running;
  if (l == "finished") return RunStatus::finished;
  if (l == "failed") return RunStatus::failed;
  if (l == "killed") return RunStatus::killed;
  return std::nullopt;
}

std::string new_run_uuid() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  std::string out;
  out.reserve(32);
  for (unsigned char c : b) out += fmt::format("{:02x}", c);
  return out;
}

std::string generate_run_name() {
  return fmt::format("{}-{}", adjectives[random_below(adjectives.size())], nouns[random_below(nouns.size())]);
}

void check_run_name(const std::string& name) {
  if (name.empty()) throw Error(ExitCode::usage, "empty run name", "give the run a name");
  if (name.size() > max_key_bytes)
    throw Error(ExitCode::usage, fmt::format("run name is {} bytes long, the limit is {}", name.size(), max_key_bytes));
  if (!valid_utf8(name)) throw Error(ExitCode::usage, "run name is not valid UTF-8");
  if (name.front() == '@')
    throw Error(ExitCode::usage, fmt::format("run name '{}' starts with '@'", name),
                "'@' and '@~N' name the newest runs; choose a name that starts otherwise");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw Error(ExitCode::usage, fmt::format("run name '{}' contains a control character", name));
}

void check_user_tag(const std::string& key) {
  if (key.starts_with("mlt."))
    throw Error(ExitCode::usage, fmt::format("tag '{}' is reserved: mlt sets the 'mlt.' tags itself", key),
                key == "mlt.note" ? "set a note with 'mlt run note RUN TEXT'" : "choose a key outside 'mlt.'");
}

CreatedRun create_run(store::Db& db, const NewRun& spec) {
  if (!spec.name.empty()) check_run_name(spec.name);
  for (auto& [k, v] : spec.params) check_value(k, v, "param"), check_key(k, "param");
  for (auto& [k, v] : spec.tags) check_value(k, v, "tag"), check_key(k, "tag");
  std::optional<RunRef> parent;
  if (!spec.parent.empty()) {
    parent = resolve_run(db, spec.parent);
    require_active(*parent);
  }

  store::Transaction tx(db);
  CreatedRun out;
  auto exp_id = experiment_for_new_run(db, spec.experiment, out.created_experiment);
  {
    store::Stmt q(db, "SELECT name FROM experiments WHERE id = ?1");
    q.bind(1, exp_id);
    q.step();
    out.experiment = q.text(0);
  }
  std::string name = spec.name;
  if (name.empty()) {
    // A readable name that is not yet used in this project, if one comes up quickly.
    for (int attempt = 0; attempt < 8 && (name.empty() || name_taken(db, name)); ++attempt) name = generate_run_name();
    if (name_taken(db, name)) name = fmt::format("{}-{}", generate_run_name(), 100 + random_below(900));
  }
  auto uuid = new_run_uuid();
  store::Stmt ins(db,
                  "INSERT INTO runs(uuid, experiment_id, name, status, parent_id, user, start_ms, supervisor_pid, "
                  "supervisor_start, supervisor_host, supervisor_boot_id, supervisor_pidns, heartbeat_ms) "
                  "VALUES (?1, ?2, ?3, 'RUNNING', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  auto now = now_ms();
  ins.bind(1, uuid).bind(2, exp_id).bind(3, name).bind(5, spec.user).bind(6, now);
  if (parent) ins.bind(4, parent->id); else ins.bind_null(4);
  if (auto& s = spec.supervisor) {
    ins.bind(7, s->pid).bind(8, s->start_ticks).bind(9, s->host).bind(10, s->boot_id).bind(11, s->pid_ns);
    ins.bind(12, now);
  } else {
    for (int i = 7; i <= 12; ++i) ins.bind_null(i);
  }
  ins.exec();
  out.ref = RunRef{db.last_insert_id(), uuid, name, false, "RUNNING"};
  insert_params(db, out.ref.id, spec.params);
  upsert_tags(db, out.ref.id, spec.tags);
  tx.commit();
  return out;
}

std::optional<std::uint64_t> relative_run_offset(std::string_view ref) {
  if (ref == "@") return 0;
  if (!ref.starts_with("@~")) return std::nullopt;
  auto digits = ref.substr(2);
  if (digits.empty()) return 1;   // '@~' is '@~1', as 'HEAD~' is 'HEAD~1' in git
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::numeric_limits<std::uint64_t>::max();
  return n;
}

namespace {

// '@' and '@~N': the first and the (N+1)th line of a plain 'mlt runs', i.e. among the runs that
// are not deleted, of every experiment, newest start first (the later created on a tie).
RunRef resolve_relative(store::Db& db, const std::string& ref, std::uint64_t offset) {
  store::Stmt count(db, "SELECT count(*) FROM runs WHERE lifecycle = 'active'");
  count.step();
  auto n = static_cast<std::uint64_t>(count.int64(0));
  if (n == 0)
    throw Error(ExitCode::not_found, fmt::format("no run matches '{}': there are no runs yet", ref),
                "start one with 'mlt run -- CMD' or 'mlt run start'");
  if (offset >= n)
    throw Error(ExitCode::not_found,
                fmt::format("no run matches '{}': there {} only {} run{} ('@' to '@~{}')", ref, n == 1 ? "is" : "are", n,
                            n == 1 ? "" : "s", n - 1),
                "'@~N' counts back from the newest run, as 'mlt runs' lists them");
  store::Stmt q(db,
                "SELECT id, uuid, name, lifecycle, status FROM runs WHERE lifecycle = 'active' "
                "ORDER BY start_ms DESC, id DESC LIMIT 1 OFFSET ?1");
  q.bind(1, static_cast<std::int64_t>(offset));
  if (!q.step()) throw Error(ExitCode::not_found, fmt::format("no run matches '{}'", ref), "see 'mlt runs'");
  return RunRef{q.int64(0), q.text(1), q.text(2), q.text(3) == "deleted", q.text(4)};
}

}  // namespace

RunRef resolve_run(store::Db& db, const std::string& ref, bool allow_deleted) {
  if (ref.empty()) throw Error(ExitCode::usage, "empty run reference", "give a run id, an id prefix or a run name");
  if (auto offset = relative_run_offset(ref)) return resolve_relative(db, ref, *offset);
  std::vector<RunRef> found;
  auto collect = [&](store::Stmt& q) {
    while (q.step()) {
      RunRef r{q.int64(0), q.text(1), q.text(2), q.text(3) == "deleted", q.text(4)};
      if (std::none_of(found.begin(), found.end(), [&](const RunRef& f) { return f.id == r.id; }))
        found.push_back(std::move(r));
    }
  };
  std::string l = ascii_lower(ref);
  if (l.size() == 32 && is_hex(l)) {
    store::Stmt q(db, "SELECT id, uuid, name, lifecycle, status FROM runs WHERE uuid = ?1");
    q.bind(1, l);
    collect(q);
  } else if (l.size() >= 4 && l.size() < 32 && is_hex(l)) {
    store::Stmt q(db, "SELECT id, uuid, name, lifecycle, status FROM runs WHERE uuid >= ?1 AND uuid < ?2 LIMIT 20");
    q.bind(1, l).bind(2, l + "g");
    collect(q);
  }
  if (found.empty() || l.size() != 32) {  // a full id wins over a run named like one
    store::Stmt q(db, "SELECT id, uuid, name, lifecycle, status FROM runs WHERE name = ?1 LIMIT 20");
    q.bind(1, ref);
    collect(q);
  }
  if (!allow_deleted)
    found.erase(std::remove_if(found.begin(), found.end(), [](const RunRef& r) { return r.deleted; }), found.end());
  if (found.empty() && ref.front() == '@')   // a name cannot start with '@' (check_run_name)
    throw Error(ExitCode::usage, fmt::format("'{}' is not a run reference", ref),
                "'@' is the newest run and '@~N' the Nth before it, e.g. 'mlt diff @~1 @'");
  if (found.empty())
    throw Error(ExitCode::not_found, fmt::format("no run matches '{}'", ref), "see 'mlt runs'");
  if (found.size() > 1) {
    std::string list;
    for (auto& r : found) list += fmt::format("\n  {}  {}{}", r.uuid, r.name, r.deleted ? " (deleted)" : "");
    throw Error(ExitCode::usage, fmt::format("run reference '{}' is ambiguous; it matches:{}", ref, list),
                "give more characters of the id");
  }
  return found.front();
}

RunRef resolve_run_or_env(store::Db& db, const std::string& flag) {
  std::string ref = flag;
  if (ref.empty())
    if (const char* env = std::getenv("MLT_RUN_ID"); env && *env) ref = env;
  if (ref.empty())
    throw Error(ExitCode::usage, "no run given",
                "pass a RUN (or --run RUN), set MLT_RUN_ID (eval $(mlt run start --export)), or use 'mlt run -- CMD'");
  return resolve_run(db, ref);
}

RunRef resolve_log_target(store::Db& db, const std::string& flag) {
  const char* env = std::getenv("MLT_RUN_ID");
  if (flag.empty() && (!env || !*env))
    throw Error(ExitCode::usage, "no run to log to",
                "pass --run RUN, set MLT_RUN_ID (eval $(mlt run start --export)), or use 'mlt run -- CMD'");
  auto r = resolve_run_or_env(db, flag);
  require_active(r);
  return r;
}

void require_active(const RunRef& run) {
  if (run.deleted)
    throw Error(ExitCode::conflict, fmt::format("run '{}' ({}) is deleted", run.name, run.uuid.substr(0, 8)),
                fmt::format("restore it with 'mlt run restore {}'", run.uuid.substr(0, 8)));
}

Run load_run(store::Db& db, const RunRef& ref) {
  auto runs = load_runs(db, {ref.id});
  if (runs.empty()) throw Error(ExitCode::not_found, fmt::format("run '{}' disappeared", ref.uuid));
  return std::move(runs.front());
}

std::vector<Run> list_runs(store::Db& db, const RunQuery& rq) {
  std::vector<std::int64_t> exp_ids;
  for (auto& name : rq.experiments) exp_ids.push_back(get_experiment(db, name).id);
  std::string sql =
      "SELECT r.id FROM runs r WHERE (?1 = 'all' OR r.lifecycle = ?1)";
  if (!exp_ids.empty()) {
    sql += " AND r.experiment_id IN (";
    for (std::size_t i = 0; i < exp_ids.size(); ++i) sql += fmt::format("{}?{}", i ? "," : "", i + 3);
    sql += ")";
  }
  sql += " ORDER BY r.start_ms DESC, r.id DESC LIMIT ?2";
  store::Stmt q(db, sql);
  q.bind(1, rq.lifecycle == Lifecycle::all ? "all" : rq.lifecycle == Lifecycle::active ? "active" : "deleted");
  q.bind(2, rq.limit.value_or(-1));
  for (std::size_t i = 0; i < exp_ids.size(); ++i) q.bind(static_cast<int>(i + 3), exp_ids[i]);
  std::vector<std::int64_t> ids;
  while (q.step()) ids.push_back(q.int64(0));
  return load_runs(db, ids);
}

std::vector<Run> load_runs(store::Db& db, const std::vector<std::int64_t>& ids) {
  std::vector<Run> out;
  std::unordered_map<std::int64_t, std::size_t> index;
  store::Stmt q(db,
                "SELECT r.id, r.uuid, r.name, r.experiment_id, e.name, r.status, r.lifecycle, p.uuid, r.user, "
                "r.start_ms, r.end_ms, r.exit_code, r.deleted_ms, r.artifacts, r.supervisor_pid, r.supervisor_start, "
                "r.supervisor_host, r.supervisor_boot_id, r.supervisor_pidns, r.heartbeat_ms "
                "FROM runs r JOIN experiments e ON e.id = r.experiment_id LEFT JOIN runs p ON p.id = r.parent_id "
                "WHERE r.id = ?1");
  for (auto id : ids) {
    q.bind(1, id);
    if (!q.step()) {
      q.reset();
      continue;
    }
    Run r;
    r.id = q.int64(0);
    r.uuid = q.text(1);
    r.name = q.text(2);
    r.experiment_id = q.int64(3);
    r.experiment = q.text(4);
    r.status = q.text(5);
    r.deleted = q.text(6) == "deleted";
    r.parent_uuid = q.opt_text(7);
    r.user = q.text(8);
    r.start_ms = q.int64(9);
    r.end_ms = q.opt_int64(10);
    r.exit_code = q.opt_int64(11);
    r.deleted_ms = q.opt_int64(12);
    r.artifacts = q.opt_text(13);
    if (auto pid = q.opt_int64(14)) {
      r.supervisor = Supervisor{*pid, q.opt_int64(15).value_or(0), q.opt_text(16).value_or(""),
                                q.opt_text(17).value_or(""), q.opt_text(18).value_or("")};
      r.stale = r.status == "RUNNING" && supervisor_gone(*r.supervisor).value_or(false);
    }
    r.heartbeat_ms = q.opt_int64(19);
    index[r.id] = out.size();
    out.push_back(std::move(r));
    q.reset();
  }
  if (out.empty()) return out;
  // Details in one pass per table over the listed runs, in chunks that respect SQLite's limit
  // on bound values.
  constexpr std::size_t chunk = 500;
  for (std::size_t start = 0; start < out.size(); start += chunk) {
    std::size_t n = std::min(chunk, out.size() - start);
    std::string in;
    for (std::size_t i = 0; i < n; ++i) in += fmt::format("{}?{}", i ? "," : "", i + 1);
    auto bind_ids = [&](store::Stmt& s) {
      for (std::size_t i = 0; i < n; ++i) s.bind(static_cast<int>(i + 1), out[start + i].id);
    };
    store::Stmt p(db, fmt::format("SELECT run_id, key, value FROM params WHERE run_id IN ({})", in));
    bind_ids(p);
    while (p.step()) out[index[p.int64(0)]].params[p.text(1)] = p.text(2);
    store::Stmt c(db, fmt::format("SELECT parent_id, uuid FROM runs WHERE parent_id IN ({}) ORDER BY start_ms, id", in));
    bind_ids(c);
    while (c.step()) out[index[c.int64(0)]].children.push_back(c.text(1));
    store::Stmt ri(db, fmt::format("SELECT ri.run_id, ds.name, dv.version, dv.digest, ri.context FROM run_inputs ri "
                                   "JOIN data_versions dv ON dv.id = ri.data_version_id "
                                   "JOIN datasets ds ON ds.id = dv.dataset_id WHERE ri.run_id IN ({}) "
                                   "ORDER BY ds.name, dv.version, ri.context", in));
    bind_ids(ri);
    while (ri.step()) out[index[ri.int64(0)]].inputs.push_back({ri.text(1), ri.int64(2), ri.text(3), ri.text(4)});
    store::Stmt t(db, fmt::format("SELECT run_id, key, value FROM tags WHERE run_id IN ({})", in));
    bind_ids(t);
    while (t.step()) out[index[t.int64(0)]].tags[t.text(1)] = t.text(2);
    store::Stmt m(db, fmt::format(
                          "SELECT s.run_id, k.key, s.last_value, s.last_step, s.last_time_ms, s.min_value, "
                          "s.max_value, s.count FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id "
                          "WHERE s.run_id IN ({}) ORDER BY s.run_id, k.key",
                          in));
    bind_ids(m);
    while (m.step()) {
      MetricSummary s;
      s.key = m.text(1);
      s.last = m.is_null(2) ? std::nan("") : m.real(2);
      s.last_step = m.int64(3);
      s.last_time_ms = m.int64(4);
      if (!m.is_null(5)) s.min = m.real(5);
      if (!m.is_null(6)) s.max = m.real(6);
      s.count = m.int64(7);
      out[index[m.int64(0)]].metrics.push_back(std::move(s));
    }
  }
  return out;
}

void end_run(store::Db& db, const RunRef& run, RunStatus status, std::optional<int> exit_code) {
  if (status == RunStatus::running)
    throw Error(ExitCode::usage, "a run cannot be ended as RUNNING", "use --status finished, failed or killed");
  store::Transaction tx(db);
  store::Stmt q(db, "SELECT status FROM runs WHERE id = ?1");
  q.bind(1, run.id);
  q.step();
  std::string current = q.text(0);
  q.reset();
  if (current != "RUNNING")
    throw Error(ExitCode::conflict, fmt::format("run '{}' has already ended ({})", run.name, current),
                "a run ends once");
  store::Stmt u(db, "UPDATE runs SET status = ?2, end_ms = ?3, exit_code = ?4 WHERE id = ?1");
  u.bind(1, run.id).bind(2, to_string(status)).bind(3, now_ms()).bind(4, exit_code).exec();
  tx.commit();
}

void write_heartbeat(store::Db& db, const RunRef& run) {
  store::Transaction tx(db);
  store::Stmt u(db, "UPDATE runs SET heartbeat_ms = ?2 WHERE id = ?1 AND status = 'RUNNING'");
  u.bind(1, run.id).bind(2, now_ms()).exec();
  tx.commit();
}

bool run_is_stale(store::Db& db, std::int64_t run_id) {
  store::Stmt q(db,
                "SELECT supervisor_pid, supervisor_start, supervisor_host, supervisor_boot_id, supervisor_pidns "
                "FROM runs WHERE id = ?1 AND status = 'RUNNING' AND supervisor_pid IS NOT NULL");
  q.bind(1, run_id);
  if (!q.step()) return false;
  Supervisor s{q.int64(0), q.opt_int64(1).value_or(0), q.opt_text(2).value_or(""), q.opt_text(3).value_or(""),
               q.opt_text(4).value_or("")};
  return supervisor_gone(s).value_or(false);
}

void rename_run(store::Db& db, const RunRef& run, const std::string& name) {
  check_run_name(name);
  store::Transaction tx(db);
  store::Stmt u(db, "UPDATE runs SET name = ?2 WHERE id = ?1");
  u.bind(1, run.id).bind(2, name).exec();
  tx.commit();
}

bool set_run_deleted(store::Db& db, const RunRef& run, bool deleted) {
  store::Transaction tx(db);
  store::Stmt u(db,
                "UPDATE runs SET lifecycle = ?2, deleted_ms = ?3 WHERE id = ?1 AND lifecycle != ?2");
  u.bind(1, run.id).bind(2, deleted ? "deleted" : "active");
  if (deleted) u.bind(3, now_ms()); else u.bind_null(3);
  u.exec();
  bool changed = db.changes() > 0;
  tx.commit();
  return changed;
}

void log_params(store::Db& db, const RunRef& run, const std::vector<KeyValue>& params) {
  store::Transaction tx(db);
  insert_params(db, run.id, params);
  tx.commit();
}

void log_tags(store::Db& db, const RunRef& run, const std::vector<KeyValue>& tags) {
  store::Transaction tx(db);
  upsert_tags(db, run.id, tags);
  tx.commit();
}

}  // namespace mlt::core
