# t_install.sh: what `cmake --install` puts under a prefix, and what `cpack -G DEB` puts in the
# package, from the build tree that holds $MLT_BIN: bin/mlt is the tested binary and runs; every
# man/*.1 is in share/man/man1 as NAME.1.gz (gzip -9n), nothing else is, and each renders with
# man -l; the alias pages (mlt-gc.1: `.so man1/mlt-store.1`) render their group's page under
# `man -M`; the completion scripts sit where Debian's bash-completion, zsh and fish look, parse,
# and equal `mlt completion SHELL`; the .deb's control fields (Depends covers every library the
# binary links, Recommends names the package of the libgit2 it dlopen()s) and its files (those of
# the install, the binary stripped). The prefix and the package are made in the scratch directory;
# `cmake --install` and cpack also write BUILD/install_manifest.txt, which is put back as it was.
SRC="$(cd "$(dirname "$0")/../.." && pwd -P)"   # before lib.sh, which cds to the scratch dir
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BUILD="$(cd "$(dirname "$MLT_BIN")" && pwd -P)"
[ -f "$BUILD/cmake_install.cmake" ] ||
  lib_die "no cmake_install.cmake in '$BUILD' (the directory of MLT_BIN): run this suite from a CMake build tree"
command -v cmake >/dev/null 2>&1 || lib_die "cmake is required by this suite (Debian: apt-get install cmake)"

P="$T/prefix"                    # the `cmake --install` prefix
export MANWIDTH=80 PAGER=cat MANPAGER=cat MANOPT="" MANPATH=""

# The install manifest: saved now, restored after each cmake --install and cpack.
manifest="$BUILD/install_manifest.txt"
[ ! -e "$manifest" ] || cp -p "$manifest" "$T/.lib/install_manifest.saved" || lib_die "cannot save '$manifest'"
restore_manifest() {
  if [ -e "$T/.lib/install_manifest.saved" ]; then
    cp -p "$T/.lib/install_manifest.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
}

# The manual: one page per command group (issue 10's table).
pages=(mlt mlt-project mlt-config mlt-completion mlt-help mlt-exp mlt-run mlt-log mlt-runs
       mlt-artifact mlt-store mlt-compare mlt-plot mlt-model mlt-registry mlt-data mlt-lineage
       mlt-deploy)
# Commands documented on another command's page: mlt-COMMAND.1 is `.so man1/mlt-PAGE.1`.
declare -A alias_of=([init]=project [status]=project [version]=project [metrics]=runs
                     [fsck]=store [gc]=store [du]=store [check]=compare [diff]=compare)
# The completion scripts: shell, source file, installed path (under the prefix).
completions=("bash completions/mlt.bash share/bash-completion/completions/mlt"
             "zsh completions/_mlt share/zsh/vendor-completions/_mlt"
             "fish completions/mlt.fish share/fish/vendor_completions.d/mlt.fish")

# expected_files: every file the install holds, relative to the prefix, sorted.
expected_files() {
  local f c shell src dst
  {
    echo bin/mlt
    for f in "$SRC"/man/*.1; do echo "share/man/man1/$(basename "$f").gz"; done
    for c in "${!alias_of[@]}"; do echo "share/man/man1/mlt-$c.1.gz"; done
    for c in "${completions[@]}"; do
      read -r shell src dst <<<"$c"
      echo "$dst"
    done
  } | LC_ALL=C sort
}

# package_of PATH: the Debian package that installed PATH (tried with and without /usr, which
# usrmerge makes the same directory), or nothing.
package_of() {
  local p
  for p in "$1" "/usr${1#/usr}" "${1#/usr}"; do
    dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . && return 0
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
t "cmake --install: the binary in bin/ is the one under test, and it runs"
run_cmd cmake --install "$BUILD" --prefix "$P"
restore_manifest
expect_rc 0
cmp -s "$MLT_BIN" "$P/bin/mlt" || fail "bin/mlt is a copy of MLT_BIN" "the same bytes" "different"
want_version="$("$MLT_BIN" --version 2>&1)"
run_cmd "$P/bin/mlt" --version
expect_rc 0
expect_out_eq "$want_version"
expect_out_match '^mlt [0-9]+\.[0-9]+\.[0-9]+'

t "cmake --install: exactly the binary, the man pages and the completion scripts"
got="$(cd "$P" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)"
expect_eq "installed files" "$(expected_files)" "$got"
[ -x "$P/bin/mlt" ] || fail "bin/mlt is executable" "mode +x" "$(ls -l "$P/bin/mlt")"

t "man pages: each man/*.1 installed as NAME.1.gz, gzip -9n (no name, no time stamp)"
for name in "${pages[@]}"; do
  [ -f "$SRC/man/$name.1" ] || fail "man/$name.1 exists (one page per command group)" "man/$name.1" "(missing)"
done
for src in "$SRC"/man/*.1; do
  gz="$P/share/man/man1/$(basename "$src").gz"
  if [ ! -f "$gz" ]; then
    fail "$(basename "$src") is installed" "$gz" "(missing)"
    continue
  fi
  gzip -dc "$gz" | cmp -s - "$src" || fail "$(basename "$gz") decompresses to $src" "the same bytes" "different"
  # magic 1f8b, deflate, no flags (no name), mtime 0, XFL 02 (best compression), OS 03 (Unix)
  expect_eq "gzip header of $(basename "$gz")" "1f8b0800000000000203" "$(od -An -tx1 -N10 "$gz" | tr -d ' \n')"
done

t "man pages: the alias pages are one .so line naming an installed page"
for c in "${!alias_of[@]}"; do
  gz="$P/share/man/man1/mlt-$c.1.gz"
  [ -f "$gz" ] || { fail "mlt-$c.1.gz is installed" "$gz" "(missing)"; continue; }
  expect_eq "mlt-$c.1" ".so man1/mlt-${alias_of[$c]}.1" "$(gzip -dc "$gz")"
  [ -f "$P/share/man/man1/mlt-${alias_of[$c]}.1.gz" ] ||
    fail "mlt-$c.1 points at an installed page" "mlt-${alias_of[$c]}.1.gz" "(missing)"
done

t "man -l renders every installed page; man -M PREFIX/share/man mlt-gc shows mlt-store(1)"
if ! command -v man >/dev/null 2>&1; then
  skip "man is not installed (Debian: apt-get install man-db); rendering not checked"
else
  cd "$P/share/man" || lib_die "cannot cd to '$P/share/man'"   # where `.so man1/PAGE.1` resolves
  for gz in man1/*.1.gz; do
    run_cmd man -l "$gz"
    expect_rc 0
    expect_out_match $'(^|\n)NAME\n'
    expect_err_empty
  done
  for c in "${!alias_of[@]}"; do
    group="mlt-${alias_of[$c]}"
    run_cmd man -M "$P/share/man" "$group"
    expect_rc 0
    expect_out_match "^${group^^}\\(1\\)"
    page="$out"
    run_cmd man -M "$P/share/man" "mlt-$c"
    expect_rc 0
    expect_err_empty
    [ "$out" = "$page" ] || fail "man mlt-$c shows $group(1)" "the text of man $group" "different"
  done
fi

t "the installed mlt's 'help gc' and 'help' open the installed mlt-store(1) and mlt(1)"
run_mlt --help
if ! printf '%s\n' "$out" | grep -Eq '^ +help '; then
  skip "this mlt has no 'help' command (not in 'mlt --help'); not checked"
elif ! command -v man >/dev/null 2>&1; then
  skip "man is not installed (Debian: apt-get install man-db); 'mlt help' not checked"
else
  for c in "mlt-store gc" "mlt"; do
    read -r page cmd <<<"$c"
    run_cmd man -l "$P/share/man/man1/$page.1.gz"
    want="$out"
    # shellcheck disable=SC2086  # `mlt help` alone for mlt(1)
    run_cmd "$P/bin/mlt" help $cmd
    expect_rc 0
    expect_err_empty
    [ "$out" = "$want" ] || fail "'mlt help $cmd' shows the installed $page(1)" "the text of man -l" "different"
  done
fi

t "completion scripts: at Debian's paths, copies of completions/, parsed by their shell"
for c in "${completions[@]}"; do
  read -r shell src dst <<<"$c"
  [ -f "$P/$dst" ] || { fail "the $shell script is installed" "$P/$dst" "(missing)"; continue; }
  cmp -s "$SRC/$src" "$P/$dst" || fail "$dst is a copy of $src" "the same bytes" "different"
  if ! command -v "$shell" >/dev/null 2>&1; then
    echo "skip: $shell is not installed (Debian: apt-get install $shell); $dst not parsed"
    continue
  fi
  case "$shell" in
    bash | zsh) run_cmd "$shell" -n "$P/$dst" ;;
    fish) run_cmd fish --no-execute "$P/$dst" ;;
  esac
  expect_rc 0
  expect_err_empty
done

t "completion scripts: the installed ones are what 'mlt completion SHELL' prints"
run_mlt --help
if ! printf '%s\n' "$out" | grep -Eq '^ +completion '; then
  skip "this mlt has no 'completion' command (not in 'mlt --help'); scripts not compared"
else
  for c in "${completions[@]}"; do
    read -r shell src dst <<<"$c"
    run_mlt completion "$shell"
    expect_rc 0
    expect_err_empty
    cmp -s "$T/.lib/stdout" "$P/$dst" || fail "mlt completion $shell prints $dst" "the same bytes" "different"
  done
fi

# ---------------------------------------------------------------------------------------------
t "cpack -G DEB: one package, mlt_VERSION_ARCH.deb, with its control fields"
if ! command -v cpack >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  skip "cpack or dpkg-deb is not installed (Debian: apt-get install cmake dpkg); the package not checked"
  finish
fi
[ -f "$BUILD/CPackConfig.cmake" ] || lib_die "no CPackConfig.cmake in '$BUILD'"
run_cmd cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg"
restore_manifest
expect_rc 0
version="${want_version#mlt }"
version="${version%% *}"
arch="$(dpkg --print-architecture)"
deb="$T/pkg/mlt_${version}_${arch}.deb"
expect_eq "packages made" "$deb" "$(ls "$T"/pkg/*.deb 2>&1)"
[ -f "$deb" ] || finish
run_cmd dpkg-deb -I "$deb"
expect_rc 0
expect_out_match $'\n Depends: [a-z]'
expect_out_match $'\n Recommends: libgit2-[0-9]'
run_cmd dpkg-deb -f "$deb" Package Version Architecture Section Priority
expect_rc 0
expect_out_eq "Package: mlt
Version: $version
Architecture: $arch
Section: utils
Priority: optional"
run_cmd dpkg-deb -f "$deb" Maintainer Description
expect_out_match '^Maintainer: [^<]+ <[^@>]+@[^>]+>'$'\n''Description: [a-z][^'$'\n'']+'$'\n'' [^ ]'

t "cpack -G DEB: Depends names the package of each library the binary links, and not libgit2"
depends="$(dpkg-deb -f "$deb" Depends)"
depends_names="$(printf '%s\n' "$depends" | sed 's/[,|]/\n/g' | awk '{ print $1 }')"
printf '%s\n' "$depends_names" | grep -q libgit2 && fail "Depends leaves out libgit2 (dlopen()ed)" "no libgit2" "$depends"
libs=0
while read -r so arrow path _; do
  if [ "$arrow" != "=>" ] || [ ! -f "$path" ]; then continue; fi
  libs=$((libs + 1))
  pkg="$(package_of "$path")" || { fail "$so ($path) belongs to a Debian package" "a package" "(none)"; continue; }
  printf '%s\n' "$depends_names" | grep -Fxq -- "$pkg" || fail "Depends names $pkg (for $so)" "$pkg" "$depends"
done < <(ldd "$MLT_BIN")
[ "$libs" -gt 0 ] || fail "ldd lists the binary's libraries" "libc.so.6 at least" "none"

t "cpack -G DEB: Recommends names the package of the libgit2 the binary dlopen()s"
so="$(grep -aom1 'libgit2\.so\.[0-9][0-9.]*[0-9]' "$MLT_BIN")"
expect_eq "Recommends" "libgit2-${so#libgit2.so.}" "$(dpkg-deb -f "$deb" Recommends)"
multiarch="$(ldd "$MLT_BIN" | awk '$1 == "libc.so.6" { print $3 }' | xargs -r dirname | xargs -r basename)"
owner="$(dpkg -S "*/$multiarch/$so" 2>/dev/null | head -n 1 | cut -d: -f1)"
if [ -n "$owner" ]; then
  expect_eq "the package holding $so" "libgit2-${so#libgit2.so.}" "$owner"
else
  echo "skip: $so is not installed; Recommends not compared with the package that holds it"
fi

t "cpack -G DEB: the package holds the installed files under /usr, the binary stripped"
run_cmd dpkg-deb -c "$deb"
expect_rc 0
got="$(printf '%s\n' "$out" | awk '$1 !~ /^d/ { print $6 }' | LC_ALL=C sort)"
expect_eq "files in the package" "$(expected_files | sed 's|^|./usr/|')" "$got"
expect_out_match $'(^|\n)-rwxr-xr-x root/root +[0-9]+ [-0-9]+ [0-9:]+ \\./usr/bin/mlt\n'
run_cmd dpkg-deb -x "$deb" "$T/x"
expect_rc 0
for f in $(expected_files); do
  [ "$f" = bin/mlt ] && continue
  cmp -s "$P/$f" "$T/x/usr/$f" || fail "the package's /usr/$f is the installed one" "the same bytes" "different"
done
run_cmd "$T/x/usr/bin/mlt" --version
expect_rc 0
expect_out_eq "$want_version"
if command -v objdump >/dev/null 2>&1; then
  run_cmd objdump -h "$T/x/usr/bin/mlt"
  expect_rc 0
  expect_out_not_contains ".debug_info"
  run_cmd objdump -t "$T/x/usr/bin/mlt"
  expect_out_contains "no symbols"
else
  echo "skip: objdump is not installed; stripping not checked"
fi

finish
