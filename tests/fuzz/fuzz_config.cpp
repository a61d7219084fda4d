// Fuzzes the settings reader and writer (core/config): read_config_file on a YAML file, the
// layered Config::load with it as a project's config.yaml, and update_config_file (`mlt config
// set/unset`), which rewrites the file keeping what it does not know.
//
// Input: byte 0 picks the key (low 4 bits, modulo the number of keys) and set/unset (bit 4);
// the rest of line 0 is the value to set; everything after the first '\n' is the file.
// Properties:
//  - only mlt::Error escapes;
//  - every value read is one check_config_value accepts and leaves as it is (normalized);
//  - after a successful set (unset) of a file that read cleanly, the file reads cleanly again,
//    with the key set to the normalized value (absent), and every other setting as it was.
#include <cstdint>
#include <fstream>
#include <map>
#include <string>

#include "base/error.hpp"
#include "base/yaml.hpp"
#include "core/config.hpp"
#include "fuzz_common.hpp"

using namespace mlt;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::optional<std::map<std::string, std::string>> read(const fs::path& p) {
  try {
    auto m = core::read_config_file(p);
    for (auto& [k, v] : m) {
      const auto* key = core::find_config_key(k);
      if (!key) fuzz::finding("read_config_file returned unknown key '" + k + "'");
      std::string again;
      try {
        again = core::check_config_value(*key, v, "check");
      } catch (const Error& e) {
        fuzz::finding("read_config_file returned a value its key refuses: " + k + "=" + v + ": " + e.what());
      }
      if (again != v) fuzz::finding("read_config_file returned a value that is not normalized: " + k + "=" + v);
    }
    return m;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 256 * 1024) return 0;
  static const fs::path dir = [] {
    fuzz::pin_environment();
    auto d = fuzz::scratch_dir() / "project" / ".mlt";
    fs::create_directories(d);
    return d;
  }();
  const auto& keys = core::config_keys();
  const auto& key = keys[(data[0] & 15) % keys.size()];
  bool unset = data[0] & 16;
  std::string_view rest = fuzz::as_text(data + 1, size - 1);
  auto nl = rest.find('\n');
  std::string value(rest.substr(0, nl));
  std::string_view text = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  fs::path file = dir / "config.yaml";
  std::error_code ec;
  fs::remove(fs::path(file.string() + ".lock"), ec);
  write(file, text);
  auto before = read(file);
  try {
    auto c = core::Config::load(dir);
    for (auto& [k, v] : c.values()) c.get(k);
  } catch (const Error&) {
  }

  std::optional<std::string> checked;
  if (!unset) {
    try {
      checked = core::check_config_value(key, value, "value");
    } catch (const Error&) {
      return 0;
    }
  }
  try {
    core::update_config_file(file, key.name, unset ? std::nullopt : std::optional(value));
  } catch (const Error&) {
    return 0;
  }
  if (!before) return 0;   // a file with bad values is kept as written (for repair): may still be bad
  auto after = read(file);
  if (!after) {
    std::ifstream in(file, std::ios::binary);
    std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fuzz::finding("a settings file that read cleanly does not after 'config " + std::string(unset ? "unset " : "set ") +
                  key.name + "':\n" + now);
  }
  auto expect = *before;
  if (unset) expect.erase(key.name);
  else expect[key.name] = *checked;
  if (*after != expect) {
    std::string diff;
    for (auto& [k, v] : expect)
      if (!after->count(k) || after->at(k) != v) diff += " expected " + k + "=" + v + ";";
    for (auto& [k, v] : *after)
      if (!expect.count(k)) diff += " unexpected " + k + "=" + v + ";";
    fuzz::finding("config " + std::string(unset ? "unset " : "set ") + key.name + " changed other settings:" + diff);
  }
  return 0;
}
