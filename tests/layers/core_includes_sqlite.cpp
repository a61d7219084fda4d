// A core file that reaches past the store for SQLite: compiled as core/ is (with
// base/layer_guard.hpp first), it must not build. CTest layers.core_without_sqlite.
#include <sqlite3.h>

int mlt_layer_probe() { return sqlite3_libversion_number(); }
