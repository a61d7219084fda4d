#pragma once

namespace mlt::cli {

// Parses argv, runs the selected command, maps every error to its exit code (CLI.md).
int main(int argc, char** argv);

}  // namespace mlt::cli
