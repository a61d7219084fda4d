#include "core/tracking/metrics.hpp"

#include <cmath>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "store/failpoint.hpp"

namespace mlt::core {

MetricWriter::MetricWriter(store::Db& db, const RunRef& run) : db_(db), run_(run) {}

void MetricWriter::add(std::string_view key, std::int64_t step, std::int64_t time_ms, double value) {
  auto it = batches_.find(key);
  if (it == batches_.end()) it = batches_.emplace(std::string(key), Batch{}).first;
  it->second.points.push_back({step, time_ms, value});
  ++pending_;
}

std::int64_t MetricWriter::key_id(const std::string& key) {
  if (auto it = key_ids_.find(key); it != key_ids_.end()) return it->second;
  store::Stmt ins(db_, "INSERT INTO metric_keys(key) VALUES (?1) ON CONFLICT(key) DO NOTHING");
  ins.bind(1, key).exec();
  store::Stmt get(db_, "SELECT id FROM metric_keys WHERE key = ?1");
  get.bind(1, key);
  get.step();
  auto id = get.int64(0);
  key_ids_.emplace(key, id);
  return id;
}

std::size_t MetricWriter::flush() {
  if (pending_ == 0) return 0;
  store::Transaction tx(db_);
  try {
    auto n = write_pending();
    tx.commit();
    return n;
  } catch (...) {
    key_ids_.clear();  // ids of keys inserted by the rolled-back transaction are gone
    throw;
  }
}

std::size_t MetricWriter::write_pending() {
  if (pending_ == 0) return 0;
  store::Stmt point(db_, "INSERT INTO metric_points(run_id, key_id, step, time_ms, value) VALUES (?1, ?2, ?3, ?4, ?5)");
  store::Stmt summary(db_, R"sql(
    INSERT INTO metric_summary(run_id, key_id, last_value, last_step, last_time_ms, min_value, max_value, count,
                               nan_count)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT(run_id, key_id) DO UPDATE SET
      last_value   = CASE WHEN (excluded.last_step, excluded.last_time_ms) >= (last_step, last_time_ms)
                          THEN excluded.last_value ELSE last_value END,
      last_time_ms = CASE WHEN (excluded.last_step, excluded.last_time_ms) >= (last_step, last_time_ms)
                          THEN excluded.last_time_ms ELSE last_time_ms END,
      last_step    = max(last_step, excluded.last_step),
      min_value    = CASE WHEN excluded.min_value IS NULL THEN min_value
                          WHEN min_value IS NULL THEN excluded.min_value
                          ELSE min(min_value, excluded.min_value) END,
      max_value    = CASE WHEN excluded.max_value IS NULL THEN max_value
                          WHEN max_value IS NULL THEN excluded.max_value
                          ELSE max(max_value, excluded.max_value) END,
      count        = count + excluded.count,
      nan_count    = nan_count + excluded.nan_count)sql");
  std::size_t written = 0;
  for (auto& [key, batch] : batches_) {
    if (batch.points.empty()) continue;
    auto kid = key_id(key);
    const MetricPoint* last = nullptr;
    std::optional<double> mn, mx;
    std::int64_t nans = 0;
    for (auto& p : batch.points) {
      point.bind(1, run_.id).bind(2, kid).bind(3, p.step).bind(4, p.time_ms).bind(5, p.value).exec();
      if (&p == &batch.points[batch.points.size() / 2] && written == 0) MLT_FAILPOINT("metrics.mid_batch");
      if (!last || p.step > last->step || (p.step == last->step && p.time_ms >= last->time_ms)) last = &p;
      if (std::isnan(p.value)) {
        ++nans;
      } else {
        mn = mn ? std::min(*mn, p.value) : p.value;
        mx = mx ? std::max(*mx, p.value) : p.value;
      }
    }
    summary.bind(1, run_.id).bind(2, kid).bind(3, last->value).bind(4, last->step).bind(5, last->time_ms);
    summary.bind(6, mn).bind(7, mx).bind(8, static_cast<std::int64_t>(batch.points.size())).bind(9, nans).exec();
    written += batch.points.size();
  }
  for (auto& [key, batch] : batches_) batch.points.clear();   // keeps the capacity for the next batch
  pending_ = 0;
  return written;
}

std::optional<std::int64_t> last_step(store::Db& db, const RunRef& run, const std::string& key) {
  store::Stmt q(db,
                "SELECT s.last_step FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id "
                "WHERE s.run_id = ?1 AND k.key = ?2");
  q.bind(1, run.id).bind(2, key);
  if (!q.step()) return std::nullopt;
  return q.int64(0);
}

std::int64_t log_metrics(store::Db& db, const RunRef& run, const std::vector<std::pair<std::string, double>>& values,
                         std::optional<std::int64_t> step, std::optional<std::int64_t> time_ms) {
  for (auto& [k, v] : values) check_key(k, "metric");
  std::int64_t t = time_ms ? *time_ms : now_ms();
  MetricWriter w(db, run);
  if (!step) {
    // The next step is read under the write lock, so that concurrent callers advance too.
    store::Transaction tx(db);
    std::int64_t next = 0;
    for (auto& [k, v] : values)
      if (auto last = last_step(db, run, k)) next = std::max(next, *last + 1);
    for (auto& [k, v] : values) w.add(k, next, t, v);
    w.write_pending();
    tx.commit();
    return next;
  }
  for (auto& [k, v] : values) w.add(k, *step, t, v);
  w.flush();
  return *step;
}

std::vector<std::string> metric_keys(store::Db& db, const RunRef& run, const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  if (keys.empty()) {
    store::Stmt q(db,
                  "SELECT k.key FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id "
                  "WHERE s.run_id = ?1 ORDER BY k.key");
    q.bind(1, run.id);
    while (q.step()) out.push_back(q.text(0));
    return out;
  }
  store::Stmt q(db,
                "SELECT 1 FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id "
                "WHERE s.run_id = ?1 AND k.key = ?2");
  for (auto& k : keys) {
    q.bind(1, run.id).bind(2, k);
    if (!q.step())
      throw Error(ExitCode::not_found, fmt::format("run '{}' has no metric '{}'", run.name, k),
                  fmt::format("see 'mlt run show {}'", run.uuid.substr(0, 8)));
    q.reset();
    out.push_back(k);
  }
  return out;
}

void for_each_point(store::Db& db, const RunRef& run, const std::vector<std::string>& keys,
                    const std::function<void(const std::string&, const MetricPoint&)>& fn) {
  store::Stmt p(db,
                "SELECT p.step, p.time_ms, p.value FROM metric_points p JOIN metric_keys k ON k.id = p.key_id "
                "WHERE p.run_id = ?1 AND k.key = ?2 ORDER BY p.step, p.rowid");
  for (auto& key : keys) {
    p.bind(1, run.id).bind(2, key);
    while (p.step()) fn(key, {p.int64(0), p.int64(1), p.is_null(2) ? std::nan("") : p.real(2)});
    p.reset();
  }
}

}  // namespace mlt::core
