// Metric ingest from a byte stream (`mlt log stream`, the MLT_METRICS_FD channel, and prefixed
// lines of a child's stdout). Line formats (CLI.md):
//
//   kv     line   := pair (WS+ pair)*        pair := KEY '=' NUMBER     e.g. loss=0.31 acc=0.9 step=10
//   jsonl  line   := JSON object of KEY: NUMBER | "nan" | "inf" | "-inf" | nested object (keys
//                    joined with dots)                                 e.g. {"loss": 0.31, "step": 10}
//   csv    header := KEY (',' KEY)*   then   row := NUMBER? (',' NUMBER?)*   (an empty cell: no value)
//
// `step` (an integer) and `time` (epoch milliseconds) are reserved keys in every format. A line
// without `step` gets one past the greatest last step of its keys; without `time`, the time it was
// read. Blank lines are skipped. Lines are at most 1 MiB.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/tracking/metrics.hpp"

namespace mlt::core {

enum class LineFormat { automatic, kv, jsonl, csv };
std::optional<LineFormat> parse_line_format(std::string_view s);
const char* to_string(LineFormat f);

struct ParsedLine {
  std::vector<std::pair<std::string, double>> values;
  std::optional<std::int64_t> step, time_ms;
};

// Parses lines of one format. Returns an error (the reason, without the line number) or nullopt.
class LineParser {
 public:
  explicit LineParser(LineFormat f) : format_(f) {}
  std::optional<std::string> parse(std::string_view line, ParsedLine& out);
  LineFormat format() const { return format_; }
  bool is_header_pending() const { return format_ == LineFormat::csv && header_.empty(); }

 private:
  std::optional<std::string> parse_kv(std::string_view line, ParsedLine& out);
  std::optional<std::string> parse_jsonl(std::string_view line, ParsedLine& out);
  std::optional<std::string> parse_csv(std::string_view line, ParsedLine& out);
  LineFormat format_;
  std::vector<std::string> header_;   // csv
  bool header_failed_ = false;        // csv: the header line was rejected
};

// Guesses the format of a stream from its first non-blank line.
LineFormat detect_format(std::string_view first_line);

struct IngestOptions {
  LineFormat format = LineFormat::automatic;
  bool strict = false;                    // stop at the first malformed line
  std::string prefix;                     // non-empty: only lines starting with it are metrics
  bool detect_each_line = false;          // automatic: kv or jsonl per line, not by the first line
  std::size_t batch_points = 10'000;      // commit after this many points ...
  std::chrono::milliseconds batch_time{100};   // ... or this long after the first pending point
  std::size_t max_line = 1 << 20;
  std::atomic<std::uint64_t>* progress = nullptr;   // set to the points committed so far
};

struct IngestStats {
  std::uint64_t lines = 0, points = 0, rejected = 0;
  std::uint64_t committed = 0;   // points stored (points may exceed it when storing failed)
  std::size_t keys = 0;
  double seconds = 0;
};

struct Rejection {
  std::uint64_t line;
  std::string reason;
};

// Turns bytes into committed metric points for one run, in batches.
class Ingester {
 public:
  Ingester(store::Db& db, const RunRef& run, IngestOptions opt, std::function<void(const Rejection&)> on_reject);
  // Processes every complete line in `bytes`. Returns false once a strict-mode error stopped it.
  bool feed(std::string_view bytes);
  // Processes a final line without '\n' (when `take_partial`) and commits everything pending.
  bool finish(bool take_partial = true);
  bool has_partial() const { return !partial_.empty() && !discarding_; }   // a last line without '\n' is held
  void flush();
  // Milliseconds until pending points are due for a commit; -1 when nothing is pending.
  int ms_until_due() const;
  bool stopped() const { return stopped_; }
  std::optional<Rejection> fatal() const { return fatal_; }
  IngestStats stats() const;

 private:
  void line(std::string_view l);
  void reject(std::string reason);
  std::int64_t now();
  std::int64_t& last_step(const std::string& key);   // loaded from the database on first use

  store::Db& db_;
  RunRef run_;
  IngestOptions opt_;
  std::function<void(const Rejection&)> on_reject_;
  MetricWriter writer_;
  std::optional<LineParser> parser_;   // per-stream parser (automatic: made on the first line)
  std::string partial_;
  bool discarding_ = false;            // inside a line longer than max_line
  bool stopped_ = false;
  std::optional<Rejection> fatal_;
  std::optional<std::int64_t> pinned_now_;
  std::unordered_map<std::string, std::int64_t> last_step_;   // for lines without step
  std::unordered_set<std::string> keys_;
  std::chrono::steady_clock::time_point started_, first_pending_;
  IngestStats stats_;
  ParsedLine scratch_;
};

// Reads `fd` to its end, feeding `ing`, committing due batches while the input is idle. Bytes are
// copied to every fd in `tees` (one that fails is dropped: a closed terminal). Returns when the input ends, the ingester stops, or `stop`
// becomes true (pending points are committed in every case). A last line without '\n' is taken
// at the end of the input, and after `stop` only when `partial_on_stop` (an interrupt may have
// cut it; a child that exited wrote all of it). When `take_partial` is given and such a line is
// there, it decides (it may wait): `mlt run` asks whether the child exited or a signal cut it off.
void ingest_fd(int fd, Ingester& ing, std::vector<int> tees = {}, const std::atomic<bool>* stop = nullptr,
               bool partial_on_stop = true, const std::function<bool()>& take_partial = {});

// Reads `fd` until its end (or, after `stop`, until it is drained) and copies the bytes to `tees`
// only: for output that is captured but not parsed, and to keep a child's pipe flowing after
// ingest failed, so the child never blocks on a full pipe.
void copy_fd(int fd, std::vector<int> tees, const std::atomic<bool>* stop);

}  // namespace mlt::core
