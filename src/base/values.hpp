// Keys and values as users type them: K=V pairs, metric numbers, limits (keys <= 250 bytes,
// values <= 64 KiB, valid UTF-8), and params files (YAML or JSON, nested keys joined with dots).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlt::core {

inline constexpr std::size_t max_key_bytes = 250;
inline constexpr std::size_t max_value_bytes = 64 * 1024;

using KeyValue = std::pair<std::string, std::string>;

bool valid_utf8(std::string_view s);
// For messages: valid UTF-8 as it is, anything else (and control characters) as \\xNN.
std::string printable(std::string_view s);

// Throws Error(usage) naming the key when a limit is broken. `what` is "param", "tag", "metric".
void check_key(std::string_view key, std::string_view what);
void check_value(std::string_view key, std::string_view value, std::string_view what);

// "K=V" -> {K, V}; the first '=' splits. Throws Error(usage) for a missing '=' or an empty key.
KeyValue parse_kv(std::string_view arg, std::string_view what);

// A metric value: decimal or exponent notation, nan, inf, -inf (any case). nullopt if malformed.
std::optional<double> parse_double(std::string_view s);
std::optional<std::int64_t> parse_int64(std::string_view s);

// 1-based line and column of a 0-based byte offset, for messages (nlohmann's parse_error.byte is
// the 1-based position of the offending byte: pass byte - 1).
std::pair<std::size_t, std::size_t> line_col(std::string_view text, std::size_t offset);

// A name that is also part of git tags (models, datasets): 1-128 of [A-Za-z0-9_.-], starting with
// a letter or digit, no "..", not ending in "." or ".lock". Exit 2: "invalid WHAT name '...'".
void check_tag_name(const std::string& name, std::string_view what, std::string_view hint_tail = {});

// ASCII lower case (keywords, statuses, formats; never user data that may be UTF-8).
std::string ascii_lower(std::string_view s);

// Edits (insert, delete, change a byte, swap two adjacent ones) that turn `a` into `b`, for "did
// you mean" suggestions; anything above `limit` is reported as limit + 1, computed no further.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 8);

// Shortest text that reads back as the same double (17 significant digits at most).
std::string format_double(double v);

}  // namespace mlt::core
