#include "cli/progress.hpp"

#include <unistd.h>

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

Progress::Progress(const Context& ctx, std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total) {
  enabled_ = !ctx.global.json && !ctx.global.quiet && ::isatty(STDERR_FILENO) == 1;
  if (enabled_) thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() {
  if (!enabled_) return;
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (shown_) std::fputs("\r\033[K", stderr);
}

void Progress::loop() {
  using namespace std::chrono;
  auto start = steady_clock::now();
  std::unique_lock l(m_);
  while (!cv_.wait_for(l, milliseconds(100), [&] { return stop_; })) {
    double secs = duration<double>(steady_clock::now() - start).count();
    if (secs < 0.5) continue;
    std::uint64_t done = done_.load();
    double rate = done / secs;
    std::string eta = "";
    if (total_ > 0 && rate > 0 && done < total_) eta = fmt::format(", {:.0f} s left", (total_ - done) / rate);
    int pct = total_ > 0 ? static_cast<int>(100.0 * done / total_) : 0;
    int bar = pct / 5;
    std::fprintf(stderr, "\r\033[K%s [%s%s] %3d%% %s of %s, %s/s%s", label_.c_str(), std::string(bar, '#').c_str(),
                 std::string(20 - bar, '.').c_str(), pct, human_bytes(done).c_str(), human_bytes(total_).c_str(),
                 human_bytes(static_cast<std::uint64_t>(rate)).c_str(), eta.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace mlt::cli
