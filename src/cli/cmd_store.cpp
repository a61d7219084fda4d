// mlt fsck, mlt gc, mlt du
#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/maintenance.hpp"

namespace mlt::cli {
namespace {

struct StoreOptions {
  bool full = false, dry_run = false, force = false, purge_deleted = false;
  std::optional<std::string> grace;   // not given: the gc.grace setting
  std::optional<std::string> older_than;
};

int fsck(Context& ctx, const StoreOptions& o) {
  std::optional<core::FsckReport> report;
  {
    Progress progress(ctx, "fsck", 0);
    report = core::fsck(ctx.project(), o.full, progress.counter(), [&](std::uint64_t n) { progress.set_total(n); });
  }
  auto& r = *report;
  bool ok = r.damage.empty() && r.database == "ok";
  if (ctx.global.json) {
    Json j;
    j["ok"] = ok;
    j["full"] = o.full;
    j["database"] = r.database;
    j["objects_checked"] = r.objects_checked;
    j["bytes_checked"] = r.bytes_checked;
    if (o.full) j["unreferenced_checked"] = r.unreferenced_checked;
    j["temporary"] = {{"files", r.temporary_files}, {"bytes", r.temporary_bytes}};
    j["damage"] = Json::array();
    for (auto& d : r.damage) j["damage"].push_back({{"object", d.object}, {"problem", d.problem}, {"referenced_by", d.referenced_by}});
    print_json(j);
  } else {
    for (auto& d : r.damage)
      std::fprintf(stderr, "mlt: damaged: %s\n  problem: %s\n  referenced by: %s\n", d.object.c_str(),
                   d.problem.c_str(), d.referenced_by.c_str());
    if (r.database != "ok") std::fprintf(stderr, "mlt: database check: %s\n", r.database.c_str());
    ctx.note(fmt::format("checked {} object{} ({}){}: {}", r.objects_checked, r.objects_checked == 1 ? "" : "s",
                         human_bytes(r.bytes_checked), o.full ? ", re-hashed" : "",
                         ok ? "no damage" : fmt::format("{} problem{}", r.damage.size() + (r.database != "ok"),
                                                        r.damage.size() + (r.database != "ok") == 1 ? "" : "s")));
    if (o.full && r.unreferenced_checked > 0)
      ctx.note(fmt::format("also re-hashed {} unreferenced object{}", r.unreferenced_checked,
                           r.unreferenced_checked == 1 ? "" : "s"));
    if (r.temporary_files > 0)
      ctx.note(fmt::format("{} temporary file{} ({}) in .mlt/tmp, left by interrupted or running commands: not "
                           "damage; 'mlt gc' removes those older than the grace period",
                           r.temporary_files, r.temporary_files == 1 ? "" : "s", human_bytes(r.temporary_bytes)));
  }
  if (!ok)
    throw Error(ExitCode::integrity, "the store is damaged",
                "objects can be restored from another copy of the project; 'mlt fsck --full' re-hashes everything");
  return 0;
}

int gc(Context& ctx, const StoreOptions& o) {
  if (o.older_than && !o.purge_deleted)
    throw Error(ExitCode::usage, "--older-than needs --purge-deleted",
                "write e.g. 'mlt gc --purge-deleted --older-than 30d'");
  std::string grace = o.grace ? *o.grace : ctx.config().get_string("gc.grace");
  core::GcOptions go;
  go.grace = core::parse_duration(grace);
  go.dry_run = o.dry_run;
  go.force = o.force;
  go.purge_deleted = o.purge_deleted;
  if (o.older_than) go.older_than = core::parse_duration(*o.older_than);
  std::optional<core::GcReport> report;
  {
    Progress progress(ctx, "gc", 0, "objects");
    go.progress = progress.counter();
    go.set_total = [&](std::uint64_t n) { progress.set_total(n); };
    report = core::gc(ctx.project(), go);
  }
  auto& r = *report;
  if (ctx.global.json) {
    Json j;
    j["dry_run"] = o.dry_run;
    j["removed"] = r.removed;
    j["removed_bytes"] = r.removed_bytes;
    j["kept"] = r.kept;
    j["kept_bytes"] = r.kept_bytes;
    j["young"] = r.young;
    j["temp_removed"] = r.temp_removed;
    j["purged_runs"] = Json::array();
    for (auto& p : r.purged) {
      Json x;
      x["id"] = p.id;
      x["name"] = p.name;
      put_time(x, "deleted_time", p.deleted_ms);
      j["purged_runs"].push_back(std::move(x));
    }
    j["purged_metric_points"] = r.metric_points_purged;
    j["vacuumed"] = r.vacuumed;
    j["database_bytes_before"] = r.database_bytes_before;
    j["database_bytes_after"] = r.database_bytes_after;
    print_json(j);
  } else {
    if (o.purge_deleted) {
      for (auto& p : r.purged)
        std::printf("%s %s  %s%s\n", o.dry_run ? "would purge" : "purged", short_id(p.id).c_str(), p.name.c_str(),
                    p.deleted_ms ? fmt::format("  (deleted {})", core::local_time(*p.deleted_ms)).c_str() : "");
      ctx.note(fmt::format("{} {} deleted run{} ({} metric point{}){}", o.dry_run ? "would purge" : "purged",
                           r.purged.size(), r.purged.size() == 1 ? "" : "s", r.metric_points_purged,
                           r.metric_points_purged == 1 ? "" : "s",
                           r.vacuumed ? fmt::format("; database compacted from {} to {}",
                                                    human_bytes(r.database_bytes_before),
                                                    human_bytes(r.database_bytes_after))
                                      : ""));
    }
    ctx.note(fmt::format("{} {} unreferenced object{} ({}); kept {} ({}), {} of them unreferenced but younger than {}",
                         o.dry_run ? "would remove" : "removed", r.removed, r.removed == 1 ? "" : "s",
                         human_bytes(r.removed_bytes), r.kept, human_bytes(r.kept_bytes), r.young, grace));
  }
  return 0;
}

int du(Context& ctx) {
  auto r = core::du(ctx.project());
  double dedup = r.unique ? static_cast<double>(r.logical) / static_cast<double>(r.unique) : 1.0;
  double compression = r.stored ? static_cast<double>(r.unique) / static_cast<double>(r.stored) : 1.0;
  if (ctx.global.json) {
    Json j;
    j["logical_bytes"] = r.logical;
    j["unique_bytes"] = r.unique;
    j["stored_bytes"] = r.stored;
    j["unreferenced_bytes"] = r.unreferenced;
    j["objects"] = r.objects;
    j["dedup_ratio"] = dedup;
    j["compression_ratio"] = compression;
    print_json(j);
    return 0;
  }
  std::printf("logical       %s  (every referenced file, counted per reference)\n", human_bytes(r.logical).c_str());
  std::printf("unique        %s  (distinct contents; dedup ratio %.2f)\n", human_bytes(r.unique).c_str(), dedup);
  std::printf("stored        %s  in %llu objects (compression ratio %.2f)\n", human_bytes(r.stored).c_str(),
              static_cast<unsigned long long>(r.objects), compression);
  std::printf("unreferenced  %s  (removed by 'mlt gc' after the grace period)\n", human_bytes(r.unreferenced).c_str());
  return 0;
}

}  // namespace

void add_store_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<StoreOptions>();
  auto* f = root.add_subcommand("fsck", "Check that every object the database references is present and intact.");
  f->add_flag("--full", o->full, "Re-read and re-hash every object (slow), and run SQLite's integrity_check.");
  f->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return fsck(ctx, *o); }); });

  auto* g = root.add_subcommand("gc", "Remove objects that nothing references and that are older than the grace period.");
  g->add_flag("--dry-run", o->dry_run, "Report what would be removed; remove nothing.");
  ctx.deprecate(g->add_flag("-n", o->dry_run)->group(""), "--dry-run");
  auto* grace = g->add_option("--grace", "Keep unreferenced objects younger than this (default: the gc.grace setting, 14d; s, m, h, d, w).")
      ->type_name("DURATION");
  g->add_flag("--force", o->force,
              "Remove unreferenced objects even when the database references none at all (a wrong or emptied "
              "database is refused without it).");
  g->add_flag("--purge-deleted", o->purge_deleted,
              "First remove deleted runs for good, with their params, metrics, tags and inputs, then their objects.");
  auto* older = g->add_option("--older-than", "With --purge-deleted: only runs deleted longer ago than this (s, m, h, d, w).")
      ->type_name("DURATION");
  g->callback([&ctx, o, grace, older] {
    if (grace->count() > 0) o->grace = grace->as<std::string>();
    if (older->count() > 0) o->older_than = older->as<std::string>();
    ctx.select(Needs::project, [&ctx, o] { return gc(ctx, *o); });
  });

  auto* d = root.add_subcommand("du", "Show logical and stored bytes, and the dedup and compression ratios.");
  d->callback([&ctx] { ctx.select(Needs::project, [&ctx] { return du(ctx); }); });
}

}  // namespace mlt::cli
