// mlt model save|show|get|verify|ls|import: model packages in MLflow's MLmodel format
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "base/child.hpp"
#include "base/clock.hpp"
#include "base/paths.hpp"
#include "base/yaml.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/target_run.hpp"
#include "core/models/mlmodel.hpp"
#include "core/models/models.hpp"
#include "core/models/signature.hpp"

namespace mlt::cli {
namespace {

struct ModelOptions {
  std::optional<std::string> name;   // -n given (an empty one is an error, not the default)
  std::string path, flavor, signature, input_example, requirements, run, experiment, python, uuid, created;
  std::vector<std::string> settings;
  std::string ref, out;
  bool force = false, no_digests = false, files = false;
};

void print_record(Context& ctx, const core::ModelRecord& r) {
  if (ctx.global.json) {
    Json j;
    j["uri"] = r.uri();
    j["run"] = r.run_uuid;
    j["path"] = r.path;
    j["digest"] = r.tree.str();
    j["size"] = r.size;
    j["flavors"] = r.flavors;
    print_json(j);
  } else {
    std::printf("%s\n", r.uri().c_str());
  }
}

core::AddOptions add_options(Context& ctx, Progress& progress) {
  core::AddOptions ao;
  ao.progress = progress.counter();
  ao.warn = [&ctx](const std::string& m) { ctx.warn(m); };
  return ao;
}

int model_save(Context& ctx, const ModelOptions& o) {
  core::SaveSpec spec;
  spec.source = o.path;
  spec.flavor = o.flavor;
  if (o.name) spec.name = *o.name;
  if (o.signature == "infer") spec.infer_signature = true;
  else if (!o.signature.empty()) spec.signature = o.signature;
  if (!o.input_example.empty()) spec.input_example = o.input_example;
  if (!o.requirements.empty()) spec.requirements = o.requirements;
  if (!o.python.empty()) spec.python_version = o.python;
  for (auto& s : o.settings) spec.settings.push_back(core::parse_kv(s, "setting"));
  if (!o.uuid.empty()) spec.model_uuid = o.uuid;
  if (!o.created.empty()) {
    auto t = core::parse_time(o.created);
    if (!t) throw Error(ExitCode::usage, fmt::format("--created '{}' is not a time", o.created),
                        "give epoch milliseconds or an RFC 3339 time such as 2026-06-01T12:00:00Z");
    spec.created_ms = *t;
  }
  auto prepared = core::prepare_save(spec);   // bad input is refused before a run is made
  Progress progress(ctx, "save", 0);
  auto ao = add_options(ctx, progress);
  core::AddStats st;
  auto rec = with_target_run(ctx, o.run, o.experiment, "mlt model save", [&](const core::RunRef& run) {
    return core::save_model(ctx.project(), run, prepared, st, ao);
  });
  print_record(ctx, rec);
  return 0;
}

int model_import(Context& ctx, const ModelOptions& o) {
  if (o.name) core::validate_artifact_path(*o.name);   // '-n ""' is an error, not the default
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(o.ref) / "MLmodel", ec))
    throw Error(ExitCode::usage,
                std::filesystem::is_directory(o.ref, ec) ? fmt::format("'{}' is not a model: it has no MLmodel file", o.ref)
                                                         : fmt::format("no such model directory '{}'", o.ref),
                "pass an MLflow model directory (the folder holding MLmodel)");
  Progress progress(ctx, "import", 0);
  auto ao = add_options(ctx, progress);
  core::AddStats st;
  auto rec = with_target_run(ctx, o.run, o.experiment, "mlt model import", [&](const core::RunRef& run) {
    return core::import_model(ctx.project(), run, o.ref, o.name.value_or(""), st, ao);
  });
  print_record(ctx, rec);
  return 0;
}

std::string flavor_summary(const YAML::Node& m) {
  std::vector<std::string> parts;
  for (auto& f : core::flavor_names(m)) {
    auto loader = core::field(core::field(core::field(m, "flavors"), f.c_str()), "loader_module");
    if (f == "python_function" && loader && loader.IsScalar()) parts.push_back(fmt::format("{} ({})", f, loader.Scalar()));
    else parts.push_back(f);
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::optional<core::Signature> package_signature(const YAML::Node& m) {
  auto sig = core::field(m, "signature");
  if (!sig || !sig.IsMap()) return std::nullopt;
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto n = core::field(sig, k);
    if (n && n.IsScalar()) return n.Scalar();
    return std::nullopt;
  };
  try {
    return core::signature_from_mlmodel_strings(get("inputs"), get("outputs"), get("params"), "signature");
  } catch (const Error&) {
    return std::nullopt;   // verify reports it
  }
}

int model_show(Context& ctx, const ModelOptions& o) {
  auto m = core::open_model(ctx.maybe_project(), o.ref);
  std::uint64_t total = 0;
  for (auto& f : m.files) total += f.size;
  auto digests = core::read_digests(m.mlmodel, m.label + "/MLmodel", static_cast<int>(ExitCode::integrity));
  auto sig = package_signature(m.mlmodel);
  if (ctx.global.json) {
    Json j;
    j["uri"] = m.label;
    j["run"] = m.run ? Json(m.run->uuid) : Json(nullptr);
    j["run_name"] = m.run ? Json(m.run->name) : Json(nullptr);
    j["path"] = m.run ? Json(m.path) : Json(nullptr);
    j["directory"] = m.dir ? Json(m.dir->string()) : Json(nullptr);
    j["registry_version"] = m.version ? Json(m.version->uri()) : Json(nullptr);
    j["digest"] = m.entry ? Json(m.entry->digest.str()) : Json(nullptr);
    j["size"] = total;
    j["flavors"] = core::yaml::to_json(core::field(m.mlmodel, "flavors"));
    j["model_uuid"] = core::string_field(m.mlmodel, "model_uuid").value_or("");
    j["utc_time_created"] = core::string_field(m.mlmodel, "utc_time_created").value_or("");
    Json s = nullptr;
    if (sig) {
      s = Json::object();
      s["inputs"] = sig->inputs ? Json(*sig->inputs) : Json(nullptr);
      s["outputs"] = sig->outputs ? Json(*sig->outputs) : Json(nullptr);
      s["params"] = sig->params ? Json(*sig->params) : Json(nullptr);
    }
    j["signature"] = s;
    auto ex = core::field(m.mlmodel, "saved_input_example_info");
    j["saved_input_example_info"] = ex ? core::yaml::to_json(ex) : Json(nullptr);
    j["has_digests"] = digests.has_value();
    j["files"] = Json::array();
    for (auto& f : m.files) {
      Json x;
      x["path"] = f.path;
      x["size"] = f.size;
      x["digest"] = f.digest.str();
      j["files"].push_back(std::move(x));
    }
    j["mlmodel"] = core::yaml::to_json(m.mlmodel);
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"model", m.label});
  if (m.run) rows.push_back({"run", fmt::format("{} ({})", m.run->name, short_id(m.run->uuid))});
  if (m.entry) rows.push_back({"digest", m.entry->digest.str()});
  rows.push_back({"size", fmt::format("{} in {} file{}", human_bytes(total), m.files.size(), m.files.size() == 1 ? "" : "s")});
  rows.push_back({"flavors", flavor_summary(m.mlmodel)});
  if (auto v = core::string_field(m.mlmodel, "utc_time_created")) rows.push_back({"created", *v + " UTC"});
  if (auto v = core::string_field(m.mlmodel, "model_uuid")) rows.push_back({"uuid", *v});
  if (auto v = core::string_field(m.mlmodel, "mlflow_version")) rows.push_back({"mlflow", *v});
  if (sig) {
    rows.push_back({"inputs", sig->inputs ? core::describe_schema(*sig->inputs) : "-"});
    rows.push_back({"outputs", sig->outputs ? core::describe_schema(*sig->outputs) : "-"});
    if (sig->params) rows.push_back({"params", core::describe_schema(*sig->params)});
  } else {
    rows.push_back({"signature", "none"});
  }
  if (auto ex = core::field(m.mlmodel, "saved_input_example_info"); ex && ex.IsMap() && ex["artifact_path"]) {
    std::string type = ex["type"] && ex["type"].IsScalar() ? ex["type"].Scalar() : "?";
    rows.push_back({"example", fmt::format("{} ({})", ex["artifact_path"].Scalar(), type)});
  }
  rows.push_back({"digests", digests ? fmt::format("recorded for {} files (check: mlt model verify)", digests->files.size())
                                     : "none recorded (import the model to add them)"});
  for (auto& r : rows) std::printf("%-10s %s\n", (r[0] + ":").c_str(), r[1].c_str());
  std::printf("\n");
  std::vector<std::vector<std::string>> table;
  for (auto& f : m.files) table.push_back({std::to_string(f.size), f.digest.str(), f.path});
  print_table({"SIZE", "SHA256", "FILE"}, table);
  return 0;
}

int model_get(Context& ctx, const ModelOptions& o) {
  if (o.out == "-")
    throw Error(ExitCode::usage, "'-o -' (standard output) cannot hold a model: a model is a directory",
                "give a directory with -o DIR; 'mlt artifact get RUN PATH/FILE -o -' prints one file of it");
  if (!ctx.maybe_project() && !o.ref.starts_with("runs:/") && !o.ref.starts_with("models:/"))
    throw Error(ExitCode::usage, fmt::format("'{}' is not a model URI", o.ref), "give runs:/RUN/PATH or models:/NAME/VERSION");
  auto m = core::open_model(ctx.maybe_project(), o.ref);
  if (!ctx.maybe_project()) throw Error(ExitCode::no_project, "not inside an mlt project", "run 'mlt init' or pass -C DIR");
  core::export_model(ctx.project(), m, o.out, o.no_digests, o.force);
  if (ctx.global.json) {
    Json j;
    j["uri"] = m.label;
    j["destination"] = o.out;
    j["digest"] = m.entry->digest.str();
    j["files"] = m.files.size();
    print_json(j);
  } else {
    ctx.note(fmt::format("wrote '{}' ({} files, {})", o.out, m.files.size(), human_bytes(m.entry->size)));
  }
  return 0;
}

int model_verify(Context& ctx, const ModelOptions& o) {
  auto m = core::open_model(ctx.maybe_project(), o.ref);
  core::VerifyResult r;
  {
    std::uint64_t total = 0;
    for (auto& f : m.files) total += f.size;
    Progress progress(ctx, "verify", total);   // on a terminal, after 0.5 s
    r = core::verify_model(ctx.maybe_project(), m, progress.counter());
  }
  if (ctx.global.json) {
    Json j;
    j["uri"] = m.label;
    j["ok"] = r.problems.empty() && r.has_digests;
    j["has_digests"] = r.has_digests;
    j["files"] = r.files;
    j["bytes"] = r.bytes;
    j["problems"] = r.problems;
    print_json(j);
  }
  if (!r.problems.empty()) {
    if (!ctx.global.json)
      for (std::size_t i = 1; i < r.problems.size(); ++i) std::fprintf(stderr, "mlt: %s\n", r.problems[i].c_str());
    throw Error(ExitCode::integrity, fmt::format("'{}' does not verify: {}", m.label, r.problems.front()),
                r.problems.size() > 1 ? fmt::format("{} problems in all", r.problems.size())
                                      : "restore the package from a good copy");
  }
  if (!r.has_digests)
    throw Error(ExitCode::failure, fmt::format("'{}' has no mlt digests: only its MLmodel was checked", m.label),
                "import it with 'mlt model import DIR' to record digests");
  if (!ctx.global.json)
    ctx.note(fmt::format("ok: {} files, {} verified against their recorded digests", r.files, human_bytes(r.bytes)));
  return 0;
}

int model_ls(Context& ctx, const ModelOptions& o) {
  std::optional<core::RunRef> run;
  if (!o.run.empty()) run = core::resolve_run(ctx.db(), o.run);
  auto models = core::list_models(ctx.db(), run);
  if (ctx.global.json) {
    Json j;
    j["models"] = Json::array();
    for (auto& m : models) {
      Json x;
      x["uri"] = m.uri();
      x["run"] = m.run_uuid;
      x["run_name"] = m.run_name;
      x["path"] = m.path;
      x["digest"] = m.tree.str();
      x["model_uuid"] = m.model_uuid ? Json(*m.model_uuid) : Json(nullptr);
      x["flavors"] = m.flavors;
      x["size"] = m.size;
      x["source"] = m.source;
      put_time(x, "created", m.created_ms);
      j["models"].push_back(std::move(x));
    }
    print_json(j);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& m : models)
    rows.push_back({short_id(m.run_uuid), m.run_name, m.path, fmt::format("{}", fmt::join(m.flavors, ",")),
                    human_bytes(m.size), m.tree.hex().substr(0, 12), core::local_time(m.created_ms)});
  if (rows.empty()) {
    ctx.note(run ? fmt::format("run '{}' has no models", run->name) : "no models yet (save one with 'mlt model save')");
    return 0;
  }
  print_table({"RUN", "NAME", "PATH", "FLAVORS", "SIZE", "DIGEST", "CREATED"}, rows);
  return 0;
}

}  // namespace

void add_model_commands(CLI::App& root, Context& ctx) {
  auto* grp = root.add_subcommand("model", "Package, inspect, export and verify models in MLflow's MLmodel format.");
  grp->require_subcommand(1);
  auto o = std::make_shared<ModelOptions>();
  const char* uri_help = "runs:/RUN/PATH, models:/NAME/VERSION|@ALIAS|/STAGE|/latest, or a model directory.";
  auto run_opts = [&](CLI::App* s) {
    s->add_option("--run", o->run, "The run to store the model in (default $MLT_RUN_ID, else a new run).")
        ->type_name("RUN");
    s->add_option("-e,--experiment", o->experiment, "The experiment of the new run, when one is made.")
        ->type_name("EXP");
    s->add_option("-n,--name", o->name, "The artifact path in the run (save: default 'model').")->type_name("NAME");
  };

  auto* s = grp->add_subcommand("save", "Package the model file or directory PATH as an MLflow model in a run; prints runs:/RUN/NAME.");
  s->add_option("path", o->path, "The model as the framework saved it (a file, or a directory).")
      ->required()->type_name("PATH");
  s->add_option("--flavor", o->flavor, "sklearn, pytorch, onnx, xgboost, lightgbm, tensorflow or generic.")
      ->required()->type_name("FLAVOR");
  run_opts(s);
  s->add_option("--signature", o->signature,
                "A signature file (JSON or YAML: inputs, outputs, params), or 'infer' to infer one from the input example.")
      ->type_name("FILE|infer");
  s->add_option("--input-example", o->input_example, "A few rows of input: CSV, JSON records or any JSON object.")
      ->type_name("FILE");
  s->add_option("--requirements", o->requirements, "A pip requirements.txt; conda.yaml and python_env.yaml are made from it.")
      ->type_name("FILE");
  s->add_option("--python", o->python, "The Python version the model needs (default: what python3 on PATH reports).")
      ->type_name("X.Y.Z");
  s->add_option("--set", o->settings, "A flavor field, e.g. sklearn_version=1.2.1 (see mlt-model(1) for each flavor's).")
      ->type_name("K=V");
  s->add_option("--uuid", o->uuid, "The model_uuid to write (default: random), for reproducible packages.")
      ->type_name("HEX");
  s->add_option("--created", o->created, "The creation time to write (default: now; MLT_NOW_MS pins it too).")
      ->type_name("TIME");
  s->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return model_save(ctx, *o); }); });

  auto* sh = grp->add_subcommand("show", "Show a model's flavors, signature, size, digest and files.");
  sh->add_option("uri", o->ref, uri_help)->required()->type_name("URI");
  sh->callback([&ctx, o] { ctx.select(Needs::optional_project, [&ctx, o] { return model_show(ctx, *o); }); });

  auto* g = grp->add_subcommand("get", "Write a stored model to DIR, byte for byte, every file verified.");
  g->add_option("uri", o->ref, "runs:/RUN/PATH or models:/NAME/VERSION|@ALIAS|/STAGE|/latest.")->required()->type_name("URI");
  g->add_option("-o,--output", o->out, "The directory to create.")->required()->type_name("DIR");
  g->add_flag("--force", o->force, "Replace files that exist at the destination.");
  ctx.deprecate(g->add_flag("-f", o->force)->group(""), "--force");
  g->add_flag("--no-digests", o->no_digests, "Write the MLmodel without mlt's digest block (an imported model's original bytes).");
  g->callback([&ctx, o] { ctx.select(Needs::optional_project, [&ctx, o] { return model_get(ctx, *o); }); });

  auto* v = grp->add_subcommand("verify", "Check a model's MLmodel and every file against its recorded digests; exit 6 on a mismatch.");
  v->add_option("uri", o->ref, uri_help)->required()->type_name("URI|DIR");
  v->callback([&ctx, o] { ctx.select(Needs::optional_project, [&ctx, o] { return model_verify(ctx, *o); }); });

  auto* l = grp->add_subcommand("ls", "List the models saved or imported in this project, newest first.");
  l->add_option("--run", o->run, "Only the models of this run.")->type_name("RUN");
  l->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return model_ls(ctx, *o); }); });

  auto* i = grp->add_subcommand("import", "Store an existing MLflow model directory unchanged, adding digests; prints runs:/RUN/NAME.");
  i->add_option("dir", o->ref, "The model directory (the folder holding MLmodel).")->required()->type_name("DIR");
  run_opts(i);
  i->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return model_import(ctx, *o); }); });
}

}  // namespace mlt::cli
