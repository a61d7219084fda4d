// A progress bar on stderr for long adds and gets: only on a terminal, never under --json or -q
// or NO_COLOR-less pipes, shown after 0.5 s, with rate and ETA, cleared when done.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace mlt::cli {

class Context;

class Progress {
 public:
  // The counter counts bytes (a bar when the total is known), or, with `unit` ("point"), items:
  // then the line shows how many and how fast ("stream: 120000 points, 40000 points/s").
  Progress(const Context& ctx, std::string label, std::uint64_t total, std::string unit = {});
  ~Progress() { finish(); }
  void finish();   // stops and clears the line (before a summary is printed); idempotent
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  std::atomic<std::uint64_t>* counter() { return &done_; }
  bool enabled() const { return enabled_; }
  void set_total(std::uint64_t total) { total_ = total; }
  // A message line on stderr while the progress line may be showing: clears it first.
  void message(const std::string& line);

 private:
  void loop();
  std::string label_, unit_;
  std::atomic<std::uint64_t> total_;
  std::atomic<std::uint64_t> done_{0};
  bool enabled_ = false, shown_ = false, stop_ = false;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
};

std::string human_bytes(std::uint64_t n);   // 1.5 GiB

// The text of the progress line after `secs` seconds: a bar of bytes ("get [####....] 40% 4.0 MiB
// of 10.0 MiB, 2.0 MiB/s, 3 s left"), or with a `unit` a count ("stream: 1200 points, 600 points/s").
std::string progress_line(const std::string& label, const std::string& unit, std::uint64_t done, std::uint64_t total,
                          double secs);

}  // namespace mlt::cli
