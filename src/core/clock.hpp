// Time: epoch milliseconds UTC everywhere inside mlt. MLT_NOW_MS pins the clock (tests).
#pragma once
#include <cstdint>
#include <string>

namespace mlt::core {

std::int64_t now_ms();
std::string rfc3339_utc(std::int64_t ms);          // 2026-11-27T00:19:54.123Z
std::string local_time(std::int64_t ms);           // 2026-11-27 01:19:54 CET
std::string human_duration(std::int64_t ms);       // 950ms, 12.3s, 4m05s, 2h03m, 3d04h

}  // namespace mlt::core
