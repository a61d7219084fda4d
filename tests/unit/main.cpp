// The unit tests' main: doctest's, run with no user settings file (a developer's
// ~/.config/mlt/config.yaml must not change what the tests see).
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdlib>

#include <doctest/doctest.h>

int main(int argc, char** argv) {
  ::setenv("XDG_CONFIG_HOME", "/nonexistent/mlt-unit-tests", 1);
  return doctest::Context(argc, argv).run();
}
