// Model packages in MLflow's MLmodel format (see core/models/mlmodel.hpp for the digest block).
//
// `save` lays a framework's model file or directory out as MLflow's writer for that flavor does
// (file names, flavor and python_function fields), writes the MLmodel, environment files,
// signature and input example, and stores the package as a tree in a run's artifacts.
// `import` stores an existing MLflow model directory unchanged but for the digest block.
// Packages are recorded in the `models` table; gc keeps their trees.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/values.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/artifacts/tree.hpp"
#include "core/models/registry.hpp"
#include "core/models/signature.hpp"
#include "core/project.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::core {

namespace fs = std::filesystem;

// sklearn, pytorch, onnx, xgboost, lightgbm, tensorflow, generic
const std::vector<std::string>& model_flavors();
// The --set keys a flavor takes, with a sentence each.
std::vector<std::pair<std::string, std::string>> flavor_settings(const std::string& flavor);

struct SaveSpec {
  fs::path source;                       // the framework's model file or directory
  std::string flavor;
  std::string name = "model";            // artifact path in the run
  std::optional<fs::path> signature;     // a signature file
  bool infer_signature = false;          // --signature infer (from the input example)
  std::optional<fs::path> input_example;
  std::optional<fs::path> requirements;  // pip requirements.txt
  std::optional<std::string> python_version;   // nullopt: asked of python3 on PATH when needed
  std::vector<KeyValue> settings;        // flavor fields (--set K=V)
  std::optional<std::string> model_uuid; // nullopt: random
  std::optional<std::int64_t> created_ms;     // nullopt: now
};

struct ModelRecord {
  std::string run_uuid, run_name, path;
  store::Digest tree;
  std::optional<std::string> model_uuid;
  std::vector<std::string> flavors;
  std::uint64_t size = 0;
  std::int64_t created_ms = 0;
  std::string source;    // save | import
  std::string uri() const { return "runs:/" + run_uuid + "/" + path; }
};

// Reads and checks everything a save needs (flavor, settings, files, signature, example, Python
// version) without touching a project, so a caller can refuse bad input before making a run.
struct PreparedSave {
  SaveSpec spec;
  fs::path source;   // symbolic links followed
  std::optional<InputExample> example;
  Signature signature;
  std::optional<std::string> requirements, python;
};
PreparedSave prepare_save(const SaveSpec& spec);
ModelRecord save_model(Project& p, const RunRef& run, const PreparedSave& prepared, AddStats& stats, const AddOptions& opt);
ModelRecord save_model(Project& p, const RunRef& run, const SaveSpec& spec, AddStats& stats, const AddOptions& opt);
// NAME empty: the MLmodel's artifact_path, else "model".
ModelRecord import_model(Project& p, const RunRef& run, const fs::path& dir, const std::string& name,
                         AddStats& stats, const AddOptions& opt);
std::vector<ModelRecord> list_models(store::Db& db, const std::optional<RunRef>& run);

struct PackageFile {
  std::string path;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  store::Digest digest;       // of the bytes as stored or on disk (MLmodel: the whole file)
};

// A model as commands see it: a package in the store (runs:/ or models:/ URI) or a directory.
struct ModelPackage {
  std::string label;                     // the URI or directory as given
  std::optional<fs::path> dir;           // a directory on disk
  std::optional<TreeEntry> entry;        // a stored package (a directory entry)
  std::optional<RunRef> run;
  std::string path;                      // artifact path within the run
  std::string mlmodel_text;
  YAML::Node mlmodel;
  std::vector<PackageFile> files;        // bytewise path order; digests of a directory are computed
  std::vector<std::string> not_files;    // links and special files of a directory
  std::optional<ModelVersion> version;   // the registry version a models:/ URI named
};

// runs:/RUN/PATH, models:/... (through `resolve_registry`, set by the registry), or a directory.
// Not a model (no MLmodel): exit 2 saying so; malformed MLmodel: exit 2 with FILE:LINE:COL.
ModelPackage open_model(Project* p, const std::string& ref);

struct VerifyResult {
  bool has_digests = false;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> problems;     // "PATH: what" (schema problems name the MLmodel field)
};
// Checks the MLmodel's content and every file against the digest block; a stored package's
// objects are re-read and re-hashed.
// `progress` counts the bytes of the files checked.
VerifyResult verify_model(Project* p, const ModelPackage& m, std::atomic<std::uint64_t>* progress = nullptr);

// Writes a stored package to `dest` byte for byte (every object verified); with
// `strip_digests` the MLmodel is written without the mlt block.
void export_model(Project& p, const ModelPackage& m, const fs::path& dest, bool strip_digests, bool force);

// The tree digest a registry records for a package; exit 2 when `m` is not a stored package.
store::Digest package_digest(const ModelPackage& m);

}  // namespace mlt::core
