// cli: every short flag means one thing in every command (the deprecated aliases, hidden from
// the help, aside), and the progress line's text.
#include <map>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace {

void walk(CLI::App* app, const std::string& path, std::map<std::string, std::set<std::string>>& meanings) {
  for (auto* o : app->get_options()) {
    if (o->get_group().empty()) continue;   // hidden: a deprecated alias
    std::string meaning = o->get_lnames().empty() ? "(none)" : "--" + o->get_lnames()[0];
    for (auto& s : o->get_snames()) meanings["-" + s].insert(meaning + " in mlt " + path);
  }
  for (auto* sub : app->get_subcommands([](CLI::App*) { return true; }))
    walk(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), meanings);
}

}  // namespace

TEST_CASE("a short flag means one thing in every command") {
  mlt::cli::Context ctx;
  CLI::App root;
  mlt::cli::build_app(root, ctx);
  std::map<std::string, std::set<std::string>> uses;
  walk(&root, "", uses);
  CHECK(uses.count("-n"));
  CHECK(uses.count("-f"));
  for (auto& [flag, where] : uses) {
    std::set<std::string> longs;
    for (auto& w : where) longs.insert(w.substr(0, w.find(' ')));
    // -m: the message of 'data add' and a metric of 'plot', both in the command contract
    if (flag == "-m") continue;
    std::string list;
    for (auto& w : where) list += "\n  " + w;
    const auto& shown_flag = flag;   // clang 14 cannot capture a structured binding
    INFO(shown_flag << " means:" << list);
    CHECK(longs.size() == 1);
  }
  CHECK(*uses["-n"].begin() == "--name in mlt data add");
  CHECK(uses["-f"].begin()->starts_with("--filter "));
}

TEST_CASE("progress_line: a bar of bytes, or a count of items") {
  using mlt::cli::progress_line;
  CHECK(progress_line("get", "", 512, 1024, 1.0) == "get [##########..........]  50% 512 B of 1.0 KiB, 512 B/s, 1 s left");
  CHECK(progress_line("stream", "point", 1200, 0, 2.0) == "stream: 1200 points, 600 points/s");
  CHECK(progress_line("stream", "point", 1, 0, 1.0) == "stream: 1 point, 1 points/s");
  CHECK(progress_line("verify", "", 5000, 1000, 1.0).find("100%") != std::string::npos);
}
