// Fuzzes the artifact path validator (core/paths) and the symbolic link resolver (core/tree
// resolve_link), which decide where mlt writes below a destination folder (artifact download,
// model export, deploy render -o, data checkout).
//
// Input: line 0 is a path to validate (also a link target); line 1 the target of a link "x" in a
// small fixed tree; line 2 the folder (components joined by '/') that the link of line 0 lives in.
// Properties (violations trap):
//  - an accepted path never escapes its destination: it is relative, has no empty, "." or ".."
//    component, no NUL, no control character or backslash, no drive letter; joined below /dest
//    and normalised it stays below /dest; its components are exactly the path's, and join_path
//    gives the path back;
//  - a name validate_name accepts is one such component;
//  - a link that resolves "inside" leads to an existing entry of the tree, by components that are
//    all plain names (nothing climbs out of the tree).
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/paths.hpp"
#include "core/artifacts/tree.hpp"
#include "fuzz_common.hpp"

using namespace mlt;
namespace fs = std::filesystem;

namespace {

void check_component(std::string_view c, std::string_view path) {
  std::string p(path);
  if (c.empty() || c == "." || c == "..") fuzz::finding("accepted path '" + p + "' has an empty, '.' or '..' component");
  for (char ch : c) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '/' || ch == '\\' || u < 0x20 || u == 0x7f)
      fuzz::finding("accepted path '" + p + "' has a '/', backslash or control character in a component");
  }
}

void check_path(std::string_view path) {
  std::vector<std::string> parts;
  try {
    parts = core::validate_artifact_path(path);
  } catch (const Error& e) {
    if (e.code() != ExitCode::usage) fuzz::finding("validate_artifact_path: not exit 2");
    return;
  }
  std::string p(path);
  if (path.empty() || path.front() == '/') fuzz::finding("accepted an empty or absolute path");
  if (path.find('\0') != std::string_view::npos) fuzz::finding("accepted a path with NUL");
  if (path.size() >= 2 && path[1] == ':' && std::isalpha(static_cast<unsigned char>(path[0]))) fuzz::finding("accepted a drive form '" + p + "'");
  if (core::join_path(parts) != path) fuzz::finding("join_path does not give back '" + p + "'");
  for (auto& c : parts) check_component(c, path);
  // below a destination, as the writers use it
  fs::path dest = "/dest";
  fs::path joined = (dest / fs::path(p)).lexically_normal();
  auto rel = joined.lexically_relative(dest);
  if (rel.empty() || *rel.begin() == ".." || rel.is_absolute() || joined.string().rfind("/dest/", 0) != 0)
    fuzz::finding("accepted path '" + p + "' leaves the destination: " + joined.string());
  std::size_t n = 0;
  for (auto& c : fs::path(p)) {
    (void)c;
    ++n;
  }
  if (n != parts.size()) fuzz::finding("std::filesystem sees other components in '" + p + "'");
}

// a small tree:  a/ (b file, up -> .., self -> ., deep/ (c file)), l1 -> a, loop -> loop,
// abs -> /etc, esc -> ../x, x -> (the input's line 1)
std::map<std::string, core::PathNode> tree(const std::string& x) {
  using K = core::EntryKind;
  return {{"a", {K::dir, ""}},        {"a/b", {K::file, ""}},   {"a/up", {K::link, ".."}},
          {"a/self", {K::link, "."}}, {"a/deep", {K::dir, ""}}, {"a/deep/c", {K::file, ""}},
          {"l1", {K::link, "a"}},     {"loop", {K::link, "loop"}}, {"abs", {K::link, "/etc"}},
          {"esc", {K::link, "../x"}}, {"x", {K::link, x}}};
}

void check_link(const std::string& dir_text, const std::string& target, const std::string& x) {
  auto t = tree(x);
  std::vector<std::string> dir;
  if (!dir_text.empty()) {
    try {
      dir = core::validate_artifact_path(dir_text);
    } catch (const Error&) {
      return;
    }
    if (!t.count(core::join_path(dir)) || t.at(core::join_path(dir)).kind != core::EntryKind::dir) dir.clear();
  }
  auto at = [&](const std::vector<std::string>& p) -> std::optional<core::PathNode> {
    for (auto& c : p)
      if (c.empty() || c == "." || c == "..") fuzz::finding("resolve_link looked up a path with '" + c + "'");
    auto it = t.find(core::join_path(p));
    if (it == t.end()) return std::nullopt;
    return it->second;
  };
  auto r = core::resolve_link(dir, target, at);
  if (r.reach != core::LinkReach::inside) return;
  for (auto& c : r.path) check_component(c, target);
  if (r.path.empty()) return;   // the tree's root itself
  auto it = t.find(core::join_path(r.path));
  if (it == t.end()) fuzz::finding("link '" + target + "' resolves inside to a missing entry");
  if (it->second.kind == core::EntryKind::link) fuzz::finding("link '" + target + "' resolves to a link");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16 * 1024) return 0;
  std::string_view text = fuzz::as_text(data, size);
  auto ls = fuzz::lines(text);
  check_path(text);
  check_path(ls[0]);
  try {
    core::validate_name(text, "name");
    std::vector<std::string> one = core::validate_artifact_path(text);
    if (one.size() != 1) fuzz::finding("validate_name accepts what is no single component");
  } catch (const Error&) {
  }
  std::string x = ls.size() > 1 ? std::string(ls[1]) : "a/deep";
  std::string dir = ls.size() > 2 ? std::string(ls[2]) : "";
  check_link(dir, std::string(ls[0]), x);
  return 0;
}
