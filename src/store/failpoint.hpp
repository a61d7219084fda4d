// Failpoints: named places where a test build of mlt can be made to die on purpose, so that the
// reliability suite (tests/cli/t_failpoints.sh) can crash every write path at every step and check
// that nothing stored is lost or left half-made. Built in only with the CMake option
// MLT_FAILPOINTS (the test builds of scripts/build.sh and scripts/test.sh), which compiles only
// failpoint.cpp differently; otherwise reached() is an empty call at a few I/O steps.
//
// At run time, with the option built in:
//   MLT_FAILPOINT=NAME        the process kills itself (SIGKILL: no destructors, no flushing,
//                             as in a crash) the first time it reaches NAME
//   MLT_FAILPOINT=NAME@N      ... the Nth time it reaches NAME in this process
//   MLT_FAILPOINT_TRACE=FILE  appends "NAME\n" to FILE each time a point is reached, so a test can
//                             list the points (and how often) an operation passes through
#pragma once

#include <span>
#include <string_view>

namespace mlt::store::failpoint {

// Every point, for `mlt version --json` and the tests. A name is LAYER.STEP.
std::span<const std::string_view> names();

bool built_in();

void reached(std::string_view name);
#define MLT_FAILPOINT(name) ::mlt::store::failpoint::reached(name)

}  // namespace mlt::store::failpoint
