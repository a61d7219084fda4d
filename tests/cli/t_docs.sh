# t_docs.sh: the documentation keeps up with the commands (in the spirit of git's t0450).
# For every command path the binary has (walked through --help, so nothing is listed by hand):
#   - `mlt help COMMAND` opens a page that exists in man/;
#   - that page's SYNOPSIS has an entry `mlt PATH ...` whose positionals follow the order of the
#     Usage line of `mlt PATH --help`, and the page mentions every long option --help lists;
#   - completion offers the command among its parent's, and every one of its long options;
#   - some CLI suite runs it.
# And every page: groff -ww is silent, the sections NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
# EXIT STATUS, EXAMPLES, SEE ALSO come in that order, `man -l` renders it, and it belongs to a
# command (no orphan pages).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
man_dir="$root/man"
command -v groff >/dev/null 2>&1 || lib_die "groff is required by this suite (Debian: apt-get install groff-base)"

# A `man` that only says what it was asked for, to learn which page `mlt help` opens.
mkdir -p "$T/fakeman"
cat >"$T/fakeman/man" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$MAN_ARGS_LOG"
exit 0
EOF
chmod +x "$T/fakeman/man"

# plain PAGE: the page as ASCII text, lines unwrapped (a very long line length).
plain() { groff -man -Tascii -rLL=3000n -P-c "$1" 2>/dev/null | col -bx; }

# section PAGE NAME: the text of one section of the rendered page.
section() {
  plain "$1" | awk -v want="$2" '/^[A-Z][A-Z ]*$/ { on = ($0 == want); next } on'
}

# page_of COMMAND: the file `mlt help COMMAND` opens.
page_of() {
  local log="$T/man-args" args
  : >"$log"
  MAN_ARGS_LOG="$log" PATH="$T/fakeman:$PATH" "$MLT_BIN" help "$1" </dev/null >/dev/null 2>&1 3>&-
  args="$(tail -n 1 "$log")"
  case "$args" in
    "-l "*) printf '%s\n' "${args#-l }" ;;
    "") ;;
    *) printf '%s\n' "$man_dir/${args##* }.1" ;;
  esac
}

# subcommands PATH...: the subcommands `mlt PATH --help` lists.
subcommands() {
  "$MLT_BIN" "$@" --help 2>/dev/null | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'
}

# long_options PATH...: the long options `mlt PATH --help` lists (not --help itself).
long_options() {
  "$MLT_BIN" "$@" --help 2>/dev/null | awk '/^Options:/ { on = 1; next } /^[A-Z][a-z]*:/ { on = 0 } on' |
    grep -oE -- '--[a-z][a-z0-9-]*' | grep -vx -- '--help' | sort -u
}

# placeholders TEXT: the positional placeholders of a usage or synopsis line, normalized: option
# groups ("[-x ...]", "[--all|--deleted]") dropped, brackets and "..." removed.
placeholders() {
  printf '%s\n' "$1" | sed -E ':a; s/\[-[^][]*\]//; ta' | tr ' ' '\n' |
    sed -E 's/[][]//g; s/\.\.\.$//; s/\.\.\.//g' | grep -E '[A-Z]' | grep -vE '^(OPTIONS|SUBCOMMANDS?)$'
}

# is_subsequence "A B C" "X A Y B C": every word of the first, in order, among the second's.
is_subsequence() {
  local -a want have
  read -ra want <<<"$1"
  read -ra have <<<"$2"
  local i=0 w
  for w in "${have[@]}"; do
    [ "$i" -lt "${#want[@]}" ] && [ "$w" = "${want[$i]}" ] && i=$((i + 1))
  done
  [ "$i" -eq "${#want[@]}" ]
}

# Every command path, depth first: "init", "registry", "registry alias", ...
paths=()
walk() {
  local sub
  for sub in $(subcommands "$@"); do
    paths+=("${*:+$* }$sub")
    walk "$@" "$sub"
  done
}
walk
suites=()
for f in "$root"/tests/cli/t_*.sh; do
  [ "$(basename "$f")" = t_docs.sh ] || suites+=("$f")
done

t "the binary has commands to check"
[ "${#paths[@]}" -ge 60 ] || fail "at least 60 command paths" "60+" "${#paths[@]}: ${paths[*]}"

declare -A used_pages=([mlt.1]=1)
for p in "${paths[@]}"; do
  read -ra words <<<"$p"
  top="${words[0]}"
  t "mlt $p: a man page, a SYNOPSIS that agrees with --help, completion, CLI tests"
  last_cmd="mlt help $top"
  page="$(page_of "$top")"
  if [ -z "$page" ] || [ ! -f "$page" ]; then
    fail "mlt help $top opens a page of man/" "a file in $man_dir" "${page:-(nothing opened)}"
    continue
  fi
  used_pages[$(basename "$page")]=1

  last_cmd="mlt $p --help"
  usage="$("$MLT_BIN" "${words[@]}" --help 2>/dev/null | sed -n 's/^Usage: mlt //p' | head -n 1)"
  subs="$(subcommands "${words[@]}" | tr '\n' ' ')"
  # a pure group (it only holds subcommands) has no synopsis entry of its own
  if [[ "$usage" != *" SUBCOMMAND" || "$usage" == *"[SUBCOMMAND]"* ]]; then
    entry=""
    while IFS= read -r line; do
      line="$(printf '%s' "$line" | sed -E 's/^ +//')"
      [[ "$line" == "mlt $p" || "$line" == "mlt $p "* ]] || continue
      rest="${line#"mlt $p"}"
      next="$(printf '%s' "$rest" | awk '{ print $1 }')"
      [ -n "$next" ] && [[ " $subs" == *" $next "* ]] && continue  # the entry of a subcommand
      entry="$line"
      break
    done < <(section "$page" SYNOPSIS)
    if [ -z "$entry" ]; then
      fail "the SYNOPSIS of $(basename "$page") has an entry 'mlt $p'" "mlt $p ..." "(none)"
    else
      want="$(placeholders "${usage#"$p"}" | tr '\n' ' ')"
      have="$(placeholders "${entry#"mlt $p"}" | tr '\n' ' ')"
      is_subsequence "$want" "$have" ||
        fail "SYNOPSIS 'mlt $p' has the positionals of --help, in order" "$want(from: $usage)" "$have(from: $entry)"
    fi
  fi
  text="$(plain "$page")"
  for opt in $(long_options "${words[@]}"); do
    [[ "$text" == *"$opt"* ]] || fail "$(basename "$page") mentions $opt of mlt $p" "$opt" "(not on the page)"
  done

  last_cmd="mlt __complete ${words[*]:0:${#words[@]}-1} ''"
  parent=("${words[@]:0:${#words[@]}-1}")
  "$MLT_BIN" __complete "${parent[@]}" "" </dev/null 2>/dev/null 3>&- | cut -f1 | grep -Fxq -- "${words[-1]}" ||
    fail "completion offers '${words[-1]}' after 'mlt ${parent[*]}'" "${words[-1]}" "(not offered)"
  offered="$("$MLT_BIN" __complete "${words[@]}" -- </dev/null 2>/dev/null 3>&- | cut -f1)"
  for opt in $(long_options "${words[@]}"); do
    printf '%s\n' "$offered" | grep -Fxq -- "$opt" ||
      fail "completion offers $opt after 'mlt $p'" "$opt" "(not offered)"
  done

  last_cmd="grep tests/cli/t_*.sh"
  pattern="(mlt|MLT_BIN\"?|json_of)[^|;&]*[[:space:]]$(printf '%s' "$p" | sed -E 's/ +/[[:space:]]+/g')([[:space:]]|\"|\$)"
  grep -Eq -- "$pattern" "${suites[@]}" || fail "a CLI suite runs 'mlt $p'" "a line matching /$pattern/" "(none)"
done

required=(NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO")
for page in "$man_dir"/*.1; do
  name="$(basename "$page")"
  t "$name: groff -ww is silent, the required sections in order, man -l renders it"
  last_cmd="groff -man -ww -z $name"
  warnings="$(groff -man -ww -z "$page" 2>&1)"
  [ -z "$warnings" ] || fail "no groff warnings" "(none)" "$warnings"
  last_cmd="sections of $name"
  order="$(grep -E '^\.SH ' "$page" | sed -E 's/^\.SH +//; s/"//g')"
  pos=0
  for s in "${required[@]}"; do
    n="$(printf '%s\n' "$order" | grep -nxF -- "$s" | head -n 1 | cut -d: -f1)"
    if [ -z "$n" ]; then
      fail "$name has the section $s" "$s" "$(printf '%s' "$order" | tr '\n' ',')"
    elif [ "$n" -le "$pos" ]; then
      fail "$s comes after the sections before it in $name" "${required[*]}" "$(printf '%s' "$order" | tr '\n' ',')"
    else
      pos="$n"
    fi
  done
  if command -v man >/dev/null 2>&1; then
    last_cmd="man -l $name"
    rendered="$(MANPAGER=cat MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)"
    [ -z "$rendered" ] || fail "man -l renders it without complaint" "(nothing on stderr)" "$rendered"
    lines="$(MANPAGER=cat MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)"
    [ "$lines" -gt 20 ] || fail "man -l renders it" "more than 20 lines" "$lines"
  fi
  [ -n "${used_pages[$name]:-}" ] || fail "$name is the page of some command (mlt help opens it)" "a command" "(none)"
done

finish
