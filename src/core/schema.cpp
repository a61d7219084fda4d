#include "core/schema.hpp"

namespace mlt::core {
namespace {

// Schema v1.
//  - Integer surrogate keys inside; runs.uuid (32 lower-case hex) is the id users see.
//  - Times are epoch milliseconds UTC.
//  - metric_points.value is NULL for NaN (SQLite stores no NaN); +-inf are stored as REAL.
//  - metric_summary is maintained on every write so that search never scans points:
//      last_* is the point with the greatest (step, time_ms), the latest write winning a tie;
//      min/max ignore NaN (NULL when every point is NaN); count includes NaN points.
//  - lifecycle is 'active' or 'deleted': nothing is removed by rm, only marked.
constexpr const char* v1 = R"sql(
CREATE TABLE experiments(
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  lifecycle   TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle IN ('active', 'deleted')),
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE experiment_tags(
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  key           TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE runs(
  id            INTEGER PRIMARY KEY,
  uuid          TEXT NOT NULL UNIQUE CHECK (length(uuid) = 32),
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  name          TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
  lifecycle     TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle IN ('active', 'deleted')),
  parent_id     INTEGER REFERENCES runs(id),
  user          TEXT NOT NULL DEFAULT '',
  start_ms      INTEGER NOT NULL,
  end_ms        INTEGER,
  exit_code     INTEGER,
  deleted_ms    INTEGER
) STRICT;
CREATE INDEX runs_by_experiment ON runs(experiment_id, start_ms);
CREATE INDEX runs_by_start ON runs(start_ms);
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX runs_by_parent ON runs(parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE params(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX params_by_key ON params(key, value);

CREATE TABLE tags(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX tags_by_key ON tags(key, value);

CREATE TABLE metric_keys(
  id  INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE metric_points(
  run_id  INTEGER NOT NULL,
  key_id  INTEGER NOT NULL,
  step    INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  value   REAL
) STRICT;
CREATE INDEX metric_points_by_run_key ON metric_points(run_id, key_id, step);

CREATE TABLE metric_summary(
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  key_id       INTEGER NOT NULL REFERENCES metric_keys(id),
  last_value   REAL,
  last_step    INTEGER NOT NULL,
  last_time_ms INTEGER NOT NULL,
  min_value    REAL,
  max_value    REAL,
  count        INTEGER NOT NULL,
  nan_count    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, key_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX metric_summary_by_key ON metric_summary(key_id, last_value);
)sql";

// Schema v2: run artifacts and the stat cache.
//  - runs.artifacts is the digest (64 hex) of the tree holding the run's artifacts, NULL when none.
//  - file_cache remembers the digest of a file by (path, size, mtime, ctime, inode), like git's
//    index, so that adding an unchanged file again does not read it. path is relative to the
//    project root when the file is inside the project, absolute otherwise (a cache only: a moved
//    project merely misses). checked_ns is when the digest was computed: an entry whose mtime is
//    not clearly older than that may have changed within the clock's granularity and is re-read.
constexpr const char* v2 = R"sql(
ALTER TABLE runs ADD COLUMN artifacts TEXT CHECK (artifacts IS NULL OR length(artifacts) = 64);

CREATE TABLE file_cache(
  path       TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  mtime_ns   INTEGER NOT NULL,
  ctime_ns   INTEGER NOT NULL,
  inode      INTEGER NOT NULL,
  digest     TEXT NOT NULL,
  checked_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Schema v3: indexes that let a search ordered by min(metrics.K) or max(metrics.K) walk the runs
// in order (last_value has had one since v1).
constexpr const char* v3 = R"sql(
CREATE INDEX metric_summary_by_key_min ON metric_summary(key_id, min_value);
CREATE INDEX metric_summary_by_key_max ON metric_summary(key_id, max_value);
)sql";

// Schema v4: model packages (mlt model save/import). A package is a tree in its run's artifacts
// at `path`; `tree` is that tree's digest when it was recorded, kept as a root by gc so the
// package survives even if the run's artifact tree is later changed. `flavors` lists the MLmodel's
// flavor names, comma-separated, in file order. `source` is 'save' or 'import'.
constexpr const char* v4 = R"sql(
CREATE TABLE models(
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  path       TEXT NOT NULL,
  tree       TEXT NOT NULL CHECK (length(tree) = 64),
  model_uuid TEXT,
  flavors    TEXT NOT NULL,
  size       INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  source     TEXT NOT NULL CHECK (source IN ('save', 'import')),
  UNIQUE(run_id, path)
) STRICT;
CREATE INDEX models_by_created ON models(created_ms);
)sql";

// Schema v5: the model registry. Current state lives in registered_models, model_versions,
// model_aliases and registry_tags; every change is also an append-only row of registry_events
// (who, when, what, from, to), from which any past state is rebuilt ("--at TIME"). Removal is a
// mark (deleted_ms) so version numbers are never reused and history stays whole.
//  - registry_tags.version is 0 for a tag of the model itself.
//  - registry_events.action: create, register, alias, unalias, stage, tag, describe, rm, restore;
//    target: the alias, tag key, or 'stage'; from_value/to_value: versions, stages or texts.
constexpr const char* v5 = R"sql(
CREATE TABLE registered_models(
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL,
  deleted_ms  INTEGER
) STRICT;

CREATE TABLE model_versions(
  id          INTEGER PRIMARY KEY,
  model_id    INTEGER NOT NULL REFERENCES registered_models(id),
  version     INTEGER NOT NULL CHECK (version > 0),
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  path        TEXT NOT NULL,
  tree        TEXT NOT NULL CHECK (length(tree) = 64),
  description TEXT NOT NULL DEFAULT '',
  stage       TEXT NOT NULL DEFAULT 'None' CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
  user        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  deleted_ms  INTEGER,
  UNIQUE(model_id, version)
) STRICT;

CREATE TABLE model_aliases(
  model_id   INTEGER NOT NULL REFERENCES registered_models(id),
  alias      TEXT NOT NULL,
  version_id INTEGER NOT NULL REFERENCES model_versions(id),
  PRIMARY KEY(model_id, alias)
) STRICT, WITHOUT ROWID;

CREATE TABLE registry_tags(
  model_id INTEGER NOT NULL REFERENCES registered_models(id),
  version  INTEGER NOT NULL,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY(model_id, version, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE registry_events(
  id         INTEGER PRIMARY KEY,
  model_id   INTEGER NOT NULL REFERENCES registered_models(id),
  version    INTEGER,
  time_ms    INTEGER NOT NULL,
  user       TEXT NOT NULL,
  action     TEXT NOT NULL,
  target     TEXT,
  from_value TEXT,
  to_value   TEXT
) STRICT;
CREATE INDEX registry_events_by_model ON registry_events(model_id, time_ms);
)sql";

// Schema v6: data versions and run inputs. A data version is a file or directory snapshot:
// `digest` is the file's SHA-256 (kind 'file') or the directory's tree digest (kind 'dir'), an
// object the store keeps (gc marks it). `source` is the path as added, relative to the project
// root. git_commit is HEAD when it was added (NULL outside git), git_tag the tag made for it.
constexpr const char* v6 = R"sql(
CREATE TABLE datasets(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE data_versions(
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  version    INTEGER NOT NULL CHECK (version > 0),
  kind       TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  digest     TEXT NOT NULL CHECK (length(digest) = 64),
  mode       INTEGER NOT NULL,
  files      INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,
  source     TEXT NOT NULL,
  message    TEXT NOT NULL DEFAULT '',
  user       TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  git_commit TEXT,
  git_dirty  INTEGER,
  git_tag    TEXT,
  UNIQUE(dataset_id, version)
) STRICT;
CREATE INDEX data_versions_by_digest ON data_versions(digest);
CREATE INDEX data_versions_by_commit ON data_versions(git_commit);

CREATE TABLE run_inputs(
  run_id          INTEGER NOT NULL REFERENCES runs(id),
  data_version_id INTEGER NOT NULL REFERENCES data_versions(id),
  context         TEXT NOT NULL DEFAULT '',
  created_ms      INTEGER NOT NULL,
  PRIMARY KEY(run_id, data_version_id, context)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_inputs_by_data ON run_inputs(data_version_id);
)sql";

// Schema v7: deployments, one append-only row per revision of an environment. `tree` is the
// model package's digest, `manifests` the tree of the rendered files (both kept by gc);
// `settings` is the JSON object of the --set values; a rollback names the revision it repeats.
constexpr const char* v7 = R"sql(
CREATE TABLE deployments(
  id             INTEGER PRIMARY KEY,
  env            TEXT NOT NULL,
  revision       INTEGER NOT NULL CHECK (revision > 0),
  model_uri      TEXT NOT NULL,
  model_name     TEXT NOT NULL,
  model_version  INTEGER,
  run_uuid       TEXT NOT NULL,
  path           TEXT NOT NULL,
  tree           TEXT NOT NULL CHECK (length(tree) = 64),
  target         TEXT NOT NULL,
  settings       TEXT NOT NULL,
  manifests      TEXT NOT NULL CHECK (length(manifests) = 64),
  user           TEXT NOT NULL,
  action         TEXT NOT NULL CHECK (action IN ('create', 'rollback')),
  rolled_back_to INTEGER,
  created_ms     INTEGER NOT NULL,
  UNIQUE(env, revision)
) STRICT;
CREATE INDEX deployments_by_model ON deployments(model_name, model_version);
)sql";

// Schema v8: the process that supervises a run of 'mlt run -- CMD', so that a run whose
// supervisor was killed can be told from one still going. supervisor_start is the process's start
// time in clock ticks after boot (/proc/PID/stat field 22), which tells a reused pid apart;
// supervisor_pidns is the pid namespace (readlink /proc/self/ns/pid), since containers on one
// kernel share the boot id but not their pids. heartbeat_ms is written by the supervisor at the
// start and then every 30 s while the command runs. All NULL for runs of 'mlt run start' and
// for runs older than v8.
constexpr const char* v8 = R"sql(
ALTER TABLE runs ADD COLUMN supervisor_pid INTEGER;
ALTER TABLE runs ADD COLUMN supervisor_start INTEGER;
ALTER TABLE runs ADD COLUMN supervisor_host TEXT;
ALTER TABLE runs ADD COLUMN supervisor_boot_id TEXT;
ALTER TABLE runs ADD COLUMN supervisor_pidns TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_ms INTEGER;
)sql";

constexpr store::Migration migrations[] = {
    {"experiments, runs, params, tags, metrics", v1},
    {"run artifacts, stat cache", v2},
    {"summary indexes for ordering by min and max", v3},
    {"model packages", v4},
    {"model registry", v5},
    {"data versions and run inputs", v6},
    {"deployments", v7},
    {"run supervisors and heartbeats", v8},
};

}  // namespace

std::span<const store::Migration> schema_migrations() { return migrations; }

}  // namespace mlt::core
