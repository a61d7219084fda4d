#include "base/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "base/error.hpp"

extern char** environ;

namespace mlt::core {
namespace {

std::atomic<pid_t> g_child{0};
std::atomic<int> g_received{0};
constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int sig, siginfo_t* info, void*) {
  g_received.store(sig);
  // Signals from the terminal (si_code > 0, SI_KERNEL) already reached the child, which shares
  // our process group; forward only those sent to mlt by a process (kill, a job scheduler).
  if (info && info->si_code <= 0) {
    pid_t c = g_child.load();
    if (c > 0) ::kill(c, sig);
  }
}

struct SignalScope {
  struct sigaction old[3];
  SignalScope() {
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(forwarded_signals[i], &sa, &old[i]);
  }
  ~SignalScope() {
    for (int i = 0; i < 3; ++i) sigaction(forwarded_signals[i], &old[i], nullptr);
  }
};

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_executable(const std::string& name, std::string& why_not) {
  if (name.empty()) {
    why_not = "empty command";
    return std::nullopt;
  }
  if (name.find('/') != std::string::npos) {
    if (is_executable_file(name)) return name;
    why_not = ::access(name.c_str(), F_OK) == 0 ? "not an executable file" : "no such file";
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string d = p.substr(start, end - start);
    std::string cand = (d.empty() ? std::string(".") : d) + "/" + name;
    if (is_executable_file(cand)) return cand;
    start = end + 1;
  }
  why_not = "not found in PATH";
  return std::nullopt;
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "mlt";
  return std::string(buf, static_cast<std::size_t>(n));
}

ChildResult run_child(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                      const std::vector<std::pair<int, int>>& fds) {
  // Everything the child needs is prepared before fork(): between fork() and exec the child of a
  // multi-threaded process may only make async-signal-safe calls (no malloc, no PATH search).
  std::string why_not;
  auto path = find_executable(argv.empty() ? std::string() : argv[0], why_not);
  if (!path)
    throw Error(ExitCode::failure, fmt::format("cannot start '{}': {}", argv.empty() ? "" : argv[0], why_not),
                "check the command and its permissions");
  std::map<std::string, std::string> over(env.begin(), env.end());
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && over.count(std::string(kv.substr(0, eq)))) continue;
    env_store.emplace_back(kv);
  }
  for (auto& [k, v] : env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp, args, sh_args;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store(argv);
  for (auto& s : argv_store) args.push_back(s.data());
  args.push_back(nullptr);
  // A file without '#!' that the kernel refuses (ENOEXEC) is a shell script, as execvp and every
  // shell treat it: /bin/sh PATH ARG...
  static char sh_name[] = "sh";
  std::string path_store = *path;
  sh_args.push_back(sh_name);
  sh_args.push_back(path_store.data());
  for (std::size_t i = 1; i < argv_store.size(); ++i) sh_args.push_back(argv_store[i].data());
  sh_args.push_back(nullptr);

  // The child reports a failed exec through this close-on-exec pipe: nothing to read means exec
  // succeeded.
  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) != 0)
    throw Error(ExitCode::failure, fmt::format("cannot create a pipe: {}", std::strerror(errno)));

  g_received.store(0);
  SignalScope scope;
  // Signals stay blocked across fork() so that neither our handler in the child nor a forward to
  // a pid we do not know yet can lose one.
  sigset_t block, old_mask;
  sigemptyset(&block);
  for (int s : forwarded_signals) sigaddset(&block, s);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // The child: it dies with its supervisor. Should mlt be killed (SIGKILL, the OOM killer),
    // nothing of it runs any more to stop the command; the kernel sends SIGKILL instead. The
    // parent may have died before prctl(): then we were re-parented already and stop here.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(128 + SIGKILL);
    for (int s : forwarded_signals) ::signal(s, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);   // the supervisor ignores SIGPIPE; the command must not inherit that
    for (auto [from, to] : fds)
      if (from == to ? ::fcntl(from, F_SETFD, 0) < 0 : ::dup2(from, to) < 0) {
        int e = errno;
        ssize_t ignored = ::write(errpipe[1], &e, sizeof e);
        (void)ignored;
        ::_exit(127);
      }
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::execve(path_store.c_str(), args.data(), envp.data());
    if (errno == ENOEXEC) ::execve("/bin/sh", sh_args.data(), envp.data());
    int e = errno;
    ssize_t ignored = ::write(errpipe[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(errpipe[1]);
  if (pid < 0) {
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::close(errpipe[0]);
    throw Error(ExitCode::failure, fmt::format("cannot start '{}': {}", argv[0], std::strerror(fork_errno)),
                "check the command and its permissions");
  }
  g_child.store(pid);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);   // a pending signal is handled now
  if (int pending = g_received.load(); pending) ::kill(pid, pending);  // came before we knew the pid
  int exec_errno = 0;
  ssize_t got;
  while ((got = ::read(errpipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  ::close(errpipe[0]);
  if (got > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_child.store(0);
    throw Error(ExitCode::failure, fmt::format("cannot start '{}': {}", argv[0], std::strerror(exec_errno)),
                "check the command and its permissions");
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      g_child.store(0);
      throw Error(ExitCode::failure, fmt::format("waiting for '{}' failed: {}", argv[0], std::strerror(errno)));
    }
  }
  g_child.store(0);
  ChildResult r;
  r.received = g_received.load();
  if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    r.exit_code = 128 + r.signal;
  } else {
    r.exit_code = WEXITSTATUS(status);
  }
  return r;
}

}  // namespace mlt::core

#include <pwd.h>

namespace mlt::core {

std::string current_user() {
  for (const char* var : {"USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(::getuid());
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                   "0123456789_-./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'') out += "'\\''";
      else out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace mlt::core
