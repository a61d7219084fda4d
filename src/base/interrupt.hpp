// Turns SIGINT and SIGTERM into a flag for the scope of a long command (a stream, an add), so it
// can commit what it has and exit 130 instead of dying half-way.
#pragma once
#include <atomic>

namespace mlt::core {

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  const std::atomic<bool>& flag() const;
  bool interrupted() const { return flag().load(); }
};

}  // namespace mlt::core
