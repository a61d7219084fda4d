// Fuzzes the metric line parsers of `mlt log stream` and the MLT_METRICS_FD channel (core/ingest):
// LineParser for kv, jsonl and csv lines (and automatic detection), and the Ingester that splits a
// byte stream into lines and commits the points to a scratch project's database.
//
// Input: byte 0 selects  bits 0-1: format (auto, kv, jsonl, csv)   bit 2: also run the Ingester
//        bit 3: strict   bit 4: prefix "mlt:"   bit 5: max_line 64 (long-line handling)
//        bit 6: detect the format on each line; the rest is the stream.
// Properties: a parsed line never carries the reserved keys step/time as values, has a time >= 0,
// and (kv, jsonl) at least one value; the Ingester stores every point it counts.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "core/project.hpp"
#include "core/tracking/ingest.hpp"
#include "core/tracking/runs.hpp"
#include "fuzz_common.hpp"
#include "store/db.hpp"

using namespace mlt;

namespace {

struct Fixture {
  std::unique_ptr<core::Project> project;
  store::Db* db = nullptr;
  core::RunRef run;
};

Fixture& fixture() {
  static Fixture f = [] {
    fuzz::pin_environment();
    Fixture x;
    try {
      auto dir = fuzz::scratch_dir() / "project";
      std::filesystem::create_directories(dir);
      core::Project::init(dir);
      x.project = std::make_unique<core::Project>(core::Project::open(dir));
      x.db = &x.project->db();
      core::NewRun r;
      r.name = "stream";
      x.run = core::create_run(*x.db, r).ref;
    } catch (const Error& e) {
      fuzz::finding(std::string("harness: cannot make the project: ") + e.what());
    }
    return x;
  }();
  return f;
}

void check_parsed(const core::ParsedLine& p, core::LineFormat f) {
  for (auto& [k, v] : p.values)
    if (k == "step" || k == "time") fuzz::finding("reserved key '" + k + "' parsed as a metric value");
  if (p.time_ms && *p.time_ms < 0) fuzz::finding("negative time accepted");
  if (f != core::LineFormat::csv && p.values.empty()) fuzz::finding("a line without values was accepted");
}

bool blank(std::string_view l) { return l.find_first_not_of(" \t\r") == std::string_view::npos; }

// As the Ingester reads a stream: one parser for the stream, of the format given or, when
// automatic, of the format the first non-blank line has (or detected on every line).
void parse_lines(std::string_view body, core::LineFormat f, bool per_line) {
  std::optional<core::LineParser> parser;
  if (f != core::LineFormat::automatic || per_line) parser.emplace(f);
  core::ParsedLine out;
  for (auto l : fuzz::lines(body)) {
    if (blank(l)) continue;
    if (!parser) parser.emplace(core::detect_format(l));
    bool header = parser->is_header_pending();
    auto err = parser->parse(l, out);
    if (!err && !header) check_parsed(out, parser->format());
  }
}

std::int64_t count_points(store::Db& db, const core::RunRef& run) {
  store::Stmt q(db, "SELECT count(*) FROM metric_points WHERE run_id = ?1");
  q.bind(1, run.id);
  q.step();
  return q.int64(0);
}

void ingest(std::string_view body, std::uint8_t mode) {
  auto& fx = fixture();
  core::IngestOptions opt;
  opt.format = static_cast<core::LineFormat>(mode & 3);
  opt.strict = mode & 8;
  if (mode & 16) opt.prefix = "mlt:";
  if (mode & 32) opt.max_line = 64;
  opt.detect_each_line = mode & 64;
  opt.batch_points = 7;   // several commits per input
  std::uint64_t rejected = 0;
  {
    core::Ingester ing(*fx.db, fx.run, opt, [&](const core::Rejection&) { ++rejected; });
    // fed in two pieces, cut where the body says, as reads from a pipe cut a stream anywhere
    std::size_t cut = body.empty() ? 0 : static_cast<unsigned char>(body[0]) % (body.size() + 1);
    ing.feed(body.substr(0, cut));
    ing.feed(body.substr(cut));
    ing.finish(true);
    auto st = ing.stats();
    if (st.rejected != rejected) fuzz::finding("rejections counted differ from those reported");
    if (st.committed != st.points) fuzz::finding("the Ingester counted points it did not store");
    auto stored = count_points(*fx.db, fx.run);
    if (static_cast<std::uint64_t>(stored) != st.committed)
      fuzz::finding("metric_points holds " + std::to_string(stored) + " points, the Ingester committed " +
                    std::to_string(st.committed));
  }
  // forget the points, so the database stays small and every input starts alike
  fx.db->exec("DELETE FROM metric_points; DELETE FROM metric_summary; DELETE FROM metric_keys");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 256 * 1024) return 0;
  std::uint8_t mode = data[0];
  std::string_view body = fuzz::as_text(data + 1, size - 1);
  auto f = static_cast<core::LineFormat>(mode & 3);
  try {
    parse_lines(body, f, mode & 64);
  } catch (const Error&) {
  }
  if (mode & 4) {
    try {
      ingest(body, mode);
    } catch (const Error&) {
    }
  }
  return 0;
}
