// Schema migrations: an append-only list of SQL scripts. Migration N (1-based) brings a database
// from PRAGMA user_version N-1 to N. Applied on open under BEGIN IMMEDIATE; a database whose
// user_version is newer than the list is refused with exit 6.
#pragma once
#include <span>

#include "store/db.hpp"

namespace mlt::store {

struct Migration {
  const char* summary;
  const char* sql;
};

// Returns the user_version found before migrating. Never downgrades.
int migrate(Db& db, std::span<const Migration> migrations);
int schema_version(Db& db);

}  // namespace mlt::store
