#include "core/models/registry.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/values.hpp"

namespace mlt::core {
namespace {

constexpr const char* ref_forms = "write NAME/VERSION, NAME@ALIAS, NAME/STAGE or NAME/latest (models:/ in front is optional)";

std::optional<std::int64_t> positive(std::string_view s) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  auto v = parse_int64(s);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

bool reserved_alias(const std::string& a) {
  static const std::regex vn("[vV][0-9]+");
  return ascii_lower(a) == "latest" || std::regex_match(a, vn);
}

Stage stage_of(const std::string& s) { return parse_stage(s).value_or(Stage::none); }

}  // namespace

const char* to_string(Stage s) {
  switch (s) {
    case Stage::none: return "None";
    case Stage::staging: return "Staging";
    case Stage::production: return "Production";
    case Stage::archived: return "Archived";
  }
  return "None";
}

std::optional<Stage> parse_stage(std::string_view s) {
  auto l = ascii_lower(s);
  if (l == "none") return Stage::none;
  if (l == "staging") return Stage::staging;
  if (l == "production") return Stage::production;
  if (l == "archived") return Stage::archived;
  return std::nullopt;
}

void check_model_name(const std::string& name) { check_tag_name(name, "model"); }

void check_alias(const std::string& alias) {
  static const std::regex re("[A-Za-z0-9_-]{1,255}");
  if (!std::regex_match(alias, re))
    throw Error(ExitCode::usage, fmt::format("invalid alias '{}'", printable(alias)),
                "an alias is 1-255 letters, digits, '_' or '-'");
  if (reserved_alias(alias))
    throw Error(ExitCode::usage, fmt::format("the alias '{}' is reserved", alias),
                "'latest' and 'v<number>' always name versions; pick another alias");
}

VersionRef parse_version_ref(std::string_view text) {
  VersionRef r;
  r.text = std::string(text);
  std::string_view s = text;
  if (s.starts_with("models:/")) s.remove_prefix(8);
  auto bad = [&](const std::string& why) -> Error {
    return Error(ExitCode::usage, fmt::format("invalid model reference '{}': {}", printable(text), why), ref_forms);
  };
  if (auto at = s.find('@'); at != std::string_view::npos) {
    r.name = std::string(s.substr(0, at));
    std::string alias(s.substr(at + 1));
    if (alias.empty()) throw bad("no alias after '@'");
    if (ascii_lower(alias) == "latest") r.kind = VersionRef::Kind::latest;
    else if (reserved_alias(alias)) {
      r.kind = VersionRef::Kind::version;
      auto v = positive(std::string_view(alias).substr(1));
      if (!v) throw bad("bad version");
      r.version = *v;
    } else {
      check_alias(alias);
      r.kind = VersionRef::Kind::alias;
      r.alias = alias;
    }
  } else if (auto slash = s.find('/'); slash != std::string_view::npos) {
    r.name = std::string(s.substr(0, slash));
    std::string rest(s.substr(slash + 1));
    if (auto v = positive(rest)) {
      r.kind = VersionRef::Kind::version;
      r.version = *v;
    } else if (ascii_lower(rest) == "latest") {
      r.kind = VersionRef::Kind::latest;
    } else if (auto st = parse_stage(rest)) {
      r.kind = VersionRef::Kind::stage;
      r.stage = *st;
    } else {
      throw bad(fmt::format("'{}' is not a version number, stage or 'latest'", printable(rest)));
    }
  } else {
    r.name = std::string(s);
  }
  if (r.name.empty()) throw bad("no model name");
  check_model_name(r.name);
  return r;
}

Registry::Registry(store::Db& db, std::string user) : db_(db), user_(user.empty() ? current_user() : std::move(user)) {}

std::optional<Registry::ModelRow> Registry::find(const std::string& name) {
  store::Stmt q(db_, "SELECT id, deleted_ms IS NOT NULL FROM registered_models WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return ModelRow{q.int64(0), q.int64(1) != 0};
}

std::int64_t Registry::require(const std::string& name) {
  auto m = find(name);
  if (!m || m->deleted)
    throw Error(ExitCode::not_found, fmt::format("no registered model '{}'{}", name, m ? " (it was removed)" : ""),
                "see 'mlt registry ls'");
  return m->id;
}

std::int64_t Registry::version_id(std::int64_t model_id, const std::string& name, std::int64_t version) {
  store::Stmt q(db_, "SELECT id FROM model_versions WHERE model_id = ?1 AND version = ?2 AND deleted_ms IS NULL");
  q.bind(1, model_id).bind(2, version);
  if (!q.step())
    throw Error(ExitCode::not_found, fmt::format("model '{}' has no version {}", name, version),
                fmt::format("see 'mlt registry show {}'", name));
  return q.int64(0);
}

void Registry::event(std::int64_t model_id, std::optional<std::int64_t> version, const std::string& action,
                     const std::optional<std::string>& target, const std::optional<std::string>& from,
                     const std::optional<std::string>& to) {
  auto now = now_ms();
  store::Stmt e(db_,
                "INSERT INTO registry_events(model_id, version, time_ms, user, action, target, from_value, to_value) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  e.bind(1, model_id).bind(2, version).bind(3, now).bind(4, user_).bind(5, action).bind(6, target).bind(7, from).bind(8, to);
  e.exec();
  store::Stmt u(db_, "UPDATE registered_models SET updated_ms = ?2 WHERE id = ?1");
  u.bind(1, model_id).bind(2, now).exec();
}

void Registry::create(const std::string& name, const std::string& description) {
  check_model_name(name);
  check_value("description", description, "description");
  store::Transaction tx(db_);
  if (auto m = find(name)) {
    if (!m->deleted)
      throw Error(ExitCode::conflict, fmt::format("registered model '{}' exists already", name),
                  fmt::format("see 'mlt registry show {}'", name));
    store::Stmt u(db_, "UPDATE registered_models SET deleted_ms = NULL, description = ?2 WHERE id = ?1");
    u.bind(1, m->id).bind(2, description).exec();
    event(m->id, std::nullopt, "restore", std::nullopt, std::nullopt, description);
  } else {
    auto now = now_ms();
    store::Stmt ins(db_, "INSERT INTO registered_models(name, description, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3)");
    ins.bind(1, name).bind(2, description).bind(3, now).exec();
    event(db_.last_insert_id(), std::nullopt, "create", std::nullopt, std::nullopt, description);
  }
  tx.commit();
}

Registry::Registered Registry::register_version(const std::string& name, const RunRef& run, const std::string& path,
                                                const store::Digest& tree, const std::string& description,
                                                const std::vector<std::pair<std::string, std::string>>& tags) {
  check_model_name(name);
  check_value("description", description, "description");
  for (auto& [k, v] : tags) {
    check_key(k, "tag");
    check_value(k, v, "tag");
  }
  Registered out;
  store::Transaction tx(db_);
  std::int64_t model_id;
  auto m = find(name);
  if (!m) {
    auto now = now_ms();
    store::Stmt ins(db_, "INSERT INTO registered_models(name, description, created_ms, updated_ms) VALUES (?1, '', ?2, ?2)");
    ins.bind(1, name).bind(2, now).exec();
    model_id = db_.last_insert_id();
    event(model_id, std::nullopt, "create", std::nullopt, std::nullopt, std::string());
    out.created_model = true;
  } else {
    model_id = m->id;
    if (m->deleted) {
      store::Stmt u(db_, "UPDATE registered_models SET deleted_ms = NULL WHERE id = ?1");
      u.bind(1, model_id).exec();
      event(model_id, std::nullopt, "restore", std::nullopt, std::nullopt, std::nullopt);
    }
  }
  {  // the same package registered before: allowed (as in MLflow), and said
    store::Stmt same(db_,
                     "SELECT max(version) FROM model_versions WHERE model_id = ?1 AND tree = ?2 AND deleted_ms IS NULL");
    same.bind(1, model_id).bind(2, tree.hex());
    if (same.step() && !same.is_null(0)) out.same_as = same.int64(0);
  }
  store::Stmt next(db_, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = ?1");
  next.bind(1, model_id);
  next.step();
  std::int64_t version = next.int64(0);
  next.exec();
  store::Stmt ins(db_,
                  "INSERT INTO model_versions(model_id, version, run_id, path, tree, description, user, created_ms) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  ins.bind(1, model_id).bind(2, version).bind(3, run.id).bind(4, path).bind(5, tree.hex()).bind(6, description);
  ins.bind(7, user_).bind(8, now_ms()).exec();
  store::Stmt tag(db_, "INSERT INTO registry_tags(model_id, version, key, value) VALUES (?1, ?2, ?3, ?4)");
  for (auto& [k, v] : tags) tag.bind(1, model_id).bind(2, version).bind(3, k).bind(4, v).exec();
  event(model_id, version, "register", "runs:/" + run.uuid + "/" + path, std::nullopt, tree.str());
  tx.commit();
  out.version = load_version(model_id, name, version);
  return out;
}

ModelVersion Registry::load_version(std::int64_t model_id, const std::string& name, std::int64_t version,
                                    bool include_removed) {
  store::Stmt q(db_,
                "SELECT v.version, r.uuid, r.name, v.path, v.tree, v.description, v.user, v.stage, v.created_ms, v.id, "
                "(SELECT value FROM tags t WHERE t.run_id = v.run_id AND t.key = 'mlt.git.commit') "
                "FROM model_versions v JOIN runs r ON r.id = v.run_id "
                "WHERE v.model_id = ?1 AND v.version = ?2 AND (v.deleted_ms IS NULL OR ?3)");
  q.bind(1, model_id).bind(2, version).bind(3, include_removed ? 1 : 0);
  if (!q.step())
    throw Error(ExitCode::not_found, fmt::format("model '{}' has no version {}", name, version),
                fmt::format("see 'mlt registry show {}'", name));
  ModelVersion v;
  v.model = name;
  v.version = q.int64(0);
  v.run_uuid = q.text(1);
  v.run_name = q.text(2);
  v.path = q.text(3);
  v.tree = store::Digest::parse(q.text(4)).value_or(store::Digest{});
  v.description = q.text(5);
  v.user = q.text(6);
  v.stage = stage_of(q.text(7));
  v.created_ms = q.int64(8);
  std::int64_t vid = q.int64(9);
  v.git_commit = q.opt_text(10);
  store::Stmt t(db_, "SELECT key, value FROM registry_tags WHERE model_id = ?1 AND version = ?2 ORDER BY key");
  t.bind(1, model_id).bind(2, version);
  while (t.step()) v.tags[t.text(0)] = t.text(1);
  store::Stmt a(db_, "SELECT alias FROM model_aliases WHERE version_id = ?1 ORDER BY alias");
  a.bind(1, vid);
  while (a.step()) v.aliases.push_back(a.text(0));
  return v;
}

ModelVersion Registry::version(const std::string& name, std::int64_t version) {
  return load_version(require(name), name, version);
}

RegisteredModel Registry::load(const std::string& name) {
  auto id = require(name);
  RegisteredModel m;
  store::Stmt q(db_, "SELECT name, description, created_ms, updated_ms FROM registered_models WHERE id = ?1");
  q.bind(1, id);
  q.step();
  m.name = q.text(0);
  m.description = q.text(1);
  m.created_ms = q.int64(2);
  m.updated_ms = q.int64(3);
  store::Stmt t(db_, "SELECT key, value FROM registry_tags WHERE model_id = ?1 AND version = 0 ORDER BY key");
  t.bind(1, id);
  while (t.step()) m.tags[t.text(0)] = t.text(1);
  store::Stmt v(db_, "SELECT version FROM model_versions WHERE model_id = ?1 AND deleted_ms IS NULL ORDER BY version");
  v.bind(1, id);
  std::vector<std::int64_t> versions;
  while (v.step()) versions.push_back(v.int64(0));
  for (auto n : versions) m.versions.push_back(load_version(id, name, n));
  store::Stmt a(db_,
                "SELECT a.alias, v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                "WHERE a.model_id = ?1 ORDER BY a.alias");
  a.bind(1, id);
  while (a.step()) m.aliases.emplace_back(a.text(0), a.int64(1));
  return m;
}

std::vector<RegisteredModel> Registry::list() {
  store::Stmt q(db_, "SELECT name FROM registered_models WHERE deleted_ms IS NULL ORDER BY name");
  std::vector<std::string> names;
  while (q.step()) names.push_back(q.text(0));
  std::vector<RegisteredModel> out;
  for (auto& n : names) out.push_back(load(n));
  return out;
}

ModelVersion Registry::resolve(const VersionRef& ref, std::optional<std::int64_t> at) {
  auto found = find(ref.name);
  auto id = at && found ? found->id : require(ref.name);
  if (at) {
    auto st = state_at(ref.name, *at);
    auto when = rfc3339_utc(*at);
    std::optional<std::int64_t> v;
    switch (ref.kind) {
      case VersionRef::Kind::version:
        for (auto& [n, s] : st.versions)
          if (n == ref.version) v = n;
        break;
      case VersionRef::Kind::alias:
        for (auto& [a, n] : st.aliases)
          if (a == ref.alias) v = n;
        if (!v)
          throw Error(ExitCode::not_found, fmt::format("model '{}' had no alias '{}' at {}", ref.name, ref.alias, when),
                      fmt::format("see 'mlt registry history {}'", ref.name));
        break;
      case VersionRef::Kind::stage:
        for (auto& [n, s] : st.versions)
          if (s == ref.stage) v = n;   // ascending: the highest wins
        if (!v)
          throw Error(ExitCode::not_found,
                      fmt::format("model '{}' had no version in stage {} at {}", ref.name, to_string(ref.stage), when),
                      fmt::format("see 'mlt registry history {}'", ref.name));
        break;
      case VersionRef::Kind::latest:
      case VersionRef::Kind::model:
        if (!st.versions.empty()) v = st.versions.back().first;
        break;
    }
    if (!v)
      throw Error(ExitCode::not_found, fmt::format("'{}' named no version at {}", ref.text, when),
                  fmt::format("see 'mlt registry history {}'", ref.name));
    // the version as it was then: its stage and aliases at that time, even if removed since
    auto out = load_version(id, ref.name, *v, true);
    for (auto& [n, s] : st.versions)
      if (n == *v) out.stage = s;
    out.aliases.clear();
    for (auto& [a, n] : st.aliases)
      if (n == *v) out.aliases.push_back(a);
    return out;
  }
  switch (ref.kind) {
    case VersionRef::Kind::version: return load_version(id, ref.name, ref.version);
    case VersionRef::Kind::alias: {
      store::Stmt q(db_,
                    "SELECT v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                    "WHERE a.model_id = ?1 AND a.alias = ?2");
      q.bind(1, id).bind(2, ref.alias);
      if (!q.step())
        throw Error(ExitCode::not_found, fmt::format("model '{}' has no alias '{}'", ref.name, ref.alias),
                    fmt::format("see 'mlt registry show {}'", ref.name));
      return load_version(id, ref.name, q.int64(0));
    }
    case VersionRef::Kind::stage: {
      store::Stmt q(db_,
                    "SELECT MAX(version) FROM model_versions WHERE model_id = ?1 AND stage = ?2 AND deleted_ms IS NULL");
      q.bind(1, id).bind(2, to_string(ref.stage));
      if (!q.step() || q.is_null(0))
        throw Error(ExitCode::not_found, fmt::format("model '{}' has no version in stage {}", ref.name, to_string(ref.stage)),
                    fmt::format("see 'mlt registry show {}'", ref.name));
      return load_version(id, ref.name, q.int64(0));
    }
    case VersionRef::Kind::latest:
    case VersionRef::Kind::model: {
      store::Stmt q(db_, "SELECT MAX(version) FROM model_versions WHERE model_id = ?1 AND deleted_ms IS NULL");
      q.bind(1, id);
      if (!q.step() || q.is_null(0))
        throw Error(ExitCode::not_found, fmt::format("model '{}' has no versions", ref.name),
                    fmt::format("register one with 'mlt registry register URI {}'", ref.name));
      return load_version(id, ref.name, q.int64(0));
    }
  }
  throw Error(ExitCode::usage, "unreachable");
}

Registry::Change Registry::set_alias(const std::string& name, const std::string& alias, std::int64_t version) {
  check_alias(alias);
  Change c;
  store::Transaction tx(db_);
  auto id = require(name);
  auto vid = version_id(id, name, version);
  store::Stmt cur(db_,
                  "SELECT v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                  "WHERE a.model_id = ?1 AND a.alias = ?2");
  cur.bind(1, id).bind(2, alias);
  if (cur.step()) c.from = cur.int64(0);
  cur.exec();
  store::Stmt up(db_, "INSERT INTO model_aliases(model_id, alias, version_id) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(model_id, alias) DO UPDATE SET version_id = excluded.version_id");
  up.bind(1, id).bind(2, alias).bind(3, vid).exec();
  event(id, version, "alias", alias, c.from ? std::optional(std::to_string(*c.from)) : std::nullopt,
        std::to_string(version));
  c.assignment = assignments(name, alias);
  tx.commit();
  return c;
}

Registry::Change Registry::remove_alias(const std::string& name, const std::string& alias) {
  Change c;
  store::Transaction tx(db_);
  auto id = require(name);
  store::Stmt cur(db_,
                  "SELECT v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                  "WHERE a.model_id = ?1 AND a.alias = ?2");
  cur.bind(1, id).bind(2, alias);
  if (!cur.step())
    throw Error(ExitCode::not_found, fmt::format("model '{}' has no alias '{}'", name, alias),
                fmt::format("see 'mlt registry show {}'", name));
  c.from = cur.int64(0);
  cur.exec();
  store::Stmt del(db_, "DELETE FROM model_aliases WHERE model_id = ?1 AND alias = ?2");
  del.bind(1, id).bind(2, alias).exec();
  event(id, c.from, "unalias", alias, std::to_string(*c.from), std::nullopt);
  tx.commit();
  return c;
}

Registry::Change Registry::set_stage(const std::string& name, std::int64_t version, Stage stage, bool archive_existing) {
  Change c;
  store::Transaction tx(db_);
  auto id = require(name);
  auto v = load_version(id, name, version);
  c.from_stage = v.stage;
  auto move = [&](std::int64_t n, Stage from, Stage to) {
    store::Stmt u(db_, "UPDATE model_versions SET stage = ?3 WHERE model_id = ?1 AND version = ?2");
    u.bind(1, id).bind(2, n).bind(3, to_string(to)).exec();
    event(id, n, "stage", "stage", std::string(to_string(from)), std::string(to_string(to)));
  };
  move(version, v.stage, stage);
  c.assignment = assignments(name, to_string(stage));
  if (archive_existing && (stage == Stage::staging || stage == Stage::production)) {
    store::Stmt others(db_,
                       "SELECT version FROM model_versions WHERE model_id = ?1 AND stage = ?2 AND version != ?3 "
                       "AND deleted_ms IS NULL ORDER BY version");
    others.bind(1, id).bind(2, to_string(stage)).bind(3, version);
    while (others.step()) c.archived.push_back(others.int64(0));
    others.exec();
    for (auto n : c.archived) move(n, stage, Stage::archived);
  }
  tx.commit();
  return c;
}

void Registry::set_tag(const std::string& name, std::optional<std::int64_t> version, const std::string& key,
                       const std::string& value) {
  check_key(key, "tag");
  check_value(key, value, "tag");
  store::Transaction tx(db_);
  auto id = require(name);
  if (version) version_id(id, name, *version);
  std::int64_t v = version.value_or(0);
  store::Stmt cur(db_, "SELECT value FROM registry_tags WHERE model_id = ?1 AND version = ?2 AND key = ?3");
  cur.bind(1, id).bind(2, v).bind(3, key);
  std::optional<std::string> from;
  if (cur.step()) from = cur.text(0);
  cur.exec();
  store::Stmt up(db_, "INSERT INTO registry_tags(model_id, version, key, value) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT(model_id, version, key) DO UPDATE SET value = excluded.value");
  up.bind(1, id).bind(2, v).bind(3, key).bind(4, value).exec();
  event(id, version, "tag", key, from, value);
  tx.commit();
}

void Registry::describe(const std::string& name, std::optional<std::int64_t> version, const std::string& text) {
  check_value("description", text, "description");
  store::Transaction tx(db_);
  auto id = require(name);
  std::string from;
  if (version) {
    auto vid = version_id(id, name, *version);
    store::Stmt q(db_, "SELECT description FROM model_versions WHERE id = ?1");
    q.bind(1, vid);
    q.step();
    from = q.text(0);
    q.exec();
    store::Stmt u(db_, "UPDATE model_versions SET description = ?2 WHERE id = ?1");
    u.bind(1, vid).bind(2, text).exec();
  } else {
    store::Stmt q(db_, "SELECT description FROM registered_models WHERE id = ?1");
    q.bind(1, id);
    q.step();
    from = q.text(0);
    q.exec();
    store::Stmt u(db_, "UPDATE registered_models SET description = ?2 WHERE id = ?1");
    u.bind(1, id).bind(2, text).exec();
  }
  event(id, version, "describe", std::nullopt, from, text);
  tx.commit();
}

void Registry::remove(const std::string& name, std::optional<std::int64_t> version) {
  store::Transaction tx(db_);
  auto id = require(name);
  auto now = now_ms();
  // drops the aliases of one version (vid) or of the whole model, each recorded with its version
  auto drop_aliases = [&](std::optional<std::int64_t> vid) {
    store::Stmt q(db_, std::string("SELECT a.alias, v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id ") +
                           (vid ? "WHERE a.version_id = ?1" : "WHERE a.model_id = ?1") + " ORDER BY a.alias");
    q.bind(1, vid.value_or(id));
    std::vector<std::pair<std::string, std::int64_t>> aliases;
    while (q.step()) aliases.emplace_back(q.text(0), q.int64(1));
    q.exec();
    for (auto& [a, n] : aliases) {
      store::Stmt d(db_, "DELETE FROM model_aliases WHERE model_id = ?1 AND alias = ?2");
      d.bind(1, id).bind(2, a).exec();
      event(id, n, "unalias", a, std::to_string(n), std::nullopt);
    }
  };
  if (version) {
    auto vid = version_id(id, name, *version);
    drop_aliases(vid);
    store::Stmt u(db_, "UPDATE model_versions SET deleted_ms = ?2 WHERE id = ?1");
    u.bind(1, vid).bind(2, now).exec();
    event(id, version, "rm", std::nullopt, std::nullopt, std::nullopt);
  } else {
    drop_aliases(std::nullopt);
    store::Stmt v(db_, "UPDATE model_versions SET deleted_ms = ?2 WHERE model_id = ?1 AND deleted_ms IS NULL");
    v.bind(1, id).bind(2, now).exec();
    store::Stmt u(db_, "UPDATE registered_models SET deleted_ms = ?2 WHERE id = ?1");
    u.bind(1, id).bind(2, now).exec();
    event(id, std::nullopt, "rm", std::nullopt, std::nullopt, std::nullopt);
  }
  tx.commit();
}

std::vector<RegistryEvent> Registry::history(const std::string& name) {
  auto m = find(name);
  if (!m) throw Error(ExitCode::not_found, fmt::format("no registered model '{}'", name), "see 'mlt registry ls'");
  store::Stmt q(db_,
                "SELECT id, version, time_ms, user, action, target, from_value, to_value FROM registry_events "
                "WHERE model_id = ?1 ORDER BY id");
  q.bind(1, m->id);
  std::vector<RegistryEvent> out;
  while (q.step()) {
    RegistryEvent e;
    e.id = q.int64(0);
    e.version = q.opt_int64(1);
    e.time_ms = q.int64(2);
    e.user = q.text(3);
    e.action = q.text(4);
    e.target = q.opt_text(5);
    e.from = q.opt_text(6);
    e.to = q.opt_text(7);
    out.push_back(std::move(e));
  }
  return out;
}

Registry::State Registry::state_at(const std::string& name, std::int64_t at) {
  std::map<std::string, std::int64_t> aliases;
  std::map<std::int64_t, Stage> versions;
  for (auto& e : history(name)) {
    if (e.time_ms > at) continue;   // ids follow commit order; a pinned clock may repeat times
    if (e.action == "register" && e.version) versions[*e.version] = Stage::none;
    else if (e.action == "stage" && e.version && e.to) versions[*e.version] = stage_of(*e.to);
    else if (e.action == "alias" && e.target && e.to) aliases[*e.target] = parse_int64(*e.to).value_or(0);
    else if (e.action == "unalias" && e.target) aliases.erase(*e.target);
    else if (e.action == "rm" && e.version) versions.erase(*e.version);
    else if (e.action == "rm") {
      versions.clear();
      aliases.clear();
    }
  }
  State s;
  s.aliases.assign(aliases.begin(), aliases.end());
  s.versions.assign(versions.begin(), versions.end());
  return s;
}

std::int64_t Registry::assignments(const std::string& name, const std::string& target) {
  auto m = find(name);
  if (!m) return 0;
  // aliases and stages share one counter per lower-cased name: their git tags share one name space
  store::Stmt q(db_,
                "SELECT count(*) FROM registry_events WHERE model_id = ?1 AND "
                "((action = 'alias' AND lower(target) = lower(?2)) OR (action = 'stage' AND lower(to_value) = lower(?2)))");
  q.bind(1, m->id).bind(2, target);
  q.step();
  return q.int64(0);
}

HookResult run_hook(const Project& p, const std::string& name, const std::vector<std::pair<std::string, std::string>>& env,
                    const std::function<void(const std::string&)>& warn) {
  HookResult r;
  auto path = p.dir() / "hooks" / name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return r;
  if (::access(path.c_str(), X_OK) != 0) {
    if (warn) warn(fmt::format("the hook '{}' is not executable and was skipped (chmod +x to enable it)", path.string()));
    return r;
  }
  // the hook's stdout goes to mlt's stderr: stdout carries only mlt's own data
  auto res = run_child({path.string()}, env, {{STDERR_FILENO, STDOUT_FILENO}});
  r.ran = true;
  r.exit_code = res.exit_code;
  return r;
}

}  // namespace mlt::core
