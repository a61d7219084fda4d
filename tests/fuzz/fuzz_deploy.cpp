// Fuzzes the inputs of the deploy renderers (core/deploy): the --set K=V settings (through
// parse_kv, as the CLI reads them), the target, the environment name, and the package's name,
// rendered for a verified model package in a scratch project.
//
// Input: line 0 is  byte 0 (bits 0-2: target; bit 3: the package with a non-DNS name; bit 4: also
//        record the deployment)  then the environment name;  every further line is one --set K=V.
// Properties:
//  - only mlt::Error escapes (a nlohmann or yaml-cpp exception is a defect);
//  - every rendered file has a valid relative path, every .yaml/.json file loads back, and the
//    image and object name the settings ask for are the ones the manifests carry.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/paths.hpp"
#include "base/values.hpp"
#include "base/yaml.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/models/deploy.hpp"
#include "core/models/models.hpp"
#include "core/project.hpp"
#include "core/tracking/runs.hpp"
#include "fuzz_common.hpp"

#ifndef MLT_FIXTURES
#error "MLT_FIXTURES must name tests/fixtures"
#endif

using namespace mlt;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  std::optional<core::Project> project;
  std::string uri[2];
  int records = 0;
};

// A project holding one verified package twice: as "m" and under a name that is no DNS name.
void build(Fixture& f) {
  static int generation = 0;
  f.project.reset();
  std::error_code ec;
  if (!f.dir.empty()) fs::remove_all(f.dir, ec);
  fs::path dir = f.dir = fuzz::scratch_dir() / ("deploy-" + std::to_string(generation++));
  fs::create_directories(dir);
  core::Project::init(dir);
  f.project.emplace(core::Project::open(dir));
  core::NewRun nr;
  nr.name = "train";
  auto run = core::create_run(f.project->db(), nr).ref;
  core::AddStats stats;
  core::AddOptions opt;
  fs::path model = fs::path(MLT_FIXTURES) / "mlflow/generated-models/pyfunc_minimal";
  const char* names[2] = {"m", "Mödel_Ünïcode.v2--"};
  for (int i = 0; i < 2; ++i) {
    auto rec = core::import_model(*f.project, run, model, names[i], stats, opt);
    f.uri[i] = rec.uri();
  }
  f.records = 0;
}

Fixture& fixture() {
  static Fixture f = [] {
    fuzz::pin_environment();
    Fixture x;
    build(x);
    return x;
  }();
  return f;
}

const YAML::Node load(const core::RenderedFile& f) {
  try {
    return core::yaml::parse(f.content, f.path);
  } catch (const Error& e) {
    fuzz::finding("rendered " + f.path + " does not load: " + e.what() + "\n" + f.content);
  }
}

std::string scalar(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string("<not a scalar>"); }

void check(const core::Rendered& r, const std::map<std::string, std::string>& set) {
  for (auto& f : r.files) {
    try {
      core::validate_artifact_path(f.path);
    } catch (const Error& e) {
      fuzz::finding("rendered file has an invalid path: " + std::string(e.what()));
    }
    if (f.path.ends_with(".json") && !nlohmann::json::accept(f.content))
      fuzz::finding("rendered " + f.path + " is not JSON:\n" + f.content);
    if (!f.path.ends_with(".yaml") || f.path.starts_with("model/")) continue;
    YAML::Node y = load(f);
    auto name = set.count("name") ? std::optional(set.at("name")) : std::nullopt;
    auto image = set.count("image") ? std::optional(set.at("image")) : std::nullopt;
    if (name && y["metadata"] && scalar(y["metadata"]["name"]) != *name)
      fuzz::finding("metadata.name of " + f.path + " is '" + scalar(y["metadata"]["name"]) + "', not '" + *name + "'");
    if (f.path == "deployment.yaml" && image) {
      auto got = scalar(y["spec"]["template"]["spec"]["containers"][0]["image"]);
      if (got != *image) fuzz::finding("deployment.yaml runs image '" + got + "', not '" + *image + "'");
    }
    if (f.path == "compose.yaml") {
      auto services = y["services"];
      if (!services.IsMap() || services.size() != 1) fuzz::finding("compose.yaml has not one service");
      auto it = services.begin();
      if (name && scalar(it->first) != *name)
        fuzz::finding("compose.yaml names its service '" + scalar(it->first) + "', not '" + *name + "'");
      if (!core::yaml::is_string(it->first)) fuzz::finding("compose.yaml service name does not read as a string");
      if (image && scalar(it->second["image"]) != *image)
        fuzz::finding("compose.yaml runs image '" + scalar(it->second["image"]) + "', not '" + *image + "'");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 128 * 1024) return 0;
  auto& fx = fixture();
  auto ls = fuzz::lines(fuzz::as_text(data, size));
  std::uint8_t mode = static_cast<std::uint8_t>(ls[0].empty() ? 0 : ls[0][0]);
  std::string env(ls[0].empty() ? std::string_view() : ls[0].substr(1));
  const auto& targets = core::deploy_targets();
  std::string target = targets[(mode & 7) % targets.size()];
  if ((mode & 7) >= 5) target = std::string(env);   // an unknown or odd target name
  bool env_ok = false;
  try {
    core::check_env_name(env);
    env_ok = true;
  } catch (const Error&) {
  }
  std::vector<std::pair<std::string, std::string>> settings;
  std::map<std::string, std::string> set;
  try {
    for (std::size_t i = 1; i < ls.size(); ++i) {
      settings.push_back(core::parse_kv(ls[i], "setting"));
      set[settings.back().first] = settings.back().second;
    }
  } catch (const Error&) {
    return 0;
  }
  std::optional<core::Rendered> r;
  try {
    r = core::render_deploy(*fx.project, fx.uri[(mode >> 3) & 1], target, settings);
  } catch (const Error&) {
    return 0;
  }
  check(*r, set);
  if ((mode & 16) && env_ok) {
    try {
      auto d = core::record_deployment(*fx.project, env, *r, "create", std::nullopt);
      if (d.settings != set) fuzz::finding("the recorded settings differ from those given");
      auto files = core::manifest_files(*fx.project, d);
      if (files.size() != r->files.size()) fuzz::finding("the recorded manifests differ from those rendered");
      for (auto& f : r->files)
        if (!files.count(f.path) || files.at(f.path) != f.content)
          fuzz::finding("recorded manifest " + f.path + " differs from the rendered one");
    } catch (const Error&) {
    }
    if (++fx.records >= 300) build(fx);   // keep the scratch store small
  }
  return 0;
}
