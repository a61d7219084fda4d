// Errors: one exception type that carries its exit code (see STYLE.md). Thrown in core/ and
// store/, caught in exactly one place, src/cli/main.cpp.
#pragma once
#include <stdexcept>
#include <string>

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

}  // namespace mlt
