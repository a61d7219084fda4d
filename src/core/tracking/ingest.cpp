#include "core/tracking/ingest.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/csv.hpp"
#include "base/nesting.hpp"
#include "base/values.hpp"

namespace mlt::core {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string shorten(std::string_view s) {
  if (s.size() <= 40) return std::string(s);
  return std::string(s.substr(0, 37)) + "...";
}

// step/time are integers; "10.0" is accepted as 10, "10.5" is not.
std::optional<std::int64_t> parse_integral(std::string_view v) {
  if (auto i = parse_int64(v)) return i;
  auto d = parse_double(v);
  if (d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9.2e18) return static_cast<std::int64_t>(*d);
  return std::nullopt;
}

// Sets step/time or appends a value. Returns an error for a bad value.
std::optional<std::string> put(ParsedLine& out, std::string_view key, std::string_view value) {
  if (key == "step" || key == "time") {
    if ((key == "step" ? out.step : out.time_ms).has_value()) return fmt::format("'{}' given twice", key);
    auto i = parse_integral(value);
    if (!i) return fmt::format("'{}' must be an integer, got '{}'", key, shorten(value));
    if (key == "time" && *i < 0) return fmt::format("'time' must be epoch milliseconds, got '{}'", shorten(value));
    (key == "step" ? out.step : out.time_ms) = *i;
    return std::nullopt;
  }
  auto d = parse_double(value);
  if (!d) return fmt::format("value of '{}' is not a number: '{}'", shorten(key), shorten(value));
  // reuse the strings' capacity from earlier lines
  if (out.values.size() < out.values.capacity()) {
    out.values.emplace_back();
  } else {
    out.values.emplace_back();
  }
  out.values.back().first.assign(key);
  out.values.back().second = *d;
  return std::nullopt;
}

std::optional<std::string> flatten_json(const nlohmann::json& j, const std::string& prefix, ParsedLine& out) {
  for (auto& [k, v] : j.items()) {
    std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      if (auto e = flatten_json(v, key, out)) return e;
    } else if (v.is_number()) {
      if (key == "step" || key == "time") {
        if (auto e = put(out, key, v.dump())) return e;
      } else {
        out.values.emplace_back(key, v.get<double>());
      }
    } else if (v.is_string()) {
      if (auto e = put(out, key, v.get<std::string>())) return e;
    } else if (v.is_null()) {
      return fmt::format("value of '{}' is null; write \"nan\" for NaN", shorten(key));
    } else {
      return fmt::format("value of '{}' is {}, not a number", shorten(key), v.type_name());
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<LineFormat> parse_line_format(std::string_view s) {
  if (s == "auto") return LineFormat::automatic;
  if (s == "kv") return LineFormat::kv;
  if (s == "jsonl") return LineFormat::jsonl;
  if (s == "csv") return LineFormat::csv;
  return std::nullopt;
}

const char* to_string(LineFormat f) {
  switch (f) {
    case LineFormat::automatic: return "auto";
    case LineFormat::kv: return "kv";
    case LineFormat::jsonl: return "jsonl";
    case LineFormat::csv: return "csv";
  }
  return "auto";
}

LineFormat detect_format(std::string_view first) {
  first = trim(first);
  if (!first.empty() && first.front() == '{') return LineFormat::jsonl;
  if (!first.empty() && first.front() == '"') return LineFormat::csv;   // a quoted CSV header
  if (first.find('=') != std::string_view::npos) return LineFormat::kv;
  if (first.find(',') != std::string_view::npos) return LineFormat::csv;
  // one bare name is a one-column CSV header; words with spaces are a malformed kv line
  if (first.find_first_of(" \t") == std::string_view::npos) return LineFormat::csv;
  return LineFormat::kv;
}

std::optional<std::string> LineParser::parse(std::string_view line, ParsedLine& out) {
  out.values.clear();
  out.step.reset();
  out.time_ms.reset();
  switch (format_) {
    case LineFormat::kv: return parse_kv(line, out);
    case LineFormat::jsonl: return parse_jsonl(line, out);
    case LineFormat::csv: return parse_csv(line, out);
    case LineFormat::automatic: {
      auto f = detect_format(line);
      return f == LineFormat::jsonl ? parse_jsonl(line, out) : parse_kv(line, out);
    }
  }
  return std::nullopt;
}

std::optional<std::string> LineParser::parse_kv(std::string_view line, ParsedLine& out) {
  std::size_t i = 0, n = line.size();
  while (i < n) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) break;
    std::size_t start = i;
    while (i < n && !is_space(line[i])) ++i;
    std::string_view tok = line.substr(start, i - start);
    auto eq = tok.find('=');
    if (eq == std::string_view::npos) return fmt::format("expected KEY=VALUE, got '{}'", shorten(tok));
    if (eq == 0) return fmt::format("empty key in '{}'", shorten(tok));
    if (auto e = put(out, tok.substr(0, eq), tok.substr(eq + 1))) return e;
  }
  if (out.values.empty()) return std::string("no metric values on the line");
  return std::nullopt;
}

std::optional<std::string> LineParser::parse_jsonl(std::string_view line, ParsedLine& out) {
  // nlohmann keeps the last of duplicate names silently; watch the keys of each object instead
  std::vector<std::vector<std::string>> open_objects;
  std::optional<std::string> duplicate;
  auto watch = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) open_objects.emplace_back();
    else if (ev == E::object_end && !open_objects.empty()) open_objects.pop_back();
    else if (ev == E::key && !open_objects.empty()) {
      auto& keys = open_objects.back();
      auto k = parsed.get<std::string>();
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) {
        if (!duplicate) duplicate = k;
      } else {
        keys.push_back(std::move(k));
      }
    }
    return true;
  };
  if (json_too_deep(line)) return fmt::format("JSON nested more than {} levels deep", max_nesting);
  auto j = nlohmann::json::parse(line, watch, false);
  if (j.is_discarded()) return std::string("invalid JSON");
  if (duplicate) return fmt::format("key '{}' appears twice", shorten(*duplicate));
  if (!j.is_object()) return fmt::format("expected a JSON object, got {}", j.type_name());
  if (auto e = flatten_json(j, "", out)) return e;
  if (out.values.empty()) return std::string("no metric values in the object");
  return std::nullopt;
}

// Cells as RFC 4180 writes them (base/csv.hpp), one record per line.
std::optional<std::string> LineParser::parse_csv(std::string_view line, ParsedLine& out) {
  std::vector<std::string> cells;
  auto malformed = csv::parse_line(line, cells, {',', true});
  if (header_failed_) return std::string("no valid CSV header to read this row by");
  if (malformed) {
    if (header_.empty()) header_failed_ = true;
    return malformed;
  }
  if (header_.empty()) {
    std::vector<std::string> header;
    for (auto& c : cells) {
      header_failed_ = true;  // until proven otherwise: rows after a bad header cannot be read
      if (c.empty()) return std::string("empty column name in the CSV header");
      if (c.find('=') != std::string_view::npos)
        return fmt::format("column name '{}' in the CSV header contains '='", shorten(c));
      for (auto& h : header)
        if (h == c) return fmt::format("column '{}' appears twice in the CSV header", shorten(c));
      header.push_back(std::move(c));
    }
    header_ = std::move(header);
    header_failed_ = false;
    return std::nullopt;
  }
  if (cells.size() != header_.size())
    return fmt::format("expected {} cells as in the header, got {}", header_.size(), cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].empty()) continue;
    if (auto e = put(out, header_[i], cells[i])) return e;
  }
  return std::nullopt;
}

Ingester::Ingester(store::Db& db, const RunRef& run, IngestOptions opt, std::function<void(const Rejection&)> on_reject)
    : db_(db), run_(run), opt_(std::move(opt)), on_reject_(std::move(on_reject)), writer_(db, run),
      started_(std::chrono::steady_clock::now()) {
  if (opt_.format != LineFormat::automatic) parser_.emplace(opt_.format);
  if (const char* pinned = std::getenv("MLT_NOW_MS"); pinned && *pinned) pinned_now_ = now_ms();
}

std::int64_t Ingester::now() {
  if (pinned_now_) return *pinned_now_;
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void Ingester::reject(std::string reason) {
  ++stats_.rejected;
  Rejection r{stats_.lines, std::move(reason)};
  if (opt_.strict) {
    stopped_ = true;
    fatal_ = r;
  }
  if (on_reject_) on_reject_(r);
}

std::int64_t& Ingester::last_step(const std::string& key) {
  auto it = last_step_.find(key);
  if (it == last_step_.end()) {
    // first sight of a key in this stream: its history may already be in the database
    it = last_step_.emplace(key, core::last_step(db_, run_, key).value_or(-1)).first;
  }
  return it->second;
}

void Ingester::line(std::string_view l) {
  ++stats_.lines;
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (!opt_.prefix.empty()) {
    if (!l.starts_with(opt_.prefix)) return;  // ordinary output, not a metric line
    l.remove_prefix(opt_.prefix.size());
  }
  if (trim(l).empty()) return;
  if (!parser_) parser_.emplace(opt_.detect_each_line ? LineFormat::automatic : detect_format(l));
  bool header = parser_->is_header_pending();
  if (auto err = parser_->parse(l, scratch_)) {
    reject(std::move(*err));
    return;
  }
  if (header) return;
  auto& values = scratch_.values;
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (values[j].first == values[i].first) {
        reject(fmt::format("key '{}' appears twice", shorten(values[i].first)));
        return;
      }
    if (keys_.count(values[i].first)) continue;
    try {
      check_key(values[i].first, "metric");
    } catch (const Error& e) {
      reject(e.what());
      return;
    }
  }
  std::int64_t step = 0;
  if (scratch_.step) {
    step = *scratch_.step;
  } else {
    for (auto& [k, v] : values) step = std::max(step, last_step(k) + 1);
  }
  std::int64_t t = scratch_.time_ms ? *scratch_.time_ms : now();
  if (writer_.pending() == 0) first_pending_ = std::chrono::steady_clock::now();
  for (auto& [k, v] : values) {
    if (keys_.insert(k).second) ++stats_.keys;
    auto& last = last_step(k);
    last = std::max(last, step);
    writer_.add(k, step, t, v);
  }
  stats_.points += values.size();
  if (writer_.pending() >= opt_.batch_points) flush();
}

bool Ingester::feed(std::string_view bytes) {
  while (!bytes.empty() && !stopped_) {
    auto nl = bytes.find('\n');
    bool ends = nl != std::string_view::npos;
    std::string_view piece = bytes.substr(0, nl);
    if (discarding_) {
      discarding_ = !ends;  // the rest of an over-long line
    } else if (partial_.size() + piece.size() - (ends && piece.ends_with('\r') ? 1 : 0) > opt_.max_line) {  // a CRLF's CR is not content
      ++stats_.lines;
      partial_.clear();
      reject(fmt::format("line longer than {} bytes; skipped", opt_.max_line));
      discarding_ = !ends;
    } else if (!ends) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      line(piece);
    } else {
      partial_.append(piece);
      line(partial_);
      partial_.clear();
    }
    if (!ends) break;
    bytes.remove_prefix(nl + 1);
  }
  if (!stopped_ && writer_.pending() > 0 && ms_until_due() == 0) flush();
  return !stopped_;
}

bool Ingester::finish(bool take_partial) {
  if (take_partial && !stopped_ && !partial_.empty() && !discarding_) line(partial_);
  partial_.clear();
  discarding_ = false;
  flush();
  return !stopped_;
}

void Ingester::flush() {
  stats_.committed += writer_.flush();
  if (opt_.progress) opt_.progress->store(stats_.committed, std::memory_order_relaxed);
}

int Ingester::ms_until_due() const {
  if (writer_.pending() == 0) return -1;
  auto due = first_pending_ + opt_.batch_time;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::steady_clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

IngestStats Ingester::stats() const {
  IngestStats s = stats_;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return s;
}

namespace {

// Copies bytes to each tee; one that fails is dropped from the list. Returns false when the
// first tee, the reader of our output (a terminal, or a pipe into 'head -1'), went away (EPIPE):
// the caller then stops reading, so the producer gets SIGPIPE as it would without mlt between.
bool tee_write(std::vector<int>& tees, const char* data, std::size_t n, int consumer) {
  bool consumer_gone = false;
  for (auto it = tees.begin(); it != tees.end();) {
    const char* p = data;
    std::size_t left = n;
    bool ok = true;
    while (left > 0) {
      ssize_t w = ::write(*it, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        if (w < 0 && errno == EPIPE && *it == consumer) consumer_gone = true;
        break;
      }
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    it = ok ? it + 1 : tees.erase(it);
  }
  return !consumer_gone;
}

// One read step shared by ingest_fd and copy_fd: waits up to `timeout` ms, reads what is there.
// Returns the bytes read, 0 at the end of the input, -1 when nothing came in time.
ssize_t read_some(int fd, std::vector<char>& buf, int timeout) {
  while (true) {
    struct pollfd p {fd, POLLIN, 0};
    int pr = ::poll(&p, 1, timeout);
    if (pr < 0) {
      if (errno == EINTR) return -1;
      throw Error(ExitCode::failure, fmt::format("reading from a pipe failed: {}", std::strerror(errno)));
    }
    if (pr == 0) return -1;
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return -1;
      throw Error(ExitCode::failure, fmt::format("reading from a pipe failed: {}", std::strerror(errno)));
    }
    return n;
  }
}

// After `stop`, what is already readable is still taken (a child's last lines sit in the pipe
// after it exits), up to a bound so that an endless producer cannot hold us.
constexpr std::size_t drain_limit = 16 << 20;

}  // namespace

void ingest_fd(int fd, Ingester& ing, std::vector<int> tees, const std::atomic<bool>* stop, bool partial_on_stop,
               const std::function<bool()>& take_partial) {
  std::vector<char> buf(1 << 16);
  std::size_t drained = 0;
  const int consumer = tees.empty() ? -1 : tees.front();
  bool cut = false;   // the reader of our output went away: a partial last line is not whole
  while (!ing.stopped()) {
    bool draining = stop && stop->load();
    int timeout = ing.ms_until_due();
    if (draining) timeout = 0;
    else if (stop && (timeout < 0 || timeout > 100)) timeout = 100;  // notice `stop` promptly
    ssize_t n = read_some(fd, buf, timeout);
    if (n < 0) {
      if (draining) break;
      if (ing.ms_until_due() == 0) ing.flush();
      continue;
    }
    if (n == 0) break;
    bool consumer_there = tee_write(tees, buf.data(), static_cast<std::size_t>(n), consumer);
    ing.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    if (!consumer_there) {
      cut = true;
      break;
    }
    if (draining && (drained += static_cast<std::size_t>(n)) >= drain_limit) break;
  }
  // an unfinished last line is taken at the end of the input; after `stop` only if asked
  bool take = !cut && (!(stop && stop->load()) || partial_on_stop);
  if (take && take_partial && ing.has_partial()) take = take_partial();
  ing.finish(take);
}

void copy_fd(int fd, std::vector<int> tees, const std::atomic<bool>* stop) {
  std::vector<char> buf(1 << 16);
  std::size_t drained = 0;
  const int consumer = tees.empty() ? -1 : tees.front();
  while (true) {
    bool draining = stop && stop->load();
    ssize_t n = read_some(fd, buf, draining ? 0 : 100);
    if (n < 0) {
      if (draining) return;
      continue;
    }
    if (n == 0) return;
    if (!tee_write(tees, buf.data(), static_cast<std::size_t>(n), consumer)) return;
    if (draining && (drained += static_cast<std::size_t>(n)) >= drain_limit) return;
  }
}

}  // namespace mlt::core
