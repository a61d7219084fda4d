#include "cli/main.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/error.hpp"
#include "base/values.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace mlt::cli {
namespace {

int report(const Context& ctx, ExitCode code, const std::string& message, const std::string& hint) {
  if (ctx.global.json) {
    Json err;
    err["error"]["code"] = static_cast<int>(code);
    err["error"]["message"] = message;
    if (!hint.empty()) err["error"]["hint"] = hint;
    std::fprintf(stderr, "%s\n", err.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "mlt: error: %s\n", message.c_str());
    if (!hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
  }
  return static_cast<int>(code);
}

// CLI11's own wording, as a fallback: lower-case first letter, no final period.
std::string parse_message(const CLI::ParseError& e) {
  std::string m = e.what();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  while (!m.empty() && (m.back() == '.' || m.back() == '\n')) m.pop_back();
  return m;
}

// The command a parse error belongs to: the deepest subcommand that CLI11 had reached.
const CLI::App* failing_command(const CLI::App& app) {
  const CLI::App* cur = &app;
  while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().back();
  return cur;
}

std::string command_path(const CLI::App* a) {
  std::string path;
  for (; a; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// An argument as the help and the man pages name it: a positional by its placeholder (RUN_B),
// an option by its long name (--target).
std::string display_name(const CLI::App* cmd, const std::string& name) {
  for (const CLI::App* a = cmd; a; a = a->get_parent()) {
    const CLI::Option* o = a->get_option_no_throw(name);
    if (!o) continue;
    if (o->nonpositional()) return o->get_name();
    std::string t = o->get_type_name();
    if (auto colon = t.find(':'); colon != std::string::npos) t.resize(colon);
    if (!t.empty() && t != "TEXT") return t;
    std::string up = o->get_name();
    for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return up;
  }
  return name;
}

// "NAME: rest" as CLI11 writes validation and mismatch errors; empty when not of that shape.
std::pair<std::string, std::string> split_name(const std::string& m) {
  auto colon = m.find(": ");
  if (colon == std::string::npos || colon == 0 || m.find(' ') < colon) return {};
  return {m.substr(0, colon), m.substr(colon + 2)};
}

// The option of `cmd` (or of mlt itself) closest to a mistyped --long one, if any is close.
std::optional<std::string> closest_option(const CLI::App* cmd, const std::string& typed) {
  if (!typed.starts_with("--")) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_d = 3;
  for (const CLI::App* a = cmd; a; a = a->get_parent())
    for (const CLI::Option* o : a->get_options())
      for (auto& l : o->get_lnames()) {
        auto d = core::edit_distance(typed, "--" + l);
        if (d < best_d) best_d = d, best = "--" + l;
      }
  return best;
}

// CLI11's errors ("run_b is required", "Could not convert: --step = x", "The following argument
// was not expected: x") in mlt's words: what failed, the subject in quotes, the command's help.
struct ParseReport {
  std::string message, hint;
};

ParseReport describe(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cmd = failing_command(app);
  std::string path = command_path(cmd);
  ParseReport r{parse_message(e), fmt::format("see '{} --help'", path)};
  std::string m = e.what();
  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    const std::string tail = " is required";
    if (m.starts_with("A subcommand")) {
      r.message = fmt::format("'{}' needs a subcommand", path);
    } else if (m.ends_with(tail) && m.find(' ') == m.size() - tail.size()) {
      std::string name = m.substr(0, m.size() - tail.size());
      r.message = fmt::format("missing {} for '{}'", display_name(cmd, name), path);
      auto f = std::dynamic_pointer_cast<CLI::Formatter>(cmd->get_formatter());
      std::string usage = f ? f->make_usage(cmd, path) : std::string();
      if (auto colon = usage.find(": "); colon != std::string::npos) usage = usage.substr(colon + 2);
      while (!usage.empty() && std::isspace(static_cast<unsigned char>(usage.back()))) usage.pop_back();
      if (!usage.empty()) r.hint = fmt::format("usage: {}; see '{} --help'", usage, path);
    }
  } else if (dynamic_cast<const CLI::ConversionError*>(&e)) {
    const std::string head = "Could not convert: ";
    if (m.starts_with(head) && m.find(" = ") != std::string::npos) {
      auto eq = m.find(" = ");
      std::string name = display_name(cmd, m.substr(head.size(), eq - head.size()));
      std::string value = m.substr(eq + 3);
      r.message = out_of_range_number(value) ? fmt::format("value '{}' of '{}' is out of range", value, name)
                                             : fmt::format("invalid value '{}' for '{}'", value, name);
    } else if (auto [name, rest] = split_name(m); !name.empty() && rest == "too many inputs for a flag") {
      r.message = fmt::format("'{}' takes no value", display_name(cmd, name));
    }
  } else if (dynamic_cast<const CLI::ValidationError*>(&e)) {
    if (auto [name, rest] = split_name(m); !name.empty()) {
      std::string value;
      for (const CLI::App* a = cmd; a && value.empty(); a = a->get_parent())
        if (auto* o = a->get_option_no_throw(name); o && !o->results().empty()) value = o->results().back();
      r.message = value.empty() ? fmt::format("invalid value for '{}': {}", display_name(cmd, name), rest)
                                : fmt::format("invalid value '{}' for '{}': {}", value, display_name(cmd, name), rest);
    }
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    if (auto [name, rest] = split_name(m); !name.empty() && rest.ends_with(" missing"))
      r.message = fmt::format("'{}' needs a value", display_name(cmd, name));
  } else if (dynamic_cast<const CLI::ExcludesError*>(&e)) {
    if (auto x = m.find(" excludes "); x != std::string::npos && m.find(' ') == x)
      r.message = fmt::format("'{}' and '{}' cannot be used together", m.substr(0, x), m.substr(x + 10));
  } else if (dynamic_cast<const CLI::RequiresError*>(&e)) {
    if (auto x = m.find(" requires "); x != std::string::npos && m.find(' ') == x)
      r.message = fmt::format("'{}' needs '{}'", m.substr(0, x), m.substr(x + 10));
  } else if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    std::vector<std::string> extra;
    for (const CLI::App* a = cmd; a && extra.empty(); a = a->get_parent()) extra = a->remaining(false);
    if (!extra.empty()) {
      const std::string& first = extra.front();
      bool option = first.size() > 1 && first[0] == '-' && !std::isdigit(static_cast<unsigned char>(first[1]));
      if (option) {
        r.message = fmt::format("unknown option '{}' for '{}'", first, path);
        if (auto near = closest_option(cmd, first.substr(0, first.find('='))))
          r.hint = fmt::format("did you mean '{}'? see '{} --help'", *near, path);
      } else {
        std::string list;
        for (auto& x : extra) list += fmt::format("{}'{}'", list.empty() ? "" : " ", x);
        r.message = fmt::format("unexpected argument{} {} for '{}'", extra.size() == 1 ? "" : "s", list, path);
      }
    }
  }
  return r;
}

}  // namespace

bool out_of_range_number(const std::string& v) {
  std::size_t i = !v.empty() && (v[0] == '+' || v[0] == '-') ? 1 : 0;
  if (i >= v.size() || !(std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.')) return false;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size()) return false;
  if (errno == ERANGE && std::fabs(d) > 1) return true;   // not an underflow such as 1e-999
  bool integral = v.find_first_not_of("+-0123456789") == std::string::npos;
  return integral && std::fabs(d) >= 9.2e18;
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "__complete") == 0) return complete_main(argc - 2, argv + 2);
  Context ctx;
  CLI::App app;
  build_app(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    auto r = describe(app, e);
    return report(ctx, ExitCode::usage, r.message, r.hint);
  } catch (const Error& e) {  // a callback validated a value
    return report(ctx, e.code(), e.what(), e.hint());
  }
  ctx.warn_deprecated();

  if (!ctx.has_action()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    if (!ctx.global.chdir.empty() && ::chdir(ctx.global.chdir.c_str()) != 0)
      throw Error(ExitCode::usage, fmt::format("cannot change to directory '{}': {}", ctx.global.chdir,
                                               std::strerror(errno)));
    int rc = ctx.run();
    if (std::fflush(stdout) != 0 && errno != EPIPE)
      throw Error(ExitCode::failure, fmt::format("cannot write output: {}", std::strerror(errno)));
    return rc;
  } catch (const Error& e) {
    return report(ctx, e.code(), e.what(), e.hint());
  } catch (const std::bad_alloc&) {
    return report(ctx, ExitCode::failure, "out of memory", "");
  } catch (const std::exception& e) {
    return report(ctx, ExitCode::failure, e.what(), "");
  }
}

}  // namespace mlt::cli
