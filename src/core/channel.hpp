// A metrics channel of `mlt run`: a thread that ingests what a child writes to a pipe (its
// MLT_METRICS_FD, or its stdout in --metrics-from-stdout mode) into the run, with a database
// connection of its own, while the child runs.
#pragma once
#include <atomic>
#include <exception>
#include <functional>
#include <thread>

#include "core/ingest.hpp"
#include "core/project.hpp"

namespace mlt::core {

class MetricsChannel {
 public:
  // Takes ownership of `read_fd`. `tee_fd` >= 0 copies every byte there (stdout mode).
  MetricsChannel(Project& project, const RunRef& run, IngestOptions opt, int read_fd, int tee_fd,
                 std::function<void(const Rejection&)> on_reject);
  ~MetricsChannel();
  MetricsChannel(const MetricsChannel&) = delete;
  MetricsChannel& operator=(const MetricsChannel&) = delete;

  // Call after the child ended: takes what is left in the pipe, commits, joins the thread.
  void finish();
  IngestStats stats() const { return stats_; }
  std::exception_ptr error() const { return error_; }   // why ingest stopped early, if it did

 private:
  std::atomic<bool> stop_{false};
  int fd_;
  IngestStats stats_;
  std::exception_ptr error_;
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
