// mlt artifact ls|get|cat (and runs:/RUN/PATH URIs)
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/artifacts/artifacts.hpp"

namespace mlt::cli {
namespace {

struct ArtifactOptions {
  std::string run, path, out;
  bool force = false, recursive = false;
};

// RUN PATH, or runs:/RUN/PATH in the RUN position (then PATH must be absent).
std::pair<core::RunRef, std::string> target(Context& ctx, const ArtifactOptions& o) {
  std::string run = o.run, path = o.path;
  if (auto uri = core::parse_runs_uri(o.run)) {
    if (!o.path.empty())
      throw Error(ExitCode::usage, fmt::format("give either runs:/RUN/PATH or RUN PATH, not both"));
    run = uri->first;
    path = uri->second;
  }
  return {core::resolve_run(ctx.db(), run), path};
}

const char* kind_name(core::EntryKind k) {
  return k == core::EntryKind::dir ? "dir" : k == core::EntryKind::link ? "link" : "file";
}

int artifact_ls(Context& ctx, const ArtifactOptions& o) {
  auto [run, path] = target(ctx, o);
  bool whole = path.empty() || path == "." || path == "/";
  // a run without artifacts has an empty listing; only a named path that is missing is exit 4
  auto top = whole && !core::artifact_root(ctx.db(), run)
                 ? core::TreeEntry{core::EntryKind::dir, 0755, 0, {}, ""}
                 : core::artifact_entry(ctx.project(), run, path);
  ctx.page();
  std::vector<std::pair<std::string, core::TreeEntry>> rows;
  std::string base = path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base == ".") base.clear();
  if (top.kind != core::EntryKind::dir) {
    rows.emplace_back(base, top);
  } else if (core::artifact_root(ctx.db(), run)) {
    if (o.recursive) {
      core::walk_tree(ctx.project().objects(), top.digest,
                      [&](const std::string& p, const core::TreeEntry& e) { rows.emplace_back(p, e); }, base);
    } else {
      for (auto& e : core::read_tree(ctx.project().objects(), top.digest))
        rows.emplace_back(base.empty() ? e.name : base + "/" + e.name, e);
    }
  }
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["path"] = base;
    j["entries"] = Json::array();
    for (auto& [p, e] : rows) {
      Json x;
      x["path"] = p;
      x["kind"] = kind_name(e.kind);
      x["mode"] = fmt::format("{:o}", e.mode);
      x["size"] = e.size;
      x["digest"] = e.digest.str();
      j["entries"].push_back(std::move(x));
    }
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (auto& [p, e] : rows)
    table.push_back({fmt::format("{:o}", e.mode), std::to_string(e.size), e.digest.hex().substr(0, 12),
                     p + (e.kind == core::EntryKind::dir ? "/" : "")});
  if (table.empty()) {
    ctx.note(fmt::format("run '{}' has no artifacts{}", run.name, base.empty() ? "" : " under '" + base + "'"));
    return 0;
  }
  print_table({"MODE", "SIZE", "DIGEST", "PATH"}, table);
  return 0;
}

// A file (or a link's target path) on stdout, verified as it streams.
void write_entry_to_stdout(Context& ctx, const core::TreeEntry& e) {
  if (e.kind == core::EntryKind::link) {
    std::string t = ctx.project().objects().read(e.digest);
    std::fwrite(t.data(), 1, t.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  ctx.project().objects().read_file(e.digest, [](const std::uint8_t* p, std::size_t n) {
    if (std::fwrite(p, 1, n, stdout) != n) throw Error(ExitCode::failure, "cannot write to stdout");
  });
}

int artifact_get(Context& ctx, const ArtifactOptions& o) {
  auto [run, path] = target(ctx, o);
  auto e = core::artifact_entry(ctx.project(), run, path);
  if (o.out == "-") {   // a single file on standard output, as 'mlt artifact cat' prints it
    if (e.kind == core::EntryKind::dir)
      throw Error(ExitCode::usage, fmt::format("'{}' is a directory; '-o -' writes a single file", path),
                  "give a directory with -o DIR, or name one file of it");
    if (ctx.global.json)
      throw Error(ExitCode::usage, "'-o -' writes the file on standard output, where --json would go",
                  "use one of them");
    write_entry_to_stdout(ctx, e);
    return 0;
  }
  std::filesystem::path dest = o.out.empty() ? std::filesystem::path(e.name) : std::filesystem::path(o.out);
  // `-o DIR/` or an existing directory for a file: put the file inside it, like cp
  std::error_code ec;
  if (e.kind != core::EntryKind::dir && !o.out.empty() &&
      (o.out.back() == '/' || (std::filesystem::is_directory(dest, ec) && !std::filesystem::is_symlink(dest, ec))))
    dest /= e.name;
  Progress progress(ctx, "get", e.size);
  core::RestoreOptions ro;
  ro.force = o.force;
  ro.progress = progress.counter();
  ro.warn = [&ctx](const std::string& m) { ctx.warn(m); };
  auto rs = core::restore(ctx.project(), e, dest, ro);
  if (ctx.global.json) {
    Json j;
    j["run"] = run.uuid;
    j["path"] = path;
    j["destination"] = dest.string();
    j["digest"] = e.digest.str();
    j["size"] = e.size;
    j["skipped"] = rs.skipped;
    print_json(j);
  } else {
    ctx.note(fmt::format("wrote '{}' ({})", dest.string(), human_bytes(e.size)));
  }
  if (rs.skipped > 0)
    throw Error(ExitCode::failure,
                fmt::format("{} symlink{} of '{}' {} not restored", rs.skipped, rs.skipped == 1 ? "" : "s",
                            path.empty() ? e.name : path, rs.skipped == 1 ? "was" : "were"),
                "see the warnings above: only links leading to a restored entry are created");
  return 0;
}

int artifact_cat(Context& ctx, const ArtifactOptions& o) {
  auto [run, path] = target(ctx, o);
  auto e = core::artifact_entry(ctx.project(), run, path);
  if (e.kind == core::EntryKind::dir)
    throw Error(ExitCode::usage, fmt::format("'{}' is a directory", path), "use 'mlt artifact ls' or 'get'");
  write_entry_to_stdout(ctx, e);
  return 0;
}

}  // namespace

void add_artifact_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("artifact", "List, fetch and print the artifacts of a run.");
  grp->require_subcommand(1);
  auto o = std::make_shared<ArtifactOptions>();
  const char* run_help = "The run (id, id prefix or name), or a runs:/RUN/PATH URI.";

  auto* l = grp->add_subcommand("ls", "List the artifacts of RUN under PATH with modes, sizes and digests.");
  l->add_option("run", o->run, run_help)->required()->type_name("RUN");
  l->add_option("path", o->path, "A directory or file in the run's artifacts (default: all).")->type_name("PATH");
  l->add_flag("-r,--recursive", o->recursive, "List everything below PATH, not only its entries.");
  l->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return artifact_ls(ctx, *o); }); });

  auto* g = grp->add_subcommand("get", "Write artifact PATH of RUN (file or directory) to DEST, verified.");
  g->add_option("run", o->run, run_help)->required()->type_name("RUN");
  g->add_option("path", o->path, "The artifact to fetch.")->type_name("PATH");
  g->add_option("-o,--output", o->out, "Where to write it (default: its name, here; '-' for standard output, a file only).")->type_name("DEST");
  g->add_flag("--force", o->force, "Replace existing files at the destination.");
  ctx.deprecate(g->add_flag("-f", o->force)->group(""), "--force");
  g->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return artifact_get(ctx, *o); }); });

  auto* c = grp->add_subcommand("cat", "Print artifact file PATH of RUN on stdout, verified as it streams.");
  c->add_option("run", o->run, run_help)->required()->type_name("RUN");
  c->add_option("path", o->path, "The file to print.")->type_name("PATH");
  c->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return artifact_cat(ctx, *o); }); });
}

}  // namespace mlt::cli
