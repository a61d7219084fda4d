// Params files (`mlt log param -f FILE`): YAML or JSON, flattened into key=value params.
#pragma once
#include <string>
#include <vector>

#include "base/values.hpp"

namespace mlt::core {

// Reads a params file (.yaml/.yml/.json, chosen by content) and flattens nested maps with dots:
// {optim: {lr: 0.1}} -> optim.lr=0.1. Lists are kept as their JSON text. Errors name file:line:col.
std::vector<KeyValue> read_params_file(const std::string& path);

}  // namespace mlt::core
