// core/models/deploy: the targets and --set keys; every target's files (kubernetes with and
// without autoscaling, kserve, seldon, compose, docker with both servers) read back as YAML or
// JSON, each object pinned to the package digest (labels, annotations, STORAGE/sha256/HEX); a
// runs:/ URI; aliases, stages and latest resolved to the version; determinism; bad targets,
// settings and values (exit 2), unknown models (exit 4), a directory (exit 2), a tampered or
// digest-less package (exit 6); check_rendered/write_rendered conflicts (exit 5); store_rendered
// and manifest_files; recorded revisions per environment with a pinned clock (numbering, fields,
// history, current, rollback records, unknown names exit 4, environment names exit 2).
// The packages are the committed fixture models sklearn_linreg (churn v1) and pyfunc_minimal
// (churn v2), imported into two runs.
#include "core/models/deploy.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/yaml.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/models/models.hpp"
#include "core/models/registry.hpp"
#include "core/tracking/runs.hpp"
#include "temp_project.hpp"

using mlt::ExitCode;
using namespace mlt::core;
using mlt::store::Digest;
using mlt::store::sha256;
using mlt::test::contains;
using mlt::test::ScopedEnv;
using mlt::test::slurp;
using mlt::test::TempDir;
using mlt::test::TempProject;
using mlt::test::thrown;
using mlt::test::write_file;
namespace fs = std::filesystem;

namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

fs::path generated_models() { return fs::path(MLT_FIXTURES) / "mlflow" / "generated-models"; }

ExitCode code_of(const std::optional<mlt::Error>& e) { return e ? e->code() : ExitCode::ok; }

RunRef new_run(TempProject& p, const std::string& name) {
  NewRun spec;
  spec.name = name;
  return create_run(p.db(), spec).ref;
}

std::vector<std::string> paths_of(const Rendered& r) {
  std::vector<std::string> out;
  for (auto& f : r.files) out.push_back(f.path);
  return out;
}

std::map<std::string, std::string> contents_of(const Rendered& r) {
  std::map<std::string, std::string> out;
  for (auto& f : r.files) out[f.path] = f.content;
  return out;
}

const RenderedFile& file_of(const Rendered& r, const std::string& path) {
  for (auto& f : r.files)
    if (f.path == path) return f;
  FAIL("no rendered file " << path);
  throw std::logic_error("unreachable");
}

YAML::Node doc_of(const Rendered& r, const std::string& path) { return yaml::parse(file_of(r, path).content, path); }

std::string text(const YAML::Node& n) {
  if (!n.IsDefined()) return "<absent>";
  return n.IsScalar() ? n.Scalar() : std::string("<not a scalar>");
}

bool has(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap()) return false;
  for (auto it = map.begin(); it != map.end(); ++it)
    if (it->first.Scalar() == key) return true;
  return false;
}

std::vector<std::string> keys_of(const YAML::Node& map) {
  std::vector<std::string> out;
  for (auto it = map.begin(); it != map.end(); ++it) out.push_back(it->first.Scalar());
  return out;
}

std::vector<std::string> texts(const YAML::Node& seq) {
  std::vector<std::string> out;
  for (auto it = seq.begin(); it != seq.end(); ++it) out.push_back(text(*it));
  return out;
}

// A container's env list as NAME -> value.
std::map<std::string, std::string> env_of(const YAML::Node& container) {
  std::map<std::string, std::string> out;
  for (auto e : container["env"]) {
    CHECK(yaml::is_string(e["value"]));
    out[text(e["name"])] = text(e["value"]);
  }
  return out;
}

bool has_line(const std::string& content, const std::string& line) {
  std::size_t start = 0;
  while (start <= content.size()) {
    auto end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    if (content.compare(start, end - start, line) == 0 && end - start == line.size()) return true;
    start = end + 1;
  }
  return false;
}

// churn v1 (sklearn_linreg, run 1) and v2 (pyfunc_minimal, run 2), alias prod -> 2; the clock
// pinned (change it with at()) and the user named.
struct Fixture {
  TempProject p;
  ScopedEnv clock{"MLT_NOW_MS", "1700000001000"};
  ScopedEnv user{"USER", "tester"};
  RunRef run1 = new_run(p, "train-linreg"), run2 = new_run(p, "train-pyfunc");
  ModelRecord m1, m2;
  std::string hex1, hex2, loc2, dir2;

  Fixture() {
    AddStats stats;
    AddOptions opt;
    m1 = import_model(p.project(), run1, generated_models() / "sklearn_linreg", "model", stats, opt);
    m2 = import_model(p.project(), run2, generated_models() / "pyfunc_minimal", "model", stats, opt);
    Registry reg(p.db(), "tester");
    reg.register_version("churn", run1, "model", m1.tree, "", {});
    reg.register_version("churn", run2, "model", m2.tree, "", {});
    reg.set_alias("churn", "prod", 2);
    hex1 = m1.tree.hex();
    hex2 = m2.tree.hex();
    REQUIRE(hex1 != hex2);
    loc2 = "/var/lib/mlt/models/sha256/" + hex2;
    dir2 = "/opt/mlt/models/sha256-" + hex2;
  }
  void at(std::int64_t ms) { clock.set(std::to_string(ms)); }
  Rendered render(const std::string& uri, const std::string& target, const Settings& settings = {}) {
    return render_deploy(p.project(), uri, target, settings);
  }
  std::optional<mlt::Error> refused(const std::string& uri, const std::string& target, const Settings& settings = {}) {
    return thrown([&] { render_deploy(p.project(), uri, target, settings); });
  }
};

// The metadata every Kubernetes object carries: name, namespace, labels naming the model,
// version and digest (63 hex digits, label values' limit), annotations with the URI, the whole
// digest, the run, the source and where the model is loaded from.
void check_meta(const YAML::Node& md, const std::string& name, const std::string& ns, const std::string& model,
                const std::optional<std::string>& version, const std::string& run, const std::string& hex,
                const std::string& uri, const std::string& location) {
  CHECK(text(md["name"]) == name);
  CHECK(text(md["namespace"]) == ns);
  auto l = md["labels"];
  CHECK(text(l["app.kubernetes.io/name"]) == name);
  CHECK(text(l["app.kubernetes.io/managed-by"]) == "mlt");
  CHECK(text(l["mlt.dev/model"]) == model);
  CHECK(text(l["mlt.dev/model-digest"]) == hex.substr(0, 63));
  if (version) {
    CHECK(text(l["mlt.dev/model-version"]) == *version);
  } else {
    CHECK_FALSE(has(l, "mlt.dev/model-version"));
  }
  for (auto it = l.begin(); it != l.end(); ++it) {
    CAPTURE(it->first.Scalar());
    CHECK(yaml::is_string(it->second));   // a label value is a string, '2' included
    CHECK(it->second.Scalar().size() <= 63);
  }
  auto a = md["annotations"];
  CHECK(text(a["mlt.dev/model-uri"]) == uri);
  CHECK(text(a["mlt.dev/model-digest"]) == "sha256:" + hex);
  CHECK(text(a["mlt.dev/source-run"]) == run);
  CHECK(text(a["mlt.dev/source"]) == "runs:/" + run + "/model");
  CHECK(text(a["mlt.dev/model-location"]) == location);
  for (auto it = a.begin(); it != a.end(); ++it) CHECK(yaml::is_string(it->second));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_CASE("deploy targets and settings: the lists the header documents") {
  CHECK(deploy_targets() == std::vector<std::string>{"docker", "kubernetes", "kserve", "seldon", "compose"});
  std::vector<std::string> keys;
  for (auto& setting : deploy_settings()) {   // clang 14 cannot capture structured bindings (CHECK_MESSAGE)
    keys.push_back(setting.first);
    CHECK_MESSAGE(setting.second.size() > 10, setting.first);
  }
  CHECK(keys == std::vector<std::string>{"autoscale", "cpu", "cpu_limit", "image", "max_replicas", "memory",
                                         "memory_limit", "name", "namespace", "port", "replicas", "server",
                                         "storage", "target_cpu"});
}

TEST_CASE("deploy render kubernetes: a Deployment and a Service pinned to the version's digest") {
  Fixture f;
  auto r = f.render("models:/churn/2", "kubernetes");
  CHECK(r.target == "kubernetes");
  CHECK(r.settings.empty());
  CHECK(r.model.uri == "models:/churn/2");
  CHECK(r.model.name == "churn");
  CHECK(r.model.version == 2);
  CHECK(r.model.run_uuid == f.run2.uuid);
  CHECK(r.model.path == "model");
  CHECK(r.model.tree == f.m2.tree);
  REQUIRE(paths_of(r) == std::vector<std::string>{"deployment.yaml", "service.yaml"});
  for (auto& file : r.files) CHECK(file.mode == 0644);

  auto dep = doc_of(r, "deployment.yaml");
  CHECK(text(dep["apiVersion"]) == "apps/v1");
  CHECK(text(dep["kind"]) == "Deployment");
  check_meta(dep["metadata"], "churn", "default", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2",
             "image mlt-churn:v2");
  CHECK(text(dep["spec"]["replicas"]) == "1");
  CHECK_FALSE(yaml::is_string(dep["spec"]["replicas"]));
  CHECK(keys_of(dep["spec"]["selector"]["matchLabels"]) == std::vector<std::string>{"app.kubernetes.io/name"});
  CHECK(text(dep["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]) == "churn");
  auto tmpl = dep["spec"]["template"];
  CHECK(yaml::equal(tmpl["metadata"]["labels"], dep["metadata"]["labels"]));
  CHECK(text(tmpl["metadata"]["annotations"]["mlt.dev/model-digest"]) == "sha256:" + f.hex2);
  REQUIRE(tmpl["spec"]["containers"].size() == 1);
  auto c = tmpl["spec"]["containers"][0];
  CHECK(text(c["name"]) == "model");
  CHECK(text(c["image"]) == "mlt-churn:v2");
  CHECK(texts(c["command"]) == std::vector<std::string>{"mlserver", "start", "/opt/mlt"});
  CHECK(text(c["ports"][0]["name"]) == "http");
  CHECK(text(c["ports"][0]["containerPort"]) == "8080");
  CHECK_FALSE(yaml::is_string(c["ports"][0]["containerPort"]));
  auto env = env_of(c);
  CHECK(env["MLT_MODEL_URI"] == "models:/churn/2");
  CHECK(env["MLT_MODEL_DIGEST"] == "sha256:" + f.hex2);
  CHECK(env["MLSERVER_MODEL_URI"] == f.dir2);   // baked into the image at its digest
  CHECK(env["MLSERVER_HTTP_PORT"] == "8080");
  CHECK(env["MLSERVER_MODEL_NAME"] == "churn");
  CHECK(text(c["readinessProbe"]["httpGet"]["path"]) == "/v2/health/ready");
  CHECK(text(c["livenessProbe"]["httpGet"]["path"]) == "/v2/health/live");
  CHECK(text(c["readinessProbe"]["httpGet"]["port"]) == "http");
  CHECK(text(c["resources"]["requests"]["cpu"]) == "500m");
  CHECK(text(c["resources"]["requests"]["memory"]) == "1Gi");
  CHECK(text(c["resources"]["limits"]["cpu"]) == "1");
  CHECK(yaml::is_string(c["resources"]["limits"]["cpu"]));   // a quantity: the string "1"
  CHECK(text(c["resources"]["limits"]["memory"]) == "2Gi");
  CHECK(text(c["securityContext"]["runAsNonRoot"]) == "true");
  CHECK(text(c["securityContext"]["runAsUser"]) == "10001");
  CHECK(text(c["securityContext"]["allowPrivilegeEscalation"]) == "false");
  CHECK_FALSE(has(tmpl["spec"], "volumes"));
  CHECK_FALSE(has(c, "volumeMounts"));

  auto svc = doc_of(r, "service.yaml");
  CHECK(text(svc["apiVersion"]) == "v1");
  CHECK(text(svc["kind"]) == "Service");
  check_meta(svc["metadata"], "churn", "default", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2",
             "image mlt-churn:v2");
  CHECK(text(svc["spec"]["type"]) == "ClusterIP");
  CHECK(text(svc["spec"]["selector"]["app.kubernetes.io/name"]) == "churn");
  CHECK(text(svc["spec"]["ports"][0]["port"]) == "8080");
  CHECK(text(svc["spec"]["ports"][0]["targetPort"]) == "http");
}

TEST_CASE("deploy render kubernetes with settings: an HPA, the namespace, port, resources and a mounted storage") {
  Fixture f;
  Settings s{{"autoscale", "true"},  {"replicas", "3"},          {"max_replicas", "7"},   {"target_cpu", "65"},
             {"namespace", "ml-prod"}, {"port", "9000"},         {"name", "churn-api"},   {"cpu", "250m"},
             {"image", "registry.example.com/churn:2"},           {"memory", "512Mi"},     {"cpu_limit", "2"},
             {"memory_limit", "1Gi"}, {"storage", "/mnt/models/"}};
  auto r = f.render("models:/churn/2", "kubernetes", s);
  CHECK(r.settings == std::map<std::string, std::string>(s.begin(), s.end()));
  REQUIRE(paths_of(r) == std::vector<std::string>{"deployment.yaml", "hpa.yaml", "service.yaml"});
  const std::string loc = "/mnt/models/sha256/" + f.hex2;   // the trailing '/' of storage dropped

  auto hpa = doc_of(r, "hpa.yaml");
  CHECK(text(hpa["apiVersion"]) == "autoscaling/v2");
  CHECK(text(hpa["kind"]) == "HorizontalPodAutoscaler");
  check_meta(hpa["metadata"], "churn-api", "ml-prod", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2", loc);
  CHECK(text(hpa["spec"]["scaleTargetRef"]["kind"]) == "Deployment");
  CHECK(text(hpa["spec"]["scaleTargetRef"]["name"]) == "churn-api");
  CHECK(text(hpa["spec"]["minReplicas"]) == "3");
  CHECK(text(hpa["spec"]["maxReplicas"]) == "7");
  CHECK(text(hpa["spec"]["metrics"][0]["resource"]["name"]) == "cpu");
  CHECK(text(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"]) == "65");

  auto dep = doc_of(r, "deployment.yaml");
  check_meta(dep["metadata"], "churn-api", "ml-prod", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2", loc);
  CHECK(text(dep["spec"]["replicas"]) == "3");
  auto pod = dep["spec"]["template"]["spec"];
  auto c = pod["containers"][0];
  CHECK(text(c["image"]) == "registry.example.com/churn:2");
  CHECK(text(c["ports"][0]["containerPort"]) == "9000");
  CHECK(text(c["resources"]["requests"]["cpu"]) == "250m");
  CHECK(text(c["resources"]["requests"]["memory"]) == "512Mi");
  CHECK(text(c["resources"]["limits"]["cpu"]) == "2");
  CHECK(text(c["resources"]["limits"]["memory"]) == "1Gi");
  auto env = env_of(c);
  CHECK(env["MLSERVER_HTTP_PORT"] == "9000");
  CHECK(env["MLSERVER_MODEL_NAME"] == "churn-api");
  CHECK(env["MLSERVER_MODEL_URI"] == f.dir2);   // where the volume is mounted
  CHECK(text(c["volumeMounts"][0]["mountPath"]) == f.dir2);
  CHECK(text(c["volumeMounts"][0]["readOnly"]) == "true");
  CHECK(text(pod["volumes"][0]["hostPath"]["path"]) == loc);
  CHECK(text(pod["volumes"][0]["hostPath"]["type"]) == "Directory");
  CHECK(text(pod["volumes"][0]["name"]) == text(c["volumeMounts"][0]["name"]));

  auto svc = doc_of(r, "service.yaml");
  CHECK(text(svc["metadata"]["namespace"]) == "ml-prod");
  CHECK(text(svc["spec"]["ports"][0]["port"]) == "9000");
  CHECK(text(svc["spec"]["selector"]["app.kubernetes.io/name"]) == "churn-api");

  // autoscale=false renders what the defaults render; an HPA never has 0 as its minimum
  CHECK(contents_of(f.render("models:/churn/2", "kubernetes", {{"autoscale", "false"}})) ==
        contents_of(f.render("models:/churn/2", "kubernetes")));
  auto zero = f.render("models:/churn/2", "kubernetes", {{"autoscale", "TRUE"}, {"replicas", "0"}});
  CHECK(text(doc_of(zero, "deployment.yaml")["spec"]["replicas"]) == "0");
  CHECK(text(doc_of(zero, "hpa.yaml")["spec"]["minReplicas"]) == "1");
  CHECK(text(doc_of(zero, "hpa.yaml")["spec"]["maxReplicas"]) == "5");
}

TEST_CASE("deploy render kubernetes: server=mlflow serves with mlflow; remote storage is read, not mounted") {
  Fixture f;
  auto r = f.render("models:/churn/2", "kubernetes", {{"server", "mlflow"}});
  auto c = doc_of(r, "deployment.yaml")["spec"]["template"]["spec"]["containers"][0];
  CHECK(texts(c["command"]) == std::vector<std::string>{"mlflow", "models", "serve", "-m", f.dir2, "--host", "0.0.0.0",
                                                        "--port", "8080", "--env-manager", "local"});
  CHECK(text(c["readinessProbe"]["httpGet"]["path"]) == "/ping");
  CHECK(text(c["livenessProbe"]["httpGet"]["path"]) == "/ping");
  auto env = env_of(c);
  CHECK(env.size() == 2);
  CHECK(env.count("MLT_MODEL_URI") == 1);
  CHECK(env.count("MLT_MODEL_DIGEST") == 1);

  const std::string s3 = "s3://bucket/models/sha256/" + f.hex2;
  auto remote = f.render("models:/churn/2", "kubernetes", {{"storage", "s3://bucket/models"}});
  auto dep = doc_of(remote, "deployment.yaml");
  CHECK(text(dep["metadata"]["annotations"]["mlt.dev/model-location"]) == s3);
  auto pod = dep["spec"]["template"]["spec"];
  CHECK(env_of(pod["containers"][0])["MLSERVER_MODEL_URI"] == s3);
  CHECK_FALSE(has(pod, "volumes"));
  CHECK_FALSE(has(pod["containers"][0], "volumeMounts"));

  auto file = f.render("models:/churn/2", "kubernetes", {{"storage", "file:///srv/m"}});
  auto fpod = doc_of(file, "deployment.yaml")["spec"]["template"]["spec"];
  CHECK(text(fpod["volumes"][0]["hostPath"]["path"]) == "/srv/m/sha256/" + f.hex2);
  CHECK(env_of(fpod["containers"][0])["MLSERVER_MODEL_URI"] == f.dir2);
}

TEST_CASE("deploy render kserve: an InferenceService with storageUri STORAGE/sha256/HEX") {
  Fixture f;
  auto r = f.render("models:/churn/2", "kserve");
  REQUIRE(paths_of(r) == std::vector<std::string>{"inferenceservice.yaml"});
  auto isvc = doc_of(r, "inferenceservice.yaml");
  CHECK(text(isvc["apiVersion"]) == "serving.kserve.io/v1beta1");
  CHECK(text(isvc["kind"]) == "InferenceService");
  check_meta(isvc["metadata"], "churn", "default", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2", f.loc2);
  auto pred = isvc["spec"]["predictor"];
  CHECK(text(pred["model"]["modelFormat"]["name"]) == "mlflow");
  CHECK(text(pred["model"]["protocolVersion"]) == "v2");
  CHECK(text(pred["model"]["storageUri"]) == f.loc2);
  CHECK(text(pred["model"]["resources"]["requests"]["cpu"]) == "500m");
  CHECK(text(pred["model"]["resources"]["limits"]["memory"]) == "2Gi");
  CHECK(text(pred["minReplicas"]) == "1");
  CHECK_FALSE(yaml::is_string(pred["minReplicas"]));
  CHECK_FALSE(has(pred, "maxReplicas"));

  auto s3 = f.render("models:/churn/2", "kserve",
                     {{"storage", "s3://bucket/models/"}, {"replicas", "2"}, {"autoscale", "true"},
                      {"max_replicas", "4"}, {"namespace", "serving"}, {"memory", "3Gi"}});
  auto doc = doc_of(s3, "inferenceservice.yaml");
  CHECK(text(doc["spec"]["predictor"]["model"]["storageUri"]) == "s3://bucket/models/sha256/" + f.hex2);
  CHECK(text(doc["metadata"]["annotations"]["mlt.dev/model-location"]) == "s3://bucket/models/sha256/" + f.hex2);
  CHECK(text(doc["spec"]["predictor"]["minReplicas"]) == "2");
  CHECK(text(doc["spec"]["predictor"]["maxReplicas"]) == "4");
  CHECK(text(doc["metadata"]["namespace"]) == "serving");
  CHECK(text(doc["spec"]["predictor"]["model"]["resources"]["requests"]["memory"]) == "3Gi");

  // storage=/ puts the model at /sha256/HEX; an empty storage is refused
  auto root = f.render("models:/churn/2", "kserve", {{"storage", "/"}});
  CHECK(text(doc_of(root, "inferenceservice.yaml")["spec"]["predictor"]["model"]["storageUri"]) == "/sha256/" + f.hex2);
  auto e = f.refused("models:/churn/2", "kserve", {{"storage", ""}});
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "--set storage=''"));
  CHECK(contains(e->hint(), "s3://"));
}

TEST_CASE("deploy render seldon: a SeldonDeployment, graph MLFLOW_SERVER with modelUri STORAGE/sha256/HEX") {
  Fixture f;
  auto r = f.render("models:/churn/2", "seldon");
  REQUIRE(paths_of(r) == std::vector<std::string>{"seldondeployment.yaml"});
  auto sd = doc_of(r, "seldondeployment.yaml");
  CHECK(text(sd["apiVersion"]) == "machinelearning.seldon.io/v1");
  CHECK(text(sd["kind"]) == "SeldonDeployment");
  check_meta(sd["metadata"], "churn", "default", "churn", "2", f.run2.uuid, f.hex2, "models:/churn/2", f.loc2);
  CHECK(text(sd["spec"]["protocol"]) == "v2");
  REQUIRE(sd["spec"]["predictors"].size() == 1);
  auto pred = sd["spec"]["predictors"][0];
  CHECK(text(pred["graph"]["implementation"]) == "MLFLOW_SERVER");
  CHECK(text(pred["graph"]["modelUri"]) == f.loc2);
  CHECK(text(pred["replicas"]) == "1");
  CHECK(text(pred["componentSpecs"][0]["spec"]["containers"][0]["name"]) == text(pred["graph"]["name"]));
  CHECK(text(pred["componentSpecs"][0]["spec"]["containers"][0]["resources"]["requests"]["cpu"]) == "500m");
  CHECK(text(pred["labels"]["mlt.dev/model-digest"]) == f.hex2.substr(0, 63));

  auto three = f.render("models:/churn/2", "seldon", {{"replicas", "3"}, {"storage", "gs://b/m"}, {"name", "churn-sd"}});
  auto doc = doc_of(three, "seldondeployment.yaml");
  CHECK(text(doc["spec"]["predictors"][0]["replicas"]) == "3");
  CHECK(text(doc["spec"]["predictors"][0]["graph"]["modelUri"]) == "gs://b/m/sha256/" + f.hex2);
  CHECK(text(doc["metadata"]["name"]) == "churn-sd");
}

TEST_CASE("deploy render compose: one service with image, ports, environment, healthcheck, user and labels") {
  Fixture f;
  auto r = f.render("models:/churn/2", "compose");
  REQUIRE(paths_of(r) == std::vector<std::string>{"compose.yaml"});
  auto doc = doc_of(r, "compose.yaml");
  REQUIRE(keys_of(doc["services"]) == std::vector<std::string>{"churn"});
  auto svc = doc["services"]["churn"];
  CHECK(text(svc["image"]) == "mlt-churn:v2");
  CHECK(texts(svc["ports"]) == std::vector<std::string>{"8080:8080"});
  CHECK(yaml::is_string(svc["ports"][0]));
  CHECK(text(svc["environment"]["MLT_MODEL_URI"]) == "models:/churn/2");
  CHECK(text(svc["environment"]["MLT_MODEL_DIGEST"]) == "sha256:" + f.hex2);
  CHECK(text(svc["environment"]["MLSERVER_MODEL_URI"]) == f.dir2);
  for (auto it = svc["environment"].begin(); it != svc["environment"].end(); ++it) CHECK(yaml::is_string(it->second));
  CHECK(text(svc["healthcheck"]["test"][0]) == "CMD-SHELL");
  CHECK(contains(text(svc["healthcheck"]["test"][1]), "http://127.0.0.1:8080/v2/health/ready"));
  CHECK(text(svc["user"]) == "10001");
  CHECK(yaml::is_string(svc["user"]));
  CHECK(text(svc["restart"]) == "unless-stopped");
  auto labels = svc["labels"];
  CHECK(text(labels["mlt.dev/model"]) == "churn");
  CHECK(text(labels["mlt.dev/model-version"]) == "2");
  CHECK(text(labels["mlt.dev/model-uri"]) == "models:/churn/2");
  CHECK(text(labels["mlt.dev/source-run"]) == f.run2.uuid);
  auto digest = text(labels["mlt.dev/model-digest"]);
  CHECK((digest == "sha256:" + f.hex2 || digest == f.hex2.substr(0, 63)));
  for (auto it = labels.begin(); it != labels.end(); ++it) CHECK(yaml::is_string(it->second));
  CHECK_FALSE(has(svc, "deploy"));
  CHECK_FALSE(has(svc, "volumes"));

  auto x = f.render("models:/churn/2", "compose", {{"replicas", "3"}, {"server", "mlflow"}, {"port", "30"}});
  auto xs = doc_of(x, "compose.yaml")["services"]["churn"];
  CHECK(text(xs["deploy"]["replicas"]) == "3");
  CHECK(texts(xs["ports"]) == std::vector<std::string>{"30:30"});
  CHECK(yaml::is_string(xs["ports"][0]));   // a plain 30:30 reads as the base-60 number 1830
  CHECK(contains(text(xs["healthcheck"]["test"][1]), "http://127.0.0.1:30/ping"));
  CHECK(text(xs["command"][0]) == "mlflow");
  CHECK_FALSE(has(xs["environment"], "MLSERVER_MODEL_URI"));

  auto vol = f.render("models:/churn/2", "compose", {{"storage", "/data/models"}});
  CHECK(texts(doc_of(vol, "compose.yaml")["services"]["churn"]["volumes"]) ==
        std::vector<std::string>{"/data/models/sha256/" + f.hex2 + ":" + f.dir2 + ":ro"});

  // a service name that reads as a boolean, number or null stays a string key
  for (const std::string& name : std::vector<std::string>{"true", "123", "null", "off"}) {
    CAPTURE(name);
    auto services = doc_of(f.render("models:/churn/2", "compose", {{"name", name}}), "compose.yaml")["services"];
    REQUIRE(services.size() == 1);
    CHECK(services.begin()->first.Scalar() == name);
    CHECK(yaml::is_string(services.begin()->first));
  }
}

TEST_CASE("deploy render docker: a build context with the package's files byte for byte") {
  Fixture f;
  auto r = f.render("models:/churn/2", "docker");
  CHECK(paths_of(r) == std::vector<std::string>{"Dockerfile", "model-settings.json", "model/MLmodel", "model/conda.yaml",
                                                "model/python_env.yaml", "model/python_model.pkl",
                                                "model/requirements.txt", "settings.json"});
  // model/ is the stored package, each file as stored (the MLmodel with its digest block)
  auto pkg = open_model(&f.p.project(), "models:/churn/2");
  for (auto& pf : pkg.files) {
    CAPTURE(pf.path);
    auto& rf = file_of(r, "model/" + pf.path);
    CHECK(rf.content == f.p.project().objects().read_content(pf.digest));
    CHECK(rf.mode == pf.mode);
  }

  const std::string& df = file_of(r, "Dockerfile").content;
  CHECK(df.starts_with("# Rendered by mlt for models:/churn/2 (sha256:" + f.hex2 +
                       "); build with: docker build -t mlt-churn:v2 .\n"));
  for (const std::string& line : std::vector<std::string>{
           "FROM python:3.11-slim", "USER 10001", "EXPOSE 8080", "COPY --chown=10001 model/ " + f.dir2 + "/",
           "COPY --chown=10001 settings.json model-settings.json /opt/mlt/",
           "      dev.mlt.model.uri=\"models:/churn/2\" \\", "      dev.mlt.model.digest=\"sha256:" + f.hex2 + "\" \\",
           "      dev.mlt.model.source-run=\"" + f.run2.uuid + "\"",
           "ENV MLT_MODEL_URI=\"models:/churn/2\" MLT_MODEL_DIGEST=\"sha256:" + f.hex2 + "\"",
           "CMD [\"mlserver\", \"start\", \"/opt/mlt\"]"}) {
    CAPTURE(line);
    CHECK(has_line(df, line));
  }
  CHECK(contains(df, "pip install --no-cache-dir mlserver mlserver-mlflow"));
  CHECK(contains(df, "HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD "));
  CHECK(contains(df, "http://127.0.0.1:8080/v2/health/ready"));

  auto ms = nlohmann::json::parse(file_of(r, "model-settings.json").content);
  CHECK(ms["name"] == "churn");
  CHECK(ms["implementation"] == "mlserver_mlflow.MLflowRuntime");
  CHECK(ms["parameters"]["uri"] == f.dir2);
  CHECK(ms["parameters"]["version"] == "v2");
  auto st = nlohmann::json::parse(file_of(r, "settings.json").content);
  CHECK(st["http_port"] == 8080);
  CHECK(st["debug"] == false);

  auto ml = f.render("models:/churn/2", "docker", {{"server", "mlflow"}, {"port", "5001"}});
  CHECK(paths_of(ml) == std::vector<std::string>{"Dockerfile", "model/MLmodel", "model/conda.yaml",
                                                 "model/python_env.yaml", "model/python_model.pkl",
                                                 "model/requirements.txt"});
  const std::string& mdf = file_of(ml, "Dockerfile").content;
  CHECK(has_line(mdf, "EXPOSE 5001"));
  CHECK(has_line(mdf, "CMD [\"mlflow\", \"models\", \"serve\", \"-m\", \"" + f.dir2 +
                          "\", \"--host\", \"0.0.0.0\", \"--port\", \"5001\", \"--env-manager\", \"local\"]"));
  CHECK(contains(mdf, "http://127.0.0.1:5001/ping"));
  CHECK_FALSE(contains(mdf, "mlserver"));
  CHECK(has_line(mdf, "      dev.mlt.model.digest=\"sha256:" + f.hex2 + "\" \\"));

  // version 1's context holds version 1's package
  auto v1 = f.render("models:/churn/1", "docker");
  CHECK(has_line(file_of(v1, "Dockerfile").content, "      dev.mlt.model.digest=\"sha256:" + f.hex1 + "\" \\"));
  CHECK(file_of(v1, "model/model.pkl").content == slurp(generated_models() / "sklearn_linreg" / "model.pkl"));
}

TEST_CASE("deploy render of a runs:/ URI: named after the package folder, no version, image tagged with 12 digest digits") {
  Fixture f;
  auto r = f.render(f.m1.uri(), "kubernetes");
  CHECK(r.model.uri == f.m1.uri());
  CHECK(r.model.name == "model");
  CHECK_FALSE(r.model.version);
  CHECK(r.model.run_uuid == f.run1.uuid);
  CHECK(r.model.tree == f.m1.tree);
  auto dep = doc_of(r, "deployment.yaml");
  check_meta(dep["metadata"], "model", "default", "model", std::nullopt, f.run1.uuid, f.hex1, f.m1.uri(),
             "image mlt-model:" + f.hex1.substr(0, 12));
  CHECK(text(dep["spec"]["template"]["spec"]["containers"][0]["image"]) == "mlt-model:" + f.hex1.substr(0, 12));

  auto ks = f.render(f.m1.uri(), "kserve");
  CHECK(text(doc_of(ks, "inferenceservice.yaml")["spec"]["predictor"]["model"]["storageUri"]) ==
        "/var/lib/mlt/models/sha256/" + f.hex1);
  auto dk = f.render(f.m1.uri(), "docker");
  CHECK(nlohmann::json::parse(file_of(dk, "model-settings.json").content)["parameters"]["version"] == f.hex1);
}

TEST_CASE("deploy render: aliases, stages and latest resolve to the version; the output is deterministic") {
  Fixture f;
  Registry(f.p.db(), "tester").set_stage("churn", 2, Stage::production, false);
  for (auto& target : deploy_targets()) {
    CAPTURE(target);
    auto pinned = f.render("models:/churn/2", target, {{"autoscale", "true"}});
    CHECK(contents_of(pinned) == contents_of(f.render("models:/churn/2", target, {{"autoscale", "true"}})));
    for (const std::string& uri : std::vector<std::string>{"models:/churn@prod", "models:/churn/latest",
                                                           "models:/churn@latest", "models:/churn/Production"}) {
      CAPTURE(uri);
      auto r = f.render(uri, target, {{"autoscale", "true"}});
      CHECK(r.model.uri == "models:/churn/2");
      CHECK(r.model.version == 2);
      CHECK(r.model.tree == f.m2.tree);
      CHECK(contents_of(r) == contents_of(pinned));
    }
  }
  // the order of the settings does not matter
  CHECK(contents_of(f.render("models:/churn/2", "kubernetes", {{"replicas", "2"}, {"port", "9000"}})) ==
        contents_of(f.render("models:/churn/2", "kubernetes", {{"port", "9000"}, {"replicas", "2"}})));
  // version 1 is its own
  auto v1 = f.render("models:/churn/1", "kserve");
  CHECK(v1.model.tree == f.m1.tree);
  check_meta(doc_of(v1, "inferenceservice.yaml")["metadata"], "churn", "default", "churn", "1", f.run1.uuid, f.hex1,
             "models:/churn/1", "/var/lib/mlt/models/sha256/" + f.hex1);
}

TEST_CASE("deploy render: an unknown target or setting exits 2 listing the valid ones, before the model is read") {
  Fixture f;
  for (const std::string& target : std::vector<std::string>{"helm", "KServe", "k8s", ""}) {
    CAPTURE(target);
    auto e = f.refused("models:/churn/2", target);
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()) == "unknown target '" + target + "'");
    CHECK(e->hint() == "targets: docker, kubernetes, kserve, seldon, compose");
  }
  auto e = f.refused("models:/churn/2", "kubernetes", {{"replica", "2"}});
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "unknown setting 'replica'");
  CHECK(e->hint() ==
        "settings: autoscale, cpu, cpu_limit, image, max_replicas, memory, memory_limit, name, namespace, port, "
        "replicas, server, storage, target_cpu");
  // checked before the model: an unknown model with a bad target or key is still exit 2
  CHECK(code_of(f.refused("models:/nosuch/1", "helm")) == ExitCode::usage);
  CHECK(code_of(f.refused("models:/nosuch/1", "kserve", {{"foo", "1"}})) == ExitCode::usage);
}

TEST_CASE("deploy render: bad --set values exit 2 naming the key; the limits themselves are accepted") {
  Fixture f;
  const std::string long_name(64, 'a');
  for (const std::string& kv : std::vector<std::string>{
           "replicas=-1", "replicas=x", "replicas=1.5", "replicas=1001", "replicas=", "port=0", "port=65536",
           "port=http", "port=80.5", "cpu=abc", "cpu=-1", "cpu=", "memory=1GB", "memory=lots", "cpu_limit=1x",
           "memory_limit=2gb", "name=Bad_Name", "name=-x", "name=x-", "name=", "name=" + long_name, "namespace=NS",
           "namespace=a.b", "server=torch", "server=", "autoscale=yes", "max_replicas=0", "target_cpu=0",
           "target_cpu=101", "image=a b", "image=", "storage=relative/path", "storage=/with space"}) {
    CAPTURE(kv);
    auto eq = kv.find('=');
    auto e = f.refused("models:/churn/2", "kubernetes", {{kv.substr(0, eq), kv.substr(eq + 1)}});
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(contains(e->what(), "--set " + kv.substr(0, eq)));
  }
  auto e = f.refused("models:/churn/2", "kubernetes", {{"replicas", "10"}, {"max_replicas", "5"}});
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(contains(e->what(), "max_replicas"));
  for (const std::string& kv : std::vector<std::string>{
           "replicas=0", "replicas=1000", "port=1", "port=65535", "cpu=0.5", "cpu=1500m", "memory=512Mi", "memory=1G",
           "name=" + std::string(63, 'a'), "name=a1", "namespace=team-a", "server=mlserver", "server=mlflow",
           "autoscale=false", "target_cpu=100", "storage=s3://b/m", "storage=pvc://claim/models"}) {
    CAPTURE(kv);
    auto eq = kv.find('=');
    CHECK_FALSE(f.refused("models:/churn/2", "kubernetes", {{kv.substr(0, eq), kv.substr(eq + 1)}}));
  }
}

TEST_CASE("deploy render: unknown models exit 4; a model directory exits 2") {
  Fixture f;
  for (const std::string& uri : std::vector<std::string>{"models:/nosuch/1", "models:/churn/9", "models:/churn@nope",
                                                         "models:/churn/Staging", "runs:/0123456789abcdef/model",
                                                         "runs:/" + f.run1.uuid + "/nosuch"}) {
    CAPTURE(uri);
    CHECK(code_of(f.refused(uri, "kserve")) == ExitCode::not_found);
  }
  auto dir = (generated_models() / "sklearn_linreg").string();
  auto e = f.refused(dir, "kserve");
  REQUIRE(e);
  CHECK(e->code() == ExitCode::usage);
  CHECK(std::string(e->what()) == "'" + dir + "' is a directory; deploy a stored model");
}

TEST_CASE("deploy render: a tampered package or one without digests exits 6 for every target") {
  Fixture f;
  // change the last byte of the stored object of version 1's model.pkl
  auto obj = f.p.project().objects().path_of(sha256(slurp(generated_models() / "sklearn_linreg" / "model.pkl")));
  REQUIRE(fs::is_regular_file(obj));
  fs::permissions(obj, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream io(obj, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(-1, std::ios::end);
    char last = 0;
    io.get(last);
    io.seekp(-1, std::ios::end);
    io.put(static_cast<char>(last ^ 0x01));
    REQUIRE(io.good());
  }
  for (auto& target : deploy_targets()) {
    CAPTURE(target);
    auto e = f.refused("models:/churn/1", target);
    REQUIRE(e);
    CHECK(e->code() == ExitCode::integrity);
    CHECK(std::string(e->what()).starts_with("'models:/churn/1' does not verify: model.pkl: "));
    CHECK(contains(e->hint(), "nothing was rendered"));
    CHECK_FALSE(f.refused("models:/churn/2", target));   // the other version is fine
  }

  // a package logged as plain artifacts has no digest block to verify against
  auto plain = f.p.root() / "plain";
  fs::create_directories(plain);
  write_file(plain / "MLmodel", "flavors:\n  python_function:\n    loader_module: mymod\n");
  AddStats stats;
  log_artifacts(f.p.project(), f.run1, {plain}, std::string("plain"), stats, {});
  const std::string uri = "runs:/" + f.run1.uuid + "/plain";
  auto e = f.refused(uri, "kserve");
  REQUIRE(e);
  CHECK(e->code() == ExitCode::integrity);
  CHECK(std::string(e->what()) == "'" + uri + "' has no recorded digests, so it cannot be verified");
}

TEST_CASE("deploy check_rendered and write_rendered: same content is a no-op, other content exits 5 unless forced") {
  Fixture f;
  auto r = f.render("models:/churn/2", "kubernetes");
  auto out = f.p.root() / "out";
  CHECK(check_rendered(r, out, false).size() == 2);
  CHECK_FALSE(fs::exists(out));   // checking writes nothing
  write_rendered(r, out, false);
  CHECK(slurp(out / "deployment.yaml") == file_of(r, "deployment.yaml").content);
  CHECK(slurp(out / "service.yaml") == file_of(r, "service.yaml").content);
  CHECK(check_rendered(r, out, false).empty());   // the same content: nothing to write
  CHECK(check_rendered(r, out, true).size() == 2);
  write_rendered(r, out, false);

  // another file's content: exit 5 naming it, nothing written at all
  auto busy = f.p.root() / "busy";
  fs::create_directories(busy);
  write_file(busy / "service.yaml", "mine\n");
  auto e = thrown([&] { write_rendered(r, busy, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(std::string(e->what()) == "'" + (busy / "service.yaml").string() + "' exists with other content");
  CHECK(contains(e->hint(), "--force"));
  CHECK(slurp(busy / "service.yaml") == "mine\n");
  CHECK_FALSE(fs::exists(busy / "deployment.yaml"));
  write_rendered(r, busy, true);
  CHECK(slurp(busy / "service.yaml") == file_of(r, "service.yaml").content);
  CHECK(slurp(busy / "deployment.yaml") == file_of(r, "deployment.yaml").content);

  // a directory in the way is refused even with force
  auto dirs = f.p.root() / "dirs";
  fs::create_directories(dirs / "deployment.yaml");
  CHECK(code_of(thrown([&] { write_rendered(r, dirs, true); })) == ExitCode::conflict);

  // a folder on the way that is a symlink: nothing is written through it
  auto dk = f.render("models:/churn/2", "docker");
  auto linked = f.p.root() / "linked";
  TempDir victim;
  fs::create_directories(linked);
  fs::create_directory_symlink(victim.path(), linked / "model");
  e = thrown([&] { write_rendered(dk, linked, false); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::conflict);
  CHECK(contains(e->what(), "symlink"));
  CHECK(fs::is_empty(victim.path()));
  CHECK_FALSE(fs::exists(linked / "Dockerfile"));
}

TEST_CASE("deploy store_rendered and manifest_files: the same files give the same digest and read back") {
  Fixture f;
  auto k1 = f.render("models:/churn/2", "kubernetes");
  auto d1 = store_rendered(f.p.project(), k1);
  CHECK(d1 == store_rendered(f.p.project(), f.render("models:/churn@prod", "kubernetes")));
  CHECK(d1 != store_rendered(f.p.project(), f.render("models:/churn/2", "kubernetes", {{"replicas", "2"}})));
  CHECK(d1 != store_rendered(f.p.project(), f.render("models:/churn/1", "kubernetes")));
  for (auto& target : deploy_targets()) {
    CAPTURE(target);
    auto r = f.render("models:/churn/2", target);
    Deployment d;
    d.manifests = store_rendered(f.p.project(), r);
    CHECK(f.p.project().objects().has(d.manifests));
    CHECK(manifest_files(f.p.project(), d) == contents_of(r));   // docker's model/ files too
  }
}

TEST_CASE("deploy record_deployment: revisions numbered per environment with the model, settings, user and time") {
  Fixture f;
  auto r1 = f.render("models:/churn/1", "kubernetes");
  auto d = record_deployment(f.p.project(), "staging", r1, "create", std::nullopt);
  CHECK(d.env == "staging");
  CHECK(d.revision == 1);
  CHECK(d.model.uri == "models:/churn/1");
  CHECK(d.model.name == "churn");
  CHECK(d.model.version == 1);
  CHECK(d.model.run_uuid == f.run1.uuid);
  CHECK(d.model.path == "model");
  CHECK(d.model.tree == f.m1.tree);
  CHECK(d.target == "kubernetes");
  CHECK(d.settings.empty());
  CHECK(d.manifests == store_rendered(f.p.project(), r1));
  CHECK(manifest_files(f.p.project(), d) == contents_of(r1));
  CHECK(d.user == "tester");
  CHECK(d.action == "create");
  CHECK_FALSE(d.rolled_back_to);
  CHECK(d.created_ms == 1700000001000);

  f.at(1700000002000);
  auto d2 = record_deployment(f.p.project(), "staging",
                              f.render("models:/churn@prod", "kubernetes", {{"replicas", "2"}, {"autoscale", "true"}}),
                              "create", std::nullopt);
  CHECK(d2.revision == 2);
  CHECK(d2.model.uri == "models:/churn/2");   // the version, not the alias
  CHECK(d2.model.version == 2);
  CHECK(d2.settings == std::map<std::string, std::string>{{"autoscale", "true"}, {"replicas", "2"}});
  CHECK(d2.created_ms == 1700000002000);
  CHECK(manifest_files(f.p.project(), d2).count("hpa.yaml") == 1);

  f.at(1700000003000);
  auto prod = record_deployment(f.p.project(), "prod", f.render("models:/churn/2", "kserve"), "create", std::nullopt);
  CHECK(prod.revision == 1);   // numbered per environment
  f.at(1700000004000);
  auto qa = record_deployment(f.p.project(), "qa", f.render(f.m2.uri(), "seldon", {{"namespace", "qa"}}), "create",
                              std::nullopt);
  CHECK(qa.model.uri == f.m2.uri());
  CHECK(qa.model.name == "model");
  CHECK_FALSE(qa.model.version);
  CHECK(qa.settings == std::map<std::string, std::string>{{"namespace", "qa"}});
}

TEST_CASE("deploy history, revisions and current deployments; unknown environments and revisions exit 4") {
  Fixture f;
  CHECK(current_deployments(f.p.db()).empty());
  auto e = thrown([&] { deployment_history(f.p.db(), "staging"); });
  REQUIRE(e);
  CHECK(e->code() == ExitCode::not_found);
  CHECK(std::string(e->what()) == "no deployments in environment 'staging'");

  f.at(1700000001000);
  record_deployment(f.p.project(), "staging", f.render("models:/churn/1", "kubernetes"), "create", std::nullopt);
  f.at(1700000002000);
  record_deployment(f.p.project(), "staging", f.render("models:/churn/2", "kubernetes"), "create", std::nullopt);
  f.at(1700000003000);
  record_deployment(f.p.project(), "prod", f.render("models:/churn/2", "kserve"), "create", std::nullopt);
  f.at(1700000004000);
  record_deployment(f.p.project(), "staging", f.render("models:/churn/2", "docker"), "create", std::nullopt);

  auto h = deployment_history(f.p.db(), "staging");
  REQUIRE(h.size() == 3);
  CHECK(h[0].revision == 3);
  CHECK(h[1].revision == 2);
  CHECK(h[2].revision == 1);
  CHECK(h[0].target == "docker");
  CHECK(h[2].model.version == 1);
  CHECK(h[0].created_ms == 1700000004000);
  CHECK(h[2].created_ms == 1700000001000);
  for (auto& d : h) CHECK(d.env == "staging");

  CHECK(deployment_revision(f.p.db(), "staging", std::nullopt).revision == 3);
  auto two = deployment_revision(f.p.db(), "staging", 2);
  CHECK(two.revision == 2);
  CHECK(two.target == "kubernetes");
  CHECK(two.model.tree == f.m2.tree);
  for (std::int64_t bad : {0, 4, -1, 99}) {
    CAPTURE(bad);
    e = thrown([&] { deployment_revision(f.p.db(), "staging", bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::not_found);
    CHECK(std::string(e->what()) == "environment 'staging' has no revision " + std::to_string(bad));
  }
  CHECK(code_of(thrown([&] { deployment_revision(f.p.db(), "nowhere", 1); })) == ExitCode::not_found);
  CHECK(code_of(thrown([&] { deployment_revision(f.p.db(), "nowhere", std::nullopt); })) == ExitCode::not_found);

  auto cur = current_deployments(f.p.db());
  REQUIRE(cur.size() == 2);
  CHECK(cur[0].env == "prod");
  CHECK(cur[0].revision == 1);
  CHECK(cur[0].target == "kserve");
  CHECK(cur[1].env == "staging");
  CHECK(cur[1].revision == 3);
  CHECK(cur[1].target == "docker");
}

TEST_CASE("deploy rollback records: an earlier revision re-rendered and recorded as a new revision") {
  Fixture f;
  f.at(1700000001000);
  auto r1 = record_deployment(f.p.project(), "prod", f.render("models:/churn/1", "kubernetes"), "create", std::nullopt);
  f.at(1700000002000);
  record_deployment(f.p.project(), "prod", f.render("models:/churn/2", "kubernetes", {{"replicas", "3"}}), "create",
                    std::nullopt);
  // what 'mlt deploy rollback' does: render the revision's model, target and settings again
  auto to = deployment_revision(f.p.db(), "prod", 1);
  Settings s(to.settings.begin(), to.settings.end());
  auto again = f.render(to.model.uri, to.target, s);
  CHECK(again.model.tree == to.model.tree);
  f.at(1700000003000);
  auto rb = record_deployment(f.p.project(), "prod", again, "rollback", to.revision);
  CHECK(rb.revision == 3);
  CHECK(rb.action == "rollback");
  CHECK(rb.rolled_back_to == 1);
  CHECK(rb.model.uri == "models:/churn/1");
  CHECK(rb.model.tree == f.m1.tree);
  CHECK(rb.settings.empty());
  CHECK(rb.manifests == r1.manifests);   // the very files revision 1 deployed
  auto h = deployment_history(f.p.db(), "prod");
  REQUIRE(h.size() == 3);
  CHECK(h[0].action == "rollback");
  CHECK(h[0].rolled_back_to == 1);
  CHECK_FALSE(h[1].rolled_back_to);

  // a revision made through an alias is pinned to the version: moving the alias changes nothing
  auto al = record_deployment(f.p.project(), "al", f.render("models:/churn@prod", "kserve"), "create", std::nullopt);
  Registry(f.p.db(), "tester").set_alias("churn", "prod", 1);
  auto pinned = deployment_revision(f.p.db(), "al", al.revision);
  CHECK(pinned.model.uri == "models:/churn/2");
  auto re = f.render(pinned.model.uri, pinned.target);
  CHECK(re.model.tree == f.m2.tree);
  CHECK(store_rendered(f.p.project(), re) == pinned.manifests);
}

TEST_CASE("deploy check_env_name: 1-64 letters, digits, '_', '.' or '-'; a bad name records nothing") {
  for (const std::string& good : std::vector<std::string>{"prod", "A", "9", "prod-eu.1_a", std::string(64, 'e')}) {
    CAPTURE(good);
    CHECK_FALSE(thrown([&] { check_env_name(good); }));
  }
  for (const std::string& bad : std::vector<std::string>{"bad env", ".hidden", "_x", "-x", "a/b", "x;y", "",
                                                         std::string(65, 'e'), "caf\xc3\xa9"}) {
    CAPTURE(bad);
    auto e = thrown([&] { check_env_name(bad); });
    REQUIRE(e);
    CHECK(e->code() == ExitCode::usage);
    CHECK(std::string(e->what()).starts_with("invalid environment name '"));
    CHECK(contains(e->hint(), "1-64"));
  }
  Fixture f;
  auto r = f.render("models:/churn/2", "kserve");
  CHECK(code_of(thrown([&] { record_deployment(f.p.project(), "bad env", r, "create", std::nullopt); })) ==
        ExitCode::usage);
  CHECK(current_deployments(f.p.db()).empty());
}
