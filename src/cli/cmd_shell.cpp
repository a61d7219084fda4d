// mlt completion SHELL (prints the script of completions/) and mlt help [COMMAND] (the command's
// man page, or its --help text when man or the page is missing).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "base/error.hpp"
#include "cli/commands.hpp"
#include "cli/completion_scripts.hpp"

namespace mlt::cli {
namespace {

namespace fs = std::filesystem;

// Runs argv with stdin/stdout inherited (stderr to /dev/null when `quiet`); its exit status, or
// -1 when it cannot be started (not installed).
// Like system(3), mlt ignores SIGINT and SIGQUIT while it waits: Ctrl-C is for man and its
// pager, and mlt must not return to the shell while they still hold the terminal.
int run_program(const std::vector<std::string>& args, bool quiet) {
  std::fflush(stdout);
  int probe[2];
  if (::pipe2(probe, O_CLOEXEC) != 0) return -1;
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  auto restore = [&] {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
  };
  pid_t pid = ::fork();
  if (pid < 0) {
    restore();
    ::close(probe[0]);
    ::close(probe[1]);
    return -1;
  }
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGQUIT, SIG_DFL);
    ::close(probe[0]);
    if (quiet) {
      int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      ::dup2(null, STDERR_FILENO);
      ::dup2(null, STDOUT_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    char failed = 1;
    (void)!::write(probe[1], &failed, 1);
    ::_exit(127);
  }
  ::close(probe[1]);
  char failed = 0;
  ssize_t got;
  while ((got = ::read(probe[0], &failed, 1)) < 0 && errno == EINTR) {
  }
  bool not_started = got == 1;
  ::close(probe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  restore();
  if (not_started) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The page file beside this binary: PREFIX/share/man/man1 when installed; in a build folder, the
// source tree's man/ when the build folder is inside it, else the pages the build made (man/man1/).
std::optional<fs::path> local_page(const std::string& page) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  fs::path dir = exe.parent_path();
  for (const fs::path& cand : {dir / ".." / "share" / "man" / "man1" / (page + ".1"),
                                dir / ".." / "share" / "man" / "man1" / (page + ".1.gz"),
                                dir / ".." / "man" / (page + ".1"),
                                dir / "man" / "man1" / (page + ".1.gz")})
    if (fs::is_regular_file(cand, ec)) return cand.lexically_normal();
  return std::nullopt;
}

int help(Context& ctx, CLI::App& root, const std::string& command) {
  std::string page = "mlt";
  CLI::App* target = &root;
  if (!command.empty()) {
    auto it = ctx.pages.find(command);
    if (it == ctx.pages.end())
      throw Error(ExitCode::usage, fmt::format("no command '{}'", command), "'mlt --help' lists the commands");
    page = it->second;
    target = root.get_subcommand(command);
  }
  if (auto file = local_page(page)) {
    if (run_program({"man", "-l", file->string()}, false) == 0) return 0;
  } else if (run_program({"man", "-w", page}, true) == 0) {
    if (run_program({"man", page}, false) == 0) return 0;
  }
  ctx.note(fmt::format("(no man page for {} here: showing 'mlt{}{} --help')", page, command.empty() ? "" : " ", command));
  // App::help() on the root would describe the subcommand being run (help): format it directly
  std::string text = command.empty() ? root.get_formatter()->make_help(&root, "mlt", CLI::AppFormatMode::Normal)
                                     : target->help("mlt");
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

void add_completion_commands(CLI::App& root, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* c = root.add_subcommand("completion", "Print the completion script for bash, zsh or fish (see mlt-completion(1)).");
  c->add_option("shell", *shell, "The shell: bash, zsh or fish.")->required()->type_name("bash|zsh|fish");
  c->callback([&ctx, shell] {
    ctx.select(Needs::nothing, [shell] {
      const char* script = completion_script(*shell);
      if (!script)
        throw Error(ExitCode::usage, fmt::format("no completion for shell '{}'", *shell), "use bash, zsh or fish");
      std::fputs(script, stdout);
      return 0;
    });
  });

}

void add_help_commands(CLI::App& root, Context& ctx) {
  auto command = std::make_shared<std::string>();
  auto* h = root.add_subcommand("help", "Open the manual page of COMMAND, or of mlt; print its --help text when man is missing.");
  h->add_option("command", *command, "A command, e.g. registry or gc.")->type_name("COMMAND");
  h->callback([&ctx, &root, command] {
    ctx.select(Needs::nothing, [&ctx, &root, command] { return help(ctx, root, *command); });
  });
}

}  // namespace mlt::cli
