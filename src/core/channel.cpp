#include "core/channel.hpp"

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

MetricsChannel::MetricsChannel(Project& project, const RunRef& run, IngestOptions opt, int read_fd, int tee_fd,
                               std::function<void(const Rejection&)> on_reject)
    : fd_(read_fd) {
  auto db = project.connect();  // SQLite connections are not shared between threads
  thread_ = std::thread([this, db = std::move(db), run, opt = std::move(opt), tee_fd,
                         on_reject = std::move(on_reject)]() mutable {
    try {
      Ingester ing(*db, run, opt, on_reject);
      try {
        ingest_fd(fd_, ing, tee_fd, &stop_);
      } catch (...) {
        stats_ = ing.stats();
        throw;
      }
      stats_ = ing.stats();
    } catch (...) {
      error_ = std::current_exception();
      discard_fd(fd_, tee_fd, &stop_);   // never let the child block on a full pipe
    }
  });
}

void MetricsChannel::finish() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
}

MetricsChannel::~MetricsChannel() {
  finish();
  ::close(fd_);
}

}  // namespace mlt::core
