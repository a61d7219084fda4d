// The pipes of `mlt run`: a thread per pipe that copies what the child writes to the terminal and
// to a capture file, and ingests metric lines (its MLT_METRICS_FD, or its stdout in
// --metrics-from-stdout mode) into the run with a database connection of its own.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <vector>
#include <thread>

#include "core/project.hpp"
#include "core/tracking/ingest.hpp"

namespace mlt::core {

class PipeReader {
 public:
  // Takes ownership of `read_fd`. Every byte is copied to `tees`; with `ingest`, lines are metrics.
  PipeReader(Project& project, const RunRef& run, std::optional<IngestOptions> ingest, int read_fd,
             std::vector<int> tees, std::function<void(const Rejection&)> on_reject);
  ~PipeReader();
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;

  // Call after the child ended: takes what is left in the pipe, commits, joins the thread. A last
  // metric line without '\n' is taken only when `whole` (the child exited; a signal that killed
  // it may have cut the line short: 'acc=1' of 'acc=12').
  void finish(bool whole = true);
  IngestStats stats() const { return stats_; }
  std::exception_ptr error() const { return error_; }   // why ingest stopped early, if it did

 private:
  std::atomic<bool> stop_{false};
  std::promise<bool> whole_;                 // finish()'s verdict on a held last line
  std::shared_future<bool> whole_future_ = whole_.get_future().share();
  bool told_ = false;
  void close_read_end();
  int fd_;
  IngestStats stats_;
  std::exception_ptr error_;
  std::thread thread_;
};

// The heartbeat of a supervised run: a thread that sets the run's heartbeat_ms every `interval_ms`
// (core::heartbeat_interval_ms) until destroyed. The first write is due one interval after the
// start (create_run wrote the first heartbeat), so short commands cost nothing.
class Heartbeat {
 public:
  Heartbeat(Project& project, const RunRef& run, std::int64_t interval_ms);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// A pipe whose ends close themselves. Both ends are close-on-exec.
struct Pipe {
  int read = -1, write = -1;
  Pipe();
  ~Pipe();
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int release_read();
  void close_write();
};

}  // namespace mlt::core
