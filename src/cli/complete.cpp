// Shell completion: `mlt __complete WORD... CUR` walks the same CLI11 tree that main parses and
// prints the candidates for CUR, one per line ("value<TAB>description"), then a directive line
// ":N" (cobra's protocol, so the shell scripts stay thin):
//   1 error (offer nothing) · 2 no space after the word · 4 no file names · 16 directories only.
// Dynamic values come from the project, opened read-only; any error ends in silence (":1").
#include "cli/complete.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/artifacts/artifacts.hpp"
#include "core/artifacts/tree.hpp"
#include "core/completion.hpp"
#include "core/config.hpp"
#include "core/project.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

namespace cc = core::completion;

constexpr int directive_error = 1, directive_no_space = 2, directive_no_files = 4, directive_dirs = 16;
constexpr int limit = 200;  // dynamic candidates offered at most per kind

struct Rule {
  const char* path;  // command path ("registry alias"), "*" for any
  const char* arg;   // the first long name ("--run"), else the short one ("-C"), or a positional's name
  Arg kind;
  const char* choices = nullptr;  // Arg::choices: space-separated
};

// Arguments whose meaning the type name alone does not give. Looked up first.
constexpr Rule rules[] = {
    {"", "--color", Arg::choices, "auto always never"},
    {"", "-C", Arg::dirs},
    {"init", "dir", Arg::dirs},
    {"exp create", "name", Arg::none},
    {"exp rename", "new", Arg::none},
    {"exp restore", "name", Arg::deleted_experiment},
    {"exp *", "name", Arg::experiment},
    {"run", "--metrics-prefix", Arg::none},
    {"run", "cmd", Arg::command},
    {"run end", "--status", Arg::choices, "finished failed killed"},
    {"run restore", "run", Arg::deleted_run},
    {"run rename", "name", Arg::none},
    {"log param", "pairs", Arg::param_kv},
    {"log metric", "pairs", Arg::metric_kv},
    {"log tag", "pairs", Arg::tag_kv},
    {"log stream", "--format", Arg::choices, "auto kv jsonl csv"},
    {"log input", "--context", Arg::choices, "train eval test validation"},
    {"runs", "--format", Arg::choices, "table json csv tsv"},
    {"runs", "--sort", Arg::search_key},
    {"runs", "--columns", Arg::search_key},
    {"check", "filter", Arg::search_key},
    {"metrics", "--format", Arg::choices, "table json csv tsv"},
    {"metrics", "keys", Arg::metric_key},
    {"plot", "--metric", Arg::metric_key},
    {"plot", "--x", Arg::choices, "step time"},
    {"plot", "--smooth", Arg::none},
    {"artifact *", "path", Arg::artifact_path},
    {"model save", "--flavor", Arg::choices, "sklearn pytorch onnx xgboost lightgbm tensorflow generic"},
    {"registry create", "name", Arg::none},
    {"registry show", "ref", Arg::registry_ref},
    {"registry *", "name", Arg::model_name},
    {"registry stage", "stage", Arg::choices, "Staging Production Archived None"},
    {"data add", "--name", Arg::data_name},
    {"data ls", "name", Arg::data_name},
    {"data status", "name", Arg::data_name},
    {"lineage", "--format", Arg::choices, "tree json dot"},
    {"deploy *", "--target", Arg::choices, "docker kubernetes kserve seldon compose"},
    {"deploy rollback", "--to", Arg::revision},
    {"config get", "key", Arg::config_key},
    {"config set", "key", Arg::config_key},
    {"config set", "value", Arg::config_value},
    {"config unset", "key", Arg::config_key},
    {"completion", "shell", Arg::choices, "bash zsh fish"},
    {"help", "command", Arg::command_name},
    // any command: after the specific rules above
    {"*", "--param", Arg::param_kv},
    {"*", "--tag", Arg::tag_kv},
    {"*", "--filter", Arg::search_key},
};

// The rest, by type name (what --help shows in capitals).
struct TypeRule {
  const char* type;
  Arg kind;
};
constexpr TypeRule type_rules[] = {
    {"RUN", Arg::run},           {"RUN_A", Arg::run},           {"RUN_B", Arg::run},
    {"EXP", Arg::experiment},      {"URI", Arg::model_uri},
    {"URI|DIR", Arg::model_uri_or_dir}, {"URI|REF|RUN", Arg::lineage_ref}, {"REF", Arg::data_ref},
    {"REF_A", Arg::data_ref},    {"REF_B", Arg::data_ref},      {"DATA@VER", Arg::data_ref},
    {"NAME[/VERSION]", Arg::registry_ref}, {"VERSION", Arg::version}, {"ALIAS", Arg::alias},
    {"ENV", Arg::env},           {"ENV_A", Arg::env},           {"ENV_B", Arg::env},
    {"REVISION", Arg::revision}, {"KEY", Arg::metric_key},      {"FILE", Arg::files},
    {"PATH", Arg::files},        {"DEST", Arg::files},          {"FILE|infer", Arg::files},
    {"DIR", Arg::dirs},          {"CMD", Arg::command},         {"TEXT", Arg::none},
    {"K=V", Arg::none},          {"N", Arg::none},              {"TIME", Arg::none},
    {"MS", Arg::none},           {"DURATION", Arg::none},       {"MESSAGE", Arg::none},
    {"PREFIX", Arg::none},       {"HEX", Arg::none},            {"X.Y.Z", Arg::none},
    {"NAME", Arg::none},         {"REV", Arg::none},            {"FILTER", Arg::search_key},
    {"ORDER", Arg::search_key},       {"LIST", Arg::search_key},        {"WHEN", Arg::none},
    {"STATUS", Arg::none},       {"STAGE", Arg::none},          {"FORMAT", Arg::none},
    {"TARGET", Arg::none},       {"FLAVOR", Arg::none},         {"AXIS", Arg::none},
};

bool path_matches(const char* pattern, const std::string& path) {
  std::string p = pattern;
  if (p == "*") return true;
  if (p.size() >= 2 && p.compare(p.size() - 2, 2, " *") == 0)
    return path.rfind(p.substr(0, p.size() - 1), 0) == 0;  // "exp *": any subcommand of exp
  return p == path;
}

std::string base_type(const CLI::Option* o) {
  std::string t = o->get_type_name();
  if (auto colon = t.find(':'); colon != std::string::npos) t.resize(colon);
  return t;
}

std::vector<std::string> words_of(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s; *p; ++p) {
    if (*p == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool takes_value(const CLI::Option* o) { return o->get_items_expected_max() > 0; }

std::vector<CLI::Option*> options_of(CLI::App* app) {
  std::vector<CLI::Option*> out = app->get_options();
  // option groups are nameless subcommands whose options belong to their parent
  for (auto* g : app->get_subcommands([](CLI::App* a) { return a->get_name().empty(); }))
    for (auto* o : options_of(g)) out.push_back(o);
  return out;
}

std::vector<CLI::App*> commands_of(CLI::App* app) {
  return app->get_subcommands([](CLI::App* a) { return !a->get_name().empty() && !a->get_group().empty(); });
}

std::vector<CLI::Option*> positionals_of(CLI::App* app) {
  std::vector<CLI::Option*> out;
  for (auto* o : options_of(app))
    if (o->get_positional() && !o->nonpositional()) out.push_back(o);
  return out;
}

CLI::Option* find_option(const std::vector<CLI::App*>& chain, const std::string& word) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    for (auto* o : options_of(*it)) {
      if (!o->nonpositional()) continue;
      if (word.rfind("--", 0) == 0) {
        for (auto& l : o->get_lnames())
          if ("--" + l == word) return o;
      } else if (word.size() == 2 && word[0] == '-') {
        for (auto& s : o->get_snames())
          if ("-" + s == word) return o;
      }
    }
  return nullptr;
}

std::string path_of(CLI::App* app) {
  std::string out;
  for (auto* a = app; a && a->get_parent(); a = a->get_parent()) out = out.empty() ? a->get_name() : a->get_name() + " " + out;
  return out;
}

// How rules name an argument: its first long name (--run), else its short one (-C), or a
// positional's name.
std::string arg_name(const CLI::Option* o) {
  if (!o->nonpositional()) return o->get_name();
  return !o->get_lnames().empty() ? "--" + o->get_lnames()[0] : "-" + o->get_snames()[0];
}

struct Candidate {
  std::string value, description;
};

class Completer {
 public:
  explicit Completer(std::string chdir) : chdir_(std::move(chdir)) {}

  int directive = directive_no_files;
  std::vector<Candidate> out;

  void add(const std::string& value, const std::string& description = "") { out.push_back({value, description}); }

  // The project, opened read-only on first use; nullptr when there is none (or it is unusable).
  core::Project* project() {
    if (!tried_) {
      tried_ = true;
      try {
        std::filesystem::path start = std::filesystem::current_path();
        if (!chdir_.empty()) start = std::filesystem::absolute(chdir_);
        project_.emplace(core::Project::open_read_only(start));
      } catch (...) {
        project_.reset();
      }
    }
    return project_ ? &*project_ : nullptr;
  }

  // Suggestions from the database (core/completion), each value between `add_prefix` and `add_suffix`.
  template <typename Fn>
  void take(Fn&& fetch, const std::string& add_prefix = "", const std::string& add_suffix = "") {
    auto* p = project();
    if (!p) return;
    for (auto& s : fetch(p->db())) add(add_prefix + s.value + add_suffix, s.description);
  }

  void runs(const std::string& cur, bool deleted) {
    // relative references (see mlt(1)), once '@' is typed
    if (!deleted && cur.starts_with("@") && std::string_view("@~1").starts_with(cur) && project()) {
      if (cur.size() <= 1) add("@", "the newest run");
      add("@~1", "the run before the newest");
    }
    auto lc = deleted ? cc::Lifecycle::deleted : cc::Lifecycle::active;
    if (cur.empty()) {
      take([&](store::Db& db) { return cc::recent_runs(db, lc, 50); });
      return;
    }
    take([&](store::Db& db) { return cc::run_names(db, cur, lc, limit); });
    take([&](store::Db& db) { return cc::run_ids(db, cur, lc, limit); });
  }

  void experiments(const std::string& cur, bool deleted) {
    take([&](store::Db& db) {
      return cc::experiments(db, cur, deleted ? cc::Lifecycle::deleted : cc::Lifecycle::active, limit);
    });
  }

  void metric_keys(const std::string& cur, const std::string& suffix = "") {
    take([&](store::Db& db) { return cc::metric_keys(db, cur, limit); }, "", suffix);
  }

  void keys(cc::KeyTable table, const std::string& cur, const std::string& suffix = "") {
    take([&](store::Db& db) { return cc::keys(db, table, cur, limit); }, "", suffix);
  }

  void model_names(const std::string& cur, const std::string& add_prefix = "", const std::string& suffix = "") {
    take([&](store::Db& db) { return cc::model_names(db, cur, limit); }, add_prefix, suffix);
  }

  void versions(const std::string& model, const std::string& cur, const std::string& add_prefix = "") {
    take([&](store::Db& db) { return cc::model_versions(db, model, cur, limit); }, add_prefix);
  }

  void aliases(const std::string& model, const std::string& cur, const std::string& add_prefix = "") {
    take([&](store::Db& db) { return cc::model_aliases(db, model, cur, limit); }, add_prefix);
  }

  void datasets(const std::string& cur, const std::string& add_prefix = "", const std::string& suffix = "") {
    take([&](store::Db& db) { return cc::datasets(db, cur, limit); }, add_prefix, suffix);
  }

  // NAME, NAME/VERSION, NAME@ALIAS (registry commands).
  void registry_ref(const std::string& cur) {
    auto cut = cur.find_first_of("/@");
    if (cut == std::string::npos) {
      model_names(cur);
      return;
    }
    std::string name = cur.substr(0, cut), rest = cur.substr(cut + 1);
    if (cur[cut] == '/') versions(name, rest, name + "/");
    else aliases(name, rest, name + "@");
  }

  // models:/NAME/VERSION|STAGE|latest, models:/NAME@ALIAS, runs:/RUN/PATH of a saved model.
  void model_uri(const std::string& cur) {
    const std::string models = "models:/", runs_scheme = "runs:/";
    if (cur.rfind(models, 0) == 0) {
      std::string rest = cur.substr(models.size());
      auto cut = rest.find_first_of("/@");
      if (cut == std::string::npos) {
        model_names(rest, models);  // a URI goes on: /VERSION, /STAGE or @ALIAS
        directive |= directive_no_space;
        return;
      }
      std::string name = rest.substr(0, cut), tail = rest.substr(cut + 1), base = models + name;
      if (rest[cut] == '@') {
        aliases(name, tail, base + "@");
        return;
      }
      versions(name, tail, base + "/");
      for (const char* s : {"latest", "Staging", "Production", "Archived"}) add(base + "/" + s);
      return;
    }
    if (cur.rfind(runs_scheme, 0) == 0) {
      std::string rest = cur.substr(runs_scheme.size());
      take([&](store::Db& db) { return cc::saved_models(db, rest, limit); }, runs_scheme);
      return;
    }
    if (models.rfind(cur, 0) == 0 || runs_scheme.rfind(cur, 0) == 0) {
      model_names("", models);
      add(runs_scheme, "a model saved in a run");
      directive |= directive_no_space;
    }
  }

  void data_ref(const std::string& cur_in) {
    // CONTEXT=DATA@VER (mlt run --input) keeps its context
    std::string head, cur = cur_in;
    if (auto eq = cur.find('='); eq != std::string::npos && cur.find('@') > eq) {
      head = cur.substr(0, eq + 1);
      cur = cur.substr(eq + 1);
    }
    auto at = cur.find('@');
    if (at == std::string::npos) {
      datasets(cur, head, "@");
      directive |= directive_no_space;
      return;
    }
    std::string name = cur.substr(0, at), base = head + name + "@";
    std::string tail = cur.substr(at + 1);
    if (std::string("latest").rfind(tail, 0) == 0) add(base + "latest");
    take([&](store::Db& db) { return cc::data_versions(db, name, tail, limit); }, base);
  }

  void envs(const std::string& cur) {
    take([&](store::Db& db) { return cc::environments(db, cur, limit); });
  }

  void revisions(const std::string& env, const std::string& cur) {
    take([&](store::Db& db) { return cc::deploy_revisions(db, env, cur, limit); });
  }

  // K=V arguments: the keys seen before, followed by '=' and no space; nothing once '=' is typed.
  void key_values(Arg kind, const std::string& cur) {
    if (cur.find('=') != std::string::npos) return;
    if (kind == Arg::metric_kv) metric_keys(cur, "=");
    else keys(kind == Arg::param_kv ? cc::KeyTable::params : cc::KeyTable::tags, cur, "=");
    directive |= directive_no_space;
  }

  // Search keys: metrics.KEY, params.KEY, tags.KEY and the run attributes.
  void search_keys(const std::string& cur) {
    std::string word = cur;
    std::string lead;
    if (!word.empty() && (word[0] == '-' || word[0] == '+')) {  // -s -metrics.loss
      lead = word.substr(0, 1);
      word = word.substr(1);
    }
    auto dot = word.find('.');
    if (dot == std::string::npos) {
      for (const char* a : {"metrics.", "params.", "tags.", "datasets."}) add(lead + a);
      for (const char* a : {"attributes.run_id", "attributes.run_name", "attributes.status", "attributes.start_time",
                            "attributes.end_time", "attributes.duration", "attributes.experiment", "attributes.user"})
        add(lead + a);
      directive |= directive_no_space;
      return;
    }
    std::string scope = word.substr(0, dot), key = word.substr(dot + 1), base = lead + scope + ".";
    size_t before = out.size();
    if (scope == "metrics") {
      metric_keys(key);
    } else if (scope == "params" || scope == "tags") {
      keys(scope == "params" ? cc::KeyTable::params : cc::KeyTable::tags, key);
    } else if (scope == "datasets") {
      for (const char* a : {"name", "digest", "context", "version"}) add(a);
    }
    for (size_t i = before; i < out.size(); ++i) out[i].value = base + out[i].value;
  }

  void artifact_paths(const std::string& run, const std::string& cur);

  std::string chdir_;

 private:
  bool tried_ = false;
  std::optional<core::Project> project_;
};

// The artifact paths of RUN below the directory part of `cur` (directories end in '/').
void Completer::artifact_paths(const std::string& run, const std::string& cur) {
  auto* p = project();
  if (!p) return;
  auto ref = core::resolve_run(p->db(), run);
  auto slash = cur.rfind('/');
  std::string dir = slash == std::string::npos ? "" : cur.substr(0, slash);
  auto entry = core::artifact_entry(*p, ref, dir);
  if (entry.kind != core::EntryKind::dir) return;
  std::string base = dir.empty() ? "" : dir + "/";
  for (auto& e : core::read_tree(p->objects(), entry.digest)) {
    if (out.size() >= static_cast<std::size_t>(limit)) break;
    if (e.kind == core::EntryKind::dir) {
      add(base + e.name + "/");
      directive |= directive_no_space;
    } else {
      add(base + e.name, fmt::format("{} bytes", e.size));
    }
  }
}

}  // namespace

Arg arg_kind(const std::string& path, const CLI::Option* o) {
  std::string name = arg_name(o);
  for (auto& r : rules)
    if (r.arg == name && path_matches(r.path, path)) return r.kind;
  std::string t = base_type(o);
  for (auto& r : type_rules)
    if (t == r.type) return r.kind;
  return Arg::unknown;
}

std::vector<std::string> arg_choices(const std::string& path, const CLI::Option* o) {
  std::string name = arg_name(o);
  for (auto& r : rules)
    if (r.arg == name && path_matches(r.path, path)) return r.choices ? words_of(r.choices) : std::vector<std::string>{};
  return {};
}

void for_each_argument(CLI::App& root, const std::function<void(const std::string&, const CLI::Option*)>& fn) {
  std::function<void(CLI::App*)> walk = [&](CLI::App* app) {
    std::string path = path_of(app);
    for (auto* o : options_of(app))
      if (takes_value(o) && o->get_name() != "--version") fn(path, o);
    for (auto* c : commands_of(app)) walk(c);
  };
  walk(&root);
}

int complete_main(int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  std::string cur = words.empty() ? "" : words.back();
  if (!words.empty()) words.pop_back();

  Context ctx;
  CLI::App root;
  Completer c("");
  try {
    build_app(root, ctx);
    std::vector<CLI::App*> chain{&root};
    CLI::App* app = &root;
    CLI::Option* pending = nullptr;
    bool rest_is_command = false;
    std::size_t npos = 0;             // positional words given to `app`
    std::vector<std::string> given;   // ... their values
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (pending) {
        if (pending->get_snames().size() && pending->get_snames()[0] == "C" && app == &root) c.chdir_ = w;
        pending = nullptr;
        continue;
      }
      if (rest_is_command) continue;
      if (w == "--") {
        rest_is_command = true;
        continue;
      }
      if (w.size() > 1 && w[0] == '-') {
        if (w.find('=') != std::string::npos) continue;
        if (auto* o = find_option(chain, w); o && takes_value(o)) pending = o;
        continue;
      }
      if (npos == 0) {
        auto subs = commands_of(app);
        auto it = std::find_if(subs.begin(), subs.end(), [&](CLI::App* s) { return s->check_name(w); });
        if (it != subs.end()) {
          app = *it;
          chain.push_back(app);
          continue;
        }
      }
      ++npos;
      given.push_back(w);
    }
    std::string path = path_of(app);

    auto complete_value = [&](const CLI::Option* o, const std::string& word, const std::string& shown_prefix) {
      Arg kind = arg_kind(path, o);
      std::size_t before = c.out.size();
      auto first_given = given.empty() ? std::string() : given[0];
      switch (kind) {
        case Arg::files: c.directive = 0; break;
        case Arg::dirs: c.directive = directive_dirs; break;
        case Arg::command: c.directive = 0; break;
        case Arg::choices:
          for (auto& ch : arg_choices(path, o)) c.add(ch);
          break;
        case Arg::run: c.runs(word, false); break;
        case Arg::deleted_run: c.runs(word, true); break;
        case Arg::experiment: c.experiments(word, false); break;
        case Arg::deleted_experiment: c.experiments(word, true); break;
        case Arg::metric_key: c.metric_keys(word); break;
        case Arg::param_kv:
        case Arg::metric_kv:
        case Arg::tag_kv: c.key_values(kind, word); break;
        case Arg::model_name: c.model_names(word); break;
        case Arg::registry_ref: c.registry_ref(word); break;
        case Arg::model_uri: c.model_uri(word); break;
        case Arg::model_uri_or_dir:
          if (!word.empty() && (word[0] == '.' || word[0] == '/' || word[0] == '~')) c.directive = directive_dirs;
          else c.model_uri(word);
          break;
        case Arg::lineage_ref:
          if (word.find(':') != std::string::npos || std::string("models:/").rfind(word, 0) == 0 ||
              std::string("runs:/").rfind(word, 0) == 0)
            c.model_uri(word);
          if (word.find(':') == std::string::npos) {
            c.data_ref(word);
            if (word.find('@') == std::string::npos) c.runs(word, false);
          }
          break;
        case Arg::alias: {
          std::string model = first_given.substr(0, first_given.find_first_of("/@"));
          if (!model.empty()) c.aliases(model, word);
          break;
        }
        case Arg::version: {
          std::string model = first_given.substr(0, first_given.find_first_of("/@"));
          if (!model.empty()) c.versions(model, word);
          break;
        }
        case Arg::data_name:
          c.datasets(word);
          break;
        case Arg::data_ref: c.data_ref(word); break;
        case Arg::env: c.envs(word); break;
        case Arg::revision:
          if (!first_given.empty()) c.revisions(first_given, word);
          break;
        case Arg::search_key: c.search_keys(word); break;
        case Arg::artifact_path:
          if (!first_given.empty()) c.artifact_paths(first_given, word);
          break;
        case Arg::config_key:
          for (auto& k : core::config_keys()) c.add(k.name, k.help);
          break;
        case Arg::config_value:
          if (auto* k = core::find_config_key(first_given)) {
            if (k->type == core::ConfigType::boolean) {
              c.add("true");
              c.add("false");
            }
            for (auto& ch : words_of(k->choices ? k->choices : "")) c.add(ch);
          }
          break;
        case Arg::command_name:
          for (auto* s : commands_of(&root)) c.add(s->get_name(), s->get_description());
          break;
        case Arg::none:
        case Arg::unknown: break;
      }
      for (std::size_t i = before; i < c.out.size(); ++i) c.out[i].value = shown_prefix + c.out[i].value;
    };

    if (pending) {
      complete_value(pending, cur, "");
    } else if (rest_is_command) {
      c.directive = 0;
    } else if (cur.size() > 1 && cur.rfind("--", 0) == 0 && cur.find('=') != std::string::npos) {
      auto eq = cur.find('=');
      if (auto* o = find_option(chain, cur.substr(0, eq)); o && takes_value(o))
        complete_value(o, cur.substr(eq + 1), cur.substr(0, eq + 1));
    } else if (!cur.empty() && cur[0] == '-') {
      std::set<std::string> seen;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        for (auto* o : options_of(*it)) {
          if (!o->nonpositional() || o->get_group().empty()) continue;
          if (*it != app && *it != &root) continue;  // an intermediate group's options do not apply here
          std::string name = !o->get_lnames().empty() ? "--" + o->get_lnames()[0] : "-" + o->get_snames()[0];
          if (cur.size() == 2 && cur[1] != '-' && !o->get_snames().empty()) name = "-" + o->get_snames()[0];
          if (seen.insert(name).second) c.add(name, o->get_description());
        }
    } else {
      if (npos == 0)
        for (auto* s : commands_of(app)) c.add(s->get_name(), s->get_description());
      auto pos = positionals_of(app);
      std::size_t index = npos;
      for (auto* o : pos) {
        int max = o->get_items_expected_max();
        if (index < static_cast<std::size_t>(max)) {
          complete_value(o, cur, "");
          break;
        }
        index -= static_cast<std::size_t>(max);
      }
    }
    // keep what starts with the word typed, once, in the order found
    std::vector<Candidate> kept;
    std::set<std::string> seen;
    for (auto& cand : c.out)
      if (cand.value.rfind(cur, 0) == 0 && seen.insert(cand.value).second) kept.push_back(cand);
    for (auto& cand : kept) {
      std::string d = cand.description;
      std::replace(d.begin(), d.end(), '\n', ' ');
      std::replace(d.begin(), d.end(), '\t', ' ');
      if (d.size() > 80) {  // cut at a character boundary
        std::size_t cut = 77;
        while (cut > 0 && (static_cast<unsigned char>(d[cut]) & 0xC0) == 0x80) --cut;
        d = d.substr(0, cut) + "...";
      }
      if (d.empty()) std::printf("%s\n", cand.value.c_str());
      else std::printf("%s\t%s\n", cand.value.c_str(), d.c_str());
    }
    std::printf(":%d\n", c.directive);
  } catch (...) {
    std::printf(":%d\n", directive_error);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace mlt::cli
