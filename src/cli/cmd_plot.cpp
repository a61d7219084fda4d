// mlt plot: metric histories as a line chart in the terminal (Unicode braille, ASCII fallback), as
// a standalone SVG, or as JSON (the series themselves). Consecutive points are joined by lines;
// long histories are reduced to the first, lowest, highest and last point of each pixel column,
// which draws the same picture, so a spike survives any amount of downsampling.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "base/values.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/tracking/metrics.hpp"
#include "core/tracking/query.hpp"
#include "core/tracking/runs.hpp"

namespace mlt::cli {
namespace {

struct PlotOptions {
  std::vector<std::string> runs, keys;
  std::string x = "step", svg, filter, smooth;
  int width = 0, height = 0;
  bool log_y = false;
};

// --smooth W: 0 <= W < 1 is an exponential moving average with weight W, debiased as
// TensorBoard's slider does; an integer W >= 1 is the mean of the last W points.
struct Smoothing {
  enum Kind { none, ema, mean } kind = none;
  double weight = 0;
  std::size_t window = 0;
};

Smoothing parse_smoothing(const std::string& text) {
  Smoothing s;
  if (text.empty()) return s;
  auto w = core::parse_double(text);
  if (w && *w >= 0 && *w < 1) {
    s.kind = *w > 0 ? Smoothing::ema : Smoothing::none;
    s.weight = *w;
    return s;
  }
  if (w && *w >= 1 && *w <= 1e6 && std::floor(*w) == *w) {
    s.window = static_cast<std::size_t>(*w);
    s.kind = s.window > 1 ? Smoothing::mean : Smoothing::none;
    return s;
  }
  throw Error(ExitCode::usage, fmt::format("invalid --smooth '{}'", text),
              "give a weight from 0 to below 1 (0.6: an exponential moving average) or a whole number of points "
              "(10: the mean of the last 10)");
}

std::vector<double> smooth(const std::vector<double>& ys, const Smoothing& s) {
  if (s.kind == Smoothing::none) return ys;
  std::vector<double> out(ys.size());
  if (s.kind == Smoothing::ema) {
    double last = 0, debias = 1;
    for (std::size_t i = 0; i < ys.size(); ++i) {
      last = last * s.weight + (1 - s.weight) * ys[i];
      debias *= s.weight;                         // weight^(i+1)
      out[i] = last / (1 - debias);
    }
    return out;
  }
  double sum = 0;
  for (std::size_t i = 0; i < ys.size(); ++i) {
    sum += ys[i];
    if (i >= s.window) sum -= ys[i - s.window];
    out[i] = sum / static_cast<double>(std::min(i + 1, s.window));
  }
  return out;
}

struct Series {
  std::string run_uuid, run_name, key, label;
  std::vector<core::MetricPoint> points;   // the points drawn (finite; positive under --log-y)
  std::vector<double> xs, ys;              // x, and y after smoothing
  std::size_t skipped = 0;                 // NaN, infinite, or (--log-y) not positive
};

// ---------------------------------------------------------------------------------------------
// Axes: the data range, mapped linearly or (--log-y) by log10; ticks at round numbers.

struct Axis {
  double lo = 0, hi = 1;   // in plot space (log10 of the value under --log-y)
  bool log = false;
  double to_plot(double v) const { return log ? std::log10(v) : v; }
  double frac(double v) const { return hi > lo ? (to_plot(v) - lo) / (hi - lo) : 0.5; }   // 0 at lo, 1 at hi
};

// A round step (1, 2 or 5 times a power of ten) near span/target.
double nice_step(double span, int target, bool integers) {
  if (!(span > 0)) return 1;
  double raw = span / std::max(1, target);
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / mag;
  double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  return integers ? std::max(1.0, std::round(step)) : step;
}

std::string tick_label(double v, double step) {
  if (std::fabs(v) < step * 1e-9) v = 0;
  double a = std::fabs(v);
  if (a != 0 && (a >= 1e6 || step < 1e-5)) {
    std::string s = fmt::format("{:.3g}", v);
    return s;
  }
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

struct Tick {
  double value;   // the value (not log10)
  std::string label;
};

std::vector<Tick> ticks(const Axis& ax, int target, bool integers) {
  std::vector<Tick> out;
  if (ax.log && ax.hi - ax.lo >= 1) {   // powers of ten, every n-th decade when there are many
    int k0 = static_cast<int>(std::ceil(ax.lo - 1e-9)), k1 = static_cast<int>(std::floor(ax.hi + 1e-9));
    int stride = std::max(1, (k1 - k0 + 1 + target - 1) / std::max(1, target));
    for (int k = k0; k <= k1; k += stride) {
      double v = std::pow(10.0, k);
      out.push_back({v, k >= -4 && k <= 5 ? tick_label(v, std::pow(10.0, std::min(k, 0))) : fmt::format("1e{}", k)});
    }
    return out;
  }
  double vlo = ax.log ? std::pow(10, ax.lo) : ax.lo, vhi = ax.log ? std::pow(10, ax.hi) : ax.hi;
  double step = nice_step(vhi - vlo, target, integers);
  for (double k = std::ceil(vlo / step - 1e-9); k * step <= vhi + step * 1e-9; k += 1) {
    double v = k * step;
    if (ax.log && v <= 0) continue;
    out.push_back({v, tick_label(v, step)});
    if (out.size() > 1000) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reduction: a polyline through many points in a space `cols` wide keeps, in each column, its
// first, lowest, highest and last point, in their order; the drawn line is the same.

struct Px {
  double x, y;
};

std::vector<Px> reduce(const std::vector<Px>& pts, int cols) {
  if (pts.size() <= static_cast<std::size_t>(cols) * 4) return pts;
  std::vector<Px> out;
  std::size_t i = 0;
  while (i < pts.size()) {
    long col = std::lround(pts[i].x);
    std::size_t j = i, lo = i, hi = i;
    while (j < pts.size() && std::lround(pts[j].x) == col) {
      if (pts[j].y < pts[lo].y) lo = j;
      if (pts[j].y > pts[hi].y) hi = j;
      ++j;
    }
    std::vector<std::size_t> keep = {i, lo, hi, j - 1};
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    for (auto k : keep) out.push_back(pts[k]);
    i = j;
  }
  return out;
}

// Which points get a mark: every point when there are few, else a handful spread along the
// line (staggered per series, so that marks of overlapping lines do not sit on each other).
std::vector<std::size_t> mark_indices(std::size_t n, std::size_t few, std::size_t si, std::size_t nseries) {
  std::vector<std::size_t> out;
  if (n == 0) return out;
  if (n <= few) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  if (nseries < 2) return out;
  const std::size_t marks = 5;
  for (std::size_t j = 0; j < marks; ++j) {
    double at = (static_cast<double>(j) + static_cast<double>(si + 1) / static_cast<double>(nseries + 1)) / marks;
    out.push_back(std::min(n - 1, static_cast<std::size_t>(at * static_cast<double>(n))));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

bool utf8_locale() {
  for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(var);
    if (v && *v) {
      std::string s = v;
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return s.find("utf-8") != std::string::npos || s.find("utf8") != std::string::npos;
    }
  }
  return false;
}

const char* colours[] = {"\033[34m", "\033[31m", "\033[32m", "\033[35m", "\033[33m", "\033[36m"};
const char* svg_colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"};
const char* svg_dashes[] = {"", "7 3", "2 3", "9 3 2 3", "4 4", "12 4"};
const char marks[] = "*+ox#@";

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string svg_mark(std::size_t si, double x, double y, const char* col) {
  switch (si % 6) {
    case 0: return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", x, y, col);
    case 1: return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"6\" height=\"6\" fill=\"{}\"/>", x - 3, y - 3, col);
    case 2:
      return fmt::format("<path d=\"M{:.1f} {:.1f} l3.5 6 h-7 z\" fill=\"{}\"/>", x, y - 3.5, col);
    case 3:
      return fmt::format("<path d=\"M{:.1f} {:.1f} l4 4 l-4 4 l-4 -4 z\" fill=\"{}\"/>", x, y - 4, col);
    case 4:
      return fmt::format("<path d=\"M{:.1f} {:.1f} h8 M{:.1f} {:.1f} v8\" stroke=\"{}\" stroke-width=\"2\"/>", x - 4,
                         y, x, y - 4, col);
    default:
      return fmt::format("<path d=\"M{:.1f} {:.1f} l7 7 M{:.1f} {:.1f} l-7 7\" stroke=\"{}\" stroke-width=\"2\"/>",
                         x - 3.5, y - 3.5, x + 3.5, y - 3.5, col);
  }
}

void write_svg(const std::string& path, const std::vector<Series>& series, const Axis& xa, const Axis& ya,
               bool integer_x, const std::string& xlabel) {
  const int W = 800, H = 450, L = 70, R = 20, T = 20, B = 50 + 18 * static_cast<int>(series.size());
  int pw = W - L - R, ph = std::max(40, H - T - B);
  auto px = [&](double x) { return L + xa.frac(x) * pw; };
  auto py = [&](double y) { return T + ph - ya.frac(y) * ph; };
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      W, T + ph + B);
  s += fmt::format("<path d=\"M{0} {1} V{2} H{3}\" stroke=\"black\" fill=\"none\"/>\n", L, T, T + ph, L + pw);
  for (auto& t : ticks(ya, 5, false)) {
    double y = py(t.value);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", L - 6, y + 4, t.label);
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n", L, L + pw, y);
  }
  for (auto& t : ticks(xa, 8, integer_x))
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(t.value), T + ph + 16, t.label);
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", L + pw / 2, T + ph + 32,
                   xml_escape(xlabel));
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* col = svg_colours[i % 6];
    std::string dash = *svg_dashes[i % 6] ? fmt::format(" stroke-dasharray=\"{}\"", svg_dashes[i % 6]) : "";
    std::vector<Px> pts;
    for (std::size_t k = 0; k < series[i].xs.size(); ++k) pts.push_back({px(series[i].xs[k]), py(series[i].ys[k])});
    std::string line;
    for (auto& p : reduce(pts, pw)) line += fmt::format("{:.1f},{:.1f} ", p.x, p.y);
    if (!line.empty()) line.pop_back();
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>\n", line, col, dash);
    for (auto k : mark_indices(pts.size(), 60, i, series.size())) s += svg_mark(i, pts[k].x, pts[k].y, col) + "\n";
    int ly = T + ph + 40 + 18 * static_cast<int>(i);
    s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", L, L + 24,
                     ly - 4, ly - 4, col, dash);
    s += svg_mark(i, L + 12, ly - 4, col) + "\n";
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", L + 30, ly, xml_escape(series[i].label));
  }
  s += "</svg>\n";
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << s;
    if (!out) throw Error(ExitCode::failure, fmt::format("cannot write '{}'", path));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(ExitCode::failure, fmt::format("cannot write '{}'", path));
}

std::string utf8(char32_t cp) {
  return {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
          static_cast<char>(0x80 | (cp & 0x3F))};
}

std::string draw_terminal(Context& ctx, const PlotOptions& o, const std::vector<Series>& series, const Axis& xa,
                          const Axis& ya, bool integer_x, const std::string& xlabel) {
  struct winsize ws {};
  int term_w = 80;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) term_w = ws.ws_col;
  else if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) term_w = std::atoi(c);
  int width = o.width > 0 ? o.width : term_w;
  int ch = std::max(4, o.height > 0 ? o.height : 16);
  bool braille = utf8_locale();
  bool colour = ctx.color();
  int dx = braille ? 2 : 1, dy = braille ? 4 : 1;
  int gh = ch * dy;

  // y labels first: their width decides the plot's
  std::vector<std::string> ylabels(static_cast<std::size_t>(ch));
  auto ytick = ticks(ya, ya.log ? std::max(3, ch / 2) : std::max(3, ch / 3), false);
  std::size_t label_w = 1;
  int labelled = 0;
  for (auto& t : ytick) {
    int gy = static_cast<int>(std::lround((1 - ya.frac(t.value)) * (gh - 1)));
    int row = std::clamp(gy / dy, 0, ch - 1);
    if (ylabels[static_cast<std::size_t>(row)].empty()) {
      ylabels[static_cast<std::size_t>(row)] = t.label;
      label_w = std::max(label_w, t.label.size());
      ++labelled;
    }
  }
  if (labelled < 2) {   // no two round numbers in the range: label its ends
    auto value = [&](double p) { return ya.log ? std::pow(10, p) : p; };
    ylabels.front() = fmt::format("{:.4g}", value(ya.hi));
    ylabels.back() = fmt::format("{:.4g}", value(ya.lo));
    label_w = std::max({label_w, ylabels.front().size(), ylabels.back().size()});
  }
  label_w = std::min<std::size_t>(label_w, 12);
  int cw = std::max(10, width - static_cast<int>(label_w) - 2);
  int gw = cw * dx;

  std::vector<std::vector<std::uint8_t>> dots(ch, std::vector<std::uint8_t>(cw, 0));
  std::vector<std::vector<int>> owner(ch, std::vector<int>(cw, -1));
  std::vector<std::vector<int>> mark(ch, std::vector<int>(cw, -1));
  auto set = [&](int gx, int gy, int who) {
    if (gx < 0 || gx >= gw || gy < 0 || gy >= gh) return;
    int cx = gx / dx, cy = gy / dy;
    static const std::uint8_t bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    dots[cy][cx] |= braille ? bits[gy % 4][gx % 2] : 1;
    owner[cy][cx] = who;
  };
  auto line = [&](int x0, int y0, int x1, int y1, int who) {   // Bresenham
    int ddx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1, ddy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = ddx + ddy;
    for (;;) {
      set(x0, y0, who);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= ddy) {
        err += ddy;
        x0 += sx;
      }
      if (e2 <= ddx) {
        err += ddx;
        y0 += sy;
      }
    }
  };
  for (std::size_t si = 0; si < series.size(); ++si) {
    const auto& s = series[si];
    std::vector<Px> pts;
    for (std::size_t k = 0; k < s.xs.size(); ++k)
      pts.push_back({xa.frac(s.xs[k]) * (gw - 1), (1 - ya.frac(s.ys[k])) * (gh - 1)});
    auto drawn = reduce(pts, gw);
    for (std::size_t k = 0; k < drawn.size(); ++k) {
      int x1 = static_cast<int>(std::lround(drawn[k].x)), y1 = static_cast<int>(std::lround(drawn[k].y));
      if (k == 0) set(x1, y1, static_cast<int>(si));
      else
        line(static_cast<int>(std::lround(drawn[k - 1].x)), static_cast<int>(std::lround(drawn[k - 1].y)), x1, y1,
             static_cast<int>(si));
    }
    if (braille)
      for (auto k : mark_indices(pts.size(), static_cast<std::size_t>(cw) / 3, si, series.size())) {
        int cx = std::clamp(static_cast<int>(std::lround(pts[k].x)) / dx, 0, cw - 1);
        int cy = std::clamp(static_cast<int>(std::lround(pts[k].y)) / dy, 0, ch - 1);
        mark[cy][cx] = static_cast<int>(si);
      }
  }
  auto paint = [&](const std::string& glyph, int who) {
    return colour && who >= 0 ? std::string(colours[who % 6]) + glyph + "\033[0m" : glyph;
  };
  std::string out;
  for (int r = 0; r < ch; ++r) {
    std::string label = ylabels[static_cast<std::size_t>(r)].substr(0, label_w);
    out += fmt::format("{:>{}} {}", label, label_w, braille ? "\u2524" : "|");
    if (braille && label.empty()) out.replace(out.size() - 3, 3, "\u2502");
    for (int c = 0; c < cw; ++c) {
      if (mark[r][c] >= 0) out += paint(std::string(1, marks[mark[r][c] % 6]), mark[r][c]);
      else if (!dots[r][c]) out += ' ';
      else if (braille) out += paint(utf8(0x2800 + dots[r][c]), owner[r][c]);
      else out += paint(std::string(1, marks[owner[r][c] % 6]), owner[r][c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  // the x axis, with ticks at round numbers, labels centred under them where they fit
  std::string axis_line = braille ? "\u2514" : "+";
  std::string labels(static_cast<std::size_t>(cw) + 1, ' ');
  std::vector<int> tick_cols;
  int free_from = 0;
  for (auto& t : ticks(xa, std::max(2, cw / 14), integer_x)) {
    int c = static_cast<int>(std::lround(xa.frac(t.value) * (cw - 1)));
    int at = std::clamp(c - static_cast<int>(t.label.size()) / 2, 0, std::max(0, cw - static_cast<int>(t.label.size())));
    if (at < free_from) continue;
    labels.replace(static_cast<std::size_t>(at), t.label.size(), t.label);
    free_from = at + static_cast<int>(t.label.size()) + 2;
    tick_cols.push_back(c);
  }
  for (int c = 0; c < cw; ++c) {
    bool tick = std::find(tick_cols.begin(), tick_cols.end(), c) != tick_cols.end();
    axis_line += braille ? (tick ? "\u252c" : "\u2500") : (tick ? "+" : "-");
  }
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  std::string pad(label_w + 1, ' ');
  out += pad + axis_line + '\n';
  out += pad + " " + labels + '\n';
  out += pad + " " + xlabel + '\n';
  for (std::size_t si = 0; si < series.size(); ++si) {
    char m = marks[si % 6];
    std::string key = braille ? "\u2500" + std::string(1, m) + "\u2500" : std::string(3, m);
    out += fmt::format("{} {} {}\n", pad, paint(key, static_cast<int>(si)), series[si].label);
  }
  return out;
}

Json series_json(const PlotOptions& o, const Smoothing& sm, const std::vector<Series>& series) {
  Json j;
  j["x"] = o.x;
  j["log_y"] = o.log_y;
  if (sm.kind == Smoothing::ema) j["smooth"] = {{"kind", "ema"}, {"weight", sm.weight}};
  else if (sm.kind == Smoothing::mean) j["smooth"] = {{"kind", "mean"}, {"window", sm.window}};
  else j["smooth"] = nullptr;
  j["series"] = Json::array();
  for (auto& s : series) {
    Json js;
    js["run"] = s.run_uuid;
    js["run_name"] = s.run_name;
    js["key"] = s.key;
    js["label"] = s.label;
    js["skipped"] = s.skipped;
    js["points"] = Json::array();
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      Json p;
      p["step"] = s.points[i].step;
      p["time_ms"] = s.points[i].time_ms;
      p["x"] = s.xs[i];
      p["value"] = s.points[i].value;
      if (sm.kind != Smoothing::none) p["smoothed"] = s.ys[i];
      js["points"].push_back(std::move(p));
    }
    j["series"].push_back(std::move(js));
  }
  return j;
}

int plot(Context& ctx, const PlotOptions& o) {
  if (o.x != "step" && o.x != "time") throw Error(ExitCode::usage, fmt::format("unknown --x '{}'", o.x), "use step or time");
  auto sm = parse_smoothing(o.smooth);
  if (o.runs.empty() && o.filter.empty())
    throw Error(ExitCode::usage, "plot needs a run", "name one or more RUNs, or choose runs with -f FILTER");
  // The runs: those named, in order, then those the filter matches (newest first), once each.
  struct Pick {
    core::RunRef ref;
    bool named;
  };
  std::vector<Pick> picks;
  std::set<std::int64_t> seen;
  for (auto& r : o.runs) {
    auto ref = core::resolve_run(ctx.db(), r);
    if (seen.insert(ref.id).second) picks.push_back({ref, true});
  }
  if (!o.filter.empty()) {
    core::SearchSpec spec;
    spec.filter = o.filter;
    auto matched = core::load_runs(ctx.db(), core::search_runs(ctx.db(), spec));
    if (matched.empty() && o.runs.empty())
      throw Error(ExitCode::not_found, fmt::format("no run matches '{}'", o.filter), "see 'mlt runs -f FILTER'");
    for (auto& r : matched)
      if (seen.insert(r.id).second) picks.push_back({core::RunRef{r.id, r.uuid, r.name, r.deleted, r.status}, false});
  }
  std::vector<Series> series;
  for (auto& pick : picks) {
    std::vector<std::string> keys;
    if (pick.named) {
      keys = core::metric_keys(ctx.db(), pick.ref, o.keys);   // exit 4 for a key a named run lacks
    } else {
      auto have = core::metric_keys(ctx.db(), pick.ref, {});
      for (auto& k : have)
        if (o.keys.empty() || std::find(o.keys.begin(), o.keys.end(), k) != o.keys.end()) keys.push_back(k);
    }
    for (auto& k : keys) {
      Series s;
      s.run_uuid = pick.ref.uuid;
      s.run_name = pick.ref.name;
      s.key = k;
      s.label = picks.size() > 1 ? fmt::format("{} {}", pick.ref.name, k) : k;
      std::optional<std::int64_t> t0;
      std::vector<double> raw;
      core::for_each_point(ctx.db(), pick.ref, {k}, [&](const std::string&, const core::MetricPoint& p) {
        if (!std::isfinite(p.value) || (o.log_y && p.value <= 0)) {
          ++s.skipped;
          return;
        }
        if (!t0) t0 = p.time_ms;
        s.points.push_back(p);
        s.xs.push_back(o.x == "step" ? static_cast<double>(p.step) : static_cast<double>(p.time_ms - *t0) / 1000.0);
        raw.push_back(p.value);
      });
      s.ys = smooth(raw, sm);
      series.push_back(std::move(s));
    }
  }
  if (series.empty())
    throw Error(ExitCode::not_found, "no metric to plot", o.keys.empty() ? "see 'mlt metrics RUN'" : "check the -m keys");
  if (ctx.global.json && o.svg.empty()) {
    print_json(series_json(o, sm, series));
    return 0;
  }
  Axis xa, ya;
  ya.log = o.log_y;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (auto& s : series)
    for (std::size_t i = 0; i < s.xs.size(); ++i) {
      x0 = std::min(x0, s.xs[i]);
      x1 = std::max(x1, s.xs[i]);
      y0 = std::min(y0, ya.to_plot(s.ys[i]));
      y1 = std::max(y1, ya.to_plot(s.ys[i]));
    }
  if (!std::isfinite(x0))
    throw Error(ExitCode::not_found, o.log_y ? "no positive finite metric value to plot" : "no finite metric value to plot",
                "see 'mlt metrics RUN'");
  if (y0 == y1) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (x0 == x1) {
    x0 -= 1;
    x1 += 1;
  }
  xa.lo = x0;
  xa.hi = x1;
  ya.lo = y0;
  ya.hi = y1;
  std::size_t skipped = 0;
  for (auto& s : series) skipped += s.skipped;
  if (skipped)
    ctx.note(fmt::format("left out {} point{} that {}", skipped, skipped == 1 ? "" : "s",
                         o.log_y ? "are NaN, infinite or not positive (--log-y)" : "are NaN or infinite"));
  bool integer_x = o.x == "step";
  std::string xlabel = o.x == "step" ? "step" : "seconds since the first point";
  if (!o.svg.empty()) {
    write_svg(o.svg, series, xa, ya, integer_x, xlabel);
    if (ctx.global.json) print_json(series_json(o, sm, series));
    ctx.note(fmt::format("wrote '{}'", o.svg));
    return 0;
  }
  auto out = draw_terminal(ctx, o, series, xa, ya, integer_x, xlabel);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void add_plot_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<PlotOptions>();
  auto* p = root.add_subcommand("plot", "Draw metric histories as a line chart in the terminal, or as an SVG file.");
  p->add_option("runs", o->runs, "One or more runs (or choose them with -f).")->type_name("RUN");
  p->add_option("-m,--metric", o->keys, "A metric to draw (repeatable; default: every metric).")
      ->type_name("KEY")
      ->allow_extra_args(false);
  p->add_option("-f,--filter", o->filter, "Also draw the runs that match FILTER (as in 'mlt runs -f').")
      ->type_name("FILTER");
  p->add_option("--x", o->x, "The x axis: step (default) or time.")->type_name("AXIS");
  p->add_flag("--log-y", o->log_y, "A logarithmic y axis (values that are not positive are left out).");
  p->add_option("--smooth", o->smooth,
                "Smooth each line: a weight in [0, 1) for an exponential moving average, or N for the mean of "
                "the last N points.")
      ->type_name("W");
  p->add_option("--svg", o->svg, "Write the chart as a standalone SVG file instead.")->type_name("FILE");
  p->add_option("--width", o->width, "Width in characters (default: the terminal's).")->type_name("N");
  p->add_option("--height", o->height, "Height of the plot area in lines (default 16).")->type_name("N");
  p->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return plot(ctx, *o); }); });
}

}  // namespace mlt::cli
