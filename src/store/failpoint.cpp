#include "store/failpoint.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace mlt::store::failpoint {
namespace {

constexpr std::array<std::string_view, 11> all = {
    "object.tmp_written",   // an object's bytes are in .mlt/tmp, not yet linked into objects/
    "object.linked",        // the object is in place; its temporary name is not yet removed
    "objects.before_sync",  // objects written, syncfs not yet called
    "objects.after_sync",   // syncfs done, nothing yet references the objects
    "file.tmp_written",     // an atomically replaced file: the new bytes are in a temporary file
    "file.synced",          // ... the temporary file is fsynced, not yet renamed
    "file.renamed",         // ... renamed over the old file
    "db.before_commit",     // a write transaction has done its work, COMMIT not yet sent
    "db.after_commit",      // COMMIT returned
    "metrics.mid_batch",    // a batch of metric points is half inserted (inside its transaction)
    "tree.file_stored",     // a file of an artifact, model or data tree is stored, the tree not yet
};

}  // namespace

std::span<const std::string_view> names() { return all; }

#ifdef MLT_FAILPOINTS
bool built_in() { return true; }

void reached(std::string_view name) {
  static std::mutex m;
  static std::map<std::string, long, std::less<>> counts;
  static const char* target = std::getenv("MLT_FAILPOINT");
  static const char* trace = std::getenv("MLT_FAILPOINT_TRACE");
  if (!target && !trace) return;
  std::lock_guard lock(m);
  if (trace && *trace) {
    int fd = ::open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::string line = std::string(name) + "\n";
      [[maybe_unused]] auto w = ::write(fd, line.data(), line.size());  // one write: O_APPEND keeps lines whole
      ::close(fd);
    }
  }
  if (!target) return;
  std::string_view t = target;
  long nth = 1;
  if (auto at = t.rfind('@'); at != std::string_view::npos) {
    std::from_chars(t.data() + at + 1, t.data() + t.size(), nth);
    t = t.substr(0, at);
  }
  if (t != name) return;
  auto it = counts.find(name);
  if (it == counts.end()) it = counts.emplace(std::string(name), 0).first;
  if (++it->second == nth) ::kill(::getpid(), SIGKILL);
}
#else
bool built_in() { return false; }
void reached(std::string_view) {}
#endif

}  // namespace mlt::store::failpoint
