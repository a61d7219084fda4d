// How deep JSON and YAML input may nest. Readers walk parsed documents recursively (flattening
// params, converting YAML to JSON, checking signatures), so input nested deeper is refused before
// it is parsed or walked: a clear error instead of a stack overflow.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace mlt::core {

// Levels of JSON objects and arrays, or YAML mappings and sequences, that mlt reads.
inline constexpr std::size_t max_nesting = 256;

// The byte offset in JSON text where arrays and objects nest deeper than `limit` (brackets inside
// strings do not count), or nullopt. A linear scan, cheap beside parsing; malformed text is left
// to the parser.
std::optional<std::size_t> json_too_deep(std::string_view text, std::size_t limit = max_nesting);

}  // namespace mlt::core
