#include "cli/output.hpp"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/error.hpp"

namespace mlt::cli {

Format parse_format(const std::string& s) {
  if (s == "table") return Format::table;
  if (s == "json") return Format::json;
  if (s == "csv") return Format::csv;
  if (s == "tsv") return Format::tsv;
  throw Error(ExitCode::usage, fmt::format("unknown format '{}'", s), "use table, json, csv or tsv");
}

std::string short_id(const std::string& uuid) { return uuid.substr(0, 8); }

static std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {  // a colour sequence takes no room
      i += 2;
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++w;  // count code points, not continuation bytes
  }
  return w;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l.append(width[i] - display_width(cells[i]) + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  line(header);
  for (auto& r : rows) line(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

std::string delimited_cell(char sep, const std::string& s) {
  if (sep == '\t') {
    std::string o;
    for (char c : s) o += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
    return o;
  }
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

void print_delimited(char sep, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) out += sep;
      out += delimited_cell(sep, cells[i]);
    }
    out += '\n';
  };
  line(header);
  for (auto& r : rows) line(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void put_time(Json& obj, const std::string& key, std::optional<std::int64_t> ms) {
  if (ms) {
    obj[key] = core::rfc3339_utc(*ms);
    obj[key + "_ms"] = *ms;
  } else {
    obj[key] = nullptr;
    obj[key + "_ms"] = nullptr;
  }
}

void put_number(Json& obj, const std::string& key, std::optional<double> v) {
  if (!v) {
    obj[key] = nullptr;
    return;
  }
  if (std::isfinite(*v)) {
    obj[key] = *v;
    return;
  }
  obj[key] = nullptr;
  obj[key + "_special"] = std::isnan(*v) ? "nan" : (*v > 0 ? "inf" : "-inf");
}

void print_json(const Json& doc) {
  std::string s = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  s += '\n';
  std::fwrite(s.data(), 1, s.size(), stdout);
}

std::string display_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

}  // namespace mlt::cli

#include "core/tracking/runs.hpp"

namespace mlt::cli {

Json run_json(const core::Run& r) {
  Json j;
  j["id"] = r.uuid;
  j["name"] = r.name;
  j["experiment"] = r.experiment;
  j["status"] = r.status;
  j["lifecycle"] = r.deleted ? "deleted" : "active";
  j["parent_id"] = r.parent_uuid ? Json(*r.parent_uuid) : Json(nullptr);
  j["user"] = r.user;
  put_time(j, "start_time", r.start_ms);
  put_time(j, "end_time", r.end_ms);
  j["duration_ms"] = r.end_ms ? Json(*r.end_ms - r.start_ms) : Json(nullptr);
  j["exit_code"] = r.exit_code ? Json(*r.exit_code) : Json(nullptr);
  put_time(j, "deleted_time", r.deleted_ms);
  j["params"] = Json::object();
  for (auto& [k, v] : r.params) j["params"][k] = v;
  j["metrics"] = Json::object();
  for (auto& m : r.metrics) {
    Json x;
    put_number(x, "last", m.last);
    x["step"] = m.last_step;
    put_time(x, "time", m.last_time_ms);
    put_number(x, "min", m.min);
    put_number(x, "max", m.max);
    x["count"] = m.count;
    j["metrics"][m.key] = std::move(x);
  }
  j["tags"] = Json::object();
  for (auto& [k, v] : r.tags) j["tags"][k] = v;
  j["children"] = r.children;
  j["inputs"] = Json::array();
  for (auto& in : r.inputs)
    j["inputs"].push_back({{"ref", in.ref()}, {"name", in.dataset}, {"version", in.version},
                           {"digest", "sha256:" + in.digest}, {"context", in.context}});
  j["artifacts"] = r.artifacts ? Json("sha256:" + *r.artifacts) : Json(nullptr);
  j["stale"] = r.stale;   // RUNNING, but its supervising 'mlt run' process is gone
  if (r.supervisor)
    j["supervisor"] = {{"pid", r.supervisor->pid}, {"host", r.supervisor->host}, {"boot_id", r.supervisor->boot_id}};
  else
    j["supervisor"] = nullptr;
  put_time(j, "heartbeat_time", r.heartbeat_ms);
  return j;
}

}  // namespace mlt::cli
