// The floor for `mlt log stream`: bulk-inserts N metric points (3 keys per step) into
// metric_points of an mlt database with one prepared statement, in transactions of 10,000 rows,
// with the same connection settings as mlt. Parsing, the summary table and everything else mlt
// does are left out: this is what SQLite alone costs. Usage: bench_floor_bulk DB POINTS
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_floor_bulk DB POINTS\n");
    return 2;
  }
  long long points = std::atoll(argv[2]);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return 1;
  sqlite3_busy_timeout(db, 60000);
  sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "INSERT OR IGNORE INTO metric_keys(id, key) VALUES (101, 'a'), (102, 'b'), (103, 'c')", nullptr,
               nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO metric_points(run_id, key_id, step, time_ms, value) VALUES (1, ?1, ?2, ?3, ?4)",
                     -1, &st, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  long long done = 0;
  while (done < points) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int i = 0; i < 10000 && done < points; ++i, ++done) {
      sqlite3_bind_int64(st, 1, 101 + done % 3);
      sqlite3_bind_int64(st, 2, done / 3);
      sqlite3_bind_int64(st, 3, 1700000000000LL + done / 3);
      sqlite3_bind_double(st, 4, 1.0 / (1 + done));
      if (sqlite3_step(st) != SQLITE_DONE) return 1;
      sqlite3_reset(st);
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld %.3f\n", points, secs);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return 0;
}
