#include "core/artifacts/tree.hpp"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/paths.hpp"
#include "base/values.hpp"

namespace mlt::core {
namespace {

constexpr std::string_view tree_magic = "mlt-tree 1\n";

[[noreturn]] void bad_tree(const store::Digest& d, const std::string& why) {
  throw Error(ExitCode::integrity, fmt::format("tree {} is damaged: {}", d.str(), why), "run 'mlt fsck'");
}

}  // namespace

std::string serialize_tree(std::vector<TreeEntry> entries) {
  std::sort(entries.begin(), entries.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.name < b.name; });
  std::string out(tree_magic);
  for (auto& e : entries)
    out += fmt::format("{} {:o} {} {} {}\n", static_cast<char>(e.kind), e.mode, e.size, e.digest.hex(), e.name);
  return out;
}

std::vector<TreeEntry> parse_tree(const std::string& payload, const store::Digest& d) {
  if (!payload.starts_with(tree_magic)) bad_tree(d, "no tree header");
  std::vector<TreeEntry> out;
  std::size_t pos = tree_magic.size();
  while (pos < payload.size()) {
    auto nl = payload.find('\n', pos);
    if (nl == std::string::npos) bad_tree(d, "unterminated entry");
    std::string_view line(payload.data() + pos, nl - pos);
    pos = nl + 1;
    // kind SP mode SP size SP hex SP name
    auto next = [&](std::string_view& rest) {
      auto sp = rest.find(' ');
      if (sp == std::string_view::npos) bad_tree(d, "short entry");
      auto field = rest.substr(0, sp);
      rest.remove_prefix(sp + 1);
      return field;
    };
    std::string_view rest = line;
    auto kind = next(rest), mode = next(rest), size = next(rest), hex = next(rest);
    TreeEntry e;
    if (kind != "f" && kind != "d" && kind != "l") bad_tree(d, "unknown entry kind");
    e.kind = static_cast<EntryKind>(kind[0]);
    if (mode.empty() || mode.size() > 4 || mode.find_first_not_of("01234567") != std::string_view::npos)
      bad_tree(d, "bad entry mode");
    e.mode = static_cast<std::uint32_t>(std::strtoul(std::string(mode).c_str(), nullptr, 8));
    auto sz = parse_int64(size);
    auto dg = store::Digest::parse(hex);
    if (!sz || *sz < 0 || !dg) bad_tree(d, "bad entry");
    e.size = static_cast<std::uint64_t>(*sz);
    e.digest = *dg;
    e.name = std::string(rest);
    try {
      validate_name(e.name, e.name);
    } catch (const Error&) {
      bad_tree(d, "invalid entry name");
    }
    if (!out.empty() && out.back().name >= e.name) bad_tree(d, "entries out of order");
    out.push_back(std::move(e));
  }
  return out;
}

store::Digest put_tree(store::ObjectStore& s, std::vector<TreeEntry> entries) {
  return s.put_blob(serialize_tree(std::move(entries)), store::ObjectKind::tree);
}

std::vector<TreeEntry> read_tree(const store::ObjectStore& s, const store::Digest& d) {
  return parse_tree(s.read(d), d);
}

std::optional<TreeEntry> lookup(const store::ObjectStore& s, const store::Digest& root, const std::string& path) {
  TreeEntry cur{EntryKind::dir, 0755, 0, root, ""};
  if (path.empty()) {
    auto entries = read_tree(s, root);
    for (auto& e : entries)
      if (e.kind != EntryKind::link) cur.size += e.size;
    return cur;
  }
  for (auto& part : validate_artifact_path(path)) {
    if (cur.kind != EntryKind::dir) return std::nullopt;
    auto entries = read_tree(s, cur.digest);
    auto it = std::find_if(entries.begin(), entries.end(), [&](const TreeEntry& e) { return e.name == part; });
    if (it == entries.end()) return std::nullopt;
    cur = *it;
  }
  return cur;
}

static store::Digest set_in(store::ObjectStore& s, const std::optional<store::Digest>& dir,
                            const std::vector<std::string>& parts, std::size_t i, const TreeEntry& entry,
                            std::uint64_t& size_out) {
  std::vector<TreeEntry> entries;
  if (dir) entries = read_tree(s, *dir);
  auto it = std::find_if(entries.begin(), entries.end(), [&](const TreeEntry& e) { return e.name == parts[i]; });
  TreeEntry next;
  if (i + 1 == parts.size()) {
    next = entry;
    next.name = parts[i];
  } else {
    std::optional<store::Digest> sub;
    if (it != entries.end() && it->kind == EntryKind::dir) sub = it->digest;
    std::uint64_t sub_size = 0;
    next = TreeEntry{EntryKind::dir, 0755, 0, set_in(s, sub, parts, i + 1, entry, sub_size), parts[i]};
    next.size = sub_size;
  }
  if (it != entries.end()) *it = next;
  else entries.push_back(next);
  size_out = 0;
  for (auto& e : entries)
    if (e.kind != EntryKind::link) size_out += e.size;
  return put_tree(s, std::move(entries));
}

store::Digest tree_set(store::ObjectStore& s, const std::optional<store::Digest>& root, const std::string& path,
                       const TreeEntry& entry) {
  auto parts = validate_artifact_path(path);
  std::uint64_t size = 0;
  return set_in(s, root, parts, 0, entry, size);
}

void walk_tree(const store::ObjectStore& s, const store::Digest& root,
               const std::function<void(const std::string&, const TreeEntry&)>& fn, const std::string& prefix) {
  for (auto& e : read_tree(s, root)) {
    std::string p = prefix.empty() ? e.name : prefix + "/" + e.name;
    fn(p, e);
    if (e.kind == EntryKind::dir) walk_tree(s, e.digest, fn, p);
  }
}

namespace {

void push_front_parts(std::deque<std::string>& todo, const std::string& target) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= target.size()) {
    auto slash = target.find('/', start);
    if (slash == std::string::npos) slash = target.size();
    if (slash > start) parts.push_back(target.substr(start, slash - start));
    start = slash + 1;
  }
  todo.insert(todo.begin(), parts.begin(), parts.end());
}

}  // namespace

LinkResolution resolve_link(std::vector<std::string> cur, const std::string& target,
                            const std::function<std::optional<PathNode>(const std::vector<std::string>&)>& at) {
  constexpr int max_hops = 40;  // as the kernel's limit
  if (target.empty()) return {LinkReach::dangling, {}};
  if (target.front() == '/') return {LinkReach::outside, {}};
  std::deque<std::string> todo;
  push_front_parts(todo, target);
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (cur.empty()) return {LinkReach::outside, {}};
      cur.pop_back();
      continue;
    }
    cur.push_back(std::move(c));
    auto node = at(cur);
    if (!node) return {LinkReach::dangling, {}};
    if (node->kind == EntryKind::link) {
      if (++hops > max_hops) return {LinkReach::loop, {}};
      cur.pop_back();
      if (node->target.empty()) return {LinkReach::dangling, {}};
      if (node->target.front() == '/') return {LinkReach::outside, {}};
      push_front_parts(todo, node->target);
      continue;
    }
    if (node->kind == EntryKind::file &&
        std::any_of(todo.begin(), todo.end(), [](const std::string& t) { return t != "."; }))
      return {LinkReach::dangling, {}};  // a file used as a folder
  }
  return {LinkReach::inside, std::move(cur)};
}

}  // namespace mlt::core
