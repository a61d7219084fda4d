// core/mlmodel: the digest block (split_mlt_block, with_digests, read_digests) and the MLmodel
// content checks (check_mlmodel), on hand-written files and on every MLmodel MLflow wrote in the
// fixtures (tests/fixtures/mlflow/generated-models and, when present, ../shared's models/).
#include "core/models/mlmodel.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "base/yaml.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::slurp;
using mlt::test::thrown;
namespace fs = std::filesystem;

namespace {

// Every directory holding an MLmodel file below `root` (sorted), or none when `root` is absent.
std::vector<fs::path> model_dirs_below(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().filename() == "MLmodel") out.push_back(it->path().parent_path());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path generated_models() { return fs::path(MLT_FIXTURES) / "mlflow" / "generated-models"; }
fs::path shared_models() { return fs::path(MLT_SHARED_DIR) / "fixtures" / "mlflow" / "models"; }

std::vector<fs::path> fixture_model_dirs() {
  auto out = model_dirs_below(generated_models());
  REQUIRE(out.size() >= 2);   // the committed fixtures are always there
  auto shared = model_dirs_below(shared_models());
  if (shared.empty()) MESSAGE("skipped the shared MLflow models: no directory " << shared_models().string());
  out.insert(out.end(), shared.begin(), shared.end());
  return out;
}

// The files of a model directory (recursively, relative paths) but its MLmodel, with digests.
std::map<std::string, Digest> package_files(const fs::path& dir, std::uint64_t& bytes) {
  std::map<std::string, Digest> files;
  bytes = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    auto rel = fs::relative(it->path(), dir).generic_string();
    if (rel == "MLmodel") continue;
    auto text = slurp(it->path());
    files[rel] = sha256(text);
    bytes += text.size();
  }
  return files;
}

// `m` without its top-level mlt entry.
YAML::Node without_mlt(const YAML::Node& m) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = m.begin(); it != m.end(); ++it)
    if (it->first.Scalar() != "mlt") out.force_insert(it->first, it->second);
  return out;
}

std::vector<std::string> problems_of(const std::string& text, const std::set<std::string>& paths) {
  return check_mlmodel(yaml::parse(text, "MLmodel"), [&](const std::string& p) { return paths.count(p) > 0; });
}

bool any_contains(const std::vector<std::string>& list, const std::string& part) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return contains(s, part); });
}

const std::string sample =
    "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
    "  sklearn:\n    pickled_model: model.pkl\nmodel_uuid: 0bf395b86d9d471d9a8802e7dbbf643c\n";

std::map<std::string, Digest> sample_files() {
  return {{"model.pkl", sha256("pickle bytes")}, {"conda.yaml", sha256("channels: []\n")}};
}

}  // namespace

TEST_CASE("mlmodel split_mlt_block") {
  SUBCASE("no block: all body") {
    auto t = split_mlt_block(sample);
    CHECK(t.body == sample);
    CHECK_FALSE(t.block);
  }
  SUBCASE("a block at the end") {
    std::string block = "mlt:\n  format: 1\n  files:\n    MLmodel: sha256:00\n  size_bytes: 3\n";
    auto t = split_mlt_block(sample + block);
    CHECK(t.body == sample);
    REQUIRE(t.block);
    CHECK(*t.block == block);
  }
  SUBCASE("a block in the middle: the body is what is before and after it") {
    auto t = split_mlt_block("a: 1\nmlt:\n  format: 1\n\n  files: {}\nb: 2\n# tail\n");
    CHECK(t.body == "a: 1\nb: 2\n# tail\n");
    REQUIRE(t.block);
    CHECK(*t.block == "mlt:\n  format: 1\n\n  files: {}\n");
  }
  SUBCASE("a block without a final line end, and with a comment on its first line") {
    auto t = split_mlt_block("a: 1\nmlt: # digests\n  format: 1");
    CHECK(t.body == "a: 1\n");
    REQUIRE(t.block);
    CHECK(*t.block == "mlt: # digests\n  format: 1");
    t = split_mlt_block("a: 1\r\nmlt:\r\n  format: 1\r\n");
    CHECK(t.body == "a: 1\r\n");
    REQUIRE(t.block);
    CHECK(*t.block == "mlt:\r\n  format: 1\r\n");
  }
  SUBCASE("other keys that start with mlt, and indented mlt keys, are body") {
    for (const char* text : {"mltx: 1\n", "mlt_version: 2\n", "a:\n  mlt:\n    format: 1\n", "'mlt': 1\n", "mlt"}) {
      auto t = split_mlt_block(text);
      CHECK_MESSAGE(t.body == text, text);
      CHECK_FALSE(t.block);
    }
  }
}

TEST_CASE("mlmodel with_digests: appends the block and keeps the body byte for byte") {
  auto files = sample_files();
  auto text = with_digests(sample, files, 1234, "MLmodel");
  REQUIRE(text.starts_with(sample));
  auto t = split_mlt_block(text);
  CHECK(t.body == sample);
  REQUIRE(t.block);
  CHECK(*t.block == "mlt:\n  format: 1\n  files:\n    MLmodel: " + sha256(sample).str() + "\n    conda.yaml: " +
                        sha256("channels: []\n").str() + "\n    model.pkl: " + sha256("pickle bytes").str() +
                        "\n  size_bytes: 1234\n");
  auto parsed = yaml::parse(text, "MLmodel");
  CHECK(yaml::equal(without_mlt(parsed), yaml::parse(sample, "MLmodel")));
  auto d = read_digests(parsed, "MLmodel", static_cast<int>(ExitCode::integrity));
  REQUIRE(d);
  CHECK(d->size_bytes == 1234);
  CHECK(d->files.size() == 3);
  CHECK(d->files.at("MLmodel") == sha256(sample));
  CHECK(d->files.at("model.pkl") == sha256("pickle bytes"));

  SUBCASE("the same input gives the same bytes") { CHECK(with_digests(sample, files, 1234, "MLmodel") == text); }
  SUBCASE("an earlier block is replaced, not added to") {
    auto again = with_digests(text, {{"model.pkl", sha256("other")}}, 5, "MLmodel");
    CHECK(again == with_digests(sample, {{"model.pkl", sha256("other")}}, 5, "MLmodel"));
    auto d2 = read_digests(yaml::parse(again, "MLmodel"), "MLmodel", 6);
    REQUIRE(d2);
    CHECK(d2->files.size() == 2);
    CHECK(d2->files.at("MLmodel") == sha256(sample));   // the body's digest, not the whole file's
    CHECK(d2->size_bytes == 5);
  }
  SUBCASE("a block in the middle is moved to the end and the body closes up") {
    std::string middle = "a: 1\nmlt:\n  format: 1\n  files: {}\nb: 2\n";
    auto out = with_digests(middle, {}, 0, "MLmodel");
    CHECK(split_mlt_block(out).body == "a: 1\nb: 2\n");
    CHECK(out.starts_with("a: 1\nb: 2\nmlt:\n"));
  }
  SUBCASE("a body without a final line end gets one") {
    auto out = with_digests("a: 1", {}, 0, "MLmodel");
    CHECK(out.starts_with("a: 1\nmlt:\n"));
    CHECK(split_mlt_block(out).body == "a: 1\n");
    auto d2 = read_digests(yaml::parse(out, "MLmodel"), "MLmodel", 6);
    REQUIRE(d2);
    CHECK(d2->files.at("MLmodel") == sha256("a: 1\n"));
  }
  SUBCASE("a file that ends in a comment, or has CRLF line ends, keeps them") {
    for (std::string body : {std::string("a: 1\n# the end\n"), std::string("a: 1\r\nb: x\r\n")}) {
      auto out = with_digests(body, {}, 0, "MLmodel");
      CHECK(out.starts_with(body));
      CHECK(split_mlt_block(out).body == body);
    }
  }
}

TEST_CASE("mlmodel with_digests: re-emits what cannot take a key at the end, with the same meaning") {
  for (std::string text : {std::string("{flavors: {sklearn: {pickled_model: model.pkl}}, model_uuid: abc, "
                                       "utc_time_created: '2024-01-01 10:00:00', size: 14.3}\n"),
                           std::string("{a: 1, mlt: {format: 1, files: {}}, b: 'yes'}"),
                           std::string("a: 1\n...\n"),
                           std::string("  a: 1\n  b: [x, 'y']\n")}) {
    CAPTURE(text);
    auto out = with_digests(text, {{"model.pkl", sha256("x")}}, 1, "MLmodel");
    auto parsed = yaml::parse(out, "MLmodel");
    auto expected = without_mlt(yaml::parse(text, "MLmodel"));
    CHECK(yaml::equal(without_mlt(parsed), expected));
    auto d = read_digests(parsed, "MLmodel", 6);
    REQUIRE(d);
    CHECK(d->files.size() == 2);
    auto body = split_mlt_block(out).body;
    CHECK(d->files.at("MLmodel") == sha256(body));
    // the rewritten body is block style, and the same data
    CHECK(yaml::equal(yaml::parse(body, "MLmodel"), expected));
    CHECK(body.find('{') == std::string::npos);
    // and it is stable: adding digests again gives the same file
    CHECK(with_digests(out, {{"model.pkl", sha256("x")}}, 1, "MLmodel") == out);
  }
}

TEST_CASE("mlmodel with_digests: errors") {
  auto e = thrown([] { with_digests("a: [1, 2\nb: 3\n", {}, 0, "dir/MLmodel"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()).starts_with("dir/MLmodel:"));
  CHECK(contains(e->what(), "invalid YAML"));
  for (const char* not_a_map : {"- a\n- b\n", "just text\n"}) {
    e = thrown([&] { with_digests(not_a_map, {}, 0, "dir/MLmodel"); });
    REQUIRE_MESSAGE(e, not_a_map);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "dir/MLmodel: an MLmodel file is a YAML mapping");
  }
}

TEST_CASE("mlmodel read_digests: absent, well-formed, malformed, newer format") {
  auto p = [](const std::string& t) { return yaml::parse(t, "MLmodel"); };
  const std::string hex(64, 'a');
  CHECK_FALSE(read_digests(p(sample), "m", 6));
  CHECK_FALSE(read_digests(p("a: 1\nmlt: null\n"), "m", 6));
  auto d = read_digests(p("mlt:\n  format: 1\n  files:\n    x/y.bin: sha256:" + hex + "\n  size_bytes: 0\n"), "m", 6);
  REQUIRE(d);
  CHECK(d->files.size() == 1);
  CHECK(d->files.at("x/y.bin").hex() == hex);
  CHECK(d->size_bytes == 0);
  d = read_digests(p("mlt:\n  format: 1\n  files: {}\n"), "m", 6);   // size_bytes may be left out
  REQUIRE(d);
  CHECK(d->files.empty());

  struct Bad {
    std::string text, what;
  };
  const std::vector<Bad> bad{
      {"mlt: 5\n", "is not a mapping"},
      {"mlt: [1]\n", "is not a mapping"},
      {"mlt:\n  files: {}\n", "has no format"},
      {"mlt:\n  format: 1\n", "has no files mapping"},
      {"mlt:\n  format: 1\n  files: [a]\n", "has no files mapping"},
      {"mlt:\n  format: 1\n  files:\n    a: [1]\n", "lists a file that is not"},
      {"mlt:\n  format: 1\n  files:\n    a: sha256:xyz\n", "gives 'a' a bad digest 'sha256:xyz'"},
      {"mlt:\n  format: 1\n  files:\n    a: " + hex + "\n", "gives 'a' a bad digest"},
      {"mlt:\n  format: 1\n  files:\n    a: md5:" + hex + "\n", "gives 'a' a bad digest"},
      {"mlt:\n  format: 1\n  files: {}\n  size_bytes: -1\n", "has a bad size_bytes"},
      {"mlt:\n  format: 1\n  files: {}\n  size_bytes: many\n", "has a bad size_bytes"},
  };
  for (auto& b : bad) {
    CAPTURE(b.text);
    for (ExitCode code : {ExitCode::integrity, ExitCode::usage}) {
      auto e = thrown([&] { read_digests(p(b.text), "pkg/MLmodel", static_cast<int>(code)); });
      REQUIRE(e);
      CHECK(e->code() == code);
      CHECK(std::string(e->what()).starts_with("pkg/MLmodel: the mlt block "));
      CHECK(contains(e->what(), b.what));
    }
  }
  // a newer format is exit 6 whatever code the caller gave
  for (ExitCode code : {ExitCode::integrity, ExitCode::usage}) {
    auto e = thrown([&] { read_digests(p("mlt:\n  format: 2\n  files: {}\n"), "pkg/MLmodel", static_cast<int>(code)); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(contains(e->what(), "format 2"));
  }
}

TEST_CASE("mlmodel check_mlmodel: problems, one sentence each") {
  const std::set<std::string> pkg{"model.pkl", "conda.yaml", "python_env.yaml", "input_example.json", "data"};
  CHECK(problems_of(sample, pkg).empty());

  SUBCASE("flavors") {
    CHECK(problems_of("model_uuid: x\n", pkg) == std::vector<std::string>{"MLmodel has no 'flavors'"});
    CHECK(problems_of("flavors: {}\n", pkg) == std::vector<std::string>{"'flavors' is not a non-empty mapping"});
    CHECK(problems_of("flavors: [sklearn]\n", pkg) == std::vector<std::string>{"'flavors' is not a non-empty mapping"});
    CHECK(problems_of("flavors:\n  sklearn: 3\n", pkg) == std::vector<std::string>{"flavor 'sklearn' is not a mapping"});
    CHECK(problems_of("- a\n", pkg) == std::vector<std::string>{"MLmodel is not a YAML mapping"});
  }
  SUBCASE("python_function needs a loader_module") {
    CHECK(problems_of("flavors:\n  python_function:\n    model_path: model.pkl\n", pkg) ==
          std::vector<std::string>{"python_function has no 'loader_module'"});
    CHECK(any_contains(problems_of("flavors:\n  python_function:\n    loader_module: [a]\n", pkg),
                       "python_function has no 'loader_module'"));
    CHECK(problems_of("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n", pkg).empty());
  }
  SUBCASE("files the MLmodel names that the package lacks") {
    const std::set<std::string> empty;
    auto ps = problems_of(sample, empty);
    CHECK(ps.size() == 2);
    CHECK(any_contains(ps, "sklearn.pickled_model names 'model.pkl', which the package does not hold"));
    CHECK(any_contains(ps, "python_function.model_path names 'model.pkl', which the package does not hold"));
    ps = problems_of(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n"
        "    data: data\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n",
        {"data", "conda.yaml"});
    CHECK(ps == std::vector<std::string>{
                    "python_function.python_model names 'python_model.pkl', which the package does not hold",
                    "python_function.env.virtualenv names 'python_env.yaml', which the package does not hold"});
    ps = problems_of(
        "flavors:\n  pytorch:\n    model_data: data\n  onnx:\n    data: model.onnx\n"
        "saved_input_example_info:\n  artifact_path: input_example.json\n  type: dataframe\n",
        {"data"});
    CHECK(ps == std::vector<std::string>{
                    "onnx.data names 'model.onnx', which the package does not hold",
                    "saved_input_example_info.artifact_path names 'input_example.json', which the package does not hold"});
    CHECK(any_contains(problems_of("flavors:\n  generic:\n    data: a\nsaved_input_example_info:\n  type: json_object\n",
                                   {"a"}),
                       "saved_input_example_info has no 'artifact_path'"));
    // absolute paths and URIs are outside the package: not checked
    CHECK(problems_of("flavors:\n  python_function:\n    loader_module: m\n    model_path: /tmp/model.pkl\n"
                      "    data: s3://bucket/data\n    env: conda.yaml\n",
                      {"conda.yaml"})
              .empty());
    CHECK(any_contains(problems_of("flavors:\n  python_function:\n    loader_module: m\n    env: conda.yaml\n", {}),
                       "python_function.env names 'conda.yaml'"));
  }
  SUBCASE("a bad signature") {
    auto ps = problems_of(sample + "signature:\n  inputs: '[{\"type\": \"double\"'\n  outputs: null\n", pkg);
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].starts_with("signature inputs: invalid JSON in the string"));
    ps = problems_of(sample + "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\"}, {\"type\": \"qq\"}]'\n", pkg);
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].starts_with("signature inputs[1]: unknown type 'qq'"));
    ps = problems_of(sample + "signature:\n  outputs:\n  - type: double\n", pkg);
    CHECK(ps == std::vector<std::string>{"signature.outputs is not a JSON string"});
    CHECK(problems_of(sample + "signature: [1]\n", pkg) == std::vector<std::string>{"'signature' is not a mapping"});
    CHECK(problems_of(sample + "signature:\n  inputs: '[{\"type\": \"double\"}]'\n  params: null\n", pkg).empty());
  }
  SUBCASE("other fields") {
    CHECK(problems_of(sample + "model_size_bytes: lots\n", pkg) ==
          std::vector<std::string>{"'model_size_bytes' is not a byte count"});
    CHECK(problems_of(sample + "model_size_bytes: -5\n", pkg) ==
          std::vector<std::string>{"'model_size_bytes' is not a byte count"});
    CHECK(problems_of(sample + "run_id: [a, b]\n", pkg) == std::vector<std::string>{"'run_id' is not a single value"});
    CHECK(problems_of(sample + "metadata: 3\n", pkg) == std::vector<std::string>{"'metadata' is not a mapping"});
    CHECK(problems_of(sample + "saved_input_example_info: x\n", pkg) ==
          std::vector<std::string>{"'saved_input_example_info' is not a mapping"});
  }
  SUBCASE("unknown top-level fields are fine") {
    CHECK(problems_of(sample + "databricks_runtime: '14.3'\nresources:\n  api_version: '1'\nwhatever: [1, {a: b}]\n"
                               "metadata:\n  k: v\nmodel_size_bytes: 12\nrun_id: null\n",
                      pkg)
              .empty());
  }
}

TEST_CASE("mlmodel: every MLmodel MLflow wrote round-trips through with_digests") {
  for (auto& dir : fixture_model_dirs()) {
    CAPTURE(dir.string());
    auto original = slurp(dir / "MLmodel");
    REQUIRE(!original.empty());
    REQUIRE(original.back() == '\n');
    std::uint64_t bytes = 0;
    auto files = package_files(dir, bytes);
    auto text = with_digests(original, files, bytes, (dir / "MLmodel").string());
    // the block is appended: the original bytes come back out
    CHECK(text.starts_with(original));
    auto t = split_mlt_block(text);
    CHECK(t.body == original);
    REQUIRE(t.block);
    // the same data plus an mlt key
    auto before = yaml::parse(original, "before");
    auto after = yaml::parse(text, "after");
    CHECK_FALSE(field(before, "mlt").IsDefined());
    CHECK(field(after, "mlt").IsMap());
    CHECK(after.size() == before.size() + 1);
    CHECK(yaml::equal(without_mlt(after), before));
    CHECK(flavor_names(after) == flavor_names(before));
    CHECK(string_field(after, "model_uuid") == string_field(before, "model_uuid"));
    // and the block lists what was given
    auto d = read_digests(after, "after", 6);
    REQUIRE(d);
    CHECK(d->size_bytes == bytes);
    CHECK(d->files.size() == files.size() + 1);
    CHECK(d->files.at("MLmodel") == sha256(original));
    for (auto& [path, digest] : files) CHECK(d->files.at(path) == digest);
    // stripping and adding again gives the same file
    CHECK(with_digests(text, files, bytes, "again") == text);
  }
}

TEST_CASE("mlmodel: every fixture model directory passes check_mlmodel") {
  auto dirs = fixture_model_dirs();
  for (auto& dir : dirs) {
    // a model directory inside another one (MLflow's metadata/ copy) is not a package of its own
    bool nested = std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& other) {
      return other != dir && dir.string().starts_with(other.string() + "/");
    });
    if (nested) continue;
    CAPTURE(dir.string());
    std::set<std::string> paths;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
      paths.insert(fs::relative(it->path(), dir).generic_string());
    auto m = yaml::parse(slurp(dir / "MLmodel"), "MLmodel");
    auto problems = check_mlmodel(m, [&](const std::string& p) { return paths.count(p) > 0; });
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    CHECK_FALSE(flavor_names(m).empty());
  }
}

TEST_CASE("mlmodel field, string_field, flavor_names") {
  auto m = yaml::parse(sample + "mlflow_version: 2.12.2\nrun_id: null\nsignature: {inputs: x}\n", "MLmodel");
  CHECK(flavor_names(m) == std::vector<std::string>{"python_function", "sklearn"});
  CHECK(string_field(m, "mlflow_version") == std::optional<std::string>("2.12.2"));
  CHECK_FALSE(string_field(m, "run_id"));
  CHECK_FALSE(string_field(m, "signature"));
  CHECK_FALSE(string_field(m, "absent"));
  CHECK_FALSE(field(m, "absent").IsDefined());
  CHECK(m.size() == 5);   // field() never inserts
  CHECK(field(m, "signature").IsMap());
  CHECK(flavor_names(yaml::parse("a: 1\n", "m")).empty());
}
