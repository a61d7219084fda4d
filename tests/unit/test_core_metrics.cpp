// core/metrics: MetricWriter, log_metrics, metric_keys, for_each_point, and the summary each
// write maintains (last, min, max, count).
#include "core/tracking/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::ScopedEnv;
using mlt::test::TempProject;
using mlt::test::thrown;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan_v = std::nan("");

RunRef make_run(mlt::store::Db& db, const std::string& name) {
  NewRun spec;
  spec.name = name;
  return create_run(db, spec).ref;
}

MetricSummary summary(mlt::store::Db& db, const RunRef& run, const std::string& key) {
  for (auto& s : load_run(db, run).metrics)
    if (s.key == key) return s;
  FAIL("run " << run.name << " has no summary for " << key);
  return {};
}

struct Seen {
  std::string key;
  std::int64_t step, time_ms;
  double value;
  bool operator==(const Seen& o) const {
    return key == o.key && step == o.step && time_ms == o.time_ms &&
           (value == o.value || (std::isnan(value) && std::isnan(o.value)));
  }
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << s.key << " step " << s.step << " t " << s.time_ms << " v " << s.value << "}";
}

std::vector<Seen> history(mlt::store::Db& db, const RunRef& run, const std::vector<std::string>& keys) {
  std::vector<Seen> out;
  for_each_point(db, run, keys, [&](const std::string& k, const MetricPoint& p) {
    out.push_back({k, p.step, p.time_ms, p.value});
  });
  return out;
}

using Point = std::tuple<std::int64_t, std::int64_t, double>;   // step, time, value

void write_batch(mlt::store::Db& db, const RunRef& run, const std::string& key, const std::vector<Point>& batch) {
  MetricWriter w(db, run);
  for (auto& [step, t, v] : batch) w.add(key, step, t, v);
  CHECK(w.pending() == batch.size());
  CHECK(w.flush() == batch.size());
  CHECK(w.pending() == 0);
}

}  // namespace

TEST_CASE("the summary is exact after batches written in any order") {
  TempProject p;
  // last: the greatest (step, time) is (5, 50); out-of-order steps inside and across batches.
  const std::array<std::vector<Point>, 3> batches = {{
      {{0, 100, 1.0}, {2, 300, 3.0}},
      {{5, 50, 2.5}, {1, 200, -5.0}},
      {{3, 400, 10.0}, {5, 40, 99.0}, {4, 500, nan_v}},
  }};
  std::array<int, 3> order = {0, 1, 2};
  int permutation = 0;
  do {
    CAPTURE(permutation);
    auto run = make_run(p.db(), "perm" + std::to_string(permutation++));
    for (int i : order) write_batch(p.db(), run, "loss", batches[static_cast<std::size_t>(i)]);
    auto s = summary(p.db(), run, "loss");
    CHECK(s.last == 2.5);
    CHECK(s.last_step == 5);
    CHECK(s.last_time_ms == 50);
    CHECK(s.min == -5.0);
    CHECK(s.max == 99.0);
    CHECK(s.count == 7);
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(permutation == 6);
}

TEST_CASE("the summary of one batch with steps out of order") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "acc", {{7, 1, 0.7}, {2, 2, 0.2}, {9, 3, 0.9}, {3, 4, 0.3}});
  auto s = summary(p.db(), run, "acc");
  CHECK(s.last == 0.9);
  CHECK(s.last_step == 9);
  CHECK(s.last_time_ms == 3);
  CHECK(s.min == 0.2);
  CHECK(s.max == 0.9);
  CHECK(s.count == 4);

  // An older step written later does not become the last point.
  write_batch(p.db(), run, "acc", {{8, 100, 0.05}});
  s = summary(p.db(), run, "acc");
  CHECK(s.last == 0.9);
  CHECK(s.last_step == 9);
  CHECK(s.last_time_ms == 3);
  CHECK(s.min == 0.05);
  CHECK(s.count == 5);
}

TEST_CASE("the summary: same step, the later time wins; same step and time, the later write") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "m", {{1, 20, 2.0}, {1, 10, 1.0}});
  CHECK(summary(p.db(), run, "m").last == 2.0);
  write_batch(p.db(), run, "m", {{1, 15, 1.5}});
  CHECK(summary(p.db(), run, "m").last == 2.0);
  write_batch(p.db(), run, "m", {{1, 20, 3.0}});
  auto s = summary(p.db(), run, "m");
  CHECK(s.last == 3.0);
  CHECK(s.last_time_ms == 20);
  write_batch(p.db(), run, "m", {{1, 20, 4.0}, {1, 20, 5.0}});
  CHECK(summary(p.db(), run, "m").last == 5.0);
  CHECK(summary(p.db(), run, "m").count == 6);
}

TEST_CASE("the summary ignores NaN in min and max but counts it") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "loss", {{0, 1, nan_v}, {1, 2, 4.0}});
  write_batch(p.db(), run, "loss", {{2, 3, nan_v}, {3, 4, -1.0}, {4, 5, nan_v}});
  auto s = summary(p.db(), run, "loss");
  CHECK(std::isnan(s.last));
  CHECK(s.last_step == 4);
  CHECK(s.min == -1.0);
  CHECK(s.max == 4.0);
  CHECK(s.count == 5);

  write_batch(p.db(), run, "loss", {{5, 6, 2.0}});
  s = summary(p.db(), run, "loss");
  CHECK(s.last == 2.0);
  CHECK(s.count == 6);
}

TEST_CASE("an all-NaN key has no min or max") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "bad", {{0, 1, nan_v}, {1, 2, nan_v}});
  write_batch(p.db(), run, "bad", {{2, 3, nan_v}});
  auto s = summary(p.db(), run, "bad");
  CHECK(std::isnan(s.last));
  CHECK(s.last_step == 2);
  CHECK(s.min == std::nullopt);
  CHECK(s.max == std::nullopt);
  CHECK(s.count == 3);
  // ...until a number arrives, in the middle of the history.
  write_batch(p.db(), run, "bad", {{1, 9, 7.0}});
  s = summary(p.db(), run, "bad");
  CHECK(std::isnan(s.last));
  CHECK(s.min == 7.0);
  CHECK(s.max == 7.0);
  CHECK(s.count == 4);
}

TEST_CASE("infinite values are kept in the summary and the history") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "g", {{0, 1, 1.0}, {1, 2, inf}});
  write_batch(p.db(), run, "g", {{2, 3, -inf}, {3, 4, nan_v}, {4, 5, 0.0}});
  auto s = summary(p.db(), run, "g");
  CHECK(s.min == -inf);
  CHECK(s.max == inf);
  CHECK(s.last == 0.0);
  CHECK(s.count == 5);
  write_batch(p.db(), run, "h", {{0, 1, inf}});
  s = summary(p.db(), run, "h");
  CHECK(s.last == inf);
  CHECK(s.min == inf);
  CHECK(s.max == inf);
  CHECK(history(p.db(), run, {"g"}) ==
        std::vector<Seen>{{"g", 0, 1, 1.0}, {"g", 1, 2, inf}, {"g", 2, 3, -inf}, {"g", 3, 4, nan_v}, {"g", 4, 5, 0.0}});
}

TEST_CASE("MetricWriter: several keys in one flush, nothing pending writes nothing") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  MetricWriter w(p.db(), run);
  CHECK(w.flush() == 0);
  w.add("b", 0, 1, 1.0);
  w.add("a", 0, 1, 2.0);
  w.add("b", 1, 2, 3.0);
  CHECK(w.pending() == 3);
  CHECK(w.flush() == 3);
  CHECK(w.flush() == 0);
  w.add("a", 1, 3, 4.0);   // the writer is reusable
  CHECK(w.flush() == 1);
  CHECK(summary(p.db(), run, "a").count == 2);
  CHECK(summary(p.db(), run, "a").last == 4.0);
  CHECK(summary(p.db(), run, "b").count == 2);
  CHECK(metric_keys(p.db(), run, {}) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("MetricWriter::write_pending joins the caller's transaction") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  {
    mlt::store::Transaction tx(p.db());
    MetricWriter w(p.db(), run);
    w.add("x", 0, 1, 1.0);
    CHECK(w.write_pending() == 1);
    // no commit: rolled back
  }
  CHECK(metric_keys(p.db(), run, {}).empty());
  CHECK(history(p.db(), run, {"x"}).empty());
}

TEST_CASE("log_metrics without a step: one past the greatest last step of the given keys") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  CHECK(log_metrics(p.db(), run, {{"loss", 1.0}}, std::nullopt, 100) == 0);
  CHECK(log_metrics(p.db(), run, {{"loss", 0.9}}, std::nullopt, 101) == 1);
  CHECK(log_metrics(p.db(), run, {{"acc", 0.5}}, 10, 102) == 10);
  CHECK(log_metrics(p.db(), run, {{"loss", 0.8}, {"acc", 0.6}}, std::nullopt, 103) == 11);
  CHECK(log_metrics(p.db(), run, {{"fresh", 1.0}}, std::nullopt, 104) == 0);   // new key: 0
  CHECK(log_metrics(p.db(), run, {{"loss", 0.7}}, std::nullopt, 105) == 12);
  CHECK(log_metrics(p.db(), run, {{"loss", 0.1}}, 3, 106) == 3);   // an explicit older step
  CHECK(log_metrics(p.db(), run, {{"loss", 0.6}}, std::nullopt, 107) == 13);

  CHECK(history(p.db(), run, {"loss"}) == std::vector<Seen>{{"loss", 0, 100, 1.0},
                                                           {"loss", 1, 101, 0.9},
                                                           {"loss", 3, 106, 0.1},
                                                           {"loss", 11, 103, 0.8},
                                                           {"loss", 12, 105, 0.7},
                                                           {"loss", 13, 107, 0.6}});
  // Another run's keys do not count.
  auto other = make_run(p.db(), "o");
  CHECK(log_metrics(p.db(), other, {{"loss", 5.0}}, std::nullopt, 1) == 0);
}

TEST_CASE("log_metrics takes the time from the clock when none is given") {
  TempProject p;
  ScopedEnv pin("MLT_NOW_MS", "424242");
  auto run = make_run(p.db(), "r");
  log_metrics(p.db(), run, {{"m", 1.0}}, std::nullopt, std::nullopt);
  log_metrics(p.db(), run, {{"m", 2.0}}, 7, std::nullopt);
  CHECK(history(p.db(), run, {"m"}) == std::vector<Seen>{{"m", 0, 424242, 1.0}, {"m", 7, 424242, 2.0}});
}

TEST_CASE("log_metrics refuses a bad key and writes nothing") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  auto e = thrown([&] { log_metrics(p.db(), run, {{"ok", 1.0}, {"bad\nkey", 2.0}}, 0, 1); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  e = thrown([&] { log_metrics(p.db(), run, {{std::string(251, 'k'), 2.0}}, std::nullopt, 1); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(metric_keys(p.db(), run, {}).empty());
}

TEST_CASE("for_each_point: by step, then write order; keys in the order given") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  write_batch(p.db(), run, "k", {{2, 1, 20.0}, {1, 2, 10.0}, {2, 3, 21.0}});
  write_batch(p.db(), run, "k", {{1, 4, 11.0}, {0, 5, 0.0}, {2, 0, 22.0}});
  write_batch(p.db(), run, "j", {{5, 6, 5.0}});
  CHECK(history(p.db(), run, {"k", "j"}) == std::vector<Seen>{{"k", 0, 5, 0.0},
                                                              {"k", 1, 2, 10.0},
                                                              {"k", 1, 4, 11.0},
                                                              {"k", 2, 1, 20.0},
                                                              {"k", 2, 3, 21.0},
                                                              {"k", 2, 0, 22.0},
                                                              {"j", 5, 6, 5.0}});
  CHECK(history(p.db(), run, {"j", "k"}).front() == Seen{"j", 5, 6, 5.0});
  auto other = make_run(p.db(), "o");
  CHECK(history(p.db(), other, {"k"}).empty());
}

TEST_CASE("metric_keys: all sorted, or the given ones; exit 4 for a key the run lacks") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  auto other = make_run(p.db(), "o");
  log_metrics(p.db(), run, {{"zeta", 1.0}, {"alpha", 2.0}, {"mid", 3.0}}, 0, 1);
  log_metrics(p.db(), other, {{"only-other", 1.0}}, 0, 1);
  CHECK(metric_keys(p.db(), run, {}) == std::vector<std::string>{"alpha", "mid", "zeta"});
  CHECK(metric_keys(p.db(), run, {"zeta", "alpha"}) == std::vector<std::string>{"zeta", "alpha"});

  auto e = thrown([&] { metric_keys(p.db(), run, {"alpha", "nope"}); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(std::string(e->what()) == "run 'r' has no metric 'nope'");
  e = thrown([&] { metric_keys(p.db(), run, {"only-other"}); });   // a key of another run
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(metric_keys(p.db(), other, {}) == std::vector<std::string>{"only-other"});
}

TEST_CASE("the summary agrees with the full history") {
  TempProject p;
  auto run = make_run(p.db(), "r");
  // A deterministic pseudo-random stream in batches of varying size.
  std::uint64_t x = 88172645463325252ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int b = 0; b < 20; ++b) {
    MetricWriter w(p.db(), run);
    for (std::uint64_t i = 0, n = 1 + next() % 25; i < n; ++i) {
      auto step = static_cast<std::int64_t>(next() % 50);
      auto t = static_cast<std::int64_t>(next() % 1000);
      double v = next() % 10 == 0 ? nan_v : static_cast<double>(next() % 2001) / 100.0 - 10.0;
      w.add("s", step, t, v);
    }
    w.flush();
  }
  auto points = history(p.db(), run, {"s"});
  REQUIRE_FALSE(points.empty());
  std::optional<double> mn, mx;
  const Seen* last = nullptr;
  for (auto& pt : points) {
    if (!std::isnan(pt.value)) {
      mn = mn ? std::min(*mn, pt.value) : pt.value;
      mx = mx ? std::max(*mx, pt.value) : pt.value;
    }
    // points come by step then write order, so >= keeps the latest write of a tie
    if (!last || std::tie(pt.step, pt.time_ms) >= std::tie(last->step, last->time_ms)) last = &pt;
  }
  auto s = summary(p.db(), run, "s");
  CHECK(s.count == static_cast<std::int64_t>(points.size()));
  CHECK(s.min == mn);
  CHECK(s.max == mx);
  CHECK(s.last_step == last->step);
  CHECK(s.last_time_ms == last->time_ms);
  CHECK(Seen{"s", s.last_step, s.last_time_ms, s.last} == *last);
}
