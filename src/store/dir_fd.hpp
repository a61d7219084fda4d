// Directory file descriptors: writing below a destination without resolving any path twice.
//
// A restore (artifact get, data checkout, model get, deploy render -o) opens the destination once
// and then works only relative to open directories: sub-folders are opened with
// O_NOFOLLOW|O_DIRECTORY, files are created with O_CREAT|O_EXCL|O_NOFOLLOW under a temporary name
// and renamed into place relative to the same directory fd. Whoever can write in the destination
// can rename or replace a folder while mlt writes, but can never make a later file land elsewhere:
// the open fd keeps pointing at the folder mlt opened, and a symlink is never followed.
#pragma once
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlt::store {

class DirFd {
 public:
  // Opens the directory at `path` (symlinks in the path as the user named it are followed);
  // exit 1 naming it when it cannot be opened.
  static DirFd open(const std::filesystem::path& path);
  // Opens `path`, creating the missing folders along it one by one, each relative to the fd of
  // its parent. `made` receives the created folders, outermost first, so a failed command can
  // remove them again (remove_made).
  static DirFd open_or_create(const std::filesystem::path& path, std::vector<std::filesystem::path>* made = nullptr);

  DirFd(DirFd&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  DirFd& operator=(DirFd&& o) noexcept;
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  ~DirFd();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }  // for messages only, never opened
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // lstat of an entry (never follows a link); nullopt when it does not exist.
  std::optional<struct stat> stat(std::string_view name) const;
  // Opens sub-folder `name` without following a symlink: exit 5 when it is a link or not a
  // directory (nothing is written through it).
  DirFd sub(std::string_view name) const;
  // Creates sub-folder `name` (exit 5 if something is there) and opens it as sub() does.
  DirFd make_sub(std::string_view name, unsigned mode = 0755) const;
  // `sub` when the folder exists, `make_sub` otherwise.
  DirFd sub_or_make(std::string_view name) const;

  // A new file named ".HINT.mlt-RANDOM" (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600): returns its fd
  // and its name in `tmp`.
  int create_temp(std::string_view hint, std::string& tmp) const;
  // A new empty folder named ".HINT.mlt-RANDOM"; its name in `tmp`.
  DirFd make_temp_dir(std::string_view hint, std::string& tmp) const;
  // A new symlink to `target` named ".HINT.mlt-RANDOM"; its name in `tmp`.
  void temp_symlink(const std::string& target, std::string_view hint, std::string& tmp) const;
  // Renames entry `from` to `to`, both in this folder. `replace` false: exit 5 if `to` exists.
  void rename(const std::string& from, std::string_view to, bool replace = true) const;
  void unlink(std::string_view name) const;
  // Removes `name` and, for a folder, everything below it, never following a link. Quiet.
  void remove_all(std::string_view name) const noexcept;

  // Writes `content` to `name` atomically: a temporary file in this folder, fsynced, renamed
  // over `name` (a link at `name` is replaced, never written through).
  void write_file(std::string_view name, std::string_view content, unsigned mode) const;

 private:
  DirFd(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

// Removes the folders open_or_create made (innermost first), each only if it is empty.
void remove_made(const std::vector<std::filesystem::path>& made) noexcept;

}  // namespace mlt::store
