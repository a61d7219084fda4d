#include "core/models/deploy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/paths.hpp"
#include "base/values.hpp"
#include "base/yaml.hpp"
#include "core/models/registry.hpp"
#include "store/dir_fd.hpp"

namespace mlt::core {
namespace {

namespace fs = std::filesystem;
using Node = YAML::Node;

Node str(const std::string& s) { return yaml::str(s); }
Node num(std::int64_t v) { return yaml::plain(std::to_string(v)); }
Node map() { return Node(YAML::NodeType::Map); }
Node seq() { return Node(YAML::NodeType::Sequence); }

// Kubernetes object names: DNS-1123 labels (lower case, digits, '-', at most 63).
std::string dns_name(const std::string& s) {
  std::string out;
  for (char c : s) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  while (!out.empty() && out.front() == '-') out.erase(0, 1);
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "model" : out;
}

bool is_dns_name(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  return std::regex_match(s, re);
}

struct Params {
  std::string name, ns, image, storage, cpu, memory, cpu_limit, memory_limit, server;
  std::int64_t replicas = 1, port = 8080, max_replicas = 5, target_cpu = 80;
  bool autoscale = false;
  bool storage_given = false;   // else the model is baked into the image (the docker target's)
};

std::int64_t int_setting(const std::map<std::string, std::string>& s, const std::string& k, std::int64_t def,
                         std::int64_t lo, std::int64_t hi) {
  auto it = s.find(k);
  if (it == s.end()) return def;
  auto v = parse_int64(it->second);
  if (!v || *v < lo || *v > hi)
    throw Error(ExitCode::usage, fmt::format("--set {}={}: expected a whole number from {} to {}", k, it->second, lo, hi));
  return *v;
}

Params params_of(const DeployModel& m, const std::map<std::string, std::string>& s) {
  auto get = [&](const std::string& k, const std::string& def) {
    auto it = s.find(k);
    return it == s.end() ? def : it->second;
  };
  Params p;
  p.name = get("name", dns_name(m.name));
  if (!is_dns_name(p.name))
    throw Error(ExitCode::usage, fmt::format("--set name={}: not a valid Kubernetes name", p.name),
                "use lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit");
  p.ns = get("namespace", "default");
  if (!is_dns_name(p.ns)) throw Error(ExitCode::usage, fmt::format("--set namespace={}: not a valid namespace", p.ns));
  std::string tag = m.version ? "v" + std::to_string(*m.version) : m.tree.hex().substr(0, 12);
  p.image = get("image", fmt::format("mlt-{}:{}", p.name, tag));
  if (p.image.empty() || p.image.find_first_of(" \t\n") != std::string::npos)
    throw Error(ExitCode::usage, fmt::format("--set image={}: not an image reference", p.image));
  p.storage_given = s.count("storage") > 0;
  p.storage = get("storage", "/var/lib/mlt/models");
  if (p.storage.empty() || !(p.storage.starts_with("/") || p.storage.find("://") != std::string::npos) ||
      p.storage.find_first_of(" \t\n") != std::string::npos)
    throw Error(ExitCode::usage, fmt::format("--set storage='{}': not an absolute path or a URI", p.storage),
                "e.g. /srv/models, s3://bucket/models, gs://bucket/models, pvc://claim/models");
  while (!p.storage.empty() && p.storage.back() == '/') p.storage.pop_back();   // "/" becomes ""
  static const std::regex quantity("[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?");
  auto q = [&](const std::string& k, const std::string& def) {
    auto v = get(k, def);
    if (v.size() > 64 || !std::regex_match(v, quantity))   // std::regex recurses per character
      throw Error(ExitCode::usage, fmt::format("--set {}={}: not a Kubernetes quantity", k, v), "e.g. 500m, 2, 512Mi, 4Gi");
    return v;
  };
  p.cpu = q("cpu", "500m");
  p.memory = q("memory", "1Gi");
  p.cpu_limit = q("cpu_limit", "1");
  p.memory_limit = q("memory_limit", "2Gi");
  p.server = get("server", "mlserver");
  if (p.server != "mlserver" && p.server != "mlflow")
    throw Error(ExitCode::usage, fmt::format("--set server={}: use mlserver or mlflow", p.server));
  p.replicas = int_setting(s, "replicas", 1, 0, 1000);
  p.port = int_setting(s, "port", 8080, 1, 65535);
  p.max_replicas = int_setting(s, "max_replicas", std::max<std::int64_t>(5, p.replicas), std::max<std::int64_t>(1, p.replicas), 1000);
  p.target_cpu = int_setting(s, "target_cpu", 80, 1, 100);
  auto a = ascii_lower(get("autoscale", "false"));
  if (a != "true" && a != "false") throw Error(ExitCode::usage, fmt::format("--set autoscale={}: use true or false", a));
  p.autoscale = a == "true";
  return p;
}

std::string location(const Params& p, const DeployModel& m) { return p.storage + "/sha256/" + m.tree.hex(); }

Node labels(const Params& p, const DeployModel& m) {
  Node l = map();
  l["app.kubernetes.io/name"] = str(p.name);
  l["app.kubernetes.io/managed-by"] = str("mlt");
  l["mlt.dev/model"] = str(dns_name(m.name));
  if (m.version) l["mlt.dev/model-version"] = str(std::to_string(*m.version));
  l["mlt.dev/model-digest"] = str(m.tree.hex().substr(0, 63));   // label values hold 63 characters
  return l;
}

Node annotations(const DeployModel& m) {
  Node a = map();
  a["mlt.dev/model-uri"] = str(m.uri);
  a["mlt.dev/model-digest"] = str(m.tree.str());
  a["mlt.dev/source-run"] = str(m.run_uuid);
  a["mlt.dev/source"] = str("runs:/" + m.run_uuid + "/" + m.path);
  return a;
}

// `from_storage`: the object loads the model from STORAGE/sha256/HEX (else from the image)
Node metadata(const Params& p, const DeployModel& m, const std::string& name, bool from_storage) {
  Node md = map();
  md["name"] = str(name);
  md["namespace"] = str(p.ns);
  md["labels"] = labels(p, m);
  auto a = annotations(m);
  a["mlt.dev/model-location"] = str(from_storage ? location(p, m) : "image " + p.image);
  md["annotations"] = a;
  return md;
}

Node resources(const Params& p) {
  Node r = map(), req = map(), lim = map();
  req["cpu"] = str(p.cpu);
  req["memory"] = str(p.memory);
  lim["cpu"] = str(p.cpu_limit);
  lim["memory"] = str(p.memory_limit);
  r["requests"] = req;
  r["limits"] = lim;
  return r;
}

std::string live_path(const Params& p) { return p.server == "mlflow" ? "/ping" : "/v2/health/live"; }
std::string ready_path(const Params& p) { return p.server == "mlflow" ? "/ping" : "/v2/health/ready"; }

Node probe(const std::string& path, int initial, int period) {
  Node pr = map(), get = map();
  get["path"] = str(path);
  get["port"] = str("http");
  pr["httpGet"] = get;
  pr["initialDelaySeconds"] = num(initial);
  pr["periodSeconds"] = num(period);
  pr["failureThreshold"] = num(3);
  return pr;
}

// Environment that makes the scoring server load the package at its digest location.
Node server_env(const Params& p, const DeployModel& m, const std::string& model_uri) {
  Node env = seq();
  auto add = [&](const std::string& k, const std::string& v) {
    Node e = map();
    e["name"] = str(k);
    e["value"] = str(v);
    env.push_back(e);
  };
  if (p.server == "mlserver") {
    add("MLSERVER_HTTP_PORT", std::to_string(p.port));
    add("MLSERVER_MODEL_NAME", p.name);
    add("MLSERVER_MODEL_IMPLEMENTATION", "mlserver_mlflow.MLflowRuntime");
    add("MLSERVER_MODEL_URI", model_uri);
  }
  add("MLT_MODEL_URI", m.uri);
  add("MLT_MODEL_DIGEST", m.tree.str());
  return env;
}

Node server_command(const Params& p, const std::string& model_uri) {
  Node c = seq();
  if (p.server == "mlflow") {
    for (const char* s : {"mlflow", "models", "serve", "-m"}) c.push_back(str(s));
    c.push_back(str(model_uri));
    for (const char* s : {"--host", "0.0.0.0", "--port"}) c.push_back(str(s));
    c.push_back(str(std::to_string(p.port)));
    c.push_back(str("--env-manager"));
    c.push_back(str("local"));
  } else {
    c.push_back(str("mlserver"));
    c.push_back(str("start"));
    c.push_back(str("/opt/mlt"));
  }
  return c;
}

bool local_storage(const Params& p) { return p.storage.starts_with("/") || p.storage.starts_with("file://"); }
std::string local_path(const std::string& s) { return s.starts_with("file://") ? s.substr(7) : s; }
// Where the server in a container finds the model: baked into the image (no storage given),
// mounted from a local storage path, or read from remote storage (MLflow loads s3://, gs://, ...).
std::string container_model_uri(const Params& p, const DeployModel& m, const std::string& model_dir) {
  if (!p.storage_given || local_storage(p)) return model_dir;
  return location(p, m);
}
bool mount_storage(const Params& p) { return p.storage_given && local_storage(p); }

std::vector<RenderedFile> render_kubernetes(const Params& p, const DeployModel& m) {
  std::string model_dir = "/opt/mlt/models/sha256-" + m.tree.hex();
  std::string model_uri = container_model_uri(p, m, model_dir);
  Node selector = map();
  selector["app.kubernetes.io/name"] = str(p.name);

  Node container = map();
  container["name"] = str("model");
  container["image"] = str(p.image);
  container["command"] = server_command(p, model_uri);
  Node port = map();
  port["name"] = str("http");
  port["containerPort"] = num(p.port);
  Node ports = seq();
  ports.push_back(port);
  container["ports"] = ports;
  container["env"] = server_env(p, m, model_uri);
  container["readinessProbe"] = probe(ready_path(p), 10, 5);
  container["livenessProbe"] = probe(live_path(p), 30, 10);
  container["resources"] = resources(p);
  Node sc = map();
  sc["runAsNonRoot"] = yaml::plain("true");
  sc["runAsUser"] = num(10001);
  sc["allowPrivilegeEscalation"] = yaml::plain("false");
  sc["readOnlyRootFilesystem"] = yaml::plain("false");
  container["securityContext"] = sc;
  Node pod_spec = map();
  Node containers = seq();
  if (mount_storage(p)) {
    Node mount = map();
    mount["name"] = str("model");
    mount["mountPath"] = str(model_dir);
    mount["readOnly"] = yaml::plain("true");
    Node mounts = seq();
    mounts.push_back(mount);
    container["volumeMounts"] = mounts;
    Node vol = map(), host = map();
    vol["name"] = str("model");
    host["path"] = str(local_path(location(p, m)));
    host["type"] = str("Directory");
    vol["hostPath"] = host;
    Node vols = seq();
    vols.push_back(vol);
    containers.push_back(container);
    pod_spec["containers"] = containers;
    pod_spec["volumes"] = vols;
  } else {
    containers.push_back(container);
    pod_spec["containers"] = containers;
  }
  Node tmpl = map(), tmeta = map();
  tmeta["labels"] = labels(p, m);
  tmeta["annotations"] = annotations(m);
  tmpl["metadata"] = tmeta;
  tmpl["spec"] = pod_spec;
  Node dspec = map(), sel = map();
  dspec["replicas"] = num(p.replicas);
  sel["matchLabels"] = selector;
  dspec["selector"] = sel;
  dspec["template"] = tmpl;
  Node dep = map();
  dep["apiVersion"] = str("apps/v1");
  dep["kind"] = str("Deployment");
  dep["metadata"] = metadata(p, m, p.name, p.storage_given);
  dep["spec"] = dspec;

  Node svc = map(), sspec = map(), sport = map(), sports = seq();
  svc["apiVersion"] = str("v1");
  svc["kind"] = str("Service");
  svc["metadata"] = metadata(p, m, p.name, p.storage_given);
  sspec["type"] = str("ClusterIP");
  sspec["selector"] = selector;
  sport["name"] = str("http");
  sport["port"] = num(p.port);
  sport["targetPort"] = str("http");
  sports.push_back(sport);
  sspec["ports"] = sports;
  svc["spec"] = sspec;

  std::vector<RenderedFile> files{{"deployment.yaml", yaml::emit(dep)}, {"service.yaml", yaml::emit(svc)}};
  if (p.autoscale) {
    Node hpa = map(), hspec = map(), ref = map(), metric = map(), res = map(), target = map(), metrics = seq();
    hpa["apiVersion"] = str("autoscaling/v2");
    hpa["kind"] = str("HorizontalPodAutoscaler");
    hpa["metadata"] = metadata(p, m, p.name, p.storage_given);
    ref["apiVersion"] = str("apps/v1");
    ref["kind"] = str("Deployment");
    ref["name"] = str(p.name);
    hspec["scaleTargetRef"] = ref;
    hspec["minReplicas"] = num(std::max<std::int64_t>(1, p.replicas));
    hspec["maxReplicas"] = num(p.max_replicas);
    target["type"] = str("Utilization");
    target["averageUtilization"] = num(p.target_cpu);
    res["name"] = str("cpu");
    res["target"] = target;
    metric["type"] = str("Resource");
    metric["resource"] = res;
    metrics.push_back(metric);
    hspec["metrics"] = metrics;
    hpa["spec"] = hspec;
    files.push_back({"hpa.yaml", yaml::emit(hpa)});
  }
  return files;
}

std::vector<RenderedFile> render_kserve(const Params& p, const DeployModel& m) {
  Node isvc = map(), spec = map(), pred = map(), model = map(), fmt_ = map();
  isvc["apiVersion"] = str("serving.kserve.io/v1beta1");
  isvc["kind"] = str("InferenceService");
  isvc["metadata"] = metadata(p, m, p.name, true);
  pred["minReplicas"] = num(p.replicas);
  if (p.autoscale) pred["maxReplicas"] = num(p.max_replicas);
  fmt_["name"] = str("mlflow");
  model["modelFormat"] = fmt_;
  model["protocolVersion"] = str("v2");
  model["storageUri"] = str(location(p, m));
  model["resources"] = resources(p);
  pred["model"] = model;
  spec["predictor"] = pred;
  isvc["spec"] = spec;
  return {{"inferenceservice.yaml", yaml::emit(isvc)}};
}

std::vector<RenderedFile> render_seldon(const Params& p, const DeployModel& m) {
  Node sd = map(), spec = map(), pred = map(), graph = map(), preds = seq();
  sd["apiVersion"] = str("machinelearning.seldon.io/v1");
  sd["kind"] = str("SeldonDeployment");
  sd["metadata"] = metadata(p, m, p.name, true);
  spec["name"] = str(p.name);
  spec["protocol"] = str("v2");
  graph["name"] = str("model");
  graph["implementation"] = str("MLFLOW_SERVER");
  graph["modelUri"] = str(location(p, m));
  Node children = seq();
  graph["children"] = children;
  pred["name"] = str("default");
  pred["replicas"] = num(p.replicas);
  pred["graph"] = graph;
  Node comp = map(), cspec = map(), containers = seq(), c = map();
  c["name"] = str("model");
  c["resources"] = resources(p);
  containers.push_back(c);
  cspec["containers"] = containers;
  comp["spec"] = cspec;
  Node comps = seq();
  comps.push_back(comp);
  pred["componentSpecs"] = comps;
  Node plabels = map();
  plabels["mlt.dev/model-digest"] = str(m.tree.hex().substr(0, 63));
  pred["labels"] = plabels;
  preds.push_back(pred);
  spec["predictors"] = preds;
  sd["spec"] = spec;
  return {{"seldondeployment.yaml", yaml::emit(sd)}};
}

std::string healthcheck_cmd(const Params& p) {
  return fmt::format("python -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{}{}')\"", p.port,
                     ready_path(p));
}

std::vector<RenderedFile> render_compose(const Params& p, const DeployModel& m) {
  std::string model_dir = "/opt/mlt/models/sha256-" + m.tree.hex();
  std::string model_uri = container_model_uri(p, m, model_dir);
  Node svc = map();
  svc["image"] = str(p.image);
  svc["command"] = server_command(p, model_uri);
  Node ports = seq();
  ports.push_back(str(fmt::format("{}:{}", p.port, p.port)));
  svc["ports"] = ports;
  Node env = map();
  for (const auto& e : server_env(p, m, model_uri)) env[e["name"].Scalar()] = str(e["value"].Scalar());
  svc["environment"] = env;
  if (mount_storage(p)) {
    Node vols = seq();
    vols.push_back(str(fmt::format("{}:{}:ro", local_path(location(p, m)), model_dir)));
    svc["volumes"] = vols;
  }
  Node hc = map(), test = seq();
  test.push_back(str("CMD-SHELL"));
  test.push_back(str(healthcheck_cmd(p)));
  hc["test"] = test;
  hc["interval"] = str("10s");
  hc["timeout"] = str("3s");
  hc["retries"] = num(3);
  hc["start_period"] = str("30s");
  svc["healthcheck"] = hc;
  svc["user"] = str("10001");
  svc["restart"] = str("unless-stopped");
  Node lbl = labels(p, m);
  for (const auto& kv : annotations(m)) lbl[kv.first.Scalar()] = str(kv.second.Scalar());
  svc["labels"] = lbl;
  if (p.replicas != 1) {
    Node deploy = map();
    deploy["replicas"] = num(p.replicas);
    svc["deploy"] = deploy;
  }
  Node services = map(), top = map();
  services.force_insert(str(p.name), svc);   // a key too must stay a string ('true', '123')
  top["services"] = services;
  return {{"compose.yaml", yaml::emit(top)}};
}

std::vector<RenderedFile> render_docker(Project& proj, const Params& p, const DeployModel& m, const ModelPackage& pkg) {
  std::string model_dir = "/opt/mlt/models/sha256-" + m.tree.hex();
  std::vector<RenderedFile> files;
  std::string install = p.server == "mlflow" ? "mlflow" : "mlserver mlserver-mlflow";
  std::string cmd;
  for (const auto& c : server_command(p, model_dir)) cmd += (cmd.empty() ? "" : ", ") + nlohmann::json(c.Scalar()).dump();
  std::string df = fmt::format(
      "# Rendered by mlt for {uri} ({digest}); build with: docker build -t {image} .\n"
      "FROM python:3.11-slim\n"
      "LABEL org.opencontainers.image.title=\"{name}\" \\\n"
      "      dev.mlt.model.uri=\"{uri}\" \\\n"
      "      dev.mlt.model.digest=\"{digest}\" \\\n"
      "      dev.mlt.model.source-run=\"{run}\"\n"
      "RUN useradd --create-home --uid 10001 mlt && pip install --no-cache-dir {install}\n"
      "COPY --chown=10001 model/ {dir}/\n"
      "RUN if [ -f {dir}/requirements.txt ]; then pip install --no-cache-dir -r {dir}/requirements.txt; fi\n"
      "{settings}"
      "ENV MLT_MODEL_URI=\"{uri}\" MLT_MODEL_DIGEST=\"{digest}\"\n"
      "USER 10001\n"
      "EXPOSE {port}\n"
      "HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD {health}\n"
      "CMD [{cmd}]\n",
      fmt::arg("uri", m.uri), fmt::arg("digest", m.tree.str()), fmt::arg("image", p.image), fmt::arg("name", m.name),
      fmt::arg("run", m.run_uuid), fmt::arg("install", install), fmt::arg("dir", model_dir), fmt::arg("port", p.port),
      fmt::arg("health", healthcheck_cmd(p)), fmt::arg("cmd", cmd),
      fmt::arg("settings", p.server == "mlserver" ? "COPY --chown=10001 settings.json model-settings.json /opt/mlt/\n" : ""));
  files.push_back({"Dockerfile", df});
  if (p.server == "mlserver") {
    nlohmann::ordered_json ms;
    ms["name"] = p.name;
    ms["implementation"] = "mlserver_mlflow.MLflowRuntime";
    ms["parameters"] = {{"uri", model_dir}, {"version", m.version ? "v" + std::to_string(*m.version) : m.tree.hex()}};
    files.push_back({"model-settings.json", ms.dump(2) + "\n"});
    nlohmann::ordered_json st;
    st["http_port"] = p.port;
    st["debug"] = false;
    files.push_back({"settings.json", st.dump(2) + "\n"});
  }
  // the package itself, each file read (and verified) from the store
  for (auto& f : pkg.files) files.push_back({"model/" + f.path, proj.objects().read_content(f.digest), f.mode});
  return files;
}

}  // namespace

const std::vector<std::string>& deploy_targets() {
  static const std::vector<std::string> t{"docker", "kubernetes", "kserve", "seldon", "compose"};
  return t;
}

const std::vector<std::pair<std::string, std::string>>& deploy_settings() {
  static const std::vector<std::pair<std::string, std::string>> s{
      {"autoscale", "kubernetes: add a HorizontalPodAutoscaler (true/false, default false)"},
      {"cpu", "CPU request (default 500m)"},
      {"cpu_limit", "CPU limit (default 1)"},
      {"image", "the serving image (default mlt-NAME:vN, what the docker target builds)"},
      {"max_replicas", "autoscaling maximum (default 5)"},
      {"memory", "memory request (default 1Gi)"},
      {"memory_limit", "memory limit (default 2Gi)"},
      {"name", "object and service name (default: the model name made DNS-safe)"},
      {"namespace", "Kubernetes namespace (default default)"},
      {"port", "HTTP port of the scoring server (default 8080)"},
      {"replicas", "replicas (default 1)"},
      {"server", "mlserver (default; MLServer's MLflow runtime) or mlflow (mlflow models serve)"},
      {"storage", "base URI of model storage; the model is at STORAGE/sha256/HEX (default /var/lib/mlt/models)"},
      {"target_cpu", "autoscaling CPU target in percent (default 80)"},
  };
  return s;
}

Rendered render_deploy(Project& p, const std::string& uri, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& settings) {
  auto& targets = deploy_targets();
  if (std::find(targets.begin(), targets.end(), target) == targets.end())
    throw Error(ExitCode::usage, fmt::format("unknown target '{}'", printable(target)),
                fmt::format("targets: {}", fmt::join(targets, ", ")));
  Rendered r;
  r.target = target;
  for (auto& [k, v] : settings) {
    auto& known = deploy_settings();
    const std::string& key = k;   // clang 14 cannot capture a structured binding
    if (std::none_of(known.begin(), known.end(), [&](auto& kv) { return kv.first == key; })) {
      std::vector<std::string> names;
      for (auto& kv : known) names.push_back(kv.first);
      throw Error(ExitCode::usage, fmt::format("unknown setting '{}'", printable(k)),
                  fmt::format("settings: {}", fmt::join(names, ", ")));
    }
    r.settings[k] = v;
  }
  auto pkg = open_model(&p, uri);
  if (!pkg.entry)
    throw Error(ExitCode::usage, fmt::format("'{}' is a directory; deploy a stored model", uri),
                "import it first: mlt model import DIR, then mlt registry register");
  auto check = verify_model(&p, pkg);
  if (!check.problems.empty())
    throw Error(ExitCode::integrity, fmt::format("'{}' does not verify: {}", uri, check.problems.front()),
                "nothing was rendered; check it with 'mlt model verify'");
  if (!check.has_digests)
    throw Error(ExitCode::integrity, fmt::format("'{}' has no recorded digests, so it cannot be verified", uri),
                "import the model with 'mlt model import' (which records them) and register that");
  DeployModel& m = r.model;
  m.run_uuid = pkg.run->uuid;
  m.path = pkg.path;
  m.tree = pkg.entry->digest;
  if (pkg.version) {
    m.name = pkg.version->model;
    m.version = pkg.version->version;
    m.uri = pkg.version->uri();
  } else {
    m.name = pkg.entry->name;
    m.uri = "runs:/" + m.run_uuid + "/" + m.path;
  }
  auto params = params_of(m, r.settings);
  if (target == "docker") r.files = render_docker(p, params, m, pkg);
  else if (target == "kubernetes") r.files = render_kubernetes(params, m);
  else if (target == "kserve") r.files = render_kserve(params, m);
  else if (target == "seldon") r.files = render_seldon(params, m);
  else r.files = render_compose(params, m);
  std::sort(r.files.begin(), r.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return r;
}

std::vector<const RenderedFile*> check_rendered(const Rendered& r, const fs::path& dir, bool force) {
  std::vector<const RenderedFile*> to_write;
  for (auto& f : r.files) {
    auto parts = validate_artifact_path(f.path);
    fs::path target = dir / f.path;
    struct stat st {};
    fs::path below = dir;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {   // a folder on the way that is a link: refused here
      below /= parts[i];
      if (::lstat(below.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        throw Error(ExitCode::conflict,
                    fmt::format("'{}' is {}; refusing to write there", below.string(),
                                S_ISLNK(st.st_mode) ? "a symlink" : "not a directory"),
                    "remove it or choose another -o DIR; nothing was written");
    }
    if (::lstat(target.c_str(), &st) != 0) {
      to_write.push_back(&f);
      continue;
    }
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
      throw Error(ExitCode::conflict, fmt::format("'{}' is a link or directory; refusing to write there", target.string()));
    if (force) {
      to_write.push_back(&f);
      continue;
    }
    std::ifstream in(target, std::ios::binary);
    std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (old != f.content)
      throw Error(ExitCode::conflict, fmt::format("'{}' exists with other content", target.string()),
                  "pass --force to replace it, or choose another -o DIR; nothing was written");
  }
  return to_write;
}

void write_rendered(const Rendered& r, const fs::path& dir, bool force) {
  auto to_write = check_rendered(r, dir, force);   // every conflict is found before the first write
  if (to_write.empty()) return;
  // through directory fds: a folder swapped for a symlink meanwhile sends nothing elsewhere
  auto top = store::DirFd::open_or_create(dir);
  for (auto* f : to_write) {
    auto parts = validate_artifact_path(f->path);
    std::optional<store::DirFd> below;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) below = (below ? *below : top).sub_or_make(parts[i]);
    (below ? *below : top).write_file(parts.back(), f->content, f->mode);
  }
}

store::Digest store_rendered(Project& p, const Rendered& r) {
  std::optional<store::Digest> root;
  for (auto& f : r.files) {
    TreeEntry e{EntryKind::file, f.mode & 0777, f.content.size(), p.objects().put_blob(f.content),
                f.path.substr(f.path.rfind('/') + 1)};
    root = tree_set(p.objects(), root, f.path, e);
  }
  if (!root) root = put_tree(p.objects(), {});
  p.objects().sync();
  return *root;
}

void check_env_name(const std::string& env) {
  static const std::regex re("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  if (!std::regex_match(env, re))
    throw Error(ExitCode::usage, fmt::format("invalid environment name '{}'", printable(env)),
                "an environment is 1-64 letters, digits, '_', '.' or '-', e.g. staging or prod-eu");
}

namespace {

constexpr const char* select_deployment =
    "SELECT env, revision, model_uri, model_name, model_version, run_uuid, path, tree, target, settings, manifests, "
    "user, action, rolled_back_to, created_ms FROM deployments ";

Deployment row_deployment(const store::Stmt& q) {
  Deployment d;
  d.env = q.text(0);
  d.revision = q.int64(1);
  d.model.uri = q.text(2);
  d.model.name = q.text(3);
  d.model.version = q.opt_int64(4);
  d.model.run_uuid = q.text(5);
  d.model.path = q.text(6);
  d.model.tree = store::Digest::parse(q.text(7)).value_or(store::Digest{});
  d.target = q.text(8);
  auto s = nlohmann::json::parse(q.text(9), nullptr, false);
  if (s.is_object())
    for (auto& [k, v] : s.items()) d.settings[k] = v.is_string() ? v.get<std::string>() : v.dump();
  d.manifests = store::Digest::parse(q.text(10)).value_or(store::Digest{});
  d.user = q.text(11);
  d.action = q.text(12);
  d.rolled_back_to = q.opt_int64(13);
  d.created_ms = q.int64(14);
  return d;
}

}  // namespace

Deployment record_deployment(Project& p, const std::string& env, const Rendered& r, const std::string& action,
                             std::optional<std::int64_t> rolled_back_to) {
  check_env_name(env);
  auto manifests = store_rendered(p, r);
  nlohmann::json settings = nlohmann::json::object();
  for (auto& [k, v] : r.settings) settings[k] = v;
  store::Transaction tx(p.db());
  store::Stmt next(p.db(), "SELECT COALESCE(MAX(revision), 0) + 1 FROM deployments WHERE env = ?1");
  next.bind(1, env);
  next.step();
  std::int64_t revision = next.int64(0);
  next.exec();
  store::Stmt ins(p.db(),
                  "INSERT INTO deployments(env, revision, model_uri, model_name, model_version, run_uuid, path, tree, "
                  "target, settings, manifests, user, action, rolled_back_to, created_ms) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  ins.bind(1, env).bind(2, revision).bind(3, r.model.uri).bind(4, r.model.name).bind(5, r.model.version);
  ins.bind(6, r.model.run_uuid).bind(7, r.model.path).bind(8, r.model.tree.hex()).bind(9, r.target);
  ins.bind(10, settings.dump()).bind(11, manifests.hex()).bind(12, current_user()).bind(13, action);
  ins.bind(14, rolled_back_to).bind(15, now_ms()).exec();
  tx.commit();
  return deployment_revision(p.db(), env, revision);
}

std::vector<Deployment> current_deployments(store::Db& db) {
  store::Stmt q(db, std::string(select_deployment) +
                        "d WHERE revision = (SELECT MAX(revision) FROM deployments e WHERE e.env = d.env) ORDER BY env");
  std::vector<Deployment> out;
  while (q.step()) out.push_back(row_deployment(q));
  return out;
}

std::vector<Deployment> deployment_history(store::Db& db, const std::string& env) {
  store::Stmt q(db, std::string(select_deployment) + "WHERE env = ?1 ORDER BY revision DESC");
  q.bind(1, env);
  std::vector<Deployment> out;
  while (q.step()) out.push_back(row_deployment(q));
  if (out.empty())
    throw Error(ExitCode::not_found, fmt::format("no deployments in environment '{}'", env), "see 'mlt deploy ls'");
  return out;
}

Deployment deployment_revision(store::Db& db, const std::string& env, std::optional<std::int64_t> revision) {
  auto all = deployment_history(db, env);
  if (!revision) return all.front();
  for (auto& d : all)
    if (d.revision == *revision) return d;
  throw Error(ExitCode::not_found, fmt::format("environment '{}' has no revision {}", env, *revision),
              fmt::format("see 'mlt deploy history {}'", env));
}

std::map<std::string, std::string> manifest_files(Project& p, const Deployment& d) {
  std::map<std::string, std::string> out;
  walk_tree(p.objects(), d.manifests, [&](const std::string& path, const TreeEntry& e) {
    if (e.kind == EntryKind::file) out[path] = p.objects().read_content(e.digest);
  });
  return out;
}

}  // namespace mlt::core
