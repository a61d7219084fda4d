// A core file that uses CLI11, which only cli/ may: compiled as core/ is (with
// base/layer_guard.hpp first), it must not build. CTest layers.core_without_cli11.
#include <CLI/CLI.hpp>

int mlt_layer_probe() {
  CLI::App app{"probe"};
  return static_cast<int>(app.get_subcommands().size());
}
