#include "core/models/mlmodel.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/values.hpp"
#include "base/yaml.hpp"
#include "core/models/signature.hpp"

namespace mlt::core {
namespace {

bool starts_block(std::string_view line) {
  if (!line.starts_with("mlt:")) return false;
  if (line.size() == 4) return true;
  char c = line[4];
  return c == ' ' || c == '\t' || c == '\r' || c == '#';
}

}  // namespace

YAML::Node field(const YAML::Node& m, const char* key) {
  if (m.IsMap())
    for (auto it = m.begin(); it != m.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  return YAML::Node(YAML::NodeType::Undefined);
}

namespace {

// `m` without its top-level "mlt" entry.
YAML::Node without_block(const YAML::Node& m) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = m.begin(); it != m.end(); ++it)
    if (!(it->first.IsScalar() && it->first.Scalar() == "mlt")) out.force_insert(it->first, it->second);
  return out;
}

std::string block_text(const std::map<std::string, store::Digest>& files, std::uint64_t size_bytes) {
  YAML::Node list(YAML::NodeType::Map);
  for (auto& [path, d] : files) list.force_insert(yaml::str(path), yaml::str(d.str()));
  YAML::Node block(YAML::NodeType::Map);
  block.force_insert(yaml::str("format"), yaml::plain("1"));
  block.force_insert(yaml::str("files"), list);
  block.force_insert(yaml::str("size_bytes"), yaml::plain(std::to_string(size_bytes)));
  YAML::Node top(YAML::NodeType::Map);
  top.force_insert(yaml::str("mlt"), block);
  return yaml::emit(top);
}

}  // namespace

MLmodelText split_mlt_block(std::string_view text) {
  MLmodelText out;
  std::size_t pos = 0;
  bool in_block = false;
  std::string block;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(pos, end - pos);
    std::string_view bare = line;
    if (bare.ends_with('\n')) bare.remove_suffix(1);
    if (!in_block && starts_block(bare)) {
      in_block = true;
    } else if (in_block && !(bare.empty() || bare == "\r" || bare.front() == ' ' || bare.front() == '\t')) {
      in_block = false;
    }
    (in_block ? block : out.body).append(line);
    pos = end;
  }
  if (!block.empty()) out.block = std::move(block);
  return out;
}

std::optional<PackageDigests> read_digests(const YAML::Node& mlmodel, const std::string& where, int code) {
  auto b = field(mlmodel, "mlt");
  if (!b.IsDefined() || b.IsNull()) return std::nullopt;
  auto fail = [&](const std::string& what) -> Error {
    return Error(static_cast<ExitCode>(code), fmt::format("{}: the mlt block {}", where, what),
                 "the block is written by mlt; re-import the original model to rebuild it");
  };
  if (!b.IsMap()) throw fail("is not a mapping");
  auto format = field(b, "format");
  if (!format.IsScalar()) throw fail("has no format");
  if (format.Scalar() != "1")
    throw Error(ExitCode::integrity, fmt::format("{}: the mlt block has format {}, newer than this mlt reads", where,
                                                 printable(format.Scalar())),
                "upgrade mlt");
  PackageDigests d;
  auto files = field(b, "files");
  if (!files.IsMap()) throw fail("has no files mapping");
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsScalar()) throw fail("lists a file that is not 'path: sha256:HEX'");
    auto digest = store::Digest::parse(it->second.Scalar());
    if (!digest || !it->second.Scalar().starts_with("sha256:"))
      throw fail(fmt::format("gives '{}' a bad digest '{}'", printable(it->first.Scalar()),
                             printable(it->second.Scalar())));
    d.files[it->first.Scalar()] = *digest;
  }
  auto size = field(b, "size_bytes");
  if (size.IsScalar()) {
    auto n = parse_int64(size.Scalar());
    if (!n || *n < 0) throw fail("has a bad size_bytes");
    d.size_bytes = static_cast<std::uint64_t>(*n);
  }
  return d;
}

std::string with_digests(const std::string& text, const std::map<std::string, store::Digest>& files,
                         std::uint64_t size_bytes, const std::string& where) {
  std::string body = split_mlt_block(text).body;
  if (!body.empty() && body.back() != '\n') body += '\n';
  YAML::Node original = yaml::parse(body, where);
  if (!original.IsMap())
    throw Error(ExitCode::usage, fmt::format("{}: an MLmodel file is a YAML mapping", where),
                "this does not look like an MLflow model");
  YAML::Node expected = without_block(original);
  auto attempt = [&](const std::string& b) -> std::optional<std::string> {
    auto all = files;
    all[mlmodel_file] = store::sha256(b);
    std::string full = b + block_text(all, size_bytes);
    try {
      YAML::Node back = yaml::parse(full, where);
      if (!back.IsMap() || !field(back, "mlt").IsMap()) return std::nullopt;
      if (!yaml::equal(without_block(back), expected)) return std::nullopt;
    } catch (const Error&) {
      return std::nullopt;
    } catch (const YAML::Exception&) {
      return std::nullopt;
    }
    return full;
  };
  if (field(original, "mlt").IsDefined()) {
    // an "mlt" key the line scan did not see (flow style): only a rewrite can replace it
  } else if (auto full = attempt(body)) {
    return *full;
  }
  if (auto full = attempt(yaml::emit(expected))) return *full;
  throw Error(ExitCode::usage, fmt::format("{}: cannot add digests without changing what the file says", where),
              "rewrite the MLmodel in block style (as MLflow writes it) and try again");
}

std::optional<std::string> string_field(const YAML::Node& m, const char* key) {
  auto n = field(m, key);
  if (n.IsScalar()) return n.Scalar();
  return std::nullopt;
}

std::vector<std::string> flavor_names(const YAML::Node& m) {
  std::vector<std::string> out;
  auto f = field(m, "flavors");
  if (f.IsMap())
    for (auto it = f.begin(); it != f.end(); ++it)
      if (it->first.IsScalar()) out.push_back(it->first.Scalar());
  return out;
}

std::vector<std::string> check_mlmodel(const YAML::Node& m, const std::function<bool(const std::string&)>& has_path) {
  std::vector<std::string> problems;
  if (!m.IsMap()) return {"MLmodel is not a YAML mapping"};
  auto flavors = field(m, "flavors");
  if (!flavors.IsDefined()) problems.push_back("MLmodel has no 'flavors'");
  else if (!flavors.IsMap() || flavors.size() == 0) problems.push_back("'flavors' is not a non-empty mapping");
  auto needs_path = [&](const std::string& field, const YAML::Node& v) {
    if (!v.IsScalar()) return;
    std::string p = v.Scalar();
    if (p.empty() || p.front() == '/' || p.find("://") != std::string::npos) return;   // not in the package
    while (p.starts_with("./")) p.erase(0, 2);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p.empty() || p == ".") return;
    if (!has_path(p)) problems.push_back(fmt::format("{} names '{}', which the package does not hold", field, printable(p)));
  };
  if (flavors.IsMap()) {
    for (auto it = flavors.begin(); it != flavors.end(); ++it) {
      std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
      const YAML::Node f = it->second;   // a copy: `it->` hands out a temporary
      if (!f.IsMap() && !f.IsNull()) {
        problems.push_back(fmt::format("flavor '{}' is not a mapping", printable(name)));
        continue;
      }
      if (name == "python_function") {
        auto loader = field(f, "loader_module");
        if (!yaml::is_string(loader)) problems.push_back("python_function has no 'loader_module'");
        for (const char* key : {"model_path", "data", "python_model"})
          needs_path(fmt::format("python_function.{}", key), field(f, key));
        auto env = field(f, "env");
        if (env.IsScalar()) needs_path("python_function.env", env);
        else if (env.IsMap())
          for (const char* key : {"conda", "virtualenv"})
            needs_path(fmt::format("python_function.env.{}", key), field(env, key));
      } else if (name == "sklearn") {
        needs_path("sklearn.pickled_model", field(f, "pickled_model"));
      } else if (name == "pytorch") {
        needs_path("pytorch.model_data", field(f, "model_data"));
      } else if (name == "onnx" || name == "xgboost" || name == "lightgbm" || name == "generic") {
        needs_path(name + ".data", field(f, "data"));
      }
    }
  }
  for (const char* key : {"artifact_path", "run_id", "model_uuid", "utc_time_created", "mlflow_version"}) {
    auto n = field(m, key);
    if (n.IsDefined() && !n.IsNull() && !n.IsScalar()) problems.push_back(fmt::format("'{}' is not a single value", key));
  }
  if (auto n = field(m, "model_size_bytes"); n.IsDefined() && !n.IsNull()) {
    auto v = n.IsScalar() ? parse_int64(n.Scalar()) : std::nullopt;
    if (!v || *v < 0) problems.push_back("'model_size_bytes' is not a byte count");
  }
  if (auto sig = field(m, "signature"); sig.IsDefined() && !sig.IsNull()) {
    if (!sig.IsMap()) {
      problems.push_back("'signature' is not a mapping");
    } else {
      auto get = [&](const char* k) -> std::optional<std::string> {
        auto n = field(sig, k);
        if (n.IsScalar()) return n.Scalar();
        if (n.IsDefined() && !n.IsNull()) problems.push_back(fmt::format("signature.{} is not a JSON string", k));
        return std::nullopt;
      };
      auto in = get("inputs"), out = get("outputs"), params = get("params");
      try {
        signature_from_mlmodel_strings(in, out, params, "signature");
      } catch (const Error& e) {
        problems.push_back(e.what());
      }
    }
  }
  if (auto ex = field(m, "saved_input_example_info"); ex.IsDefined() && !ex.IsNull()) {
    if (!ex.IsMap()) problems.push_back("'saved_input_example_info' is not a mapping");
    else if (!field(ex, "artifact_path").IsScalar()) problems.push_back("saved_input_example_info has no 'artifact_path'");
    else needs_path("saved_input_example_info.artifact_path", field(ex, "artifact_path"));
  }
  if (auto md = field(m, "metadata"); md.IsDefined() && !md.IsNull() && !md.IsMap())
    problems.push_back("'metadata' is not a mapping");
  return problems;
}

}  // namespace mlt::core
