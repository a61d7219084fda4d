// The pager, as git does it: when stdout is a terminal, a command whose output can be long pipes
// it through $MLT_PAGER, else the core.pager setting, else $PAGER, else less (with LESS=FRX
// unless LESS is set, so output shorter than a screen is simply printed). mlt waits for the pager
// to exit before it does, also when interrupted, so the shell prompt never lands inside it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "cli/context.hpp"

namespace mlt::cli {
namespace {

volatile pid_t g_pager = 0;

void wait_for_pager() {
  if (g_pager <= 0) return;
  std::fflush(stdout);
  ::close(STDOUT_FILENO);  // the pager sees the end of its input
  int status = 0;
  while (::waitpid(g_pager, &status, 0) < 0 && errno == EINTR) {
  }
  g_pager = 0;
}

void on_signal(int sig) {
  if (g_pager > 0) {
    ::close(STDOUT_FILENO);
    int status = 0;
    ::waitpid(g_pager, &status, 0);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

// False when `command` is a plain command line (no shell syntax) whose program is not there:
// then the shell would fail to start it after mlt's output was already sent its way.
bool can_run(const std::string& command) {
  if (command.find_first_of("|&;<>()$`\\\"'*?[#~=%{}\n") != std::string::npos) return true;  // let sh decide
  auto start = command.find_first_not_of(" \t");
  std::string program = command.substr(start, command.find_first_of(" \t", start) - start);
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t pos = 0;;) {
    auto end = dirs.find(':', pos);
    std::string dir = dirs.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (::access(((dir.empty() ? "." : dir) + "/" + program).c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) return false;
    pos = end + 1;
  }
}

}  // namespace

void Context::page() {
  if (global.no_pager || g_pager > 0 || ::isatty(STDOUT_FILENO) != 1) return;
  std::string pager;
  bool chosen = true;   // by the user (else the default, less)
  if (const char* env = std::getenv("MLT_PAGER")) {
    pager = env;  // set, even to "": it decides
  } else {
    pager = config().get_string("core.pager");
    if (pager.empty()) {
      const char* p = std::getenv("PAGER");
      chosen = p != nullptr;
      pager = p ? p : "less";  // PAGER set to "" means no pager, as for git
    }
  }
  if (blank(pager) || pager == "cat") return;
  if (!can_run(pager)) {  // print directly; say so unless it was only the default
    if (chosen) warn(fmt::format("cannot run the pager '{}': not found; printing directly", pager));
    return;
  }

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no pager, not an error
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);
    ::setenv("LESS", "FRX", 0);
    ::setenv("LV", "-c", 0);
    ::execl("/bin/sh", "sh", "-c", pager.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "mlt: error: cannot run the pager '%s': %s\n", pager.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::dup2(fds[1], STDOUT_FILENO);
  ::close(fds[0]);
  ::close(fds[1]);
  g_pager = pid;
  paging_ = true;
  std::atexit(wait_for_pager);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, on_signal);
}


}  // namespace mlt::cli
