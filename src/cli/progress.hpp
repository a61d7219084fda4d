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
  Progress(const Context& ctx, std::string label, std::uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  std::atomic<std::uint64_t>* counter() { return &done_; }
  bool enabled() const { return enabled_; }
  void set_total(std::uint64_t total) { total_ = total; }

 private:
  void loop();
  std::string label_;
  std::atomic<std::uint64_t> total_;
  std::atomic<std::uint64_t> done_{0};
  bool enabled_ = false, shown_ = false, stop_ = false;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
};

std::string human_bytes(std::uint64_t n);   // 1.5 GiB

}  // namespace mlt::cli
