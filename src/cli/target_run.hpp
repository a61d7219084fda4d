// The run that a stored model goes to (mlt model save|import, mlt registry register DIR).
#pragma once
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "base/child.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {

// Calls store(RUN) with --run (`run`), else $MLT_RUN_ID, else a new run made for it in
// `experiment` (tagged with `what`): ended FINISHED when store returns, and FAILED and deleted
// when it throws, so that a refused input leaves no empty run behind. A new run is announced
// before the work as "mlt: ANNOUNCE new run ..." when `announce` is given, else after it.
template <typename Fn>
auto with_target_run(Context& ctx, const std::string& run, const std::string& experiment, const std::string& what,
                     Fn store, const std::string& announce = {}) {
  const char* env = std::getenv("MLT_RUN_ID");
  if (!run.empty() || (env && *env)) return store(core::resolve_log_target(ctx.db(), run));
  core::NewRun spec;
  spec.experiment = experiment;
  spec.user = core::current_user();
  spec.tags.emplace_back("mlt.source.command", what);
  auto created = core::create_run(ctx.db(), spec);
  if (created.created_experiment) ctx.note(fmt::format("mlt: created experiment '{}'", created.experiment));
  if (!announce.empty())
    ctx.note(fmt::format("mlt: {} new run {} ({})", announce, short_id(created.ref.uuid), created.ref.name));
  try {
    auto result = store(created.ref);
    core::end_run(ctx.db(), created.ref, core::RunStatus::finished, std::nullopt);
    if (announce.empty())
      ctx.note(fmt::format("mlt: stored in new run {} ({}) of '{}'", short_id(created.ref.uuid), created.ref.name,
                           created.experiment));
    return result;
  } catch (...) {
    core::end_run(ctx.db(), created.ref, core::RunStatus::failed, std::nullopt);
    core::set_run_deleted(ctx.db(), created.ref, true);
    throw;
  }
}

}  // namespace mlt::cli
