#include "cli/main.hpp"

int main(int argc, char** argv) { return mlt::cli::main(argc, argv); }
