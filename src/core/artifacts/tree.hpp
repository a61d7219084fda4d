// Trees: a directory as one object. Format version 1 (the payload of a kind-3 object):
//
//   tree  := "mlt-tree 1\n" entry*           entries sorted by name, bytewise, names unique
//   entry := kind SP mode SP size SP hex SP name "\n"
//   kind  := "f" file | "d" directory (hex names another tree) | "l" symbolic link (hex names a
//            blob holding the link's target, size is its length)
//   mode  := octal permission bits, e.g. 644, 755
//   size  := decimal bytes; for a directory, the bytes of every file below it
//   name  := a path component as validated by base/paths.hpp (no '/', NUL, newline, "." or "..")
//
// A tree's digest identifies the whole directory: equal directories have equal digests.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/hash.hpp"
#include "store/object_store.hpp"

namespace mlt::core {

enum class EntryKind : char { file = 'f', dir = 'd', link = 'l' };

struct TreeEntry {
  EntryKind kind;
  std::uint32_t mode = 0644;
  std::uint64_t size = 0;
  store::Digest digest;
  std::string name;
};

std::string serialize_tree(std::vector<TreeEntry> entries);   // sorts
std::vector<TreeEntry> parse_tree(const std::string& payload, const store::Digest& d);  // exit 6 if bad

store::Digest put_tree(store::ObjectStore& s, std::vector<TreeEntry> entries);
std::vector<TreeEntry> read_tree(const store::ObjectStore& s, const store::Digest& d);

// An entry at a path below a tree ("" is the root itself, as a directory entry).
std::optional<TreeEntry> lookup(const store::ObjectStore& s, const store::Digest& root, const std::string& path);

// Returns a new root where `path` is set to `entry` (intermediate directories are created or
// replaced as needed; a file in the way of a directory is replaced). `root` may be empty.
store::Digest tree_set(store::ObjectStore& s, const std::optional<store::Digest>& root, const std::string& path,
                       const TreeEntry& entry);

// Calls fn(path, entry) for every entry below `root`, depth first in name order.
void walk_tree(const store::ObjectStore& s, const store::Digest& root,
               const std::function<void(const std::string& path, const TreeEntry& e)>& fn, const std::string& prefix = "");

// Where a symbolic link leads within a tree (a stored one or a folder on disk), resolved as the
// kernel would but never leaving the tree: `at(path)` tells what is at a path below the tree's
// root (nullopt: nothing). The link lives in folder `dir` (components below the root).
//   inside   the target and every link on the way resolve to entries of the tree, without any
//            '..' climbing above its root; `path` is where it leads
//   outside  an absolute target, or a '..' above the root, on the way
//   dangling a missing component on the way, or a file used as a folder
//   loop     more than 40 links on the way
struct PathNode {
  EntryKind kind;
  std::string target;  // of a link
};
enum class LinkReach { inside, outside, dangling, loop };
struct LinkResolution {
  LinkReach reach;
  std::vector<std::string> path;
};
LinkResolution resolve_link(std::vector<std::string> dir, const std::string& target,
                            const std::function<std::optional<PathNode>(const std::vector<std::string>&)>& at);

}  // namespace mlt::core
