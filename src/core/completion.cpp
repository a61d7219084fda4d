#include "core/completion.hpp"

#include <optional>

#include <fmt/format.h>

namespace mlt::core::completion {
namespace {

// The exclusive upper bound of strings starting with `prefix`; "\xff" (no UTF-8 text reaches it)
// when every string does. A plain `col < ?2` lets SQLite stop its index scan there.
std::string after_prefix(std::string prefix) {
  while (!prefix.empty()) {
    auto c = static_cast<unsigned char>(prefix.back());
    if (c < 0xff) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return "\xff";
}

// Rows of `sql` (two columns: value, description or NULL) for the word `prefix`: ?1 and ?2 bind
// its range (col >= ?1 AND col < ?2), ?3 `extra`; fewer parameters are fine.
Suggestions rows(store::Db& db, const std::string& sql, const std::string& prefix,
                 const std::optional<std::string>& extra = std::nullopt) {
  store::Stmt q(db, sql);
  int params = q.parameter_count();
  if (params >= 1) q.bind(1, prefix);
  if (params >= 2) q.bind(2, after_prefix(prefix));
  if (extra && params >= 3) q.bind(3, *extra);
  Suggestions out;
  while (q.step()) out.push_back({q.text(0), q.is_null(1) ? std::string() : q.text(1)});
  return out;
}

const char* name_of(Lifecycle lc) { return lc == Lifecycle::deleted ? "deleted" : "active"; }

}  // namespace

Suggestions recent_runs(store::Db& db, Lifecycle lc, int limit) {
  return rows(db,
              fmt::format("SELECT r.name, substr(r.uuid, 1, 8) || '  ' || e.name || '  ' || r.status FROM runs r "
                          "JOIN experiments e ON e.id = r.experiment_id WHERE r.lifecycle = '{}' "
                          "ORDER BY r.start_ms DESC LIMIT {}",
                          name_of(lc), limit),
              "");
}

Suggestions run_names(store::Db& db, const std::string& prefix, Lifecycle lc, int limit) {
  return rows(db,
              fmt::format("SELECT r.name, substr(r.uuid, 1, 8) || '  ' || e.name || '  ' || r.status FROM runs r "
                          "JOIN experiments e ON e.id = r.experiment_id WHERE r.name >= ?1 AND r.name < ?2 "
                          "AND r.lifecycle = '{}' ORDER BY r.name LIMIT {}",
                          name_of(lc), limit),
              prefix);
}

Suggestions run_ids(store::Db& db, const std::string& prefix, Lifecycle lc, int limit) {
  return rows(db,
              fmt::format("SELECT r.uuid, r.name || '  ' || e.name || '  ' || r.status FROM runs r "
                          "JOIN experiments e ON e.id = r.experiment_id WHERE r.uuid >= ?1 AND r.uuid < ?2 "
                          "AND r.lifecycle = '{}' ORDER BY r.uuid LIMIT {}",
                          name_of(lc), limit),
              prefix);
}

Suggestions experiments(store::Db& db, const std::string& prefix, Lifecycle lc, int limit) {
  return rows(db,
              fmt::format("SELECT name, description FROM experiments WHERE name >= ?1 AND name < ?2 "
                          "AND lifecycle = '{}' ORDER BY name LIMIT {}",
                          name_of(lc), limit),
              prefix);
}

Suggestions metric_keys(store::Db& db, const std::string& prefix, int limit) {
  return rows(db, fmt::format("SELECT key, NULL FROM metric_keys WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT {}", limit),
              prefix);
}

Suggestions keys(store::Db& db, KeyTable table, const std::string& prefix, int limit) {
  // A distinct-keys walk over the index on (key, ...): one seek per key, not a scan of every row.
  return rows(db,
              fmt::format("WITH RECURSIVE k(key, n) AS ("
                          "  SELECT (SELECT min(key) FROM {0} WHERE key >= ?1 AND key < ?2), 0"
                          "  UNION ALL SELECT (SELECT min(key) FROM {0} WHERE key > k.key AND key < ?2), n + 1"
                          "  FROM k WHERE k.key IS NOT NULL AND n < {1})"
                          "SELECT key, NULL FROM k WHERE key IS NOT NULL",
                          table == KeyTable::params ? "params" : "tags", limit),
              prefix);
}

Suggestions model_names(store::Db& db, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT name, description FROM registered_models WHERE name >= ?1 AND name < ?2 "
                          "AND deleted_ms IS NULL ORDER BY name LIMIT {}",
                          limit),
              prefix);
}

Suggestions model_versions(store::Db& db, const std::string& model, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT CAST(v.version AS TEXT) AS t, v.stage FROM model_versions v JOIN registered_models m "
                          "ON m.id = v.model_id WHERE m.name = ?3 AND v.deleted_ms IS NULL AND t >= ?1 "
                          "AND t < ?2 ORDER BY v.version DESC LIMIT {}",
                          limit),
              prefix, model);
}

Suggestions model_aliases(store::Db& db, const std::string& model, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT a.alias, 'version ' || v.version FROM model_aliases a JOIN registered_models m "
                          "ON m.id = a.model_id JOIN model_versions v ON v.id = a.version_id WHERE m.name = ?3 "
                          "AND a.alias >= ?1 AND a.alias < ?2 ORDER BY a.alias LIMIT {}",
                          limit),
              prefix, model);
}

Suggestions saved_models(store::Db& db, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT r.uuid || '/' || m.path AS u, r.name || '  ' || m.flavors FROM models m "
                          "JOIN runs r ON r.id = m.run_id WHERE u >= ?1 AND u < ?2 "
                          "AND r.lifecycle = 'active' ORDER BY m.created_ms DESC LIMIT {}",
                          limit),
              prefix);
}

Suggestions datasets(store::Db& db, const std::string& prefix, int limit) {
  return rows(db, fmt::format("SELECT name, NULL FROM datasets WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT {}", limit),
              prefix);
}

Suggestions data_versions(store::Db& db, const std::string& dataset, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT 'v' || v.version AS t, v.files || ' files, ' || v.bytes || ' bytes' || "
                          "CASE WHEN v.message = '' THEN '' ELSE ': ' || v.message END FROM data_versions v "
                          "JOIN datasets d ON d.id = v.dataset_id WHERE d.name = ?3 AND t >= ?1 AND t < ?2 "
                          "ORDER BY v.version DESC LIMIT {}",
                          limit),
              prefix, dataset);
}

Suggestions environments(store::Db& db, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT env, target || '  ' || model_uri FROM deployments d WHERE env >= ?1 "
                          "AND env < ?2 AND revision = (SELECT max(revision) FROM deployments "
                          "WHERE env = d.env) ORDER BY env LIMIT {}",
                          limit),
              prefix);
}

Suggestions deploy_revisions(store::Db& db, const std::string& env, const std::string& prefix, int limit) {
  return rows(db,
              fmt::format("SELECT CAST(revision AS TEXT) AS t, action || '  ' || model_uri FROM deployments "
                          "WHERE env = ?3 AND t >= ?1 AND t < ?2 ORDER BY revision DESC LIMIT {}",
                          limit),
              prefix, env);
}

}  // namespace mlt::core::completion
