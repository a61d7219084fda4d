#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing mlt need, if any are missing.
set -euo pipefail
packages=(g++ make cmake pkg-config git jq time sqlite3 libxml2-utils
          libcli11-dev libsqlite3-dev libgit2-dev libyaml-cpp-dev libzstd-dev doctest-dev
          libssl-dev nlohmann-json3-dev libfmt-dev
          # the .deb (cpack: dpkg-shlibdeps, file), man pages (man -l; col for t_docs), completion scripts
          dpkg-dev file man-db groff-base bsdextrautils zsh fish
          # the reliability suite: the sanitizer and fuzz build (clang with its runtimes), the crash driver
          clang libclang-rt-14-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
