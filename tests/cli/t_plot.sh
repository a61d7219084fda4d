# t_plot.sh: mlt plot draws in the terminal within the width it is given (braille on a UTF-8
# locale, ASCII otherwise), keeps a spike that downsampling would hide, and writes a
# well-formed standalone SVG.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new_project plot
must_mlt run start -q -n curve --no-git >/dev/null
# 5,000 points of a smooth curve with one spike at step 2,500
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "loss=%.6f acc=%.6f step=%d\n", (i == 2500 ? 9 : 1 / (1 + i / 100)), i / 5000, i }' \
  >"$T/points.kv"
run_mlt_stdin "$T/points.kv" -q log stream --run curve
[ "$rc" = 0 ] || fail "setup: stream the points" "exit 0" "exit $rc: $err"
must_mlt run start -q -n other --no-git >/dev/null
must_mlt log metric --run other --step 0 loss=0.5 >/dev/null
must_mlt log metric --run other --step 10 loss=0.25 >/dev/null

# widest line in characters (not bytes), under a UTF-8 locale
widest() { LC_ALL=C.UTF-8 wc -L <"$1"; }

for width in 40 80 133; do
  t "terminal chart fits --width $width (braille)"
  cd "$T/plot"
  LC_ALL=C.UTF-8 run_mlt plot curve -m loss --width "$width"
  expect_rc 0
  cp "$T/.lib/stdout" "$T/chart"
  w=$(widest "$T/chart")
  [ "$w" -le "$width" ] || fail "lines fit in $width columns" "<= $width" "$w"
  LC_ALL=C grep -q $'\xe2\xa0\|\xe2\xa1\|\xe2\xa2\|\xe2\xa3' "$T/chart" ||
    fail "braille dots are drawn" "braille characters" "$(head -3 "$T/chart")"
done

t "ASCII fallback outside a UTF-8 locale, still within the width"
cd "$T/plot"
LC_ALL=C LANG=C run_mlt plot curve -m loss --width 60 --height 10
expect_rc 0
LC_ALL=C grep -q '[^ -~]' "$T/.lib/stdout" && fail "only ASCII" "no bytes outside ASCII" "$(LC_ALL=C grep -n '[^ -~]' "$T/.lib/stdout" | head -2)"
w=$(widest "$T/.lib/stdout")
[ "$w" -le 60 ] || fail "lines fit in 60 columns" "<= 60" "$w"
expect_out_contains "loss"

t "a spike survives downsampling: the top label is the spike's value"
cd "$T/plot"
LC_ALL=C run_mlt plot curve -m loss --width 50 --height 8
expect_rc 0
expect_eq "first line starts with the maximum" "9" "$(head -1 "$T/.lib/stdout" | awk '{ print $1 }')"
expect_out_contains "step"

t "two runs: a legend line per series"
cd "$T/plot"
LC_ALL=C run_mlt plot curve other -m loss --width 70
expect_rc 0
expect_out_contains "curve loss"
expect_out_contains "other loss"

t "--svg writes a well-formed standalone SVG with a polyline per series"
cd "$T/plot"
run_mlt plot curve other -m loss --svg "$T/chart.svg"
expect_rc 0
[ -s "$T/chart.svg" ] || fail "the SVG exists" "a file" "none"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$T/chart.svg" 2>"$T/xmllint.err" || fail "xmllint accepts the SVG" "well-formed" "$(cat "$T/xmllint.err")"
else
  echo "note: xmllint not installed; well-formedness checked by tag balance only"
fi
expect_eq "one svg root" "1" "$(grep -c '<svg ' "$T/chart.svg")"
expect_eq "closing tag last" "</svg>" "$(tail -1 "$T/chart.svg")"
expect_eq "two polylines" "2" "$(grep -c '<polyline ' "$T/chart.svg")"

t "--x time and bad input"
cd "$T/plot"
LC_ALL=C run_mlt plot curve -m loss --x time --width 60
expect_rc 0
expect_out_contains "seconds since the first point"
run_mlt plot curve --x sideways
expect_rc 2
run_mlt plot curve -m nope
expect_rc 4
run_mlt plot nosuchrun
expect_rc 4

finish
