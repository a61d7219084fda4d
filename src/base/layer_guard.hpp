// The layering rule, enforced by the compiler: CMake includes this file first in every source of
// base/, store/ and core/ (MLT_LAYER_GUARD in CMakeLists.txt). Poisoned identifiers are a hard
// error wherever they appear afterwards, in the file or in any header it includes, so
//   - no layer below cli/ can include CLI11 (its namespace is CLI), and
//   - no layer but store/ can include sqlite3.h (its functions are declared there); store/ is
//     compiled with MLT_LAYER_SQLITE, the one layer that talks to SQLite.
// CTest layers.* proves that a core file including either does not build.
#pragma once
#pragma GCC poison CLI
#ifndef MLT_LAYER_SQLITE
#pragma GCC poison sqlite3_open_v2 sqlite3_prepare_v2 sqlite3_libversion
#endif
