#include "store/dir_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "store/failpoint.hpp"
#include "store/object_store.hpp"

namespace mlt::store {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
  int e = errno;
  throw Error(io_exit_code(e, what), fmt::format("{} '{}': {}", what, p.string(), std::strerror(e)), io_hint(e));
}

std::string temp_name(std::string_view hint) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format(".{}.mlt-{:012x}", hint.substr(0, 64), rng() & 0xffffffffffffULL);
}

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

DirFd& DirFd::operator=(DirFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

DirFd::~DirFd() {
  if (fd_ >= 0) ::close(fd_);
}

DirFd DirFd::open(const fs::path& path) {
  fs::path p = path.empty() ? fs::path(".") : path;
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", p);
  return DirFd(fd, p);
}

DirFd DirFd::open_or_create(const fs::path& path, std::vector<fs::path>* made) {
  fs::path p = path.empty() ? fs::path(".") : path;
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) return DirFd(fd, p);
  if (errno != ENOENT) fail("cannot open directory", p);
  DirFd cur = open(p.is_absolute() ? fs::path("/") : fs::path("."));
  fs::path shown = p.is_absolute() ? fs::path("/") : fs::path();
  for (auto& part : p.relative_path()) {
    std::string comp = part.string();
    if (comp.empty()) continue;
    shown /= part;
    // the folders the user named are followed as named; only the ones mlt makes are opened
    // without following (nobody can have put a link there between mkdirat and openat otherwise)
    int next = ::openat(cur.fd_, comp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(cur.fd_, comp.c_str(), 0755) == 0) {
        if (made) made->push_back(shown);
      } else if (errno != EEXIST) {
        fail("cannot create directory", shown);
      }
      next = ::openat(cur.fd_, comp.c_str(), dir_flags);
    }
    if (next < 0) fail("cannot open directory", shown);
    cur = DirFd(next, shown);
  }
  cur.path_ = p;
  return cur;
}

std::optional<struct stat> DirFd::stat(std::string_view name) const {
  struct stat st {};
  if (::fstatat(fd_, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno != ENOENT && errno != ENOTDIR) fail("cannot inspect", path_ / name);
  return std::nullopt;
}

DirFd DirFd::sub(std::string_view name) const {
  int fd = ::openat(fd_, std::string(name).c_str(), dir_flags);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      throw Error(ExitCode::conflict,
                  fmt::format("'{}' is {}; refusing to write through it", (path_ / name).string(),
                              errno == ELOOP ? "a symlink" : "not a directory"),
                  "remove it or choose another destination");
    fail("cannot open directory", path_ / name);
  }
  return DirFd(fd, path_ / name);
}

DirFd DirFd::make_sub(std::string_view name, unsigned mode) const {
  if (::mkdirat(fd_, std::string(name).c_str(), mode) != 0) {
    if (errno == EEXIST)
      throw Error(ExitCode::conflict, fmt::format("'{}' appeared while writing", (path_ / name).string()),
                  "another process writes there; retry");
    fail("cannot create directory", path_ / name);
  }
  return sub(name);
}

DirFd DirFd::sub_or_make(std::string_view name) const {
  if (stat(name)) return sub(name);
  return make_sub(name);
}

int DirFd::create_temp(std::string_view hint, std::string& tmp) const {
  for (int attempt = 0;; ++attempt) {
    tmp = temp_name(hint);
    int fd = ::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt > 8) fail("cannot create", path_ / tmp);
  }
}

DirFd DirFd::make_temp_dir(std::string_view hint, std::string& tmp) const {
  for (int attempt = 0;; ++attempt) {
    tmp = temp_name(hint);
    if (::mkdirat(fd_, tmp.c_str(), 0700) == 0) return sub(tmp);
    if (errno != EEXIST || attempt > 8) fail("cannot create directory", path_ / tmp);
  }
}

void DirFd::temp_symlink(const std::string& target, std::string_view hint, std::string& tmp) const {
  for (int attempt = 0;; ++attempt) {
    tmp = temp_name(hint);
    if (::symlinkat(target.c_str(), fd_, tmp.c_str()) == 0) return;
    if (errno != EEXIST || attempt > 8) fail("cannot create symlink", path_ / tmp);
  }
}

void DirFd::rename(const std::string& from, std::string_view to, bool replace) const {
  std::string t(to);
  int rc = replace ? ::renameat(fd_, from.c_str(), fd_, t.c_str())
                   : ::renameat2(fd_, from.c_str(), fd_, t.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && !replace && errno == EINVAL) {
    // a file system without RENAME_NOREPLACE: check, then rename (the window is the caller's own)
    if (stat(t)) errno = EEXIST;
    else rc = ::renameat(fd_, from.c_str(), fd_, t.c_str());
  }
  if (rc == 0) return;
  if (errno == EEXIST || errno == ENOTEMPTY)
    throw Error(ExitCode::conflict, fmt::format("'{}' appeared while writing", (path_ / t).string()),
                "another process writes there; retry");
  fail("cannot rename into", path_ / t);
}

void DirFd::unlink(std::string_view name) const {
  std::string n(name);
  if (::unlinkat(fd_, n.c_str(), 0) != 0 && errno != ENOENT) fail("cannot remove", path_ / n);
}

void DirFd::remove_all(std::string_view name) const noexcept {
  std::string n(name);
  if (::unlinkat(fd_, n.c_str(), 0) == 0 || errno == ENOENT) return;
  int fd = ::openat(fd_, n.c_str(), dir_flags);
  if (fd < 0) return;
  DirFd d(fd, path_ / n);
  int scan = ::dup(fd);
  if (scan >= 0) {
    if (DIR* dir = ::fdopendir(scan)) {
      std::vector<std::string> names;
      while (auto* ent = ::readdir(dir)) {
        std::string_view e = ent->d_name;
        if (e != "." && e != "..") names.emplace_back(e);
      }
      ::closedir(dir);
      for (auto& e : names) d.remove_all(e);
    } else {
      ::close(scan);
    }
  }
  ::unlinkat(fd_, n.c_str(), AT_REMOVEDIR);
}

void DirFd::write_file(std::string_view name, std::string_view content, unsigned mode) const {
  std::string tmp;
  int fd = create_temp(name, tmp);
  try {
    write_all(fd, content.data(), content.size(), path_ / tmp);
    MLT_FAILPOINT("file.tmp_written");
    if (::fchmod(fd, mode & 0777) != 0 || ::fsync(fd) != 0) fail("cannot write", path_ / tmp);
    MLT_FAILPOINT("file.synced");
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail("cannot write", path_ / tmp);
    rename(tmp, name);
    MLT_FAILPOINT("file.renamed");
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlinkat(fd_, tmp.c_str(), 0);
    throw;
  }
}

void remove_made(const std::vector<fs::path>& made) noexcept {
  for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());  // only empty folders go
}

}  // namespace mlt::store
