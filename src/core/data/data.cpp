#include "core/data/data.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/values.hpp"
#include "core/config.hpp"
#include "core/git.hpp"

namespace mlt::core {
namespace {

namespace fs = std::filesystem;

constexpr const char* select_version =
    "SELECT v.id, ds.name, v.version, v.kind, v.digest, v.mode, v.files, v.bytes, v.source, v.message, v.user, "
    "v.created_ms, v.git_commit, v.git_dirty, v.git_tag FROM data_versions v JOIN datasets ds ON ds.id = v.dataset_id ";

DataVersion row_version(const store::Stmt& q) {
  DataVersion v;
  v.id = q.int64(0);
  v.dataset = q.text(1);
  v.version = q.int64(2);
  v.is_dir = q.text(3) == "dir";
  v.digest = store::Digest::parse(q.text(4)).value_or(store::Digest{});
  v.mode = static_cast<std::uint32_t>(q.int64(5));
  v.files = q.int64(6);
  v.bytes = q.int64(7);
  v.source = q.text(8);
  v.message = q.text(9);
  v.user = q.text(10);
  v.created_ms = q.int64(11);
  v.git_commit = q.opt_text(12);
  v.git_dirty = q.opt_int64(13).value_or(0) != 0;
  v.git_tag = q.opt_text(14);
  return v;
}

std::vector<DataVersion> query_versions(store::Db& db, const std::string& where,
                                        const std::vector<std::string>& binds) {
  store::Stmt q(db, std::string(select_version) + where);
  for (std::size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<DataVersion> out;
  while (q.step()) out.push_back(row_version(q));
  return out;
}

std::string base_name(const std::string& source, const Project& p) {
  if (source.empty() || source == ".") return p.root().filename().string();
  return fs::path(source).filename().string();
}

// Every file and link below an entry, by path; a single file is keyed by `single_name`.
std::map<std::string, TreeEntry> listing(Project& p, const TreeEntry& e, const std::string& single_name) {
  std::map<std::string, TreeEntry> out;
  if (e.kind != EntryKind::dir) {
    out[single_name] = e;
    return out;
  }
  walk_tree(p.objects(), e.digest, [&](const std::string& path, const TreeEntry& t) {
    if (t.kind != EntryKind::dir) out[path] = t;
  });
  return out;
}

// A working copy as the store would see it, hashed through the stat cache (nothing stored).
struct WorkingCopy {
  TreeEntry root;
  std::map<std::string, TreeEntry> files;
};
WorkingCopy scan(Project& p, const fs::path& path, std::atomic<std::uint64_t>* progress = nullptr) {
  WorkingCopy w;
  std::vector<std::pair<std::string, TreeEntry>> list;
  AddStats stats;
  AddOptions opt;
  opt.dry_run = true;
  opt.listing = &list;
  opt.progress = progress;
  w.root = snapshot(p, path, stats, opt);
  for (auto& [k, e] : list) w.files[k] = e;
  return w;
}

std::vector<FileChange> compare(const std::map<std::string, TreeEntry>& a, const std::map<std::string, TreeEntry>& b) {
  std::vector<FileChange> out;
  for (auto& [path, e] : a) {
    auto it = b.find(path);
    if (it == b.end()) out.push_back({FileChange::Kind::removed, path, e.size, 0, {}, {}});
    else if (it->second.digest != e.digest || it->second.kind != e.kind)
      out.push_back({FileChange::Kind::modified, path, e.size, it->second.size, {}, {}});
  }
  for (auto& [path, e] : b)
    if (!a.count(path)) out.push_back({FileChange::Kind::added, path, 0, e.size, {}, {}});
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.path < y.path; });
  return out;
}

// Hashes of a text file's lines, the first (header) left out, sorted.
std::vector<std::uint64_t> line_hashes(Project& p, const store::Digest& d) {
  std::vector<std::uint64_t> out;
  std::string carry;
  bool header = true;
  auto line = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (header) {
      header = false;
      return;
    }
    if (!l.empty()) out.push_back(std::hash<std::string_view>{}(l));
  };
  p.objects().read_file(d, [&](const std::uint8_t* data, std::size_t n) {
    std::string_view chunk(reinterpret_cast<const char*>(data), n);
    std::size_t start = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] != '\n') continue;
      if (!carry.empty()) {
        carry.append(chunk.substr(start, i - start));
        line(carry);
        carry.clear();
      } else {
        line(chunk.substr(start, i - start));
      }
      start = i + 1;
    }
    carry.append(chunk.substr(start));
  });
  if (!carry.empty()) line(carry);
  std::sort(out.begin(), out.end());
  return out;
}

std::pair<std::int64_t, std::int64_t> row_changes(Project& p, const store::Digest& a, const store::Digest& b) {
  auto x = line_hashes(p, a), y = line_hashes(p, b);
  std::size_t i = 0, j = 0;
  std::int64_t added = 0, removed = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i] < y[j])) { ++removed; ++i; }
    else if (i == x.size() || y[j] < x[i]) { ++added; ++j; }
    else { ++i; ++j; }
  }
  return {added, removed};
}

void note_no_git_once(Project& p, DataAddResult& r, const std::string& why) {
  fs::path marker = p.dir() / "no-git-noted";
  std::error_code ec;
  if (fs::exists(marker, ec)) return;
  std::ofstream(marker) << "mlt said once that this project is not in a git repository\n";
  r.notes.push_back(fmt::format("{}: data versions are recorded without git tags (said once)", why));
}

}  // namespace

TreeEntry DataVersion::entry() const {
  std::string name = fs::path(source).filename().string();
  if (name.empty()) name = dataset;
  return TreeEntry{is_dir ? EntryKind::dir : EntryKind::file, mode, static_cast<std::uint64_t>(bytes), digest, name};
}

void check_dataset_name(const std::string& name) { check_tag_name(name, "dataset", "; pass one with -n NAME"); }

DataAddResult add_data(Project& p, const DataAddSpec& spec, AddStats& stats, const AddOptions& opt) {
  DataAddResult r;
  std::error_code ec;
  fs::path abs = fs::absolute(spec.path, ec).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();
  struct stat st {};
  if (::lstat(abs.c_str(), &st) != 0)
    throw Error(ExitCode::usage, fmt::format("no such file or directory '{}'", spec.path.string()), "check the path");
  // a symlink named on the command line is followed: the version is of what it points to
  if (S_ISLNK(st.st_mode) && ::stat(abs.c_str(), &st) != 0)
    throw Error(ExitCode::usage,
                fmt::format("'{}' is a symbolic link to something that does not exist", spec.path.string()),
                "fix the link or add the file or directory itself");
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    throw Error(ExitCode::usage, fmt::format("'{}' is not a file or directory", spec.path.string()));
  fs::path root = fs::weakly_canonical(p.root(), ec);
  fs::path real = fs::weakly_canonical(abs, ec);
  auto rel = real.lexically_relative(root);
  if (rel.empty() || rel.native().starts_with(".."))
    throw Error(ExitCode::usage, fmt::format("'{}' is outside the project '{}'", spec.path.string(), root.string()),
                "data versions hold files of the project; move or copy the data into it");
  std::string source = rel == "." ? "" : rel.generic_string();
  if (source == ".mlt" || source.starts_with(".mlt/"))
    throw Error(ExitCode::usage, fmt::format("'{}' is inside the store itself", spec.path.string()));
  std::string name = spec.name.empty() ? base_name(source, p) : spec.name;
  check_dataset_name(name);
  check_value("message", spec.message, "message");

  // git first: a repository without a commit refuses before anything is stored
  auto git = git_state(p.root(), false);
  if (git.state) {
    if (git.state->commit.empty() && spec.git_tag)
      throw Error(ExitCode::usage, "the git repository has no commit yet (HEAD does not exist), so there is nothing to tag",
                  "commit first, or pass --no-git-tag");
    if (git.state->dirty)
      r.warnings.push_back(fmt::format("the working tree has uncommitted changes; the version is tied to commit {}",
                                       git.state->commit.substr(0, 12)));
  }

  auto entry = snapshot(p, real, stats, opt);
  std::int64_t files = S_ISDIR(st.st_mode) ? static_cast<std::int64_t>(stats.files + stats.links) : 1;
  if (files == 0)
    throw Error(ExitCode::failure, fmt::format("nothing added: '{}' holds no file", spec.path.string()),
                "a data version records files; an empty folder is not recorded");
  {
    store::Transaction tx(p.db());
    std::int64_t ds_id;
    store::Stmt f(p.db(), "SELECT id FROM datasets WHERE name = ?1");
    f.bind(1, name);
    if (f.step()) {
      ds_id = f.int64(0);
      f.exec();
    } else {
      f.exec();
      store::Stmt ins(p.db(), "INSERT INTO datasets(name, created_ms) VALUES (?1, ?2)");
      ins.bind(1, name).bind(2, now_ms()).exec();
      ds_id = p.db().last_insert_id();
    }
    auto latest = query_versions(p.db(), "WHERE v.dataset_id = ?1 ORDER BY v.version DESC LIMIT 1",
                                 {std::to_string(ds_id)});
    if (!latest.empty() && latest[0].digest == entry.digest && latest[0].is_dir == (entry.kind == EntryKind::dir)) {
      r.version = latest[0];
      tx.commit();
      return r;
    }
    store::Stmt next(p.db(), "SELECT COALESCE(MAX(version), 0) + 1 FROM data_versions WHERE dataset_id = ?1");
    next.bind(1, ds_id);
    next.step();
    std::int64_t version = next.int64(0);
    next.exec();
    store::Stmt ins(p.db(),
                    "INSERT INTO data_versions(dataset_id, version, kind, digest, mode, files, bytes, source, message, "
                    "user, created_ms, git_commit, git_dirty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    ins.bind(1, ds_id).bind(2, version).bind(3, entry.kind == EntryKind::dir ? "dir" : "file").bind(4, entry.digest.hex());
    ins.bind(5, static_cast<std::int64_t>(entry.mode)).bind(6, files).bind(7, static_cast<std::int64_t>(entry.size));
    ins.bind(8, source).bind(9, spec.message).bind(10, current_user()).bind(11, now_ms());
    if (git.state && !git.state->commit.empty()) ins.bind(12, git.state->commit).bind(13, git.state->dirty ? 1 : 0);
    else ins.bind_null(12).bind_null(13);
    ins.exec();
    std::int64_t id = p.db().last_insert_id();
    tx.commit();
    r.version = query_versions(p.db(), "WHERE v.id = ?1", {std::to_string(id)}).at(0);
    r.created = true;
  }
  if (!git.state) {
    note_no_git_once(p, r, git.why_not);
  } else if (spec.git_tag) {
    auto prefix = p.config().get_string("data.tag_prefix");
    GitTag tag;
    tag.name = fmt::format("{}{}/v{}", prefix, name, r.version.version);
    tag.target = git.state->commit;
    tag.tagger_name = current_user();
    tag.tagger_email = current_user() + "@" + host_name();
    tag.message = fmt::format("mlt data: {}\n\ndigest: {}\nfiles: {}\nbytes: {}\nsource: {}\n{}", r.version.ref(),
                              r.version.digest.str(), r.version.files, r.version.bytes,
                              source.empty() ? "." : source, spec.message.empty() ? "" : "\n" + spec.message + "\n");
    auto t = git_create_tag(p.root(), tag);
    if (t.created) {
      store::Stmt u(p.db(), "UPDATE data_versions SET git_tag = ?2 WHERE id = ?1");
      u.bind(1, r.version.id).bind(2, tag.name).exec();
      r.version.git_tag = tag.name;
      r.notes.push_back(fmt::format("tagged {} as '{}'", t.commit.substr(0, 12), tag.name));
    } else {
      r.warnings.push_back(fmt::format("no git tag for {}: {}", r.version.ref(), t.why_not));
    }
  }
  return r;
}

std::vector<DatasetSummary> list_datasets(store::Db& db) {
  std::vector<DatasetSummary> out;
  store::Stmt q(db, "SELECT ds.name, count(v.id) FROM datasets ds JOIN data_versions v ON v.dataset_id = ds.id "
                    "GROUP BY ds.id ORDER BY ds.name");
  while (q.step()) out.push_back({q.text(0), q.int64(1), {}});
  for (auto& d : out)
    d.latest = query_versions(db, "WHERE ds.name = ?1 ORDER BY v.version DESC LIMIT 1", {d.name}).at(0);
  return out;
}

std::vector<DataVersion> list_data_versions(store::Db& db, const std::string& name,
                                            const std::optional<std::string>& commit) {
  std::string where = "WHERE 1";
  std::vector<std::string> binds;
  if (!name.empty()) {
    store::Stmt f(db, "SELECT 1 FROM datasets WHERE name = ?1");
    f.bind(1, name);
    if (!f.step()) throw Error(ExitCode::not_found, fmt::format("no dataset '{}'", name), "see 'mlt data ls'");
    binds.push_back(name);
    where += fmt::format(" AND ds.name = ?{}", binds.size());
  }
  if (commit) {
    binds.push_back(*commit);
    where += fmt::format(" AND v.git_commit = ?{}", binds.size());
  }
  return query_versions(db, where + " ORDER BY v.created_ms DESC, v.id DESC", binds);
}

DataVersion resolve_data_ref(store::Db& db, const std::string& ref) {
  auto at = ref.find('@');
  std::string name = ref.substr(0, at);
  std::string which = at == std::string::npos ? "latest" : ref.substr(at + 1);
  if (name.empty())
    throw Error(ExitCode::usage, fmt::format("invalid data reference '{}'", printable(ref)),
                "write NAME@vN, NAME@latest or NAME@sha256:PREFIX");
  store::Stmt f(db, "SELECT id FROM datasets WHERE name = ?1");
  f.bind(1, name);
  if (!f.step()) throw Error(ExitCode::not_found, fmt::format("no dataset '{}'", printable(name)), "see 'mlt data ls'");
  std::string id = std::to_string(f.int64(0));
  std::vector<DataVersion> found;
  if (ascii_lower(which) == "latest") {
    found = query_versions(db, "WHERE v.dataset_id = ?1 ORDER BY v.version DESC LIMIT 1", {id});
  } else if (which.size() > 1 && (which[0] == 'v' || which[0] == 'V') &&
             which.find_first_not_of("0123456789", 1) == std::string::npos) {
    found = query_versions(db, "WHERE v.dataset_id = ?1 AND v.version = ?2", {id, which.substr(1)});
    if (found.empty())
      throw Error(ExitCode::not_found, fmt::format("dataset '{}' has no version {}", name, which),
                  fmt::format("see 'mlt data ls {}'", name));
  } else if (which.starts_with("sha256:")) {
    std::string hex = ascii_lower(which.substr(7));
    if (hex.size() < 4 || hex.size() > 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error(ExitCode::usage, fmt::format("invalid digest prefix '{}'", printable(which)),
                  "give at least 4 hex digits after sha256:");
    found = query_versions(db, "WHERE v.dataset_id = ?1 AND substr(v.digest, 1, length(?2)) = ?2 ORDER BY v.version",
                           {id, hex});
    // versions with the same content (re-added after a change was undone) are one answer: the newest
    if (found.size() > 1 && std::all_of(found.begin(), found.end(), [&](auto& v) { return v.digest == found[0].digest; }))
      found.erase(found.begin(), found.end() - 1);
    if (found.size() > 1) {
      std::string list;
      for (auto& v : found) list += fmt::format("\n  {}  {}", v.ref(), v.digest.str());
      throw Error(ExitCode::usage, fmt::format("'{}' matches {} versions:{}", ref, found.size(), list),
                  "give more digits");
    }
    if (found.empty())
      throw Error(ExitCode::not_found, fmt::format("dataset '{}' has no version with digest {}", name, which),
                  fmt::format("see 'mlt data ls {}'", name));
  } else {
    throw Error(ExitCode::usage, fmt::format("invalid data reference '{}'", printable(ref)),
                "write NAME@vN, NAME@latest or NAME@sha256:PREFIX");
  }
  if (found.empty()) throw Error(ExitCode::not_found, fmt::format("dataset '{}' has no versions", name));
  return found[0];
}

std::vector<FileChange> diff_entries(Project& p, const TreeEntry& a, const TreeEntry& b, bool rows) {
  auto la = listing(p, a, b.name), lb = listing(p, b, b.name);
  auto changes = compare(la, lb);
  if (!rows) return changes;
  for (auto& c : changes) {
    auto ext = ascii_lower(fs::path(c.path).extension().string());
    if (c.kind != FileChange::Kind::modified || (ext != ".csv" && ext != ".tsv")) continue;
    auto& ea = la.at(c.path);
    auto& eb = lb.at(c.path);
    if (ea.kind != EntryKind::file || eb.kind != EntryKind::file) continue;
    auto [added, removed] = row_changes(p, ea.digest, eb.digest);
    c.rows_added = added;
    c.rows_removed = removed;
  }
  return changes;
}

CheckoutResult checkout_data(Project& p, const DataVersion& v, const fs::path& dest_in, bool force,
                             std::atomic<std::uint64_t>* progress,
                             const std::function<void(const std::string&)>& warn) {
  CheckoutResult r;
  fs::path dest = dest_in.empty() ? p.root() / v.source : dest_in;
  auto entry = v.entry();
  struct stat st {};
  // a file version into an existing directory goes inside it, like cp
  if (!v.is_dir && !dest_in.empty() && ::lstat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dest /= entry.name;
  RestoreOptions ro;
  ro.progress = progress;
  ro.warn = warn;
  if (::lstat(dest.c_str(), &st) != 0) {
    r.skipped = restore(p, entry, dest, ro).skipped;
    r.written = static_cast<std::uint64_t>(v.files);
    r.bytes = static_cast<std::uint64_t>(v.bytes);
    return r;
  }
  if (S_ISLNK(st.st_mode))
    throw Error(ExitCode::conflict, fmt::format("'{}' is a symbolic link; refusing to write through it", dest.string()),
                "remove it or pass -o DIR");
  bool dest_dir = S_ISDIR(st.st_mode);
  if (dest_dir != v.is_dir) {
    if (!force)
      throw Error(ExitCode::conflict,
                  fmt::format("'{}' is a {}, the version is a {}", dest.string(), dest_dir ? "directory" : "file",
                              v.is_dir ? "directory" : "file"),
                  "pass -o DIR to write elsewhere, or --force to replace it");
    if (dest_dir) fs::remove_all(dest);
    else fs::remove(dest);
    r.skipped = restore(p, entry, dest, ro).skipped;
    r.written = static_cast<std::uint64_t>(v.files);
    r.bytes = static_cast<std::uint64_t>(v.bytes);
    return r;
  }
  auto have = scan(p, dest);
  auto want = listing(p, entry, have.root.name);
  std::vector<std::string> modified;
  std::vector<std::pair<std::string, TreeEntry>> to_write;
  for (auto& [path, e] : want) {
    auto it = have.files.find(path);
    if (it == have.files.end()) {
      to_write.emplace_back(path, e);
    } else if (it->second.digest != e.digest || it->second.kind != e.kind) {
      modified.push_back(path);
      to_write.emplace_back(path, e);
    } else {
      ++r.unchanged;
    }
  }
  for (auto& [path, e] : have.files)
    if (!want.count(path)) r.extra.push_back(path);
  if (!modified.empty() && !force) {
    std::string list;
    for (std::size_t i = 0; i < modified.size() && i < 10; ++i) list += "\n  " + modified[i];
    if (modified.size() > 10) list += fmt::format("\n  ... and {} more", modified.size() - 10);
    throw Error(ExitCode::conflict,
                fmt::format("{} file{} at '{}' differ{} from {}:{}", modified.size(), modified.size() == 1 ? "" : "s",
                            dest.string(), modified.size() == 1 ? "s" : "", v.ref(), list),
                "pass --force to replace them, or -o DIR to write the version elsewhere");
  }
  ro.force = true;
  // through directory fds from the destination down, links judged against the whole version
  if (v.is_dir) {
    r.skipped = restore_below(p, entry, to_write, dest, ro).skipped;
  } else {
    for (auto& [path, e] : to_write) {
      TreeEntry named = e;
      named.name = dest.filename().string();
      r.skipped += restore(p, named, dest, ro).skipped;
    }
  }
  for (auto& [path, e] : to_write) {
    ++r.written;
    r.bytes += e.size;
  }
  r.written -= std::min(r.written, r.skipped);
  return r;
}

std::vector<DataStatus> data_status(Project& p, const std::string& name) {
  std::vector<DataStatus> out;
  std::vector<DataVersion> latest;
  if (name.empty()) {
    for (auto& d : list_datasets(p.db())) latest.push_back(d.latest);
  } else {
    latest.push_back(resolve_data_ref(p.db(), name + "@latest"));
  }
  for (auto& v : latest) {
    DataStatus s;
    s.latest = v;
    fs::path path = p.root() / v.source;
    struct stat st {};
    auto entry = v.entry();
    if (::lstat(path.c_str(), &st) != 0) {
      s.missing = true;
      s.changes = compare(listing(p, entry, entry.name), {});
    } else {
      auto have = scan(p, path);
      if (have.root.digest != v.digest || (have.root.kind == EntryKind::dir) != v.is_dir)
        s.changes = compare(listing(p, entry, have.root.name), have.files);
    }
    out.push_back(std::move(s));
  }
  return out;
}

void log_input(store::Db& db, const RunRef& run, const DataVersion& v, const std::string& context) {
  require_active(run);
  if (context.size() > 250 || !valid_utf8(context))
    throw Error(ExitCode::usage, fmt::format("invalid input context '{}'", printable(context)),
                "a context is a short word such as train, eval or test");
  store::Stmt q(db,
                "INSERT INTO run_inputs(run_id, data_version_id, context, created_ms) VALUES (?1, ?2, ?3, ?4) "
                "ON CONFLICT DO NOTHING");
  q.bind(1, run.id).bind(2, v.id).bind(3, context).bind(4, now_ms()).exec();
}


}  // namespace mlt::core
