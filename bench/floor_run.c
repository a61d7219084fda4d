/* The floor for `mlt run -- CMD`: a minimal C program that spawns CMD and waits for it, and with
 * a database, also records the run the least way possible: one BEGIN IMMEDIATE transaction that
 * inserts the run row before CMD starts, one that sets its end after CMD ended, with the same
 * connection settings as mlt (WAL, busy timeout, synchronous=NORMAL, no checkpoint on close).
 * Usage: floor_run DB|- CMD [ARG]...   ("-": spawn and wait only). Exits with CMD's status. */
#include <sqlite3.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec_sql(sqlite3* db, const char* sql, long long a, long long b) {
  sqlite3_stmt* st = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return 1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return 1;
  sqlite3_bind_int64(st, 1, a);
  sqlite3_bind_int64(st, 2, b);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : 1;
  sqlite3_finalize(st);
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return 1;
  return rc;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: floor_run DB|- CMD [ARG]...\n");
    return 2;
  }
  sqlite3* db = NULL;
  long long run = 0;
  if (strcmp(argv[1], "-") != 0) {
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) return 1;
    sqlite3_busy_timeout(db, 60000);
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    /* a 32-hex id from the clock and the pid is enough for a benchmark */
    char uuid[33];
    snprintf(uuid, sizeof uuid, "%016llx%016llx", now_ms(), (long long)getpid());
    sqlite3_stmt* st = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return 1;
    sqlite3_prepare_v2(db,
                       "INSERT INTO runs(uuid, experiment_id, name, status, start_ms) VALUES (?1, 1, 'floor', "
                       "'RUNNING', ?2)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) return 1;
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return 1;
    run = sqlite3_last_insert_rowid(db);
  }
  pid_t pid;
  if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) return 127;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (db) {
    if (exec_sql(db, "UPDATE runs SET status = 'FINISHED', end_ms = ?2, exit_code = 0 WHERE id = ?1", run, now_ms()))
      return 1;
    sqlite3_close(db);
  }
  return code;
}
