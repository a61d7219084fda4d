// Time: epoch milliseconds UTC everywhere inside mlt. MLT_NOW_MS pins the clock (tests).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mlt::core {

std::int64_t now_ms();
std::string rfc3339_utc(std::int64_t ms);          // 2026-11-27T00:19:54.123Z
std::string local_time(std::int64_t ms);           // 2026-11-27 01:19:54 CET
std::string human_duration(std::int64_t ms);       // 950ms, 12.3s, 4m05s, 2h03m, 3d04h

// A time as users type it: epoch milliseconds, or an RFC 3339 / ISO 8601 date and time
// ("2026-06-01", "2026-06-01T12:00:00Z", "2026-06-01 12:00:00.5+02:00"); no zone means UTC.
std::optional<std::int64_t> parse_time(const std::string& text);

// A duration as users type it (gc --grace, settings): "14d", "12h", "30m", "45s", "2w", "0" ->
// seconds; exit 2 otherwise.
std::chrono::seconds parse_duration(const std::string& s);

}  // namespace mlt::core
