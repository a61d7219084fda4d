// Deploy manifests: a verified model package rendered for a serving engine (docker, kubernetes,
// kserve, seldon, compose), pinned to the package's tree digest, and deployments recorded per
// environment as numbered revisions (append-only) that can be listed, compared and rolled back.
//
// Every object carries labels and annotations naming the model, version, digest and source run,
// and refers to the model at  STORAGE/sha256/<hex>  (STORAGE from --set storage=..., default
// /var/lib/mlt/models), so what runs is the package that was verified. Output is deterministic.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/models/models.hpp"
#include "core/project.hpp"

namespace mlt::core {

const std::vector<std::string>& deploy_targets();   // docker, kubernetes, kserve, seldon, compose
// --set keys with a sentence each
const std::vector<std::pair<std::string, std::string>>& deploy_settings();

struct RenderedFile {
  std::string path;       // relative: deployment.yaml, Dockerfile, model/MLmodel, ...
  std::string content;
  std::uint32_t mode = 0644;
};

struct DeployModel {
  std::string uri;                  // models:/NAME/N (or runs:/RUN/PATH)
  std::string name;                 // the registered model (or the package's folder name)
  std::optional<std::int64_t> version;
  std::string run_uuid, path;
  store::Digest tree;
};

struct Rendered {
  DeployModel model;
  std::string target;
  std::map<std::string, std::string> settings;   // the --set values given (checked)
  std::vector<RenderedFile> files;               // by path
};

// Resolves the model, verifies every digest (exit 6 when any fails or none are recorded), and
// renders the target's files. Unknown target or --set key: exit 2, listing the valid ones.
Rendered render_deploy(Project& p, const std::string& uri, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& settings);
// Exit 5 when a file under `dir` is in the way (other content without `force`, a link, a directory);
// else the files that need writing (absent ones, and with `force` every one).
std::vector<const RenderedFile*> check_rendered(const Rendered& r, const std::filesystem::path& dir, bool force);
// Writes the files under `dir` (created), after check_rendered: nothing is written on a conflict.
void write_rendered(const Rendered& r, const std::filesystem::path& dir, bool force);
// The tree digest of the rendered files (stored in the object store as a tree).
store::Digest store_rendered(Project& p, const Rendered& r);

struct Deployment {
  std::string env;
  std::int64_t revision = 0;
  DeployModel model;
  std::string target;
  std::map<std::string, std::string> settings;
  store::Digest manifests;
  std::string user, action;        // create | rollback
  std::optional<std::int64_t> rolled_back_to;   // for a rollback: the revision it repeats
  std::int64_t created_ms = 0;
};

void check_env_name(const std::string& env);   // exit 2
Deployment record_deployment(Project& p, const std::string& env, const Rendered& r, const std::string& action,
                             std::optional<std::int64_t> rolled_back_to);
std::vector<Deployment> current_deployments(store::Db& db);               // the latest revision of each env
std::vector<Deployment> deployment_history(store::Db& db, const std::string& env);   // newest first; exit 4
Deployment deployment_revision(store::Db& db, const std::string& env, std::optional<std::int64_t> revision);   // exit 4

// The files of a recorded deployment's manifests, by path.
std::map<std::string, std::string> manifest_files(Project& p, const Deployment& d);

}  // namespace mlt::core
