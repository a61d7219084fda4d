// cli/complete: every argument of every command has a completion rule, so a new option cannot
// ship without one (the docs test checks the scripts and the shells).
#include "cli/complete.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/commands.hpp"

using mlt::cli::Arg;

TEST_CASE("every option and positional that takes a value has a completion rule") {
  mlt::cli::Context ctx;
  CLI::App root;
  mlt::cli::build_app(root, ctx);
  std::vector<std::string> missing;
  int seen = 0;
  mlt::cli::for_each_argument(root, [&](const std::string& path, const CLI::Option* o) {
    ++seen;
    if (mlt::cli::arg_kind(path, o) == Arg::unknown)
      missing.push_back("mlt " + path + " " + o->get_name() + " (" + o->get_type_name() + ")");
  });
  CHECK(seen > 100);
  std::string list;
  for (auto& m : missing) list += m + "\n";
  INFO(list);
  CHECK(missing.empty());
}
