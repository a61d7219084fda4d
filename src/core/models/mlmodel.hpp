// MLmodel files: MLflow's YAML description of a model package, and the digest block mlt adds.
//
// mlt leaves every field of an MLmodel as it is (known or not) and appends one top-level entry,
// always last and always in this form (format 1):
//
//   mlt:
//     format: 1
//     files:                              every file of the package, bytewise path order
//       MLmodel: sha256:<hex>             the MLmodel without this block (its "body")
//       conda.yaml: sha256:<hex>          the SHA-256 of the file's bytes, as sha256sum prints it
//       model.pkl: sha256:<hex>
//     size_bytes: 12345                   bytes of every file but MLmodel
//
// The body is the text before the line "mlt:" that starts the block (and after it, up to the
// next top-level key, should another tool have added one below). So stripping the block gives
// back the MLmodel byte for byte as it was before mlt touched it, and `sha256sum` of the files
// checks a package without mlt. MLflow keeps unknown top-level keys, so its loaders read the
// file as before.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "store/hash.hpp"

namespace mlt::core {

inline constexpr const char* mlmodel_file = "MLmodel";

struct MLmodelText {
  std::string body;                  // the text without the mlt block
  std::optional<std::string> block;  // the block's lines, when there is one
};
MLmodelText split_mlt_block(std::string_view text);

struct PackageDigests {
  std::map<std::string, store::Digest> files;   // path -> digest (MLmodel: of its body)
  std::uint64_t size_bytes = 0;
};

// The block of a parsed MLmodel; nullopt when it has none. A malformed block: Error(code).
std::optional<PackageDigests> read_digests(const YAML::Node& mlmodel, const std::string& where, int code);

// MLmodel text whose block lists `files` (every file of the package but MLmodel) and the body's
// own digest. The body is `text` without any earlier block, unchanged when a key can be appended
// to it; re-emitted (same data, checked) when it cannot, e.g. a flow-style mapping.
std::string with_digests(const std::string& text, const std::map<std::string, store::Digest>& files,
                         std::uint64_t size_bytes, const std::string& where);

// Problems with an MLmodel's content, one sentence each (empty: none). `has_path` says whether a
// relative path names a file or directory of the package.
std::vector<std::string> check_mlmodel(const YAML::Node& m, const std::function<bool(const std::string&)>& has_path);

// The value of `key` in mapping `m`; an undefined node (false in a boolean test) when there is
// none. Unlike operator[] on a non-const node, never inserts.
YAML::Node field(const YAML::Node& m, const char* key);

// Flavor names in file order.
std::vector<std::string> flavor_names(const YAML::Node& m);
// A top-level string field, or nullopt (absent, null or not a scalar).
std::optional<std::string> string_field(const YAML::Node& m, const char* key);

}  // namespace mlt::core
