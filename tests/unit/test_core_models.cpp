// core/models: importing MLflow model directories (every fixture model: stored with a digest block,
// verified, exported byte for byte), saving each flavor in MLflow's layout, determinism (same run,
// same spec: same bytes and tree), errors (unknown flavor or setting, wrong kind of source,
// malformed MLmodel, a name taken twice), and verify_model finding a tampered file.
#include "core/models/models.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "base/yaml.hpp"
#include "core/models/mlmodel.hpp"
#include "core/models/signature.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::slurp;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

fs::path generated_models() { return fs::path(MLT_FIXTURES) / "mlflow" / "generated-models"; }
fs::path shared_models() { return fs::path(MLT_SHARED_DIR) / "fixtures" / "mlflow" / "models"; }

// Model directories (holding MLmodel) below `root` that are not inside another one (MLflow's
// metadata/ copy of the MLmodel is part of its package, not a package).
std::vector<fs::path> top_model_dirs(const fs::path& root) {
  std::vector<fs::path> all;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return all;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().filename() == "MLmodel") all.push_back(it->path().parent_path());
  std::sort(all.begin(), all.end());
  std::vector<fs::path> out;
  for (auto& d : all)
    if (std::none_of(out.begin(), out.end(), [&](const fs::path& o) { return d.string().starts_with(o.string() + "/"); }))
      out.push_back(d);
  return out;
}

std::vector<fs::path> fixture_model_dirs() {
  auto out = top_model_dirs(generated_models());
  REQUIRE(out.size() >= 2);
  auto shared = top_model_dirs(shared_models());
  if (shared.empty()) MESSAGE("skipped the shared MLflow models: no directory " << shared_models().string());
  out.insert(out.end(), shared.begin(), shared.end());
  return out;
}

// Every regular file below `dir`: relative path -> content.
std::map<std::string, std::string> files_in(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file()) out[fs::relative(it->path(), dir).generic_string()] = slurp(it->path());
  return out;
}

std::vector<std::string> keys_of(const std::map<std::string, std::string>& m) {
  std::vector<std::string> out;
  for (auto& [k, v] : m) out.push_back(k);
  return out;
}

std::vector<std::string> paths_of(const ModelPackage& m) {
  std::vector<std::string> out;
  for (auto& f : m.files) out.push_back(f.path);
  return out;
}

RunRef new_run(TempProject& p, const std::string& name) {
  NewRun spec;
  spec.name = name;
  return create_run(p.db(), spec).ref;
}

// A run with a chosen uuid and name, so that two projects can hold "the same" run.
RunRef pinned_run(TempProject& p, const std::string& uuid, const std::string& name) {
  auto r = new_run(p, name);
  mlt::store::Stmt(p.db(), "UPDATE runs SET uuid = ?1, name = ?2 WHERE id = ?3").bind(1, uuid).bind(2, name).bind(3, r.id).exec();
  auto back = resolve_run(p.db(), uuid);
  REQUIRE(back.uuid == uuid);
  REQUIRE(back.id == r.id);
  return back;
}

std::string text_of(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string("<not a scalar>"); }

// A model saved and opened again, with its MLmodel parsed.
struct Saved {
  ModelRecord rec;
  ModelPackage pkg;
  YAML::Node flavor, pyfunc;
};

struct Fixture {
  TempProject p;
  RunRef run = new_run(p, "models");
  fs::path src = p.root() / "src";
  AddStats stats;
  AddOptions opt;
  Fixture() { fs::create_directories(src); }

  SaveSpec spec(const fs::path& source, const std::string& flavor, const std::string& name) {
    SaveSpec s;
    s.source = source;
    s.flavor = flavor;
    s.name = name;
    s.python_version = "3.11.2";   // never ask python3 on PATH: the test must not depend on it
    s.model_uuid = "0123456789abcdef0123456789abcdef";
    s.created_ms = 1700000000000;
    return s;
  }

  Saved save(const SaveSpec& s) {
    Saved out;
    out.rec = save_model(p.project(), run, s, stats, opt);
    out.pkg = open_model(&p.project(), out.rec.uri());
    out.flavor = field(field(out.pkg.mlmodel, "flavors"), s.flavor.c_str());
    out.pyfunc = field(field(out.pkg.mlmodel, "flavors"), "python_function");
    auto v = verify_model(&p.project(), out.pkg);
    CHECK(v.has_digests);
    CHECK_MESSAGE(v.problems.empty(), (v.problems.empty() ? "" : v.problems.front()));
    return out;
  }

  // The content of a file of a stored package.
  std::string content(const Saved& s, const std::string& path) {
    for (auto& f : s.pkg.files)
      if (f.path == path) {
        std::string out;
        p.project().objects().read_file(
            f.digest, [&](const std::uint8_t* d, std::size_t n) { out.append(reinterpret_cast<const char*>(d), n); });
        return out;
      }
    FAIL_CHECK("no file " << path);
    return "";
  }
};

}  // namespace

TEST_CASE("models: every fixture model imports, verifies and exports byte for byte") {
  TempProject p;
  auto run = new_run(p, "imports");
  AddStats stats;
  AddOptions opt;
  int i = 0;
  auto dirs = fixture_model_dirs();
  for (auto& dir : dirs) {
    CAPTURE(dir.string());
    auto original = files_in(dir);
    std::string name = "m";
    name += std::to_string(i++);
    auto rec = import_model(p.project(), run, dir, name, stats, opt);
    CHECK(rec.source == "import");
    CHECK(rec.path == name);
    CHECK(rec.uri() == "runs:/" + run.uuid + "/" + name);
    auto parsed = yaml::parse(original.at("MLmodel"), "MLmodel");
    CHECK(rec.flavors == flavor_names(parsed));
    CHECK(rec.model_uuid == string_field(parsed, "model_uuid"));

    auto m = open_model(&p.project(), rec.uri());
    REQUIRE(m.entry);
    CHECK(m.entry->digest == rec.tree);
    CHECK(package_digest(m) == rec.tree);
    CHECK(paths_of(m) == keys_of(original));
    CHECK(m.not_files.empty());
    // the stored MLmodel is the original with the block appended
    CHECK(m.mlmodel_text.starts_with(original.at("MLmodel")));
    CHECK(split_mlt_block(m.mlmodel_text).body == original.at("MLmodel"));

    auto v = verify_model(&p.project(), m);
    CHECK(v.has_digests);
    CHECK_MESSAGE(v.problems.empty(), (v.problems.empty() ? "" : v.problems.front()));
    CHECK(v.files == original.size());

    // exported as stored: every file identical but MLmodel, which has the block
    auto out = p.root() / ("out-" + name);
    export_model(p.project(), m, out, false, false);
    auto exported = files_in(out);
    CHECK(keys_of(exported) == keys_of(original));
    for (auto& row1_ : original) {  // clang 14 cannot capture structured bindings
      auto& path = std::get<0>(row1_);
      auto& bytes = std::get<1>(row1_);
      if (path == "MLmodel") CHECK(exported[path] == m.mlmodel_text);
      else CHECK_MESSAGE(exported[path] == bytes, path);
    }
    // the exported directory verifies on its own
    auto vd = verify_model(nullptr, open_model(nullptr, out.string()));
    CHECK(vd.has_digests);
    CHECK_MESSAGE(vd.problems.empty(), (vd.problems.empty() ? "" : vd.problems.front()));

    // exported without the block: every file identical to the original
    auto stripped = p.root() / ("stripped-" + name);
    export_model(p.project(), m, stripped, true, false);
    CHECK(files_in(stripped) == original);
    CHECK_FALSE(fs::exists(stripped / "MLmodel.mlt-tmp"));
    auto vs = verify_model(nullptr, open_model(nullptr, stripped.string()));
    CHECK_FALSE(vs.has_digests);
    CHECK(vs.problems.empty());

    // importing the exported copy (which has a block) stores the same package again
    auto again = import_model(p.project(), run, out, name + "-again", stats, opt);
    CHECK(again.tree == rec.tree);
  }
  auto listed = list_models(p.db(), run);
  CHECK(listed.size() == 2 * dirs.size());
  CHECK(std::all_of(listed.begin(), listed.end(), [](const ModelRecord& r) { return r.source == "import"; }));
}

TEST_CASE("models import: the name defaults to the MLmodel's artifact_path, else model") {
  TempProject p;
  auto run = new_run(p, "names");
  AddStats stats;
  AddOptions opt;
  auto plain = p.root() / "plain";
  fs::create_directories(plain);
  write_file(plain / "MLmodel", "flavors:\n  python_function:\n    loader_module: mymod\n");
  CHECK(import_model(p.project(), run, plain, "", stats, opt).path == "model");
  auto named = p.root() / "named";
  fs::create_directories(named);
  write_file(named / "MLmodel", "artifact_path: chain\nflavors:\n  python_function:\n    loader_module: mymod\n");
  CHECK(import_model(p.project(), run, named, "", stats, opt).path == "chain");
  // a name taken: exit 5, and nothing was recorded for the second attempt
  auto e = thrown([&] { import_model(p.project(), run, named, "", stats, opt); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(list_models(p.db(), run).size() == 2);
}

TEST_CASE("models import: errors") {
  TempProject p;
  auto run = new_run(p, "bad");
  AddStats stats;
  AddOptions opt;
  SUBCASE("malformed MLmodel: FILE:LINE:COL, exit 2") {
    auto dir = p.root() / "broken";
    fs::create_directories(dir);
    write_file(dir / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: [model.pkl\n");
    auto e = thrown([&] { import_model(p.project(), run, dir, "m", stats, opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    std::string prefix = (dir / "MLmodel").string() + ":";
    std::string msg = e->what();
    REQUIRE(msg.starts_with(prefix));
    CHECK_MESSAGE(std::regex_search(msg.substr(prefix.size()), std::regex("^[1-9][0-9]*:[1-9][0-9]*: invalid YAML: ")), msg);
    CHECK(list_models(p.db(), run).empty());
  }
  SUBCASE("an MLmodel naming a file the directory lacks") {
    auto dir = p.root() / "lacking";
    fs::create_directories(dir);
    write_file(dir / "MLmodel", "flavors:\n  sklearn:\n    pickled_model: model.pkl\n");
    auto e = thrown([&] { import_model(p.project(), run, dir, "m", stats, opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "sklearn.pickled_model names 'model.pkl'"));
  }
  SUBCASE("not a model directory") {
    auto e = thrown([&] { import_model(p.project(), run, p.root() / "nowhere", "m", stats, opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "nowhere"));
    write_file(p.root() / "file", "x");
    e = thrown([&] { import_model(p.project(), run, p.root() / "file", "m", stats, opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    fs::create_directories(p.root() / "empty");
    e = thrown([&] { import_model(p.project(), run, p.root() / "empty", "m", stats, opt); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "has no MLmodel file"));
  }
}

TEST_CASE("models save: sklearn, with environment files, signature and input example") {
  Fixture f;
  write_file(f.src / "model.pkl", "sklearn pickle bytes");
  write_file(f.src / "requirements.txt", "mlflow==2.12.2\n# a comment\n\nscikit-learn==1.2.1  # pinned\n--extra-index-url x\n");
  write_file(f.src / "example.csv", "area_m2,rooms\n35.8,1\n64.7,\n");
  auto s = f.spec(f.src / "model.pkl", "sklearn", "model");
  s.requirements = f.src / "requirements.txt";
  s.input_example = f.src / "example.csv";
  s.infer_signature = true;
  s.settings = {{"sklearn_version", "1.2.1"}};
  auto saved = f.save(s);
  CHECK(saved.rec.source == "save");
  CHECK(saved.rec.flavors == std::vector<std::string>{"python_function", "sklearn"});
  CHECK(saved.rec.model_uuid == std::optional<std::string>("0123456789abcdef0123456789abcdef"));
  CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "conda.yaml", "input_example.json", "model.pkl",
                                                        "python_env.yaml", "requirements.txt"});
  CHECK(f.content(saved, "model.pkl") == "sklearn pickle bytes");
  CHECK(f.content(saved, "requirements.txt") == slurp(f.src / "requirements.txt"));
  CHECK(f.content(saved, "python_env.yaml") ==
        "python: 3.11.2\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n");
  CHECK(f.content(saved, "conda.yaml") ==
        "channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip\n- pip:\n  - mlflow==2.12.2\n"
        "  - scikit-learn==1.2.1\nname: mlflow-env\n");
  CHECK(f.content(saved, "input_example.json") == R"({"columns": ["area_m2", "rooms"], "data": [[35.8, 1], [64.7, null]]})");

  auto& m = saved.pkg.mlmodel;
  CHECK(text_of(field(m, "artifact_path")) == "model");
  CHECK(text_of(field(m, "run_id")) == f.run.uuid);
  CHECK(text_of(field(m, "model_uuid")) == "0123456789abcdef0123456789abcdef");
  CHECK(text_of(field(m, "utc_time_created")) == "2023-11-14 22:13:20");
  CHECK(yaml::is_string(field(m, "utc_time_created")));
  // MLflow counts the model's files, not MLmodel or the environment files
  CHECK(text_of(field(m, "model_size_bytes")) ==
        std::to_string(slurp(f.src / "model.pkl").size() + f.content(saved, "input_example.json").size()));
  CHECK(text_of(field(saved.flavor, "pickled_model")) == "model.pkl");
  CHECK(text_of(field(saved.flavor, "serialization_format")) == "cloudpickle");
  CHECK(text_of(field(saved.flavor, "sklearn_version")) == "1.2.1");
  CHECK(field(saved.flavor, "code").IsNull());
  CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.sklearn");
  CHECK(text_of(field(saved.pyfunc, "model_path")) == "model.pkl");
  CHECK(text_of(field(saved.pyfunc, "predict_fn")) == "predict");
  CHECK(text_of(field(saved.pyfunc, "python_version")) == "3.11.2");
  CHECK(text_of(field(field(saved.pyfunc, "env"), "conda")) == "conda.yaml");
  CHECK(text_of(field(field(saved.pyfunc, "env"), "virtualenv")) == "python_env.yaml");
  auto info = field(m, "saved_input_example_info");
  CHECK(text_of(field(info, "artifact_path")) == "input_example.json");
  CHECK(text_of(field(info, "pandas_orient")) == "split");
  CHECK(text_of(field(info, "type")) == "dataframe");
  auto sig = field(m, "signature");
  CHECK(text_of(field(sig, "inputs")) ==
        R"([{"type": "double", "name": "area_m2", "required": true}, {"type": "long", "name": "rooms", "required": false}])");
  CHECK(field(sig, "outputs").IsNull());
  CHECK(field(sig, "params").IsNull());
  // written sorted, as MLflow writes MLmodel, and the digest block last
  std::vector<std::string> keys;
  for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(it->first.Scalar());
  CHECK(keys == std::vector<std::string>{"artifact_path", "flavors", "model_size_bytes", "model_uuid", "run_id",
                                         "saved_input_example_info", "signature", "utc_time_created", "mlt"});
}

TEST_CASE("models save: a signature file and a pickle serialization") {
  Fixture f;
  write_file(f.src / "model.pkl", "p");
  write_file(f.src / "sig.yaml",
             "inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 4]}}]'\n"
             "outputs:\n- type: tensor\n  tensor-spec:\n    dtype: int64\n    shape: [-1]\n");
  auto s = f.spec(f.src / "model.pkl", "sklearn", "clf");
  s.signature = f.src / "sig.yaml";
  s.settings = {{"serialization_format", "pickle"}, {"predict_fn", "predict_proba"}};
  s.created_ms = 1700000000123;
  auto saved = f.save(s);
  CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "model.pkl"});
  auto sig = field(saved.pkg.mlmodel, "signature");
  CHECK(text_of(field(sig, "inputs")) == R"([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}])");
  CHECK(text_of(field(sig, "outputs")) == R"([{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}])");
  CHECK(text_of(field(saved.flavor, "serialization_format")) == "pickle");
  CHECK(text_of(field(saved.pyfunc, "predict_fn")) == "predict_proba");
  CHECK(text_of(field(saved.pkg.mlmodel, "utc_time_created")) == "2023-11-14 22:13:20.123000");
  CHECK_FALSE(field(saved.pyfunc, "env").IsDefined());
}

TEST_CASE("models save: pytorch") {
  Fixture f;
  write_file(f.src / "net.pt", "torch bytes");
  auto s = f.spec(f.src / "net.pt", "pytorch", "torch");
  s.settings = {{"pytorch_version", "2.1.0"}};
  auto saved = f.save(s);
  CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "data/model.pth", "data/pickle_module_info.txt"});
  CHECK(f.content(saved, "data/model.pth") == "torch bytes");
  CHECK(f.content(saved, "data/pickle_module_info.txt") == "mlflow.pytorch.pickle_module");
  CHECK(text_of(field(saved.flavor, "model_data")) == "data");
  CHECK(text_of(field(saved.flavor, "pytorch_version")) == "2.1.0");
  CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.pytorch");
  CHECK(text_of(field(saved.pyfunc, "data")) == "data");
  CHECK(text_of(field(saved.pyfunc, "pickle_module_name")) == "mlflow.pytorch.pickle_module");
}

TEST_CASE("models save: onnx, a file and a directory with external data") {
  Fixture f;
  SUBCASE("a file") {
    write_file(f.src / "net.onnx", "onnx bytes");
    auto saved = f.save(f.spec(f.src / "net.onnx", "onnx", "onnx"));
    CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "model.onnx"});
    CHECK(text_of(field(saved.flavor, "data")) == "model.onnx");
    CHECK(field(saved.flavor, "onnx_session_options").IsNull());
    auto providers = field(saved.flavor, "providers");
    REQUIRE(providers.IsSequence());
    REQUIRE(providers.size() == 2);
    CHECK(providers[0].Scalar() == "CUDAExecutionProvider");
    CHECK(providers[1].Scalar() == "CPUExecutionProvider");
    CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.onnx");
    CHECK(text_of(field(saved.pyfunc, "data")) == "model.onnx");
  }
  SUBCASE("a directory: its files at the package root, data names the .onnx file") {
    fs::create_directories(f.src / "big" / "shards");
    write_file(f.src / "big" / "net.onnx", "graph");
    write_file(f.src / "big" / "weights.bin", "external data");
    write_file(f.src / "big" / "shards" / "w1.bin", "more");
    auto s = f.spec(f.src / "big", "onnx", "big");
    s.settings = {{"providers", "CPUExecutionProvider"}, {"onnx_version", "1.15.0"}};
    auto saved = f.save(s);
    CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "net.onnx", "shards/w1.bin", "weights.bin"});
    CHECK(f.content(saved, "weights.bin") == "external data");
    CHECK(text_of(field(saved.flavor, "data")) == "net.onnx");
    CHECK(text_of(field(saved.pyfunc, "data")) == "net.onnx");
    CHECK(text_of(field(saved.flavor, "onnx_version")) == "1.15.0");
    auto providers = field(saved.flavor, "providers");
    REQUIRE(providers.IsSequence());
    REQUIRE(providers.size() == 1);
    CHECK(providers[0].Scalar() == "CPUExecutionProvider");
  }
  SUBCASE("a directory with two .onnx files, or with a reserved name") {
    fs::create_directories(f.src / "two");
    write_file(f.src / "two" / "a.onnx", "a");
    write_file(f.src / "two" / "b.onnx", "b");
    auto e = thrown([&] { f.save(f.spec(f.src / "two", "onnx", "two")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "holds 2 .onnx files"));
    fs::create_directories(f.src / "res");
    write_file(f.src / "res" / "a.onnx", "a");
    write_file(f.src / "res" / "MLmodel", "x");
    e = thrown([&] { f.save(f.spec(f.src / "res", "onnx", "res")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "'MLmodel'"));
    CHECK(list_models(f.p.db(), f.run).empty());
  }
}

TEST_CASE("models save: xgboost and lightgbm") {
  Fixture f;
  SUBCASE("xgboost .json, .ubj and other names") {
    const std::vector<std::tuple<std::string, std::string, std::string>> cases{
        {"booster.json", "model.json", "json"}, {"booster.UBJ", "model.ubj", "ubj"}, {"booster.bin", "model.xgb", "xgb"}};
    for (auto& row2_ : cases) {  // clang 14 cannot capture structured bindings
      auto& file = std::get<0>(row2_);
      auto& data = std::get<1>(row2_);
      auto& format = std::get<2>(row2_);
      CAPTURE(file);
      write_file(f.src / file, "xgb " + file);
      auto saved = f.save(f.spec(f.src / file, "xgboost", "xgb-" + format));
      CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", data});
      CHECK(f.content(saved, data) == "xgb " + file);
      CHECK(text_of(field(saved.flavor, "data")) == data);
      CHECK(text_of(field(saved.flavor, "model_format")) == format);
      CHECK(text_of(field(saved.flavor, "model_class")) == "xgboost.core.Booster");
      CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.xgboost");
      CHECK(text_of(field(saved.pyfunc, "data")) == data);
    }
  }
  SUBCASE("lightgbm .lgb text and .pkl") {
    write_file(f.src / "model.txt", "tree\n");
    auto s = f.spec(f.src / "model.txt", "lightgbm", "lgb");
    s.settings = {{"lgb_version", "4.1.0"}};
    auto saved = f.save(s);
    CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "model.lgb"});
    CHECK(text_of(field(saved.flavor, "data")) == "model.lgb");
    CHECK(text_of(field(saved.flavor, "model_class")) == "lightgbm.basic.Booster");
    CHECK(text_of(field(saved.flavor, "lgb_version")) == "4.1.0");
    CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.lightgbm");
    CHECK(text_of(field(saved.pyfunc, "data")) == "model.lgb");

    write_file(f.src / "clf.pkl", "pickle");
    saved = f.save(f.spec(f.src / "clf.pkl", "lightgbm", "lgb-pkl"));
    CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "model.pkl"});
    CHECK(text_of(field(saved.flavor, "data")) == "model.pkl");
    CHECK(text_of(field(saved.flavor, "model_class")) == "lightgbm.sklearn.LGBMModel");
    CHECK(text_of(field(saved.pyfunc, "data")) == "model.pkl");
  }
}

TEST_CASE("models save: tensorflow") {
  Fixture f;
  auto saved_model = [&](const fs::path& dir, bool keras) {
    fs::create_directories(dir / "variables");
    write_file(dir / "saved_model.pb", "graph");
    write_file(dir / "variables" / "variables.index", "index");
    if (keras) write_file(dir / "keras_metadata.pb", "keras");
  };
  SUBCASE("a Keras SavedModel directory") {
    saved_model(f.src / "keras_dir", true);
    auto s = f.spec(f.src / "keras_dir", "tensorflow", "tf");
    s.settings = {{"keras_version", "2.15.0"}};
    auto saved = f.save(s);
    CHECK(paths_of(saved.pkg) ==
          std::vector<std::string>{"MLmodel", "data/keras_module.txt", "data/model/keras_metadata.pb",
                                   "data/model/saved_model.pb", "data/model/variables/variables.index",
                                   "data/save_format.txt"});
    CHECK(f.content(saved, "data/keras_module.txt") == "tensorflow.keras");
    CHECK(f.content(saved, "data/save_format.txt") == "tf");
    CHECK(text_of(field(saved.flavor, "data")) == "data");
    CHECK(text_of(field(saved.flavor, "model_type")) == "keras");
    CHECK(text_of(field(saved.flavor, "save_format")) == "tf");
    CHECK(text_of(field(saved.flavor, "keras_version")) == "2.15.0");
    CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.tensorflow");
    CHECK(text_of(field(saved.pyfunc, "data")) == "data");
  }
  SUBCASE("a SavedModel of a tf.Module (no keras_metadata.pb)") {
    saved_model(f.src / "module_dir", false);
    auto saved = f.save(f.spec(f.src / "module_dir", "tensorflow", "tf2"));
    CHECK(paths_of(saved.pkg) ==
          std::vector<std::string>{"MLmodel", "tf2model/saved_model.pb", "tf2model/variables/variables.index"});
    CHECK(text_of(field(saved.flavor, "model_type")) == "tf2-module");
    CHECK(text_of(field(saved.flavor, "saved_model_dir")) == "tf2model");
    CHECK_FALSE(field(saved.flavor, "data").IsDefined());
    CHECK(text_of(field(saved.pyfunc, "loader_module")) == "mlflow.tensorflow");
    CHECK_FALSE(field(saved.pyfunc, "data").IsDefined());
  }
  SUBCASE("a .keras file") {
    write_file(f.src / "net.keras", "zip");
    auto saved = f.save(f.spec(f.src / "net.keras", "tensorflow", "keras3"));
    CHECK(paths_of(saved.pkg) ==
          std::vector<std::string>{"MLmodel", "data/keras_module.txt", "data/model.keras", "data/save_format.txt"});
    CHECK(f.content(saved, "data/model.keras") == "zip");
    CHECK(f.content(saved, "data/save_format.txt") == "tf");
    CHECK(text_of(field(saved.flavor, "data")) == "data");
    CHECK(text_of(field(saved.flavor, "model_type")) == "keras");
    CHECK(text_of(field(saved.pyfunc, "data")) == "data");
  }
  SUBCASE("neither a SavedModel nor a Keras file") {
    fs::create_directories(f.src / "nothing");
    write_file(f.src / "nothing" / "x.txt", "x");
    auto e = thrown([&] { f.save(f.spec(f.src / "nothing", "tensorflow", "t")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "saved_model.pb"));
    write_file(f.src / "net.pb", "x");
    e = thrown([&] { f.save(f.spec(f.src / "net.pb", "tensorflow", "t")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
}

TEST_CASE("models save: generic file and directory") {
  Fixture f;
  fs::create_directories(f.src / "weights" / "sub");
  write_file(f.src / "weights" / "a.bin", "a");
  write_file(f.src / "weights" / "sub" / "b.bin", "b");
  auto saved = f.save(f.spec(f.src / "weights", "generic", "gen"));
  CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "weights/a.bin", "weights/sub/b.bin"});
  CHECK(text_of(field(saved.flavor, "data")) == "weights");
  CHECK_FALSE(field(saved.pyfunc, "loader_module").IsDefined());   // no python_function flavor
  CHECK(saved.rec.flavors == std::vector<std::string>{"generic"});

  write_file(f.src / "model.bin", "blob");
  auto s = f.spec(f.src / "model.bin", "generic", "gen-file");
  s.python_version.reset();   // generic has no python_function: python3 is never asked
  saved = f.save(s);
  CHECK(paths_of(saved.pkg) == std::vector<std::string>{"MLmodel", "model.bin"});
  CHECK(text_of(field(saved.flavor, "data")) == "model.bin");

  write_file(f.src / "conda.yaml", "x");
  auto e = thrown([&] { f.save(f.spec(f.src / "conda.yaml", "generic", "gen-reserved")); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
}

TEST_CASE("models save: the same run and spec give the same bytes in two projects") {
  const std::string uuid = "0123456789abcdef0123456789abcdef";
  auto save_in = [&](TempProject& p, std::int64_t created_ms) {
    auto run = pinned_run(p, "fedcba9876543210fedcba9876543210", "same-run");
    auto src = p.root() / "src";
    fs::create_directories(src);
    write_file(src / "model.pkl", "deterministic pickle");
    write_file(src / "requirements.txt", "scikit-learn==1.2.1\n");
    write_file(src / "ex.json", R"([{"a": 1.5, "b": "x"}, {"a": 2, "b": null}])");
    SaveSpec s;
    s.source = src / "model.pkl";
    s.flavor = "sklearn";
    s.name = "model";
    s.input_example = src / "ex.json";
    s.infer_signature = true;
    s.requirements = src / "requirements.txt";
    s.python_version = "3.10.4";
    s.model_uuid = uuid;
    s.created_ms = created_ms;
    AddStats stats;
    AddOptions opt;
    auto rec = save_model(p.project(), run, s, stats, opt);
    return std::make_pair(rec, open_model(&p.project(), rec.uri()));
  };
  TempProject p1, p2, p3;
  auto [rec1, m1] = save_in(p1, 1712345678901);
  auto [rec2, m2] = save_in(p2, 1712345678901);
  CHECK(rec1.uri() == rec2.uri());
  CHECK(m1.mlmodel_text == m2.mlmodel_text);
  CHECK(rec1.tree == rec2.tree);
  CHECK(package_digest(m1) == package_digest(m2));
  CHECK(contains(m1.mlmodel_text, "run_id: fedcba9876543210fedcba9876543210\n"));
  CHECK(contains(m1.mlmodel_text, "model_uuid: " + uuid + "\n"));
  CHECK(contains(m1.mlmodel_text, "utc_time_created: '2024-04-05 19:34:38.901000'\n"));
  // one millisecond later is another package
  auto [rec3, m3] = save_in(p3, 1712345678902);
  CHECK(rec3.tree != rec1.tree);
  CHECK(contains(m3.mlmodel_text, "utc_time_created: '2024-04-05 19:34:38.902000'\n"));
}

TEST_CASE("models save: errors") {
  Fixture f;
  write_file(f.src / "model.pkl", "p");
  SUBCASE("unknown flavor") {
    auto e = thrown([&] { f.save(f.spec(f.src / "model.pkl", "keras", "m")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "unknown flavor 'keras'");
    for (auto& name : model_flavors()) CHECK(contains(e->hint(), name));
    CHECK(model_flavors() ==
          std::vector<std::string>{"sklearn", "pytorch", "onnx", "xgboost", "lightgbm", "tensorflow", "generic"});
  }
  SUBCASE("unknown --set key: the message lists the valid ones") {
    auto s = f.spec(f.src / "model.pkl", "sklearn", "m");
    s.settings = {{"pickle_version", "5"}};
    auto e = thrown([&] { f.save(s); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "the sklearn flavor has no setting 'pickle_version'");
    CHECK(e->hint() == "settings: serialization_format, sklearn_version, predict_fn");
    auto g = f.spec(f.src / "model.pkl", "generic", "g");
    g.settings = {{"x", "1"}};
    e = thrown([&] { f.save(g); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(e->hint() == "this flavor takes no --set");
    s.settings = {{"serialization_format", "joblib"}};
    e = thrown([&] { f.save(s); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "'joblib'"));
    CHECK(flavor_settings("pytorch") ==
          std::vector<std::pair<std::string, std::string>>{{"pytorch_version", "the torch version that wrote the model"}});
  }
  SUBCASE("a directory given to a one-file flavor") {
    fs::create_directories(f.src / "dir");
    write_file(f.src / "dir" / "model.pkl", "p");
    for (const char* flavor : {"sklearn", "pytorch", "xgboost", "lightgbm"}) {
      auto e = thrown([&] { f.save(f.spec(f.src / "dir", flavor, "m")); });
      REQUIRE_MESSAGE(e, flavor);
      CHECK(e->code() == ExitCode::usage);
      CHECK(contains(e->what(), "is a directory"));
    }
  }
  SUBCASE("a missing source, a bad model uuid, infer without an example") {
    auto e = thrown([&] { f.save(f.spec(f.src / "absent.pkl", "sklearn", "m")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    auto s = f.spec(f.src / "model.pkl", "sklearn", "m");
    s.model_uuid = "0123456789ABCDEF0123456789ABCDEF";
    e = thrown([&] { f.save(s); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    s = f.spec(f.src / "model.pkl", "sklearn", "m");
    s.infer_signature = true;
    e = thrown([&] { f.save(s); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
  }
  SUBCASE("saving twice under one name") {
    f.save(f.spec(f.src / "model.pkl", "sklearn", "dup"));
    auto e = thrown([&] { f.save(f.spec(f.src / "model.pkl", "sklearn", "dup")); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::conflict);
    CHECK(contains(e->what(), "'dup'"));
    CHECK(list_models(f.p.db(), f.run).size() == 1);
    // another name is fine
    f.save(f.spec(f.src / "model.pkl", "sklearn", "dup2"));
    CHECK(list_models(f.p.db(), f.run).size() == 2);
  }
}

TEST_CASE("models verify: a tampered exported directory names the file") {
  Fixture f;
  write_file(f.src / "model.pkl", "original pickle");
  write_file(f.src / "requirements.txt", "numpy==1.26.0\n");
  auto s = f.spec(f.src / "model.pkl", "sklearn", "model");
  s.requirements = f.src / "requirements.txt";
  auto saved = f.save(s);
  auto dir = f.p.root() / "exported";
  export_model(f.p.project(), saved.pkg, dir, false, false);
  auto clean = verify_model(nullptr, open_model(nullptr, dir.string()));
  REQUIRE(clean.problems.empty());
  REQUIRE(clean.has_digests);

  auto problems_after = [&](auto&& change) {
    auto copy = f.p.root() / "copy";
    fs::remove_all(copy);
    fs::copy(dir, copy, fs::copy_options::recursive);
    change(copy);
    return verify_model(nullptr, open_model(nullptr, copy.string())).problems;
  };
  auto one_about = [](const std::vector<std::string>& problems, const std::string& start) {
    CAPTURE(problems.size());
    REQUIRE(problems.size() == 1);
    CHECK_MESSAGE(problems[0].starts_with(start), problems[0]);
  };
  one_about(problems_after([](const fs::path& d) { write_file(d / "model.pkl", "original pickle!"); }),
            "model.pkl: content differs from its recorded digest");
  one_about(problems_after([](const fs::path& d) { write_file(d / "conda.yaml", slurp(d / "conda.yaml") + "\n"); }),
            "conda.yaml: content differs from its recorded digest");
  one_about(problems_after([](const fs::path& d) { fs::remove(d / "requirements.txt"); }), "requirements.txt: missing");
  one_about(problems_after([](const fs::path& d) { write_file(d / "extra.txt", "x"); }),
            "extra.txt: not in the recorded digests");
  one_about(problems_after([](const fs::path& d) {
              auto text = slurp(d / "MLmodel");
              auto at = text.find("predict_fn: predict\n");
              REQUIRE(at != std::string::npos);
              text.replace(at, 20, "predict_fn: predikt\n");
              write_file(d / "MLmodel", text);
            }),
            "MLmodel: content differs from its recorded digest");
  // a block of a newer format is exit 6
  auto e = thrown([&] {
    problems_after([](const fs::path& d) {
      auto text = slurp(d / "MLmodel");
      auto at = text.find("\nmlt:\n  format: 1\n");
      REQUIRE(at != std::string::npos);
      text.replace(at, 18, "\nmlt:\n  format: 2\n");
      write_file(d / "MLmodel", text);
    });
  });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
}

TEST_CASE("models open_model: what is not a model") {
  Fixture f;
  write_file(f.src / "model.pkl", "p");
  auto saved = f.save(f.spec(f.src / "model.pkl", "sklearn", "model"));
  auto e = thrown([&] { open_model(&f.p.project(), saved.rec.uri() + "/model.pkl"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  e = thrown([&] { open_model(&f.p.project(), "runs:/" + f.run.uuid + "/absent"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  e = thrown([&] { open_model(nullptr, saved.rec.uri()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::no_project);
  e = thrown([&] { open_model(nullptr, (f.p.root() / "no-such-dir").string()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "no-such-dir"));
  e = thrown([&] { open_model(nullptr, f.src.string()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "has no MLmodel file"));
  // a directory with a malformed MLmodel: FILE:LINE:COL
  fs::create_directories(f.p.root() / "bad");
  write_file(f.p.root() / "bad" / "MLmodel", "a: 1\n b: 2\n");
  e = thrown([&] { open_model(nullptr, (f.p.root() / "bad").string()); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()).starts_with((f.p.root() / "bad" / "MLmodel").string() + ":"));
  // a directory is not a stored package: nothing to export, no tree digest
  auto dir = f.p.root() / "exported";
  export_model(f.p.project(), saved.pkg, dir, false, false);
  auto from_dir = open_model(nullptr, dir.string());
  CHECK(from_dir.dir);
  CHECK_FALSE(from_dir.entry);
  e = thrown([&] { export_model(f.p.project(), from_dir, f.p.root() / "again", false, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  e = thrown([&] { package_digest(from_dir); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  // exporting onto an existing directory is a conflict unless forced
  e = thrown([&] { export_model(f.p.project(), saved.pkg, dir, false, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
}
