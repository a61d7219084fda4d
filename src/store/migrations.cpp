#include "store/migrations.hpp"

#include <fmt/format.h>

namespace mlt::store {

int schema_version(Db& db) {
  Stmt q(db, "PRAGMA user_version");
  q.step();
  return static_cast<int>(q.int64(0));
}

static void refuse_newer(const Db& db, int found, int known) {
  throw Error(ExitCode::integrity,
              fmt::format("database '{}' has schema version {}, newer than this mlt knows ({})", db.path(), found,
                          known),
              "upgrade mlt to open this project");
}

int migrate(Db& db, std::span<const Migration> migrations) {
  const int latest = static_cast<int>(migrations.size());
  int found = schema_version(db);
  if (found == latest) return found;  // the common case: one cheap read, no lock
  if (found > latest) refuse_newer(db, found, latest);

  Transaction tx(db);
  int now = schema_version(db);  // another process may have migrated while we waited
  if (now > latest) refuse_newer(db, now, latest);
  for (int v = now; v < latest; ++v) db.exec(migrations[static_cast<size_t>(v)].sql);
  db.exec(fmt::format("PRAGMA user_version={}", latest).c_str());
  tx.commit();
  return found;
}

}  // namespace mlt::store
