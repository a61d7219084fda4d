# t_plot.sh: mlt plot draws in the terminal within the width it is given (braille on a UTF-8
# locale, ASCII otherwise), keeps a spike that downsampling would hide, and writes a
# well-formed standalone SVG; lines join the points, each series has its mark, colour and legend
# line, ticks are round numbers; --log-y, --smooth, -f and --json (checked exactly).
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

t "a spike survives downsampling: it reaches the top row"
cd "$T/plot"
LC_ALL=C run_mlt plot curve -m loss --width 50 --height 8
expect_rc 0
expect_eq "the top row draws the spike" "1" "$(head -1 "$T/.lib/stdout" | cut -d'|' -f2- | grep -c '[*]')"
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
expect_eq "the second series is dashed" "1" "$(grep -c '<polyline [^>]*stroke-dasharray' "$T/chart.svg")"
expect_eq "a legend entry per series" "2" "$(grep -c '<text [^>]*>\(curve\|other\) loss</text>' "$T/chart.svg")"
expect_eq "the 2-point series is a connected line with a mark at each point (and one in the legend)" "3 2" \
  "$(grep '#d62728' "$T/chart.svg" | grep -c '<rect x=' | tr -d ' ') $(grep '<polyline [^>]*#d62728' "$T/chart.svg" | sed 's/.*points="\([^"]*\)".*/\1/' | wc -w | tr -d ' ')"

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

# ---------------------------------------------------------------------------------------------
# issue 15: joined lines, marks and colours per series, round ticks, --log-y, --smooth, -f, --json

new_project lines
must_mlt run start -q -n five --no-git -p opt=adam >/dev/null
must_mlt run start -q -n six --no-git -p opt=sgd >/dev/null
for i in 0 1 2 3 4; do
  must_mlt log metric --run five --step $i --time $((1000 + i * 500)) "loss=$(awk "BEGIN { print 0.987654321 - $i * 0.216049383 }")" >/dev/null
  must_mlt log metric --run six --step $i --time $((1000 + i * 500)) "loss=$(awk "BEGIN { print 0.2 + $i * 0.15 }")" >/dev/null
done

# plot_columns: for each column of the plot area (after the y axis '|'), whether any row draws in it
plot_columns() {
  awk -F'|' '/\|/ && !/^ *\+/ { line = substr($0, index($0, "|") + 1); for (i = 1; i <= length(line); i++) if (substr(line, i, 1) != " ") used[i] = 1; if (length(line) > w) w = length(line) }
             END { s = ""; for (i = 1; i <= w; i++) s = s (used[i] ? "#" : "."); print s }' "$T/.lib/stdout"
}

t "plot: a 5-point curve is a joined line, every column between its ends is drawn"
cd "$T/lines"
LC_ALL=C run_mlt plot five -m loss --width 60 --height 10
expect_rc 0
cols="$(plot_columns)"
[[ "$cols" =~ ^#+$ ]] || fail "every column from the first point to the last is drawn" "only #" "$cols"
[ "${#cols}" -ge 50 ] || fail "the line spans the plot" ">= 50 columns" "${#cols}"

t "plot: y ticks at round numbers, x ticks at whole steps"
cd "$T/lines"
LC_ALL=C run_mlt plot five -m loss --width 60 --height 10
expect_rc 0
expect_eq "y labels, top to bottom" "0.8 0.6 0.4 0.2" "$(awk -F'|' '/\|/ && $1 ~ /[0-9]/ { gsub(/ /, "", $1); printf "%s%s", sep, $1; sep = " " }' "$T/.lib/stdout")"
expect_eq "x labels" "0 1 2 3 4" "$(grep -A1 '^ *+[-+]' "$T/.lib/stdout" | tail -1 | tr -s ' ' | sed 's/^ //')"

t "plot: two series, each with its own mark and colour, and a legend"
cd "$T/lines"
LC_ALL=C run_mlt --color never plot five six -m loss --width 60 --height 10
expect_rc 0
expect_out_contains "*** five loss"
expect_out_contains "+++ six loss"
chart="$(grep '|' "$T/.lib/stdout" | cut -d'|' -f2-)"
[[ "$chart" == *'*'* && "$chart" == *'+'* ]] || fail "both marks are drawn" "* and +" "$chart"
expect_out_not_contains $'\033['
LC_ALL=C.UTF-8 run_mlt --color always plot five six -m loss --width 60 --height 10
expect_rc 0
expect_out_contains $'\033[34m'
expect_out_contains $'\033[31m'
expect_out_contains $'\033[34m\xe2\x94\x80*\xe2\x94\x80\033[0m five loss'
expect_out_contains $'\033[31m\xe2\x94\x80+\xe2\x94\x80\033[0m six loss'
NO_COLOR=1 LC_ALL=C.UTF-8 run_mlt plot five six -m loss --width 60 --height 10
expect_rc 0
expect_out_not_contains $'\033['
expect_out_contains $'\xe2\x94\x80+\xe2\x94\x80 six loss'
# braille: the sparse points carry their series' mark
chart="$(grep $'\xe2\x94\x82\|\xe2\x94\xa4' "$T/.lib/stdout")"
[[ "$chart" == *'*'* && "$chart" == *'+'* ]] || fail "marks on the braille lines" "* and +" "$chart"

t "plot --log-y: decades as ticks; values that are not positive are left out, with a note"
new_project logy
must_mlt run start -q -n g --no-git >/dev/null
i=0
for v in 1 10 100 1000 0 -5; do
  must_mlt log metric --run g --step $i --time $((1 + i)) "loss=$v" >/dev/null
  i=$((i + 1))
done
LC_ALL=C run_mlt plot g --log-y --width 40 --height 10
expect_rc 0
expect_eq "y labels" "1000 100 10 1" "$(awk -F'|' '/\|/ && $1 ~ /[0-9]/ { gsub(/ /, "", $1); printf "%s%s", sep, $1; sep = " " }' "$T/.lib/stdout")"
expect_err_contains "left out 2 points that are NaN, infinite or not positive (--log-y)"

t "plot --json: the series, exactly; --smooth (EMA weight, or a window of points)"
new_project pj
ID=$(must_mlt run start -q -n tiny --no-git)
must_mlt log metric --run tiny --step 0 --time 1000 loss=1 >/dev/null
must_mlt log metric --run tiny --step 1 --time 1500 loss=nan >/dev/null
must_mlt log metric --run tiny --step 2 --time 3000 loss=0 >/dev/null
must_mlt log metric --run tiny --step 5 --time 4000 loss=0 >/dev/null
run_mlt --json plot tiny
expect_rc 0
expect_json_valid
expect_json '.' "{\"x\":\"step\",\"log_y\":false,\"smooth\":null,\"series\":[{\"run\":\"$ID\",\"run_name\":\"tiny\",\"key\":\"loss\",\"label\":\"loss\",\"skipped\":1,\"points\":[{\"step\":0,\"time_ms\":1000,\"x\":0,\"value\":1},{\"step\":2,\"time_ms\":3000,\"x\":2,\"value\":0},{\"step\":5,\"time_ms\":4000,\"x\":5,\"value\":0}]}]}"
run_mlt --json plot tiny --x time --smooth 0.5
expect_rc 0
expect_json '.smooth' '{"kind":"ema","weight":0.5}'
expect_json '[.series[0].points[] | [.x, .value, .smoothed]]' '[[0,1,1],[2,0,0.3333333333333333],[3,0,0.14285714285714285]]'
run_mlt --json plot tiny --smooth 2
expect_rc 0
expect_json '.smooth' '{"kind":"mean","window":2}'
expect_json '[.series[0].points[].smoothed]' '[1,0.5,0]'
for bad in -0.1 1.5 abc 2e9; do
  run_mlt plot tiny --smooth "$bad"
  expect_rc 2
  expect_err_contains "invalid --smooth '$bad'"
done

t "plot --smooth draws the smoothed line"
cd "$T/lines"
LC_ALL=C run_mlt plot six -m loss --width 40 --height 8
expect_rc 0
expect_eq "top label unsmoothed" "0.8" "$(awk -F'|' '/\|/ && $1 ~ /[0-9]/ { gsub(/ /, "", $1); print $1; exit }' "$T/.lib/stdout")"
LC_ALL=C run_mlt plot six -m loss --width 40 --height 8 --smooth 0.9
expect_rc 0
expect_eq "top label of the smoothed line" "0.5" "$(awk -F'|' '/\|/ && $1 ~ /[0-9]/ { gsub(/ /, "", $1); print $1; exit }' "$T/.lib/stdout")"

t "plot -f FILTER: the runs that match, with any named ones; none is exit 4"
cd "$T/lines"
run_mlt --json plot -f "params.opt = 'sgd'" -m loss
expect_rc 0
expect_json '[.series[] | .run_name]' '["six"]'
run_mlt --json plot five -f "params.opt LIKE '%'" -m loss
expect_rc 0
expect_json '[.series[] | .label]' '["five loss","six loss"]'
run_mlt plot -f "params.opt = 'none'"
expect_rc 4
expect_err_contains "no run matches"
run_mlt plot -f "params.opt = "
expect_rc 2
run_mlt plot
expect_rc 2
expect_err_contains "plot needs a run"

finish
