// The shell completion scripts of completions/, embedded at build time.
#pragma once
#include <string>

namespace mlt::cli {

// The script for "bash", "zsh" or "fish"; nullptr for any other shell.
const char* completion_script(const std::string& shell);

}  // namespace mlt::cli
