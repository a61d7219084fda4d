#include "cli/main.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"

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

// CLI11 says "The following argument was not expected: x"; keep its wording, in our shape.
std::string parse_message(const CLI::ParseError& e) {
  std::string m = e.what();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  while (!m.empty() && (m.back() == '.' || m.back() == '\n')) m.pop_back();
  return m;
}

// Usage lines name positionals as the man pages do: by their placeholder (NAME[/VERSION], RUN),
// in brackets when optional, with "..." when repeatable.
class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_option_usage(const CLI::Option* o) const override {
    std::string t = o->get_type_name();
    if (auto colon = t.find(':'); colon != std::string::npos) t.resize(colon);
    if (t.empty() || t == "TEXT") {
      t = o->get_name();
      for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string s;
    int max = o->get_expected_max();
    if (max >= CLI::detail::expected_max_vector_size) s = t + "...";
    else
      for (int i = 0; i < max; ++i) s += (i ? " " : "") + t;
    return o->get_required() ? s : "[" + s + "]";
  }
};

}  // namespace

void build_app(CLI::App& app, Context& ctx) {
  app.formatter(std::make_shared<UsageFormatter>());  // before the subcommands: they copy it
  app.description("mlt tracks machine-learning experiments, runs, models and data in a .mlt folder beside your code.");
  app.name("mlt");
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("mlt ") + MLT_VERSION, "Print the version of mlt and exit.");
  app.add_option("-C", ctx.global.chdir, "Run as if mlt was started in DIR.")->type_name("DIR");
  app.add_flag("--json", ctx.global.json, "Print one JSON document on stdout (errors as JSON on stderr).");
  app.add_flag("-q,--quiet", ctx.global.quiet, "Print no messages on stderr except warnings and errors.");
  app.add_option("--color", ctx.global.color, "Colour output: auto (on a terminal), always or never.")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");
  app.add_flag("--no-pager", ctx.global.no_pager, "Never pipe output to a pager.");
  for (const auto& g : command_groups()) {
    auto named = [](CLI::App* a) { return !a->get_name().empty(); };
    std::size_t before = app.get_subcommands(named).size();
    g.add(app, ctx);
    auto subs = app.get_subcommands(named);
    for (std::size_t i = before; i < subs.size(); ++i) ctx.pages[subs[i]->get_name()] = std::string("mlt-") + g.name;
  }
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
    return report(ctx, ExitCode::usage, parse_message(e), "see 'mlt --help' or 'mlt COMMAND --help'");
  } catch (const Error& e) {  // a callback validated a value
    return report(ctx, e.code(), e.what(), e.hint());
  }

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
