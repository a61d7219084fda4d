#include "base/clock.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <regex>

#include <fmt/format.h>

#include "base/error.hpp"

namespace mlt::core {

std::int64_t now_ms() {
  if (const char* pinned = std::getenv("MLT_NOW_MS"); pinned && *pinned) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(pinned, &end, 10);
    if (*end != '\0' || v < 0 || errno == ERANGE)
      throw Error(ExitCode::usage, fmt::format("invalid MLT_NOW_MS '{}'", pinned), "set it to epoch milliseconds");
    return v;
  }
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339_utc(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string local_time(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

std::string human_duration(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);  // truncated, like the rest
  std::int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::optional<std::int64_t> parse_time(const std::string& text) {
  static const std::regex digits("[0-9]{1,15}");
  if (std::regex_match(text, digits)) return std::stoll(text);
  // date [time [fraction]] [zone]; no zone means UTC
  static const std::regex re(
      "([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]{1,9}))?)?)?"
      "\\s*(Z|z|UTC|[+-][0-9]{2}:?[0-9]{2})?");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  std::tm tm{};
  tm.tm_year = num(1) - 1900;
  tm.tm_mon = num(2) - 1;
  tm.tm_mday = num(3);
  tm.tm_hour = num(4);
  tm.tm_min = num(5);
  tm.tm_sec = num(6);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return std::nullopt;
  std::tm check = tm;
  std::int64_t secs = timegm(&tm);
  if (check.tm_mday != tm.tm_mday) return std::nullopt;   // e.g. February 30th
  std::int64_t ms = secs * 1000;
  if (m[7].matched) {
    std::string frac = m[7].str() + "00";
    ms += std::stoi(frac.substr(0, 3));
  }
  if (m[8].matched) {
    std::string z = m[8].str();
    if (z[0] == '+' || z[0] == '-') {
      std::string d = z.substr(1);
      d.erase(std::remove(d.begin(), d.end(), ':'), d.end());
      int offset = std::stoi(d.substr(0, 2)) * 60 + std::stoi(d.substr(2, 2));
      ms -= (z[0] == '+' ? 1 : -1) * static_cast<std::int64_t>(offset) * 60'000;
    }
  }
  return ms;
}

std::chrono::seconds parse_duration(const std::string& s) {
  if (s == "0") return std::chrono::seconds(0);
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i + 1 != s.size() || i > 9)
    throw Error(ExitCode::usage, fmt::format("invalid duration '{}'", s), "write e.g. 14d, 12h, 30m or 45s");
  long long n = std::stoll(s.substr(0, i));
  switch (s[i]) {
    case 's': return std::chrono::seconds(n);
    case 'm': return std::chrono::seconds(n * 60);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'd': return std::chrono::seconds(n * 86400);
    case 'w': return std::chrono::seconds(n * 7 * 86400);
  }
  throw Error(ExitCode::usage, fmt::format("invalid duration '{}'", s), "write e.g. 14d, 12h, 30m or 45s");
}

}  // namespace mlt::core
