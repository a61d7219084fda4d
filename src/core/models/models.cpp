#include "core/models/models.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/paths.hpp"
#include "base/yaml.hpp"
#include "core/models/mlmodel.hpp"
#include "core/models/registry.hpp"
#include "core/models/signature.hpp"

namespace mlt::core {
namespace {

// Files a package's generated parts use; a payload may not take these names.
const std::set<std::string> reserved_names{"MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt",
                                           "input_example.json"};

struct FlavorInfo {
  const char* name;
  const char* loader;   // python_function loader_module; nullptr: no pyfunc
  std::vector<std::pair<std::string, std::string>> settings;
};

const std::vector<FlavorInfo>& flavor_table() {
  static const std::vector<FlavorInfo> t{
      {"sklearn", "mlflow.sklearn",
       {{"serialization_format", "cloudpickle (default) or pickle: how the model file was written"},
        {"sklearn_version", "the scikit-learn version that wrote the model"},
        {"predict_fn", "the model's method python_function calls (default predict)"}}},
      {"pytorch", "mlflow.pytorch", {{"pytorch_version", "the torch version that wrote the model"}}},
      {"onnx", "mlflow.onnx",
       {{"onnx_version", "the onnx version that wrote the model"},
        {"providers", "onnxruntime execution providers, comma-separated (default CUDAExecutionProvider,CPUExecutionProvider)"}}},
      {"xgboost", "mlflow.xgboost",
       {{"xgb_version", "the xgboost version that wrote the model"},
        {"model_class", "the Python class of the model (default xgboost.core.Booster)"}}},
      {"lightgbm", "mlflow.lightgbm",
       {{"lgb_version", "the lightgbm version that wrote the model"},
        {"model_class", "the Python class (default lightgbm.basic.Booster; for a .pkl file lightgbm.sklearn.LGBMModel)"}}},
      {"tensorflow", "mlflow.tensorflow", {{"keras_version", "the TensorFlow/Keras version that wrote the model"}}},
      {"generic", nullptr, {}},
  };
  return t;
}

const FlavorInfo& flavor_info(const std::string& flavor) {
  for (auto& f : flavor_table())
    if (flavor == f.name) return f;
  throw Error(ExitCode::usage, fmt::format("unknown flavor '{}'", printable(flavor)),
              fmt::format("flavors: {}", fmt::join(model_flavors(), ", ")));
}

std::string read_text(const fs::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ExitCode::usage, fmt::format("cannot read the {} '{}'", what, path.string()), "check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// MLflow's utc_time_created: Python's str(datetime), microseconds only when non-zero.
std::string python_utc(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string s = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms % 1000) s += fmt::format(".{:06}", (ms % 1000) * 1000);
  return s;
}

std::string random_uuid_hex() { return new_run_uuid(); }

// What python3 on PATH says its version is (as MLflow records it: platform.python_version()).
// The interpreter runs isolated so that nothing in the working tree can answer for it: -I (neither
// the current folder nor PYTHON* variables nor the user's site-packages), -S (no site hooks), in
// /, with stdin and stderr on /dev/null. It gets 10 s; an answer that is not a version is ignored.
std::optional<std::string> detect_python_version() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_addchdir_np(&fa, "/");
  ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  ::posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::string a0 = "python3", a1 = "-I", a2 = "-S", a3 = "-c", a4 = "import platform; print(platform.python_version())";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "python3", &fa, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  std::string answer;
  bool ended = false;   // the child closed its output
  if (rc == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[64];
    while (answer.size() <= 64) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      struct pollfd p {out[0], POLLIN, 0};
      int pr = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) break;
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ended = true;
        break;
      }
      answer.append(buf, static_cast<std::size_t>(n));
    }
    if (!ended) ::kill(pid, SIGKILL);   // too slow or too talkative: not a version
  }
  ::close(out[0]);
  if (rc != 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  static const std::regex version_re("[0-9]+\\.[0-9]+(\\.[0-9]+)?[0-9A-Za-z.+]*");
  if (!ended || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.size() > 32 ||
      !std::regex_match(answer, version_re))
    return std::nullopt;
  return answer;
}

// Requirement lines for conda.yaml's pip section: no blanks, comments or pip options.
std::vector<std::string> requirement_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find(" #"); hash != std::string::npos) line.erase(hash);
    auto b = line.find_first_not_of(" \t\r");
    auto e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b, e - b + 1);
    if (line.front() == '#' || line.front() == '-') continue;
    out.push_back(line);
  }
  return out;
}

std::string python_env_yaml(const std::string& python) {
  YAML::Node n(YAML::NodeType::Map);
  n.force_insert(yaml::str("python"), yaml::str(python));
  YAML::Node build(YAML::NodeType::Sequence);
  for (const char* d : {"pip", "setuptools", "wheel"}) build.push_back(yaml::str(d));
  n.force_insert(yaml::str("build_dependencies"), build);
  YAML::Node deps(YAML::NodeType::Sequence);
  deps.push_back(yaml::str("-r requirements.txt"));
  n.force_insert(yaml::str("dependencies"), deps);
  return yaml::emit(n);
}

std::string conda_yaml(const std::string& python, const std::vector<std::string>& reqs) {
  YAML::Node n(YAML::NodeType::Map);
  YAML::Node channels(YAML::NodeType::Sequence);
  channels.push_back(yaml::str("conda-forge"));
  n.force_insert(yaml::str("channels"), channels);
  YAML::Node deps(YAML::NodeType::Sequence);
  deps.push_back(yaml::str("python=" + python));
  deps.push_back(yaml::str("pip"));
  YAML::Node pip(YAML::NodeType::Sequence);
  for (auto& r : reqs) pip.push_back(yaml::str(r));
  YAML::Node pipmap(YAML::NodeType::Map);
  pipmap.force_insert(yaml::str("pip"), pip);
  if (!reqs.empty()) deps.push_back(pipmap);
  n.force_insert(yaml::str("dependencies"), deps);
  n.force_insert(yaml::str("name"), yaml::str("mlflow-env"));
  return yaml::emit(n);
}

YAML::Node null_node() { return YAML::Node(YAML::NodeType::Null); }

// The package being built: entries placed by path, then turned into one tree.
class PackageBuilder {
 public:
  explicit PackageBuilder(Project& p) : p_(p) {}

  void place(const std::string& path, TreeEntry e) {
    if (taken_.count(path))
      throw Error(ExitCode::usage, fmt::format("two parts of the package would be written to '{}'", path),
                  "rename the file that clashes");
    taken_.insert(path);
    root_ = tree_set(p_.objects(), root_, path, e);
  }
  void text(const std::string& path, const std::string& content) {
    TreeEntry e{EntryKind::file, 0644, content.size(), p_.objects().put_blob(content), ""};
    place(path, e);
  }
  const std::optional<store::Digest>& root() const { return root_; }

 private:
  Project& p_;
  std::optional<store::Digest> root_;
  std::set<std::string> taken_;
};

struct Walked {
  std::map<std::string, store::Digest> files;   // every file but MLmodel
  std::uint64_t bytes = 0;                      // of those files
  std::uint64_t env_bytes = 0;                  // of the environment files (not in model_size_bytes)
  std::vector<std::string> links;
};

Walked walk_package(const store::ObjectStore& s, const store::Digest& root) {
  Walked w;
  walk_tree(s, root, [&](const std::string& path, const TreeEntry& e) {
    if (e.kind == EntryKind::link) w.links.push_back(path);
    if (e.kind != EntryKind::file || path == mlmodel_file) return;
    w.files[path] = e.digest;
    w.bytes += e.size;
    if (path == "conda.yaml" || path == "python_env.yaml" || path == "requirements.txt") w.env_bytes += e.size;
  });
  return w;
}

std::uint64_t tree_bytes(const store::ObjectStore& s, const store::Digest& root) {
  std::uint64_t total = 0;
  walk_tree(s, root, [&](const std::string&, const TreeEntry& e) {
    if (e.kind != EntryKind::dir) total += e.size;
  });
  return total;
}

void refuse_links(const Walked& w, const std::string& where) {
  if (!w.links.empty())
    throw Error(ExitCode::usage, fmt::format("'{}' holds a symbolic link: '{}'", where, w.links.front()),
                "a model package holds regular files only; copy what the link points to");
}

// Puts the finished package into the run's artifacts at `name` and records it, atomically.
ModelRecord commit_package(Project& p, const RunRef& run, const std::string& name, const store::Digest& tree,
                           const YAML::Node& mlmodel, const std::string& source) {
  auto parts = validate_artifact_path(name);
  std::string at = join_path(parts);
  ModelRecord rec;
  rec.run_uuid = run.uuid;
  rec.run_name = run.name;
  rec.path = at;
  rec.tree = tree;
  rec.model_uuid = string_field(mlmodel, "model_uuid");
  rec.flavors = flavor_names(mlmodel);
  if (source == "save") std::sort(rec.flavors.begin(), rec.flavors.end());   // as the file lists them
  rec.size = tree_bytes(p.objects(), tree);
  rec.created_ms = now_ms();
  rec.source = source;
  TreeEntry dir{EntryKind::dir, 0755, rec.size, tree, parts.back()};
  commit_artifacts(
      p, run, {{at, dir}},
      [&](const std::optional<store::Digest>& root) {
        if (root && lookup(p.objects(), *root, at))
          throw Error(ExitCode::conflict, fmt::format("run '{}' already has an artifact '{}'", run.name, at),
                      "pick another name with --name, or another run");
      },
      [&](const store::Digest&) {
        store::Stmt ins(p.db(),
                        "INSERT INTO models(run_id, path, tree, model_uuid, flavors, size, created_ms, source) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        ins.bind(1, run.id).bind(2, at).bind(3, tree.hex());
        if (rec.model_uuid) ins.bind(4, *rec.model_uuid); else ins.bind_null(4);
        ins.bind(5, fmt::format("{}", fmt::join(rec.flavors, ","))).bind(6, static_cast<std::int64_t>(rec.size));
        ins.bind(7, rec.created_ms).bind(8, source).exec();
      });
  return rec;
}

struct Settings {
  std::map<std::string, std::string> values;
  std::optional<std::string> get(const std::string& k) const {
    auto it = values.find(k);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

Settings check_settings(const FlavorInfo& f, const std::vector<KeyValue>& given) {
  Settings s;
  for (auto& [k, v] : given) {
    const auto& key = k;   // clang 14 cannot capture a structured binding
    bool known = std::any_of(f.settings.begin(), f.settings.end(), [&](auto& kv) { return kv.first == key; });
    if (!known) {
      std::vector<std::string> names;
      for (auto& kv : f.settings) names.push_back(kv.first);
      throw Error(ExitCode::usage, fmt::format("the {} flavor has no setting '{}'", f.name, printable(k)),
                  names.empty() ? std::string("this flavor takes no --set")
                                : fmt::format("settings: {}", fmt::join(names, ", ")));
    }
    s.values[k] = v;
  }
  if (auto sf = s.get("serialization_format"); sf && *sf != "pickle" && *sf != "cloudpickle")
    throw Error(ExitCode::usage, fmt::format("serialization_format '{}' is not pickle or cloudpickle", printable(*sf)));
  return s;
}

std::string lower_ext(const fs::path& p) { return ascii_lower(p.extension().string()); }

// Lays out the payload as MLflow's writer for the flavor does; returns the flavor's block and the
// python_function fields beyond loader_module, python_version and env.
void layout_payload(PackageBuilder& b, const FlavorInfo& f, const Settings& s, const fs::path& src,
                    const TreeEntry& payload, Project& p, YAML::Node& flavor, YAML::Node& pyfunc) {
  const std::string name = f.name;
  bool is_dir = payload.kind == EntryKind::dir;
  auto need_file = [&](const char* what) {
    if (is_dir)
      throw Error(ExitCode::usage,
                  fmt::format("the {} flavor takes one model file ({}); '{}' is a directory", name, what, src.string()),
                  "pass the file, or use --flavor generic for a directory of files");
    if (payload.kind != EntryKind::file)
      throw Error(ExitCode::usage, fmt::format("'{}' is not a regular file", src.string()));
  };
  auto put = [&](const std::string& path) {
    TreeEntry e = payload;
    e.name = path.substr(path.rfind('/') + 1);
    b.place(path, e);
  };
  flavor["code"] = null_node();
  if (name == "sklearn") {
    need_file("a pickle");
    put("model.pkl");
    flavor["pickled_model"] = yaml::str("model.pkl");
    flavor["serialization_format"] = yaml::str(s.get("serialization_format").value_or("cloudpickle"));
    if (auto v = s.get("sklearn_version")) flavor["sklearn_version"] = yaml::str(*v);
    pyfunc["model_path"] = yaml::str("model.pkl");
    pyfunc["predict_fn"] = yaml::str(s.get("predict_fn").value_or("predict"));
  } else if (name == "pytorch") {
    need_file("saved with torch.save");
    put("data/model.pth");
    b.text("data/pickle_module_info.txt", "mlflow.pytorch.pickle_module");
    flavor["model_data"] = yaml::str("data");
    if (auto v = s.get("pytorch_version")) flavor["pytorch_version"] = yaml::str(*v);
    YAML::Node config(YAML::NodeType::Map);
    config["device"] = null_node();
    pyfunc["config"] = config;
    pyfunc["data"] = yaml::str("data");
    pyfunc["pickle_module_name"] = yaml::str("mlflow.pytorch.pickle_module");
  } else if (name == "onnx") {
    std::string data = "model.onnx";
    if (is_dir) {
      // A model with external data: the directory's files go to the package root beside it.
      std::vector<std::string> onnx_files;
      for (auto& e : read_tree(p.objects(), payload.digest)) {
        if (reserved_names.count(e.name))
          throw Error(ExitCode::usage, fmt::format("'{}' holds '{}', a name the package needs for itself", src.string(), e.name),
                      "rename that file");
        if (e.kind == EntryKind::file && lower_ext(e.name) == ".onnx") onnx_files.push_back(e.name);
        b.place(e.name, e);
      }
      if (onnx_files.size() != 1)
        throw Error(ExitCode::usage,
                    fmt::format("'{}' holds {} .onnx files; the onnx flavor needs exactly one", src.string(), onnx_files.size()),
                    "pass the .onnx file, or a directory with one .onnx file and its external data");
      data = onnx_files.front();
    } else {
      put(data);
    }
    flavor["data"] = yaml::str(data);
    flavor["onnx_session_options"] = null_node();
    if (auto v = s.get("onnx_version")) flavor["onnx_version"] = yaml::str(*v);
    YAML::Node providers(YAML::NodeType::Sequence);
    std::string list = s.get("providers").value_or("CUDAExecutionProvider,CPUExecutionProvider");
    std::istringstream in(list);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) providers.push_back(yaml::str(item));
    flavor["providers"] = providers;
    pyfunc["data"] = yaml::str(data);
  } else if (name == "xgboost") {
    need_file("saved with save_model");
    auto ext = lower_ext(src);
    std::string format = ext == ".json" ? "json" : ext == ".ubj" ? "ubj" : "xgb";
    std::string data = "model." + format;
    put(data);
    flavor["data"] = yaml::str(data);
    flavor["model_class"] = yaml::str(s.get("model_class").value_or("xgboost.core.Booster"));
    flavor["model_format"] = yaml::str(format);
    if (auto v = s.get("xgb_version")) flavor["xgb_version"] = yaml::str(*v);
    pyfunc["data"] = yaml::str(data);
  } else if (name == "lightgbm") {
    need_file("a Booster text file or a pickle");
    bool pickled = lower_ext(src) == ".pkl" || lower_ext(src) == ".pickle";
    std::string data = pickled ? "model.pkl" : "model.lgb";
    put(data);
    flavor["data"] = yaml::str(data);
    if (auto v = s.get("lgb_version")) flavor["lgb_version"] = yaml::str(*v);
    flavor["model_class"] =
        yaml::str(s.get("model_class").value_or(pickled ? "lightgbm.sklearn.LGBMModel" : "lightgbm.basic.Booster"));
    pyfunc["data"] = yaml::str(data);
  } else if (name == "tensorflow") {
    if (!is_dir) {
      auto ext = lower_ext(src);
      if (ext != ".keras" && ext != ".h5")
        throw Error(ExitCode::usage,
                    fmt::format("the tensorflow flavor takes a SavedModel directory or a .keras/.h5 file, not '{}'", src.string()));
      put("data/model" + ext);
      b.text("data/keras_module.txt", "tensorflow.keras");
      b.text("data/save_format.txt", ext == ".h5" ? "h5" : "tf");
      flavor["data"] = yaml::str("data");
      flavor["model_type"] = yaml::str("keras");
      flavor["save_format"] = yaml::str(ext == ".h5" ? "h5" : "tf");
      pyfunc["data"] = yaml::str("data");
    } else {
      auto entries = read_tree(p.objects(), payload.digest);
      auto has = [&](const char* n) {
        return std::any_of(entries.begin(), entries.end(), [&](auto& e) { return e.name == n; });
      };
      if (!has("saved_model.pb"))
        throw Error(ExitCode::usage, fmt::format("'{}' is not a TensorFlow SavedModel (no saved_model.pb)", src.string()),
                    "pass the directory tf.saved_model.save or model.save wrote");
      if (has("keras_metadata.pb")) {
        put("data/model");
        b.text("data/keras_module.txt", "tensorflow.keras");
        b.text("data/save_format.txt", "tf");
        flavor["data"] = yaml::str("data");
        flavor["model_type"] = yaml::str("keras");
        flavor["save_format"] = yaml::str("tf");
        pyfunc["data"] = yaml::str("data");
      } else {
        put("tf2model");
        flavor["model_type"] = yaml::str("tf2-module");
        flavor["saved_model_dir"] = yaml::str("tf2model");
      }
    }
    if (auto v = s.get("keras_version")) flavor["keras_version"] = yaml::str(*v);
  } else {   // generic
    std::string base = payload.name;
    if (reserved_names.count(base))
      throw Error(ExitCode::usage, fmt::format("the payload may not be named '{}'", base), "rename it");
    put(base);
    flavor["data"] = yaml::str(base);
  }
}

YAML::Node example_info(const InputExample& ex) {
  YAML::Node info(YAML::NodeType::Map);
  info["artifact_path"] = yaml::str("input_example.json");
  if (ex.pandas_orient) info["pandas_orient"] = yaml::str(*ex.pandas_orient);
  info["type"] = yaml::str(ex.type);
  return info;
}

YAML::Node signature_node(const Signature& s) {
  YAML::Node n(YAML::NodeType::Map);
  auto part = [&](const std::optional<ojson>& v) { return v ? yaml::str(python_json(*v)) : null_node(); };
  n["inputs"] = part(s.inputs);
  n["outputs"] = part(s.outputs);
  n["params"] = part(s.params);
  return n;
}

}  // namespace

const std::vector<std::string>& model_flavors() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (auto& f : flavor_table()) v.push_back(f.name);
    return v;
  }();
  return names;
}

std::vector<std::pair<std::string, std::string>> flavor_settings(const std::string& flavor) {
  return flavor_info(flavor).settings;
}

PreparedSave prepare_save(const SaveSpec& spec) {
  PreparedSave ps;
  ps.spec = spec;
  const auto& f = flavor_info(spec.flavor);
  check_settings(f, spec.settings);
  validate_artifact_path(spec.name);
  if (spec.model_uuid) {
    const auto& u = *spec.model_uuid;
    if (u.size() != 32 || u.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error(ExitCode::usage, fmt::format("model uuid '{}' is not 32 lower-case hex digits", printable(u)));
  }
  std::error_code ec;
  auto st = fs::symlink_status(spec.source, ec);
  if (ec || !fs::exists(st))
    throw Error(ExitCode::usage, fmt::format("no such file or directory '{}'", spec.source.string()), "check the path");
  if (fs::is_symlink(st)) {
    auto target = fs::status(spec.source, ec);
    if (ec || !fs::exists(target))
      throw Error(ExitCode::usage, fmt::format("'{}' is a broken symbolic link", spec.source.string()));
  }
  // A symbolic link to the model is followed: the package holds the file it points to.
  ps.source = fs::is_symlink(st) ? fs::canonical(spec.source) : spec.source;
  if (spec.input_example) ps.example = read_input_example(*spec.input_example);
  if (spec.infer_signature) {
    if (!ps.example)
      throw Error(ExitCode::usage, "--signature infer needs an --input-example to infer from",
                  "pass --input-example FILE (CSV or JSON), or a signature file");
    ps.signature = infer_signature(*ps.example);
  } else if (spec.signature) {
    ps.signature = parse_signature(read_text(*spec.signature, "signature file"), spec.signature->string());
  }
  if (spec.requirements) ps.requirements = read_text(*spec.requirements, "requirements file");
  ps.python = spec.python_version;
  if (!ps.python && (f.loader || ps.requirements)) ps.python = detect_python_version();
  if (ps.requirements && !ps.python)
    throw Error(ExitCode::usage, "cannot tell the Python version for the environment files (python3 is not on PATH or did not answer)",
                "pass --python X.Y.Z, the version the model was trained with");
  return ps;
}

ModelRecord save_model(Project& p, const RunRef& run, const SaveSpec& spec, AddStats& stats, const AddOptions& opt) {
  return save_model(p, run, prepare_save(spec), stats, opt);
}

ModelRecord save_model(Project& p, const RunRef& run, const PreparedSave& ps, AddStats& stats, const AddOptions& opt) {
  require_active(run);
  const auto& spec = ps.spec;
  const auto& f = flavor_info(spec.flavor);
  auto settings = check_settings(f, spec.settings);
  const auto& example = ps.example;
  const auto& sig = ps.signature;
  const auto& requirements = ps.requirements;
  const auto& python = ps.python;
  const fs::path& src = ps.source;

  auto payload = snapshot(p, src, stats, opt);
  if (payload.kind == EntryKind::dir) refuse_links(walk_package(p.objects(), payload.digest), src.string());
  PackageBuilder b(p);
  YAML::Node flavor(YAML::NodeType::Map), pyfunc(YAML::NodeType::Map);
  layout_payload(b, f, settings, src, payload, p, flavor, pyfunc);
  if (example) b.text("input_example.json", example->content);

  YAML::Node m(YAML::NodeType::Map);
  m["artifact_path"] = yaml::str(join_path(validate_artifact_path(spec.name)));
  YAML::Node flavors(YAML::NodeType::Map);
  flavors[f.name] = flavor;
  if (f.loader) {
    pyfunc["loader_module"] = yaml::str(f.loader);
    if (python) pyfunc["python_version"] = yaml::str(*python);
    if (requirements) {
      YAML::Node env(YAML::NodeType::Map);
      env["conda"] = yaml::str("conda.yaml");
      env["virtualenv"] = yaml::str("python_env.yaml");
      pyfunc["env"] = env;
    }
    flavors["python_function"] = pyfunc;
  }
  m["flavors"] = flavors;
  // MLflow counts the files before it writes MLmodel and the environment files.
  auto size = b.root() ? tree_bytes(p.objects(), *b.root()) : 0;
  if (size > 0) m["model_size_bytes"] = yaml::plain(std::to_string(size));
  m["model_uuid"] = yaml::str(spec.model_uuid.value_or(random_uuid_hex()));
  m["run_id"] = yaml::str(run.uuid);
  if (example) m["saved_input_example_info"] = example_info(*example);
  if (!sig.empty()) m["signature"] = signature_node(sig);
  m["utc_time_created"] = yaml::str(python_utc(spec.created_ms.value_or(now_ms())));

  if (requirements) {
    b.text("requirements.txt", *requirements);
    b.text("python_env.yaml", python_env_yaml(*python));
    b.text("conda.yaml", conda_yaml(*python, requirement_lines(*requirements)));
  }
  auto walked = walk_package(p.objects(), *b.root());
  std::string text = with_digests(yaml::emit(m, {.sort_keys = true}), walked.files, walked.bytes, "MLmodel");
  b.text(mlmodel_file, text);
  p.objects().sync();
  return commit_package(p, run, spec.name, *b.root(), m, "save");
}

ModelRecord import_model(Project& p, const RunRef& run, const fs::path& given, const std::string& name,
                         AddStats& stats, const AddOptions& opt) {
  require_active(run);
  std::error_code ec;
  if (!fs::is_directory(given, ec))
    throw Error(ExitCode::usage,
                fs::exists(given, ec) ? fmt::format("'{}' is not a directory", given.string())
                                      : fmt::format("no such directory '{}'", given.string()),
                "pass an MLflow model directory (the folder holding MLmodel)");
  // a symbolic link to the model directory is followed
  fs::path dir = fs::is_symlink(fs::symlink_status(given, ec)) ? fs::canonical(given, ec) : given;
  fs::path mlmodel_path = dir / mlmodel_file;
  if (!fs::is_regular_file(fs::symlink_status(mlmodel_path, ec)))
    throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it has no MLmodel file", dir.string()),
                "pass the folder that holds MLmodel");
  std::string where = mlmodel_path.string();
  std::string original = read_text(mlmodel_path, "MLmodel");
  auto parsed = yaml::parse(original, where);
  if (!name.empty()) validate_artifact_path(name);
  auto tree = snapshot(p, dir, stats, opt);
  auto walked = walk_package(p.objects(), tree.digest);
  refuse_links(walked, dir.string());
  auto problems = check_mlmodel(parsed, [&](const std::string& path) {
    try {
      return lookup(p.objects(), tree.digest, path).has_value();
    } catch (const Error&) {
      return false;   // not a path a package can hold (e.g. '..')
    }
  });
  if (!problems.empty())
    throw Error(ExitCode::usage, fmt::format("{}: {}", where, problems.front()),
                problems.size() > 1 ? fmt::format("and {} more problem(s); fix the MLmodel and import again", problems.size() - 1)
                                    : std::string("fix the MLmodel and import again"));
  std::string text = with_digests(original, walked.files, walked.bytes, where);
  auto old = lookup(p.objects(), tree.digest, mlmodel_file);
  TreeEntry e{EntryKind::file, old ? old->mode : 0644, text.size(), p.objects().put_blob(text), mlmodel_file};
  auto root = tree_set(p.objects(), tree.digest, mlmodel_file, e);
  p.objects().sync();
  std::string at = name;
  if (at.empty()) {
    auto ap = string_field(parsed, "artifact_path");
    at = "model";
    if (ap && !ap->empty()) {
      try {
        at = join_path(validate_artifact_path(*ap));
      } catch (const Error&) {
      }
    }
  }
  return commit_package(p, run, at, root, parsed, "import");
}

std::vector<ModelRecord> list_models(store::Db& db, const std::optional<RunRef>& run) {
  std::string sql =
      "SELECT r.uuid, r.name, m.path, m.tree, m.model_uuid, m.flavors, m.size, m.created_ms, m.source "
      "FROM models m JOIN runs r ON r.id = m.run_id";
  if (run) sql += " WHERE m.run_id = ?1";
  sql += " ORDER BY m.created_ms DESC, m.id DESC";
  store::Stmt q(db, sql);
  if (run) q.bind(1, run->id);
  std::vector<ModelRecord> out;
  while (q.step()) {
    ModelRecord r;
    r.run_uuid = q.text(0);
    r.run_name = q.text(1);
    r.path = q.text(2);
    r.tree = store::Digest::parse(q.text(3)).value_or(store::Digest{});
    if (!q.is_null(4)) r.model_uuid = q.text(4);
    std::istringstream in(q.text(5));
    std::string f;
    while (std::getline(in, f, ','))
      if (!f.empty()) r.flavors.push_back(f);
    r.size = static_cast<std::uint64_t>(q.int64(6));
    r.created_ms = q.int64(7);
    r.source = q.text(8);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

void open_stored(Project& p, ModelPackage& m, const TreeEntry& e) {
  if (e.kind != EntryKind::dir)
    throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it is a file, not a package directory", m.label),
                "a model URI names the folder that holds MLmodel");
  m.entry = e;
  std::optional<TreeEntry> mlmodel;
  walk_tree(p.objects(), e.digest, [&](const std::string& path, const TreeEntry& t) {
    if (t.kind == EntryKind::file) m.files.push_back({path, t.size, t.mode, t.digest});
    else if (t.kind == EntryKind::link) m.not_files.push_back(path);
    if (path == mlmodel_file && t.kind == EntryKind::file) mlmodel = t;
  });
  if (!mlmodel)
    throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it has no MLmodel file", m.label),
                "save one with 'mlt model save' or import one with 'mlt model import'");
  m.entry->size = 0;   // a directory's size: the bytes of its files, as its tree entry records it
  for (auto& f : m.files) m.entry->size += f.size;
  m.mlmodel_text = p.objects().read_content(mlmodel->digest);
  m.mlmodel = yaml::parse(m.mlmodel_text, m.label + "/MLmodel");
}

}  // namespace

ModelPackage open_model(Project* p, const std::string& ref) {
  ModelPackage m;
  m.label = ref;
  bool stored = ref.starts_with("models:/") || ref.starts_with("runs:/");
  if (stored && !p) throw Error(ExitCode::no_project, "not inside an mlt project", "run 'mlt init' or pass -C DIR");
  if (ref.starts_with("models:/")) {
    auto v = Registry(p->db()).resolve(parse_version_ref(ref));
    m.run = resolve_run(p->db(), v.run_uuid);
    m.path = v.path;
    m.version = v;
    // the registered tree, pinned by its digest (not whatever the run's artifacts hold now);
    // open_stored fills in its size
    open_stored(*p, m, TreeEntry{EntryKind::dir, 0755, 0, v.tree, v.path.substr(v.path.rfind('/') + 1)});
  } else if (auto runs = parse_runs_uri(ref)) {
    m.run = resolve_run(p->db(), runs->first);
    m.path = runs->second;
    open_stored(*p, m, artifact_entry(*p, *m.run, m.path));
  } else {
    fs::path dir(ref);
    std::error_code ec;
    if (!fs::exists(dir, ec))
      throw Error(ExitCode::usage, fmt::format("no such model directory '{}'", ref),
                  "pass runs:/RUN/PATH, models:/NAME/VERSION or a model directory");
    if (!fs::is_directory(dir, ec))
      throw Error(ExitCode::usage, fmt::format("'{}' is not a model directory", ref), "pass the folder that holds MLmodel");
    if (!fs::is_regular_file(fs::symlink_status(dir / mlmodel_file, ec)))
      throw Error(ExitCode::usage, fmt::format("'{}' is not a model: it has no MLmodel file", ref),
                  "pass the folder that holds MLmodel");
    m.dir = dir;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      auto rel = fs::relative(it->path(), dir).generic_string();
      auto st = it->symlink_status(ec);
      if (fs::is_directory(st)) continue;
      if (!fs::is_regular_file(st)) {
        m.not_files.push_back(rel);
        continue;
      }
      auto [d, size] = store::sha256_file(it->path());
      struct stat sb {};
      ::lstat(it->path().c_str(), &sb);
      m.files.push_back({rel, size, static_cast<std::uint32_t>(sb.st_mode & 07777), d});
    }
    if (ec) throw Error(ExitCode::failure, fmt::format("cannot read the directory '{}': {}", ref, ec.message()));
    std::sort(m.files.begin(), m.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
    m.mlmodel_text = read_text(dir / mlmodel_file, "MLmodel");
    m.mlmodel = yaml::parse(m.mlmodel_text, (dir / mlmodel_file).string());
  }
  return m;
}

VerifyResult verify_model(Project* p, const ModelPackage& m, std::atomic<std::uint64_t>* progress) {
  VerifyResult r;
  std::set<std::string> paths;
  for (auto& f : m.files) {
    paths.insert(f.path);
    auto slash = f.path.find('/');
    while (slash != std::string::npos) {
      paths.insert(f.path.substr(0, slash));
      slash = f.path.find('/', slash + 1);
    }
  }
  for (auto& problem : check_mlmodel(m.mlmodel, [&](const std::string& path) { return paths.count(path) > 0; }))
    r.problems.push_back("MLmodel: " + problem);
  for (auto& nf : m.not_files) r.problems.push_back(nf + ": not a regular file");
  auto digests = read_digests(m.mlmodel, m.label + "/MLmodel", static_cast<int>(ExitCode::integrity));
  r.has_digests = digests.has_value();
  // The content as it is now: a stored package's objects are re-read (each read re-hashes).
  std::map<std::string, store::Digest> actual;
  for (auto& f : m.files) {
    ++r.files;
    r.bytes += f.size;
    if (f.path == mlmodel_file) {
      actual[f.path] = store::sha256(split_mlt_block(m.mlmodel_text).body);
      continue;
    }
    if (m.entry && p) {
      try {
        p->objects().read_file(f.digest, [progress](const std::uint8_t*, std::size_t n) {
          if (progress) *progress += n;
        });
      } catch (const Error& e) {
        r.problems.push_back(fmt::format("{}: the stored content is damaged ({})", f.path, e.what()));
        continue;
      }
    }
    actual[f.path] = f.digest;
  }
  if (!digests) return r;
  for (auto& [path, want] : digests->files) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      const auto& wanted = path;   // clang 14 cannot capture a structured binding
      bool damaged = std::any_of(m.files.begin(), m.files.end(), [&](auto& f) { return f.path == wanted; });
      if (!damaged) r.problems.push_back(fmt::format("{}: missing", path));
    } else if (it->second != want) {
      r.problems.push_back(fmt::format("{}: content differs from its recorded digest (recorded {}, found {})", path,
                                       want.str(), it->second.str()));
    }
  }
  for (auto& [path, d] : actual)
    if (!digests->files.count(path)) r.problems.push_back(fmt::format("{}: not in the recorded digests (added later)", path));
  return r;
}

void export_model(Project& p, const ModelPackage& m, const fs::path& dest, bool strip_digests, bool force) {
  if (!m.entry)
    throw Error(ExitCode::usage, fmt::format("'{}' is a directory already, not a stored model", m.label),
                "'mlt model get' exports runs:/ and models:/ URIs");
  RestoreOptions opt;
  opt.force = force;
  if (strip_digests) opt.content[mlmodel_file] = split_mlt_block(m.mlmodel_text).body;
  if (auto skipped = restore(p, *m.entry, dest, opt).skipped)
    throw Error(ExitCode::failure, fmt::format("{} symlink(s) of '{}' not restored", skipped, m.label));
}

store::Digest package_digest(const ModelPackage& m) {
  if (!m.entry) throw Error(ExitCode::usage, fmt::format("'{}' is not a stored model", m.label));
  return m.entry->digest;
}

}  // namespace mlt::core
