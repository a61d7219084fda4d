// Output helpers: aligned tables, CSV/TSV, JSON fields by the --json contract (RFC 3339 UTC
// times beside raw epoch milliseconds, non-finite numbers as null plus a marker), short ids.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlt::cli {

using Json = nlohmann::ordered_json;

enum class Format { table, json, csv, tsv };
Format parse_format(const std::string& s);   // exit 2 for anything else

std::string short_id(const std::string& uuid);   // first 8 hex digits

// Columns padded to the widest cell (display width of UTF-8), two spaces apart, no trailing blanks.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// One CSV (sep ',': RFC 4180 quoting) or TSV (sep '\t': tabs and newlines become spaces) cell.
std::string delimited_cell(char sep, const std::string& s);
void print_delimited(char sep, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// {"<key>": "2026-11-27T00:00:00.000Z", "<key>_ms": 1795..} ; null for both when absent
void put_time(Json& obj, const std::string& key, std::optional<std::int64_t> ms);
// {"<key>": 0.5} ; NaN/inf: {"<key>": null, "<key>_special": "nan"|"inf"|"-inf"}
void put_number(Json& obj, const std::string& key, std::optional<double> v);
void print_json(const Json& doc);   // one document on stdout

std::string display_number(double v);   // for tables: 0.3127, 1.2e-05, nan, inf

}  // namespace mlt::cli

namespace mlt::core {
struct Run;
}
namespace mlt::cli {
// The --json form of a run, shared by every command that prints runs.
Json run_json(const core::Run& r);
}  // namespace mlt::cli
