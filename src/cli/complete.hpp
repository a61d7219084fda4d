// Shell completion (`mlt __complete`): what each argument of each command completes to. The
// table lives in complete.cpp; a unit test checks that every argument has an entry.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mlt::cli {

enum class Arg {
  unknown,           // no rule: a test failure
  none,              // free text: nothing to offer
  files, dirs, command,
  choices,           // a fixed list (formats, targets, stages, ...)
  run, deleted_run, experiment, deleted_experiment,
  metric_key, param_kv, metric_kv, tag_kv,
  model_name, registry_ref, model_uri, model_uri_or_dir, lineage_ref, alias, version,
  data_name, data_ref, env, revision,
  search_key,        // metrics.KEY, params.KEY, ... in filters, orders and column lists
  artifact_path,
  config_key, config_value, command_name,
};

// The kind of value `o` of the command at `path` ("registry alias") takes.
Arg arg_kind(const std::string& path, const CLI::Option* o);
// Every option or positional that takes a value: fn(command path, option).
void for_each_argument(CLI::App& root, const std::function<void(const std::string&, const CLI::Option*)>& fn);

}  // namespace mlt::cli
