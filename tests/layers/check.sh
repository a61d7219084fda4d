#!/usr/bin/env bash
# The layers of ARCHITECTURE.md, checked on the sources (CTest layers.sources): every #include
# points down (base <- store <- core <- cli <- main.cpp), SQLite's C API appears only in the
# SQLite backend, CLI11 only in cli/, and cli/ neither prepares statements nor spells SQL. Prints each offending line and exits 1 if there is one.
# Usage: check.sh SRC_DIR
set -u
src="${1:?usage: check.sh SRC_DIR}"
cd "$src" || exit 2
bad=0
# offend MESSAGE GREP-ARGS...: report every match of grep -rnE ARGS as MESSAGE.
offend() {
  local msg="$1" hits
  shift
  hits="$(grep -rnE "$@" 2>/dev/null)"
  if [ -n "$hits" ]; then
    printf '%s:\n%s\n' "$msg" "$(printf '%s\n' "$hits" | sed 's/^/  /')"
    bad=1
  fi
}
offend "base/ includes a layer above it" '#include "(store|core|cli)/' base
offend "store/ includes a layer above it" '#include "(core|cli)/' store
offend "core/ includes cli/" '#include "cli/' core
offend "SQLite's C API outside the SQLite backend (store/db.*)" '\bsqlite3' --include='*.cpp' --include='*.hpp' \
  --exclude=db.cpp --exclude=db.hpp --exclude=layer_guard.hpp base store core cli main.cpp
offend "CLI11 outside cli/" '(#include <CLI/|\bCLI::)' base store core
offend "SQL in cli/ (statements belong to core/)" \
  'store::(Stmt|Transaction)|"[^"]*\b(SELECT|INSERT|UPDATE|DELETE FROM|PRAGMA)\b' cli
[ "$bad" -eq 0 ] && echo "layers: every include points down; SQLite only in store/db.*, CLI11 only in cli/, no SQL in cli/"
exit "$bad"
