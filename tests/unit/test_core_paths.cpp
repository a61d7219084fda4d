// core/paths: the artifact path validator against a table of hostile paths, and the good paths it
// must keep accepting (unicode, dots inside names).
#include "base/paths.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::test::contains;
using mlt::test::thrown;

namespace {

struct Hostile {
  std::string path;
  std::string reason;   // a part of the error message
};

}  // namespace

TEST_CASE("validate_artifact_path rejects hostile paths with exit 2 and a reason") {
  using namespace std::string_literals;
  const std::vector<Hostile> table = {
      {"", "empty path"},
      {"/etc/passwd", "absolute path"},
      {"/", "absolute path"},
      {"//server/share", "absolute path"},
      {"..", "'..' component"},
      {"../x", "'..' component"},
      {"a/../../x", "'..' component"},
      {"a/..", "'..' component"},
      {".", "'.' component"},
      {"./a", "'.' component"},
      {"a/./b", "'.' component"},
      {"a//b", "empty path component"},
      {"a/", "trailing '/'"},
      {"a/b/", "trailing '/'"},
      {"a\0b"s, "NUL byte"},
      {"\0"s, "NUL byte"},
      {"a\\b", "backslash"},
      {"..\\..\\x", "backslash"},
      {"C:x", "drive letter"},
      {"c:/windows", "drive letter"},
      {"Z:", "drive letter"},
      {"a\nb", "control character"},
      {"a/b\n", "control character"},
      {"a\tb", "control character"},
      {"a\rb", "control character"},
      {"\x1b[31mred", "control character"},
      {"del\x7f", "control character"},
      {"\x01", "control character"},
      {"a/\xff", "not valid UTF-8"},
      {"\xc3", "not valid UTF-8"},            // truncated sequence
      {"\xc0\xaf", "not valid UTF-8"},        // overlong '/'
      {"\xed\xa0\x80", "not valid UTF-8"},    // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "not valid UTF-8"},  // beyond U+10FFFF
      {std::string(256, 'x'), "longer than 255 bytes"},
      {"ok/" + std::string(256, 'y') + "/ok", "longer than 255 bytes"},
      {std::string(4097, 'a'), "longer than 4096 bytes"},
  };
  for (auto& h : table) {
    CAPTURE(h.path);
    auto e = thrown([&] { validate_artifact_path(h.path); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), h.reason));
    CHECK(contains(e->what(), "invalid artifact path"));
  }
}

TEST_CASE("the error message shows control characters escaped") {
  auto e = thrown([] { validate_artifact_path("evil\nname"); });
  REQUIRE(e);
  CHECK(contains(e->what(), "'evil\\x0aname'"));
  CHECK_FALSE(contains(e->what(), "\n"));
}

TEST_CASE("validate_artifact_path accepts good paths and returns their components") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> table = {
      {"a", {"a"}},
      {"a/b/c", {"a", "b", "c"}},
      {"a.b", {"a.b"}},
      {"..a", {"..a"}},
      {"a..", {"a.."}},
      {"...", {"..."}},
      {".hidden/.x", {".hidden", ".x"}},
      {"model weights.bin", {"model weights.bin"}},
      {"日本語/ファイル.txt", {"日本語", "ファイル.txt"}},
      {"ünïcödé/😀", {"ünïcödé", "😀"}},
      {"ab:c", {"ab:c"}},
      {"1:x", {"1:x"}},   // not a drive letter
      {"a-b_c~d", {"a-b_c~d"}},
      {std::string(255, 'x'), {std::string(255, 'x')}},
  };
  for (auto& row1_ : table) {  // clang 14 cannot capture structured bindings
    auto& path = std::get<0>(row1_);
    auto& parts = std::get<1>(row1_);
    CAPTURE(path);
    std::vector<std::string> got;
    auto e = thrown([&] { got = validate_artifact_path(path); });
    CHECK_FALSE(e.has_value());
    CHECK(got == parts);
    CHECK(join_path(got) == path);
  }
  // a path of exactly 4096 bytes is still fine
  std::string long_path;
  while (long_path.size() + 101 <= 4096) long_path += std::string(100, 'p') + "/";
  long_path += std::string(4096 - long_path.size(), 'q');
  REQUIRE(long_path.size() == 4096);
  CHECK(validate_artifact_path(long_path).size() == 41);
}

TEST_CASE("validate_name checks a single component") {
  CHECK_FALSE(thrown([] { validate_name("file.txt", "ctx"); }).has_value());
  CHECK_FALSE(thrown([] { validate_name("..a", "ctx"); }).has_value());
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "a\\b", "x\ny", std::string(256, 'n'), "\xfe"}) {
    CAPTURE(bad);
    auto e = thrown([&] { validate_name(bad, "the/context"); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "the/context"));   // the message names the context, not the component
  }
}

TEST_CASE("join_path") {
  CHECK(join_path({}) == "");
  CHECK(join_path({"a"}) == "a");
  CHECK(join_path({"a", "b c", "d"}) == "a/b c/d");
}
