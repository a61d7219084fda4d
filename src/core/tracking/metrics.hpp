// Metric points: logging (one call, or batched for streams) and reading the full history.
// Every write also maintains metric_summary (see core/schema.cpp) in the same transaction.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tracking/runs.hpp"
#include "store/db.hpp"

namespace mlt::core {

struct MetricPoint {
  std::int64_t step = 0, time_ms = 0;
  double value = 0;
};

// Buffers points for one run and writes them in one short transaction per flush().
class MetricWriter {
 public:
  MetricWriter(store::Db& db, const RunRef& run);
  void add(std::string_view key, std::int64_t step, std::int64_t time_ms, double value);
  std::size_t pending() const { return pending_; }
  std::size_t flush();   // one transaction; returns the number of points written
  std::size_t write_pending();   // inside the caller's open transaction

 private:
  struct Batch {
    std::vector<MetricPoint> points;
  };
  std::int64_t key_id(const std::string& key);
  store::Db& db_;
  RunRef run_;
  std::map<std::string, Batch, std::less<>> batches_;
  std::unordered_map<std::string, std::int64_t> key_ids_;
  std::size_t pending_ = 0;
};

// The last step of metric KEY in RUN, or nullopt when the run has no such metric.
std::optional<std::int64_t> last_step(store::Db& db, const RunRef& run, const std::string& key);

// `mlt log metric`: K=V pairs at one step and time. Without a step, the step is one past the
// greatest last step of the given keys in this run (0 for new keys), so repeated calls advance.
// Returns the step used.
std::int64_t log_metrics(store::Db& db, const RunRef& run, const std::vector<std::pair<std::string, double>>& values,
                         std::optional<std::int64_t> step, std::optional<std::int64_t> time_ms);

// The metric keys of a run, sorted; `keys` given: those, in that order, exit 4 for one the run
// does not have.
std::vector<std::string> metric_keys(store::Db& db, const RunRef& run, const std::vector<std::string>& keys);

// Streams the full history of each key (ordered by step, then write order) without holding it
// in memory: fn(key, point) is called once per point.
void for_each_point(store::Db& db, const RunRef& run, const std::vector<std::string>& keys,
                    const std::function<void(const std::string&, const MetricPoint&)>& fn);

}  // namespace mlt::core
