// Fuzzes the filter language of `mlt runs -f` / `-s` / `--columns` (core/query): parse_filter,
// parse_key, parse_order, and search_runs, which compiles the AST to SQL with bound values and
// prepares and runs it against a scratch project's database (mlt's schema) holding a few runs.
//
// Input: the first line is the filter; up to three more lines are order keys (-s).
// Properties:
//  - rejections are Error(usage) only: any other Error out of search_runs means the SQL mlt
//    generated failed to prepare or run (invalid SQL, or a limit the parser does not foresee);
//  - a key's canonical text (QueryKey::text, shown in messages and column headers) reads back as
//    the same key.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "core/project.hpp"
#include "core/tracking/metrics.hpp"
#include "core/tracking/query.hpp"
#include "core/tracking/runs.hpp"
#include "fuzz_common.hpp"
#include "store/db.hpp"

using namespace mlt;

namespace {

store::Db& database() {
  static std::unique_ptr<core::Project> project = [] {
    fuzz::pin_environment();
    const char* step = "making a project";
    try {
      auto dir = fuzz::scratch_dir() / "project";
      std::filesystem::create_directories(dir);
      core::Project::init(dir);
      auto p = std::make_unique<core::Project>(core::Project::open(dir));
      store::Db* d = &p->db();
      step = "creating run alpha";
      core::NewRun a;
      a.name = "alpha";
      a.params = {{"lr", "0.1"}, {"opt", "adam_w"}, {"bs", "32"}};
      a.tags = {{"team", "nlp"}, {"source name", "notebook"}};
      auto ra = core::create_run(*d, a).ref;
      step = "logging metrics";
      core::log_metrics(*d, ra, {{"loss", 0.25}, {"acc", 0.9}, {"val loss", 0.5}}, 0, 1700000000000);
      core::log_metrics(*d, ra, {{"loss", 0.125}}, 1, 1700000001000);
      step = "creating run beta";
      core::NewRun b;
      b.name = "beta";
      b.params = {{"lr", "1e-3"}, {"opt", "sgd"}};
      auto rb = core::create_run(*d, b).ref;
      step = "logging a NaN";
      core::log_metrics(*d, rb, {{"loss", std::numeric_limits<double>::quiet_NaN()}}, 0, 1700000002000);
      step = "ending run beta";
      core::end_run(*d, rb, core::RunStatus::finished, 0);
      return p;
    } catch (const Error& e) {
      fuzz::finding(std::string("harness: cannot make the database (") + step + "): " + e.what());
    }
  }();
  return project->db();
}

void same_key(const core::QueryKey& k, const char* where) {
  core::QueryKey back;
  try {
    back = core::parse_key(k.text());
  } catch (const Error& e) {
    fuzz::finding(std::string(where) + ": canonical key text '" + k.text() + "' does not parse: " + e.what());
  }
  if (back.kind != k.kind || back.name != k.name || back.agg != k.agg)
    fuzz::finding(std::string(where) + ": canonical key text '" + k.text() + "' reads back as '" + back.text() + "'");
}

void search(const core::SearchSpec& spec) {
  try {
    core::search_runs(database(), spec);
  } catch (const Error& e) {
    if (e.code() != ExitCode::usage)
      fuzz::finding(std::string("search_runs failed with exit ") + std::to_string(static_cast<int>(e.code())) +
                    " (not a usage error): " + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text = fuzz::as_text(data, size);
  auto ls = fuzz::lines(text);
  std::string filter(ls[0]);

  // the whole input as one key and one order key
  try {
    same_key(core::parse_key(std::string(text), "key"), "parse_key");
  } catch (const Error&) {
  }
  try {
    same_key(core::parse_order(std::string(text)).key, "parse_order");
  } catch (const Error&) {
  }

  // the first line as a filter
  bool parsed = false;
  try {
    auto e = core::parse_filter(filter);
    parsed = true;
    for (auto& k : core::filter_keys(*e)) same_key(k, "filter key");
  } catch (const Error&) {
  }

  core::SearchSpec spec;
  spec.filter = filter;
  for (std::size_t i = 1; i < ls.size() && i <= 3; ++i) spec.order.emplace_back(ls[i]);
  if (!parsed && spec.order.empty()) return 0;   // nothing more to reach
  spec.lifecycle = core::Lifecycle::all;
  search(spec);
  if (!spec.order.empty()) {   // a limit splits a metric ordering into two queries
    spec.limit = 1;
    search(spec);
  }
  return 0;
}
