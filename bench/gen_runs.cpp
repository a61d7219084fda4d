// Generates a project for the search benchmark: RUNS runs x 10 params x 10 metrics, each metric
// with POINTS points, in experiments of 1,000 runs, through mlt's own schema and metric writer.
// Usage: bench_gen_runs PROJECT_DIR RUNS POINTS
#include <cstdio>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "core/project.hpp"
#include "core/tracking/metrics.hpp"
#include "core/tracking/runs.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_gen_runs PROJECT_DIR RUNS POINTS\n");
    return 2;
  }
  using namespace mlt;
  int runs = std::atoi(argv[2]), points = std::atoi(argv[3]);
  core::Project::init(argv[1]);
  auto p = core::Project::open(argv[1]);
  auto& db = p.db();
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  const char* opts[] = {"adam", "sgd", "adamw", "rmsprop"};
  for (int base = 0; base < runs; base += 1000) {
    store::Transaction tx(db);
    store::Stmt exp(db, "INSERT OR IGNORE INTO experiments(name, created_ms, updated_ms) VALUES (?1, 0, 0)");
    exp.bind(1, fmt::format("exp-{}", base / 1000)).exec();
    store::Stmt eid(db, "SELECT id FROM experiments WHERE name = ?1");
    eid.bind(1, fmt::format("exp-{}", base / 1000));
    eid.step();
    auto exp_id = eid.int64(0);
    eid.reset();
    store::Stmt run(db, "INSERT INTO runs(uuid, experiment_id, name, status, user, start_ms, end_ms, exit_code) "
                        "VALUES (?1, ?2, ?3, ?4, 'bench', ?5, ?6, 0)");
    store::Stmt param(db, "INSERT INTO params(run_id, key, value) VALUES (?1, ?2, ?3)");
    for (int i = base; i < std::min(runs, base + 1000); ++i) {
      auto uuid = core::new_run_uuid();
      std::int64_t start = 1'700'000'000'000LL + i * 60'000LL;
      run.bind(1, uuid).bind(2, exp_id).bind(3, fmt::format("run-{}", i)).bind(4, i % 10 == 0 ? "FAILED" : "FINISHED");
      run.bind(5, start).bind(6, start + 30'000).exec();
      core::RunRef ref{db.last_insert_id(), uuid, fmt::format("run-{}", i), false, "FINISHED"};
      param.bind(1, ref.id).bind(2, "lr").bind(3, fmt::format("{}", 1e-4 * (1 + i % 100))).exec();
      param.bind(1, ref.id).bind(2, "batch").bind(3, std::to_string(16 << (i % 4))).exec();
      param.bind(1, ref.id).bind(2, "optimizer").bind(3, opts[i % 4]).exec();
      for (int k = 3; k < 10; ++k) param.bind(1, ref.id).bind(2, fmt::format("p{}", k)).bind(3, std::to_string(i % (k * 7))).exec();
      core::MetricWriter w(db, ref);
      for (int k = 0; k < 10; ++k) {
        std::string key = k == 0 ? "loss" : k == 1 ? "val_loss" : k == 2 ? "accuracy" : fmt::format("m{}", k);
        double scale = u(rng);
        for (int s = 0; s < points; ++s) w.add(key, s, start + s * 100, scale / (1 + s) + 0.01 * u(rng));
      }
      w.write_pending();
    }
    tx.commit();
    if ((base / 1000) % 10 == 9) std::fprintf(stderr, "  %d runs\n", base + 1000);
  }
  return 0;
}
