#include "core/tracking/channel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mlt::core {

Pipe::Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(ExitCode::failure, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  read = fds[0];
  write = fds[1];
}

Pipe::~Pipe() {
  if (read >= 0) ::close(read);
  close_write();
}

int Pipe::release_read() {
  int fd = read;
  read = -1;
  return fd;
}

void Pipe::close_write() {
  if (write >= 0) ::close(write);
  write = -1;
}

PipeReader::PipeReader(Project& project, const RunRef& run, std::optional<IngestOptions> ingest, int read_fd,
                       std::vector<int> tees, std::function<void(const Rejection&)> on_reject)
    : fd_(read_fd) {
  if (!ingest) {
    thread_ = std::thread([this, tees = std::move(tees)] {
      try {
        copy_fd(fd_, tees, &stop_);
      } catch (...) {
        error_ = std::current_exception();
      }
      close_read_end();
    });
    return;
  }
  auto db = project.connect();  // SQLite connections are not shared between threads
  thread_ = std::thread([this, db = std::move(db), run, opt = std::move(*ingest), tees = std::move(tees),
                         on_reject = std::move(on_reject)]() mutable {
    try {
      Ingester ing(*db, run, opt, on_reject);
      try {
        ingest_fd(fd_, ing, tees, &stop_, true, [this] { return whole_future_.get(); });
      } catch (...) {
        stats_ = ing.stats();
        throw;
      }
      stats_ = ing.stats();
    } catch (...) {
      error_ = std::current_exception();
      copy_fd(fd_, tees, &stop_);  // never let the child block on a full pipe
    }
    close_read_end();
  });
}

void PipeReader::finish(bool whole) {
  if (!told_) {
    told_ = true;
    whole_.set_value(whole);
  }
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
}

Heartbeat::Heartbeat(Project& project, const RunRef& run, std::int64_t interval_ms) {
  thread_ = std::thread([this, &project, run, interval_ms] {
    std::unique_ptr<store::Db> db;   // opened when the first beat is due
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) {
      lock.unlock();
      try {
        if (!db) db = project.connect();
        write_heartbeat(*db, run);
      } catch (const std::exception&) {
        // a busy or read-only database: the next beat tries again
      }
      lock.lock();
    }
  });
}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Reading stopped (the input ended, or the reader of our output went away): the writer's next
// write then fails with SIGPIPE/EPIPE, as in a shell pipeline, instead of blocking on a full pipe.
void PipeReader::close_read_end() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

PipeReader::~PipeReader() {
  finish(false);   // not finished by the caller: an error ended the run, a held last line is dropped
  close_read_end();
}

}  // namespace mlt::core
