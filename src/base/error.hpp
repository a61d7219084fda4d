// Errors: one exception type that carries its exit code (see STYLE.md). Thrown in core/ and
// store/, caught in exactly one place, src/cli/main.cpp.
#pragma once
#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mlt {

// The exit statuses of CLI.md. Scripts treat any unknown non-zero value as failure.
enum class ExitCode : int {
  ok = 0,
  failure = 1,      // a failure, or a check/diff that came out false
  usage = 2,        // bad flag, bad filter, bad value, bad file
  no_project = 3,   // not inside an mlt project
  not_found = 4,    // run, model, version, alias, object
  conflict = 5,     // exists already, locked past the wait limit
  integrity = 6,    // damage, hash mismatch, schema newer than this binary
  storage = 7,      // no space left (disk full, quota), or .mlt/ or the destination is read-only
  interrupted = 130,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}
  ExitCode code() const noexcept { return code_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  ExitCode code_;
  std::string hint_;
};

// The exit code and hint for a failed system call `what` ("cannot write", "cannot read", ...)
// with errno `e`: a full disk, an exceeded quota and a read-only file system are `storage`, and so
// is a refused permission when writing; anything else is a plain failure.
inline ExitCode io_exit_code(int e, std::string_view what) {
  bool writing = !(what.starts_with("cannot read") || what.starts_with("cannot open") ||
                   what.starts_with("cannot stat"));
  if (e == ENOSPC || e == EDQUOT || e == EROFS) return ExitCode::storage;
  if (writing && (e == EACCES || e == EPERM)) return ExitCode::storage;
  return ExitCode::failure;
}

inline std::string io_hint(int e) {
  if (e == ENOSPC || e == EDQUOT)
    return "no space left: free some disk space (or raise the quota) and retry; nothing already stored was damaged";
  if (e == EROFS) return "the file system is mounted read-only: run writing commands where it is writable";
  if (e == EACCES || e == EPERM) return "check the permissions (writing commands need write access to .mlt/)";
  return "";
}

}  // namespace mlt
