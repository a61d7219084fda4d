/* The floor for a one-shot `mlt log metric`: a minimal C program that opens the same database
 * with the same settings (WAL, busy timeout, synchronous=NORMAL, no checkpoint on close), inserts
 * one metric point in a BEGIN IMMEDIATE transaction, and exits. Usage: floor_insert DB RUN_ROWID */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int frames = 0;
static int wal_hook(void* arg, sqlite3* db, const char* name, int n) {
  *(int*)arg = n;
  if (n >= 1000) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: floor_insert DB RUN_ROWID\n");
    return 2;
  }
  sqlite3* db = NULL;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) return 1;
  sqlite3_busy_timeout(db, 60000);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_wal_hook(db, wal_hook, &frames);
  sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
  sqlite3_stmt* st = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return 1;
  sqlite3_prepare_v2(db, "INSERT INTO metric_points(run_id, key_id, step, time_ms, value) VALUES (?1, 1, 0, 0, 0.5)",
                     -1, &st, NULL);
  sqlite3_bind_int64(st, 1, atoll(argv[2]));
  if (sqlite3_step(st) != SQLITE_DONE) return 1;
  sqlite3_finalize(st);
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return 1;
  if (frames > 128) {  /* the same WAL upkeep as mlt (src/store/db.cpp) */
    sqlite3_busy_handler(db, NULL, NULL);
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  }
  sqlite3_close(db);
  return 0;
}
