// The filter language of `mlt runs -f`, `mlt check` and ordering keys (`-s`, `--columns`):
// MLflow's search syntax as a superset. A hand-written lexer and recursive-descent parser build an
// AST, compiled to one SQL query with bound values over the metric summary (never the points).
//
//   filter  := or
//   or      := and ("OR" and)*
//   and     := unary ("AND" unary)*
//   unary   := "NOT" unary | "(" or ")" | cond
//   cond    := key op value | key ["NOT"] "IN" "(" value ("," value)* ")"
//            | key "IS" ["NOT"] "NULL" | key ["NOT"] ("LIKE" | "ILIKE") string
//   op      := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//   key     := agg "(" metric ")" | metric | param | tag | attribute | dataset
//   agg     := "min" | "max" | "last" | "count"
//   metric  := ("metrics" | "metric") "." name        name: identifier, `back-quoted` or "double-quoted"
//   param   := ("params" | "param" | "parameters" | "parameter") "." name
//   tag     := ("tags" | "tag") "." name
//   attribute := [("attributes" | "attribute" | "attr" | "run") "."] attr    (no prefix: as MLflow)
//   attr    := "run_id" | "run_name" | "name" | "status" | "user" | "user_id" | "start_time" | "end_time"
//            | "duration" | "experiment" | "exit_code" | "created" (= start_time) | "run name" (= run_name)
//   dataset := ("datasets" | "dataset") "." ("name" | "digest" | "context" | "version")
//   value   := number | 'string' | "string" | NULL
// Keywords are case-insensitive. A prefix may be back-quoted as MLflow allows (`metrics`.loss).
// NOT and parentheses nest at most 20 deep (an error beyond, never a stack overflow), and a
// search names at most 60 different metrics, params and tags (SQLite's join limit). In a LIKE
// pattern a backslash makes the next %, _ or backslash literal, and is itself literal elsewhere. Semantics: a run lacking a key never matches a comparison but
// matches IS NULL; a NaN metric exists (IS NOT NULL) but fails every comparison; params and tags
// compare as numbers when the value is an unquoted number (a stored text that is not a number
// then fails the comparison), as text when the value is quoted; LIKE is case-sensitive, ILIKE is not; times compare as epoch ms or as
// 'YYYY-MM-DD[THH:MM[:SS]][Z]' (UTC). A datasets.* condition holds when any one of the run's
// inputs (mlt log input, mlt run --input) meets it; IS NULL means the run has no inputs.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/tracking/experiments.hpp"
#include "store/db.hpp"

namespace mlt::core {

enum class KeyKind { metric, param, tag, attribute, dataset };
enum class Agg { last, min, max, count };

struct QueryKey {
  KeyKind kind;
  std::string name;
  Agg agg = Agg::last;       // metrics only
  std::size_t pos = 0;       // column in the source text, for errors
  std::string text() const;  // canonical: metrics.loss, min(metrics.loss), params.lr, ...
};

struct QueryValue {
  enum Type { number, string, null } type = null;
  double num = 0;
  std::string str;
  std::size_t pos = 0;
};

struct Expr {
  enum Type { cmp, in, is_null, like, all, any, negate } type;
  QueryKey key;
  std::string op;                 // =, !=, <, <=, >, >=, LIKE, ILIKE
  bool negated = false;           // NOT IN, IS NOT NULL, NOT LIKE
  std::vector<QueryValue> values;
  std::vector<std::unique_ptr<Expr>> children;
};

// Parse errors are Error(usage) whose message shows the text with a caret under the column.
std::unique_ptr<Expr> parse_filter(const std::string& text);
// `context` names the text in messages ("invalid '--columns' key at column 3").
QueryKey parse_key(const std::string& text, std::string_view context = "key");   // for -s and --columns

struct OrderKey {
  QueryKey key;
  bool desc = false;
};
OrderKey parse_order(const std::string& text, std::string_view context = "order key");   // KEY [ASC|DESC]

struct SearchSpec {
  std::vector<std::string> experiments;
  Lifecycle lifecycle = Lifecycle::active;
  std::string filter;
  std::vector<std::string> order;                  // empty: newest first
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> only_run;            // for mlt check
};

// Run ids (internal) matching the spec, in order.
std::vector<std::int64_t> search_runs(store::Db& db, const SearchSpec& spec);

// The value of a key for one run, as text for display ("" when the run lacks it).
std::optional<std::string> key_value(store::Db& db, std::int64_t run_id, const QueryKey& key);

// Every key a filter mentions, in order of appearance, without repeats.
std::vector<QueryKey> filter_keys(const Expr& e);

}  // namespace mlt::core
