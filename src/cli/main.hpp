#pragma once
#include <string>

namespace mlt::cli {

// Parses argv, runs the selected command, maps every error to its exit code (CLI.md).
int main(int argc, char** argv);

// A number too large for any value that takes one (1e999, 99999999999999999999): for messages
// that say "out of range" rather than "not a number".
bool out_of_range_number(const std::string& v);

}  // namespace mlt::cli
