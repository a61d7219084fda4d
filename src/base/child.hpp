// Running a command as a child process: environment additions, signal forwarding, exit status.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlt::core {

struct ChildResult {
  int exit_code = 0;      // the child's exit status, or 128+N when signal N ended it
  int signal = 0;         // N when a signal ended the child
  int received = 0;       // a SIGINT/SIGTERM/SIGHUP that reached mlt while the child ran
};

// The path of an executable as execvp would find it, or nullopt (with errno-style reason).
std::optional<std::string> find_executable(const std::string& name, std::string& why_not);

// Runs argv[0] (searched in PATH) with `env` set on top of this process's environment, in this
// process group so the terminal's signals reach it directly. A SIGINT/SIGTERM/SIGHUP sent to mlt
// by another process (kill) is forwarded to the child. Waits for the child to end.
// The child dies with mlt: should mlt itself be killed (SIGKILL, the OOM killer), the kernel sends
// the child SIGKILL (PR_SET_PDEATHSIG). A file the kernel cannot execute for want of a '#!' line
// (ENOEXEC) is run by /bin/sh, as execvp and shells do.
// `fds` maps descriptors of mlt to descriptor numbers in the child, in order ({pipe, 1} makes a
// pipe the child's stdout); other descriptors without close-on-exec are inherited as they are.
ChildResult run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                      const std::vector<std::pair<int, int>>& fds = {});

// The absolute path of the running mlt binary (for MLT_EXE).
std::string self_exe();

}  // namespace mlt::core

namespace mlt::core {
std::string current_user();   // $USER, $LOGNAME, else the passwd entry of the uid
std::string host_name();
std::string shell_quote(const std::vector<std::string>& argv);   // a command line a shell reads back
}  // namespace mlt::core
