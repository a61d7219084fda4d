#include "core/tracking/experiments.hpp"

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/values.hpp"
#include "core/config.hpp"

namespace mlt::core {

void check_experiment_name(const std::string& name) {
  if (name.empty()) throw Error(ExitCode::usage, "empty experiment name", "give the experiment a name");
  if (name.size() > max_key_bytes)
    throw Error(ExitCode::usage, fmt::format("experiment name is {} bytes long, the limit is {}", name.size(),
                                             max_key_bytes));
  if (!valid_utf8(name)) throw Error(ExitCode::usage, "experiment name is not valid UTF-8");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw Error(ExitCode::usage, fmt::format("experiment name '{}' contains a control character", name));
}

static std::optional<Experiment> find_in_tx(store::Db& db, const std::string& name) {
  store::Stmt q(db,
                "SELECT e.id, e.name, e.description, e.lifecycle, e.created_ms, e.updated_ms, "
                "(SELECT count(*) FROM runs r WHERE r.experiment_id = e.id AND r.lifecycle = 'active') "
                "FROM experiments e WHERE e.name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  Experiment e;
  e.id = q.int64(0);
  e.name = q.text(1);
  e.description = q.text(2);
  e.deleted = q.text(3) == "deleted";
  e.created_ms = q.int64(4);
  e.updated_ms = q.int64(5);
  e.run_count = q.int64(6);
  store::Stmt t(db, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 ORDER BY key");
  t.bind(1, e.id);
  while (t.step()) e.tags[t.text(0)] = t.text(1);
  return e;
}

std::optional<Experiment> find_experiment(store::Db& db, const std::string& name) { return find_in_tx(db, name); }

Experiment get_experiment(store::Db& db, const std::string& name) {
  auto e = find_experiment(db, name);
  if (!e) throw Error(ExitCode::not_found, fmt::format("no experiment named '{}'", name), "see 'mlt exp ls'");
  return *e;
}

static std::int64_t insert_experiment(store::Db& db, const std::string& name, const std::string& description,
                                      const std::vector<std::pair<std::string, std::string>>& tags) {
  auto now = now_ms();
  store::Stmt ins(db, "INSERT INTO experiments(name, description, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3)");
  ins.bind(1, name).bind(2, description).bind(3, now).exec();
  auto id = db.last_insert_id();
  store::Stmt tag(db, "INSERT OR REPLACE INTO experiment_tags(experiment_id, key, value) VALUES (?1, ?2, ?3)");
  for (auto& [k, v] : tags) tag.bind(1, id).bind(2, k).bind(3, v).exec();
  return id;
}

std::int64_t create_experiment(store::Db& db, const std::string& name, const std::string& description,
                               const std::vector<std::pair<std::string, std::string>>& tags) {
  check_experiment_name(name);
  check_value("description", description, "experiment");
  store::Transaction tx(db);
  if (auto e = find_in_tx(db, name)) {
    if (e->deleted)
      throw Error(ExitCode::conflict, fmt::format("experiment '{}' exists and is deleted", name),
                  fmt::format("restore it with 'mlt exp restore {}'", name));
    throw Error(ExitCode::conflict, fmt::format("experiment '{}' already exists", name), "choose another name");
  }
  auto id = insert_experiment(db, name, description, tags);
  tx.commit();
  return id;
}

std::vector<Experiment> list_experiments(store::Db& db, Lifecycle which) {
  store::Stmt q(db,
                "SELECT e.id, e.name, e.description, e.lifecycle, e.created_ms, e.updated_ms, "
                "(SELECT count(*) FROM runs r WHERE r.experiment_id = e.id AND r.lifecycle = 'active') "
                "FROM experiments e WHERE ?1 = 'all' OR e.lifecycle = ?1 ORDER BY e.id");
  q.bind(1, which == Lifecycle::all ? "all" : which == Lifecycle::active ? "active" : "deleted");
  std::vector<Experiment> out;
  while (q.step()) {
    Experiment e;
    e.id = q.int64(0);
    e.name = q.text(1);
    e.description = q.text(2);
    e.deleted = q.text(3) == "deleted";
    e.created_ms = q.int64(4);
    e.updated_ms = q.int64(5);
    e.run_count = q.int64(6);
    out.push_back(std::move(e));
  }
  store::Stmt t(db, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 ORDER BY key");
  for (auto& e : out) {
    t.bind(1, e.id);
    while (t.step()) e.tags[t.text(0)] = t.text(1);
  }
  return out;
}

void rename_experiment(store::Db& db, const std::string& name, const std::string& new_name) {
  check_experiment_name(new_name);
  store::Transaction tx(db);
  auto e = find_in_tx(db, name);
  if (!e) throw Error(ExitCode::not_found, fmt::format("no experiment named '{}'", name), "see 'mlt exp ls'");
  if (name == new_name) return;
  if (find_in_tx(db, new_name))
    throw Error(ExitCode::conflict, fmt::format("experiment '{}' already exists", new_name), "choose another name");
  store::Stmt q(db, "UPDATE experiments SET name = ?2, updated_ms = ?3 WHERE id = ?1");
  q.bind(1, e->id).bind(2, new_name).bind(3, now_ms()).exec();
  tx.commit();
}

bool set_experiment_deleted(store::Db& db, const std::string& name, bool deleted) {
  store::Transaction tx(db);
  auto e = find_in_tx(db, name);
  if (!e) throw Error(ExitCode::not_found, fmt::format("no experiment named '{}'", name), "see 'mlt exp ls --all'");
  if (e->id == 1 && deleted)
    throw Error(ExitCode::usage, fmt::format("the default experiment '{}' cannot be removed", name),
                "rename it instead, or remove its runs");
  if (e->deleted == deleted) return false;
  store::Stmt q(db, "UPDATE experiments SET lifecycle = ?2, updated_ms = ?3 WHERE id = ?1");
  q.bind(1, e->id).bind(2, deleted ? "deleted" : "active").bind(3, now_ms()).exec();
  tx.commit();
  return true;
}

std::int64_t experiment_for_new_run(store::Db& db, const std::string& name_in, bool& created) {
  created = false;
  std::string name = name_in;
  if (name.empty()) name = Config::load(std::filesystem::path(db.path()).parent_path()).get_string("core.experiment");
  if (name.empty()) return 1;
  check_experiment_name(name);
  if (auto e = find_in_tx(db, name)) {  // caller holds the write transaction
    if (e->deleted)
      throw Error(ExitCode::conflict, fmt::format("experiment '{}' is deleted", name),
                  fmt::format("restore it with 'mlt exp restore {}'", name));
    return e->id;
  }
  created = true;
  return insert_experiment(db, name, "", {});
}

}  // namespace mlt::core
