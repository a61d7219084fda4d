// Runs: create, resolve (full id, unique prefix of >= 4 hex digits, or name), end, rename, remove,
// restore, and their params and tags. Params are immutable once logged; tags may change.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/values.hpp"
#include "core/tracking/experiments.hpp"
#include "store/db.hpp"

namespace mlt::core {

enum class RunStatus { running, finished, failed, killed };
const char* to_string(RunStatus s);
std::optional<RunStatus> parse_status(std::string_view s);   // case-insensitive

struct RunRef {
  std::int64_t id = 0;
  std::string uuid, name;
  bool deleted = false;
  std::string status;   // RUNNING, FINISHED, FAILED, KILLED at the time of the lookup
};

struct MetricSummary {
  std::string key;
  double last = 0;              // NaN when the last point is NaN
  std::int64_t last_step = 0, last_time_ms = 0;
  std::optional<double> min, max;  // nullopt when every point is NaN
  std::int64_t count = 0;
};

// The process that supervises a run of 'mlt run -- CMD' (the mlt process that waits for CMD).
// Runs of 'mlt run start' have none: the 'mlt run start' process exits at once, and the process
// that will end the run (a shell, a script, a scheduler) cannot be known.
struct Supervisor {
  std::int64_t pid = 0;
  std::int64_t start_ticks = 0;   // its start time, clock ticks after boot (/proc/PID/stat field 22)
  std::string host;               // gethostname()
  std::string boot_id;            // /proc/sys/kernel/random/boot_id, new at every boot
  std::string pid_ns;             // readlink /proc/self/ns/pid: containers share a kernel, not pids
};
// This process, as the supervisor of a run it starts.
Supervisor this_process();
// Whether `s` is a process of this host (same host name, boot and pid namespace), so that its
// pid can be checked at all.
bool same_host(const Supervisor& s);
// On this host: true when the process is gone (no such pid, or the pid now belongs to a process
// that started at another time). nullopt when it cannot be told (another host, another boot).
std::optional<bool> supervisor_gone(const Supervisor& s);

struct Run {
  std::int64_t id = 0;
  std::string uuid, name;
  std::int64_t experiment_id = 0;
  std::string experiment;
  std::string status;
  bool deleted = false;
  std::optional<std::string> parent_uuid;
  std::string user;
  std::int64_t start_ms = 0;
  std::optional<std::int64_t> end_ms, exit_code, deleted_ms;
  std::map<std::string, std::string> params, tags;
  std::vector<MetricSummary> metrics;   // sorted by key
  std::vector<std::string> children;    // uuids of nested runs
  std::optional<std::string> artifacts; // hex digest of the run's artifact tree
  struct Input {
    std::string dataset;
    std::int64_t version = 0;
    std::string digest;                 // 64 hex
    std::string context;
    std::string ref() const { return dataset + "@v" + std::to_string(version); }
  };
  std::vector<Input> inputs;            // data versions it used, by dataset, version, context
  std::optional<Supervisor> supervisor; // for runs of 'mlt run -- CMD'
  std::optional<std::int64_t> heartbeat_ms;   // the supervisor's last sign of life
  // RUNNING, but its supervisor is known to be gone (killed, crashed): nothing will end it. Only
  // decided for supervisors on this host; see supervisor_gone().
  bool stale = false;
};

struct NewRun {
  std::string experiment;           // empty: $MLT_EXPERIMENT or Default
  std::string name;                 // empty: a generated adjective-noun name
  std::string parent;               // a RUN reference, or empty
  std::string user;
  std::vector<KeyValue> params, tags;
  std::optional<Supervisor> supervisor;   // recorded with the run, with a first heartbeat
};

struct CreatedRun {
  RunRef ref;
  bool created_experiment = false;
  std::string experiment;
};

std::string new_run_uuid();          // 128 random bits as 32 lower-case hex digits
std::string generate_run_name();     // adjective-noun

CreatedRun create_run(store::Db& db, const NewRun& spec);

// RUN as users type it: a full id, a unique id prefix of 4+ hex digits, a name, or '@' (the
// newest run) and '@~N' (the Nth before it), counted as 'mlt runs' lists runs: not deleted,
// every experiment, newest start first. Exit 4 when nothing matches (also '@~N' past the oldest
// run), 2 for an ambiguous reference (listing the candidates), 2 for an empty one.
// `allow_deleted` finds deleted runs too (for restore and show); '@~N' never counts them.
RunRef resolve_run(store::Db& db, const std::string& ref, bool allow_deleted = true);
// N for '@~N' (0 for '@', 1 for '@~'; UINT64_MAX when N does not fit), nullopt for other text.
std::optional<std::uint64_t> relative_run_offset(std::string_view ref);
// RUN if given, else $MLT_RUN_ID; exit 2 when neither (a deleted run is found too).
RunRef resolve_run_or_env(store::Db& db, const std::string& ref);
// The run that logging commands write to: as above, and it must not be deleted (exit 5).
RunRef resolve_log_target(store::Db& db, const std::string& flag);
// Logging into a deleted run is refused (exit 5).
void require_active(const RunRef& run);

Run load_run(store::Db& db, const RunRef& ref);

struct RunQuery {
  std::vector<std::string> experiments;   // names; empty: all experiments. Unknown name: exit 4
  Lifecycle lifecycle = Lifecycle::active;
  std::optional<std::int64_t> limit;
};
// Newest first, each with params, tags, metric summaries and children.
std::vector<Run> list_runs(store::Db& db, const RunQuery& q);
// The runs with these internal ids, in this order (missing ids are skipped), fully loaded.
std::vector<Run> load_runs(store::Db& db, const std::vector<std::int64_t>& ids);

// A run that already ended is a conflict (exit 5).
void end_run(store::Db& db, const RunRef& run, RunStatus status, std::optional<int> exit_code);
void rename_run(store::Db& db, const RunRef& run, const std::string& name);
// The supervisor's sign of life: sets the run's heartbeat to now while it is RUNNING.
void write_heartbeat(store::Db& db, const RunRef& run);
// Whether the RUNNING run with this id is stale (see Run::stale); false for any other run.
bool run_is_stale(store::Db& db, std::int64_t run_id);
// The interval at which 'mlt run -- CMD' writes a run's heartbeat.
constexpr std::int64_t heartbeat_interval_ms = 30'000;
bool set_run_deleted(store::Db& db, const RunRef& run, bool deleted);

// Params: logging the same value again is fine; a different value is exit 5 naming both.
void log_params(store::Db& db, const RunRef& run, const std::vector<KeyValue>& params);
void log_tags(store::Db& db, const RunRef& run, const std::vector<KeyValue>& tags);

void check_run_name(const std::string& name);
// Tags whose key starts with 'mlt.' are mlt's own (host, command, git state, note): a user may
// not set or overwrite one (exit 2). Called where a user's tags come in.
void check_user_tag(const std::string& key);

}  // namespace mlt::core
