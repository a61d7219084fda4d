// Artifact paths as users give them, validated once; the validated form is the only one used.
// A valid path is relative, '/'-separated, and has no empty, "." or ".." components, no NUL,
// newline or other control characters, no backslash, and no drive form ("C:"). Leading and
// trailing '/' and repeated '/' are errors, not silently fixed.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mlt::core {

// Returns the components, or throws Error(usage) naming the path and the reason.
std::vector<std::string> validate_artifact_path(std::string_view path);
// A single file or directory name (a component): the same rules.
void validate_name(std::string_view name, std::string_view context);
std::string join_path(const std::vector<std::string>& parts);

}  // namespace mlt::core
