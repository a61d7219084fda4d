// YAML in and out for files mlt writes that other tools read (MLmodel, environment files, deploy
// manifests). Reading reports errors as FILE:LINE:COL. Writing is deterministic block style in the
// shape PyYAML's safe_dump gives (indentless lists under a key, plain scalars where that is safe),
// and never changes what a scalar means: a string that a YAML 1.1 or 1.2 reader would take for a
// number, boolean, null or timestamp is quoted.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/nesting.hpp"

namespace mlt::core::yaml {

// Nodes that the aliases of one document may stand for, in all (nesting: core::max_nesting).
inline constexpr std::size_t max_alias_nodes = 100'000;

// Parses one YAML document, the only way mlt loads YAML. Malformed text is exit 2
// "WHERE:LINE:COL: invalid YAML: ..."; so is a document nested deeper than max_nesting, one with
// an alias inside the node it names (a cycle), or one whose aliases expand to more than
// max_alias_nodes nodes (a "billion laughs"), refused before it is loaded.
YAML::Node parse(const std::string& text, const std::string& where);

// A scalar node that is a string whatever its text looks like ("14.3", "true", "2024-01-01").
YAML::Node str(const std::string& s);
// A scalar node emitted as it is written (numbers, booleans).
YAML::Node plain(const std::string& s);

struct EmitOptions {
  bool sort_keys = false;   // bytewise by key text at every level (PyYAML's default)
};
std::string emit(const YAML::Node& n, const EmitOptions& opt = {});

// True when a string scalar must be quoted to stay a string (it would read as something else).
bool ambiguous(std::string_view s);
// True when `n` is a scalar that means a string (quoted, tagged !!str, or plain text that reads
// as nothing else).
bool is_string(const YAML::Node& n);

// Same data: maps with the same keys (in any order) and equal values, sequences elementwise,
// scalars with the same text and the same meaning (string or not).
bool equal(const YAML::Node& a, const YAML::Node& b);

// As JSON, mappings in file order: plain scalars that read as integers, finite numbers or
// booleans become those, everything else a string.
nlohmann::ordered_json to_json(const YAML::Node& n);

}  // namespace mlt::core::yaml
