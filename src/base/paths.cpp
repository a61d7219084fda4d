#include "base/paths.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/values.hpp"

namespace mlt::core {
namespace {

[[noreturn]] void bad(std::string_view path, std::string_view why) {
  throw Error(ExitCode::usage, fmt::format("invalid artifact path '{}': {}", printable(path.substr(0, 120)), why),
              "use a relative path with '/' between names, without '..' or empty parts");
}

}  // namespace

void validate_name(std::string_view name, std::string_view context) {
  if (name.empty()) bad(context, "empty path component");
  if (name == "." || name == "..") bad(context, fmt::format("'{}' component", name));
  if (name.size() > 255) bad(context, "a component is longer than 255 bytes");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/') bad(context, "'/' inside a name");
    if (c == '\\') bad(context, "backslash");
    if (u < 0x20 || u == 0x7f) bad(context, "control character");
  }
  if (!valid_utf8(name)) bad(context, "not valid UTF-8");
}

std::vector<std::string> validate_artifact_path(std::string_view path) {
  if (path.empty()) bad(path, "empty path");
  if (path.size() > 4096) bad(path, "longer than 4096 bytes");
  if (path.find('\0') != std::string_view::npos) bad(path, "NUL byte");
  if (path.front() == '/') bad(path, "absolute path");
  if (path.size() >= 2 && path[1] == ':' && std::isalpha(static_cast<unsigned char>(path[0])))
    bad(path, "drive letter");
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) bad(path, slash == std::string_view::npos ? "trailing '/'" : "empty path component");
    validate_name(part, path);
    parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string join_path(const std::vector<std::string>& parts) {
  std::string out;
  for (auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace mlt::core
