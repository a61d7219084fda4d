#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cli/context.hpp"

namespace mlt::cli {

std::string human_bytes(std::uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

Progress::Progress(const Context& ctx, std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  enabled_ = !ctx.global.json && !ctx.global.quiet && ::isatty(STDERR_FILENO) == 1;
  if (enabled_) thread_ = std::thread([this] { loop(); });
}

void Progress::finish() {
  if (!enabled_ || !thread_.joinable()) return;
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (shown_) std::fputs("\r\033[K", stderr);
}

std::string progress_line(const std::string& label, const std::string& unit, std::uint64_t done, std::uint64_t total,
                          double secs) {
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  if (!unit.empty()) return fmt::format("{}: {} {}{}, {:.0f} {}s/s", label, done, unit, done == 1 ? "" : "s", rate, unit);
  std::string eta;
  if (total > 0 && rate > 0 && done < total) eta = fmt::format(", {:.0f} s left", static_cast<double>(total - done) / rate);
  int pct = total > 0 ? static_cast<int>(std::min<double>(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total))) : 0;
  int bar = pct / 5;
  return fmt::format("{} [{}{}] {:3d}% {} of {}, {}/s{}", label, std::string(bar, '#'), std::string(20 - bar, '.'), pct,
                     human_bytes(done), human_bytes(total), human_bytes(static_cast<std::uint64_t>(rate)), eta);
}

void Progress::message(const std::string& line) {
  std::lock_guard l(m_);
  std::fprintf(stderr, "%s%s\n", shown_ ? "\r\033[K" : "", line.c_str());
}

void Progress::loop() {
  using namespace std::chrono;
  auto start = steady_clock::now();
  std::unique_lock l(m_);
  while (!cv_.wait_for(l, milliseconds(100), [&] { return stop_; })) {
    double secs = duration<double>(steady_clock::now() - start).count();
    if (secs < 0.5) continue;
    std::fprintf(stderr, "\r\033[K%s", progress_line(label_, unit_, done_.load(), total_.load(), secs).c_str());
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace mlt::cli
