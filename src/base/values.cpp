#include "base/values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/nesting.hpp"

namespace mlt::core {

std::string printable(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    // copy valid UTF-8 sequences, escape everything else byte by byte
    std::size_t len = 1;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xC0 && c < 0xE0) len = 2;
    else if (c >= 0xE0 && c < 0xF0) len = 3;
    else if (c >= 0xF0 && c < 0xF8) len = 4;
    if (i + len <= s.size() && c >= 0x20 && c != 0x7f && (c < 0x80 || (len > 1 && valid_utf8(s.substr(i, len))))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) { ++p; continue; }
    int n;
    unsigned min;
    if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
    else return false;
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

void check_key(std::string_view key, std::string_view what) {
  if (key.empty()) throw Error(ExitCode::usage, fmt::format("empty {} key", what), "write KEY=VALUE");
  if (key.size() > max_key_bytes)
    throw Error(ExitCode::usage,
                fmt::format("{} key '{}...' is {} bytes long, the limit is {}", what, key.substr(0, 40), key.size(),
                            max_key_bytes));
  if (!valid_utf8(key))
    throw Error(ExitCode::usage, fmt::format("{} key '{}' is not valid UTF-8", what, printable(key)));
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f)
      throw Error(ExitCode::usage, fmt::format("{} key '{}' contains a control character", what, printable(key)));
}

void check_value(std::string_view key, std::string_view value, std::string_view what) {
  if (value.size() > max_value_bytes)
    throw Error(ExitCode::usage, fmt::format("{} '{}' has a value of {} bytes, the limit is {}", what, key,
                                             value.size(), max_value_bytes));
  if (!valid_utf8(value))
    throw Error(ExitCode::usage, fmt::format("{} '{}' has a value that is not valid UTF-8", what, printable(key)));
}

KeyValue parse_kv(std::string_view arg, std::string_view what) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos)
    throw Error(ExitCode::usage, fmt::format("expected KEY=VALUE for {}, got '{}'", what, arg),
                fmt::format("write it as {}=VALUE", arg.empty() ? "KEY" : arg));
  KeyValue kv{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  check_key(kv.first, what);
  check_value(kv.first, kv.second, what);
  return kv;
}

std::optional<double> parse_double(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') {
    neg = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body.empty() || body.front() == '+' || body.front() == '-') return std::nullopt;
  if (body.size() <= 8 && (body[0] == 'n' || body[0] == 'N' || body[0] == 'i' || body[0] == 'I')) {
    auto l = ascii_lower(body);
    if (l == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (l == "inf" || l == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
    return std::nullopt;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (ptr != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // overflow to +-inf is an error; underflow to 0 is fine
    if (std::isinf(v) || v == 0) {
      double big = std::strtod(std::string(body).c_str(), nullptr);
      if (std::isinf(big)) return std::nullopt;
      v = big;
    }
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) return std::nullopt;
  }
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void check_tag_name(const std::string& name, std::string_view what, std::string_view hint_tail) {
  static const std::regex re("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  if (std::regex_match(name, re) && name.find("..") == std::string::npos && !name.ends_with(".") &&
      !name.ends_with(".lock"))
    return;
  throw Error(ExitCode::usage, fmt::format("invalid {} name '{}'", what, printable(name)),
              fmt::format("a name is 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit (no '..', "
                          "no trailing '.' or '.lock', so it can be part of a git tag){}",
                          hint_tail));
}

std::pair<std::size_t, std::size_t> line_col(std::string_view text, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
  }
  return {line, col};
}

std::string ascii_lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return std::min(d[a.size()][b.size()], limit + 1);
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);  // fmt prints the shortest round-trip representation
}

}  // namespace mlt::core
