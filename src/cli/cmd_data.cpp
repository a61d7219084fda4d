// mlt data add|ls|show|diff|checkout|status: versioned datasets tied to git commits
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/data/data.hpp"
#include "core/git.hpp"

namespace mlt::cli {
namespace {

struct DataOptions {
  std::optional<std::string> add_name;   // data add -n: an empty one is an error, not the default
  std::string path, name, message, ref, ref_b, out, commit;
  bool no_git_tag = false, force = false;
};

Json version_json(const core::DataVersion& v) {
  Json j;
  j["ref"] = v.ref();
  j["name"] = v.dataset;
  j["version"] = v.version;
  j["digest"] = v.digest.str();
  j["kind"] = v.is_dir ? "dir" : "file";
  j["files"] = v.files;
  j["bytes"] = v.bytes;
  j["source"] = v.source;
  j["message"] = v.message;
  j["user"] = v.user;
  put_time(j, "created", v.created_ms);
  j["git_commit"] = v.git_commit ? Json(*v.git_commit) : Json(nullptr);
  j["git_dirty"] = v.git_dirty;
  j["git_tag"] = v.git_tag ? Json(*v.git_tag) : Json(nullptr);
  return j;
}

const char* kind_word(core::FileChange::Kind k) {
  switch (k) {
    case core::FileChange::Kind::added: return "added";
    case core::FileChange::Kind::removed: return "removed";
    case core::FileChange::Kind::modified: return "modified";
  }
  return "?";
}

Json changes_json(const std::vector<core::FileChange>& changes) {
  Json a = Json::array();
  for (auto& c : changes) {
    Json x;
    x["path"] = c.path;
    x["change"] = kind_word(c.kind);
    x["old_size"] = c.old_size;
    x["new_size"] = c.new_size;
    if (c.rows_added) x["rows_added"] = *c.rows_added;
    if (c.rows_removed) x["rows_removed"] = *c.rows_removed;
    a.push_back(std::move(x));
  }
  return a;
}

void print_changes(const std::vector<core::FileChange>& changes) {
  for (auto& c : changes) {
    std::string sizes = c.kind == core::FileChange::Kind::added     ? human_bytes(c.new_size)
                        : c.kind == core::FileChange::Kind::removed ? human_bytes(c.old_size)
                                                                    : human_bytes(c.old_size) + " -> " + human_bytes(c.new_size);
    std::string rows;
    if (c.rows_added) rows = fmt::format(", rows +{} -{}", *c.rows_added, *c.rows_removed);
    std::printf("%-9s %s (%s%s)\n", kind_word(c.kind), c.path.c_str(), sizes.c_str(), rows.c_str());
  }
}

int data_add(Context& ctx, const DataOptions& o) {
  core::DataAddSpec spec;
  spec.path = o.path;
  if (o.add_name) {
    core::check_dataset_name(*o.add_name);
    spec.name = *o.add_name;
  }
  spec.message = o.message;
  spec.git_tag = !o.no_git_tag;
  Progress progress(ctx, "add", 0);
  core::AddStats st;
  core::AddOptions ao;
  ao.progress = progress.counter();
  ao.warn = [&ctx](const std::string& m) { ctx.warn(m); };
  auto r = core::add_data(ctx.project(), spec, st, ao);
  for (auto& w : r.warnings) ctx.warn(w);
  for (auto& n : r.notes) ctx.note("mlt: " + n);
  if (!r.created) ctx.note(fmt::format("mlt: unchanged since {}: no new version", r.version.ref()));
  if (ctx.global.json) {
    auto j = version_json(r.version);
    j["created_version"] = r.created;
    j["read_bytes"] = st.hashed;
    j["new_bytes"] = st.new_bytes;
    print_json(j);
  } else {
    if (r.created)
      ctx.note(fmt::format("mlt: {} file{} ({}), {} new in the store", r.version.files, r.version.files == 1 ? "" : "s",
                           human_bytes(static_cast<std::uint64_t>(r.version.bytes)), human_bytes(st.new_bytes)));
    std::printf("%s\n", r.version.ref().c_str());
  }
  return 0;
}

int data_ls(Context& ctx, const DataOptions& o) {
  std::optional<std::string> commit;
  if (!o.commit.empty()) {
    std::string why;
    commit = core::git_resolve_commit(ctx.project().root(), o.commit, why);
    if (!commit) throw Error(ExitCode::not_found, fmt::format("cannot resolve '{}': {}", o.commit, why), "give a commit, tag or branch");
  }
  if (o.name.empty() && !commit) {
    auto sets = core::list_datasets(ctx.db());
    if (ctx.global.json) {
      Json j;
      j["datasets"] = Json::array();
      for (auto& d : sets) {
        Json x;
        x["name"] = d.name;
        x["versions"] = d.versions;
        x["latest"] = version_json(d.latest);
        j["datasets"].push_back(std::move(x));
      }
      print_json(j);
      return 0;
    }
    if (sets.empty()) {
      ctx.note("no data versions yet (add one with 'mlt data add PATH')");
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto& d : sets)
      rows.push_back({d.name, "v" + std::to_string(d.latest.version), std::to_string(d.versions),
                      std::to_string(d.latest.files), human_bytes(static_cast<std::uint64_t>(d.latest.bytes)),
                      d.latest.source.empty() ? "." : d.latest.source, core::local_time(d.latest.created_ms)});
    print_table({"NAME", "LATEST", "VERSIONS", "FILES", "SIZE", "PATH", "UPDATED"}, rows);
    return 0;
  }
  auto versions = core::list_data_versions(ctx.db(), o.name, commit);
  if (ctx.global.json) {
    Json j;
    j["versions"] = Json::array();
    for (auto& v : versions) j["versions"].push_back(version_json(v));
    print_json(j);
    return 0;
  }
  if (versions.empty()) {
    ctx.note(commit ? fmt::format("no data versions were made at {}", commit->substr(0, 12)) : "no versions");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& v : versions)
    rows.push_back({v.ref(), v.digest.hex().substr(0, 12), std::to_string(v.files),
                    human_bytes(static_cast<std::uint64_t>(v.bytes)),
                    v.git_commit ? v.git_commit->substr(0, 12) + (v.git_dirty ? "+" : "") : "-",
                    v.git_tag.value_or("-"), core::local_time(v.created_ms), v.message});
  print_table({"REF", "DIGEST", "FILES", "SIZE", "COMMIT", "TAG", "CREATED", "MESSAGE"}, rows);
  return 0;
}

int data_show(Context& ctx, const DataOptions& o) {
  auto v = core::resolve_data_ref(ctx.db(), o.ref);
  if (ctx.global.json) {
    print_json(version_json(v));
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> rows{
      {"ref", v.ref()},
      {"digest", v.digest.str()},
      {"kind", v.is_dir ? "directory" : "file"},
      {"size", fmt::format("{} in {} file{}", human_bytes(static_cast<std::uint64_t>(v.bytes)), v.files, v.files == 1 ? "" : "s")},
      {"path", v.source.empty() ? "." : v.source},
      {"created", fmt::format("{} by {}", core::local_time(v.created_ms), v.user)},
      {"commit", v.git_commit ? *v.git_commit + (v.git_dirty ? " (with uncommitted changes)" : "") : "-"},
      {"tag", v.git_tag.value_or("-")},
  };
  if (!v.message.empty()) rows.emplace_back("message", v.message);
  for (auto& [k, val] : rows) std::printf("%-8s %s\n", (k + ":").c_str(), val.c_str());
  return 0;
}

int data_diff(Context& ctx, const DataOptions& o) {
  auto a = core::resolve_data_ref(ctx.db(), o.ref);
  auto b = core::resolve_data_ref(ctx.db(), o.ref_b);
  auto changes = core::diff_entries(ctx.project(), a.entry(), b.entry(), true);
  ctx.page();
  if (ctx.global.json) {
    Json j;
    j["from"] = version_json(a);
    j["to"] = version_json(b);
    j["changes"] = changes_json(changes);
    print_json(j);
    return changes.empty() ? 0 : 1;   // like diff(1): 1 when they differ
  }
  if (changes.empty()) ctx.note(fmt::format("{} and {} hold the same content", a.ref(), b.ref()));
  print_changes(changes);
  return changes.empty() ? 0 : 1;
}

int data_checkout(Context& ctx, const DataOptions& o) {
  auto v = core::resolve_data_ref(ctx.db(), o.ref);
  if (o.out == "-") {   // a version that is one file, on standard output
    if (v.is_dir)
      throw Error(ExitCode::usage, fmt::format("{} is a directory; '-o -' writes a single file", v.ref()),
                  "check it out into a directory with -o DIR");
    if (ctx.global.json)
      throw Error(ExitCode::usage, "'-o -' writes the file on standard output, where --json would go", "use one of them");
    ctx.project().objects().read_file(v.digest, [](const std::uint8_t* p, std::size_t n) {
      if (std::fwrite(p, 1, n, stdout) != n) throw Error(ExitCode::failure, "cannot write to stdout");
    });
    return 0;
  }
  Progress progress(ctx, "checkout", static_cast<std::uint64_t>(v.bytes));
  auto r = core::checkout_data(ctx.project(), v, o.out, o.force, progress.counter(),
                               [&ctx](const std::string& m) { ctx.warn(m); });
  std::string dest = o.out.empty() ? (v.source.empty() ? "." : v.source) : o.out;
  if (ctx.global.json) {
    Json j;
    j["ref"] = v.ref();
    j["destination"] = dest;
    j["written"] = r.written;
    j["unchanged"] = r.unchanged;
    j["bytes"] = r.bytes;
    j["extra"] = r.extra;
    j["skipped"] = r.skipped;
    print_json(j);
  } else {
    ctx.note(fmt::format("{} at '{}': {} file{} written ({}), {} unchanged", v.ref(), dest, r.written,
                         r.written == 1 ? "" : "s", human_bytes(r.bytes), r.unchanged));
    if (!r.extra.empty())
      ctx.note(fmt::format("{} file{} not in {} left in place (e.g. '{}')", r.extra.size(),
                           r.extra.size() == 1 ? "" : "s", v.ref(), r.extra.front()));
  }
  if (r.skipped > 0)
    throw Error(ExitCode::failure,
                fmt::format("{} symlink{} of {} {} not restored", r.skipped, r.skipped == 1 ? "" : "s", v.ref(),
                            r.skipped == 1 ? "was" : "were"),
                "see the warnings above: only links leading to an entry of the version are created");
  return 0;
}

int data_status(Context& ctx, const DataOptions& o) {
  auto all = core::data_status(ctx.project(), o.name);
  // like diff(1): 1 when a working copy is missing or differs from its latest version
  int rc = std::any_of(all.begin(), all.end(), [](auto& s) { return s.missing || !s.changes.empty(); }) ? 1 : 0;
  if (ctx.global.json) {
    Json j;
    j["datasets"] = Json::array();
    for (auto& s : all) {
      Json x;
      x["name"] = s.latest.dataset;
      x["latest"] = s.latest.ref();
      x["path"] = s.latest.source;
      x["missing"] = s.missing;
      x["clean"] = s.changes.empty();
      x["changes"] = changes_json(s.changes);
      j["datasets"].push_back(std::move(x));
    }
    print_json(j);
    return rc;
  }
  if (all.empty()) ctx.note("no data versions yet (add one with 'mlt data add PATH')");
  for (auto& s : all) {
    std::string path = s.latest.source.empty() ? "." : s.latest.source;
    if (s.missing) std::printf("%s: '%s' is missing (latest %s)\n", s.latest.dataset.c_str(), path.c_str(), s.latest.ref().c_str());
    else if (s.changes.empty()) std::printf("%s: '%s' matches %s\n", s.latest.dataset.c_str(), path.c_str(), s.latest.ref().c_str());
    else {
      std::printf("%s: '%s' differs from %s\n", s.latest.dataset.c_str(), path.c_str(), s.latest.ref().c_str());
      print_changes(s.changes);
    }
  }
  return rc;
}

}  // namespace

void add_data_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("data", "Version datasets in the store, tied to git commits by tags.");
  grp->require_subcommand(1);
  auto o = std::make_shared<DataOptions>();
  auto act = [&ctx, o](CLI::App* s, int (*fn)(Context&, const DataOptions&)) {
    s->callback([&ctx, o, fn] { ctx.select(Needs::project, [&ctx, o, fn] { return fn(ctx, *o); }); });
  };
  const char* ref_help = "NAME@vN, NAME@latest or NAME@sha256:PREFIX.";

  auto* a = grp->add_subcommand("add", "Snapshot a file or directory of the project as the next version of a dataset; prints NAME@vN.");
  a->add_option("path", o->path, "The file or directory (inside the project).")->required()->type_name("PATH");
  a->add_option("-n,--name", o->add_name, "The dataset (default: the path's base name).")->type_name("NAME");
  a->add_option("-m,--message", o->message, "What changed in this version.")->type_name("MESSAGE");
  a->add_flag("--no-git-tag", o->no_git_tag, "Do not create the data/NAME/vN git tag.");
  act(a, data_add);

  auto* l = grp->add_subcommand("ls", "List datasets, or the versions of NAME (or of every dataset made at a commit).");
  l->add_option("name", o->name, "A dataset.")->type_name("NAME");
  l->add_option("--commit", o->commit, "Only versions made at this commit (any revision git understands).")
      ->type_name("REV");
  act(l, data_ls);

  auto* s = grp->add_subcommand("show", "Show a data version: digest, size, path, git commit and tag.");
  s->add_option("ref", o->ref, ref_help)->required()->type_name("REF");
  act(s, data_show);

  auto* d = grp->add_subcommand("diff", "List files added, removed and modified between two versions (rows for CSV/TSV).");
  d->add_option("ref_a", o->ref, ref_help)->required()->type_name("REF_A");
  d->add_option("ref_b", o->ref_b, ref_help)->required()->type_name("REF_B");
  act(d, data_diff);

  auto* c = grp->add_subcommand("checkout", "Restore a data version at its path (or DIR), every byte verified.");
  c->add_option("ref", o->ref, ref_help)->required()->type_name("REF");
  c->add_option("-o,--output", o->out, "Where to write it (default: the path it was added from; '-' for standard output, a file only).")->type_name("DIR");
  c->add_flag("--force", o->force, "Replace files that differ from the version.");
  ctx.deprecate(c->add_flag("-f", o->force)->group(""), "--force");
  act(c, data_checkout);

  auto* st = grp->add_subcommand("status", "Compare the working copy of each dataset (or NAME) with its latest version.");
  st->add_option("name", o->name, "A dataset.")->type_name("NAME");
  act(st, data_status);
}

}  // namespace mlt::cli
