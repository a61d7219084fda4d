// The database schema of .mlt/mlt.db as an append-only list of migrations (see store/migrations).
// Never edit a released migration: append a new one.
#pragma once
#include <span>

#include "store/migrations.hpp"

namespace mlt::core {

std::span<const store::Migration> schema_migrations();

}  // namespace mlt::core
