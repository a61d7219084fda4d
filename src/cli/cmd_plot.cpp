// mlt plot: metric histories as a line chart in the terminal (Unicode braille, ASCII fallback) or
// as a standalone SVG. Long histories are reduced to the min and max of each pixel column, so a
// spike survives any amount of downsampling.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/metrics.hpp"
#include "core/runs.hpp"

namespace mlt::cli {
namespace {

struct PlotOptions {
  std::vector<std::string> runs, keys;
  std::string x = "step", svg;
  int width = 0, height = 0;
};

struct Series {
  std::string label;
  std::vector<double> xs, ys;   // finite points only
};

// Per column: the min and max y of the points falling in it (NaN where none).
struct Columns {
  std::vector<double> lo, hi;
};

Columns bucket(const Series& s, double x0, double x1, int n) {
  Columns c{std::vector<double>(n, std::nan("")), std::vector<double>(n, std::nan(""))};
  double span = x1 > x0 ? x1 - x0 : 1;
  for (std::size_t i = 0; i < s.xs.size(); ++i) {
    int col = static_cast<int>((s.xs[i] - x0) / span * (n - 1) + 0.5);
    col = std::clamp(col, 0, n - 1);
    double y = s.ys[i];
    if (std::isnan(c.lo[col]) || y < c.lo[col]) c.lo[col] = y;
    if (std::isnan(c.hi[col]) || y > c.hi[col]) c.hi[col] = y;
  }
  return c;
}

std::string tick(double v) {
  if (v == 0) return "0";
  double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.2e}", v);
  return fmt::format("{:.4g}", v);
}

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

void write_svg(const std::string& path, const std::vector<Series>& series, double x0, double x1, double y0, double y1,
               const std::string& xlabel) {
  const int W = 800, H = 450, L = 70, R = 20, T = 20, B = 50 + 18 * static_cast<int>(series.size());
  int pw = W - L - R, ph = H - T - B;
  auto px = [&](double x) { return L + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * pw; };
  auto py = [&](double y) { return T + ph - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * ph; };
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      W, H);
  s += fmt::format("<path d=\"M{0} {1} V{2} H{3}\" stroke=\"black\" fill=\"none\"/>\n", L, T, T + ph, L + pw);
  for (int i = 0; i <= 4; ++i) {
    double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", L - 6, py(yv) + 4, tick(yv));
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n", L, L + pw, py(yv));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(xv), T + ph + 16, tick(xv));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", L + pw / 2, T + ph + 32,
                   xml_escape(xlabel));
  for (std::size_t i = 0; i < series.size(); ++i) {
    auto cols = bucket(series[i], x0, x1, pw);
    std::string pts;
    for (int c = 0; c < pw; ++c) {
      if (std::isnan(cols.lo[c])) continue;
      pts += fmt::format("{:.1f},{:.1f} ", L + c + 0.5, py(cols.lo[c]));
      if (cols.hi[c] != cols.lo[c]) pts += fmt::format("{:.1f},{:.1f} ", L + c + 0.5, py(cols.hi[c]));
    }
    const char* col = svg_colours[i % 6];
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", pts, col);
    int ly = T + ph + 40 + 18 * static_cast<int>(i);
    s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"/>\n", L, L + 20,
                     ly - 4, ly - 4, col);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", L + 26, ly, xml_escape(series[i].label));
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

int plot(Context& ctx, const PlotOptions& o) {
  if (o.x != "step" && o.x != "time") throw Error(ExitCode::usage, fmt::format("unknown --x '{}'", o.x), "use step or time");
  std::vector<Series> series;
  for (auto& ref : o.runs) {
    auto run = core::resolve_run(ctx.db(), ref);
    auto keys = core::metric_keys(ctx.db(), run, o.keys);
    for (auto& k : keys) {
      Series s;
      s.label = o.runs.size() > 1 ? fmt::format("{} {}", run.name, k) : k;
      std::optional<std::int64_t> t0;
      core::for_each_point(ctx.db(), run, {k}, [&](const std::string&, const core::MetricPoint& p) {
        if (!std::isfinite(p.value)) return;
        if (!t0) t0 = p.time_ms;
        s.xs.push_back(o.x == "step" ? static_cast<double>(p.step) : (p.time_ms - *t0) / 1000.0);
        s.ys.push_back(p.value);
      });
      series.push_back(std::move(s));
    }
  }
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (auto& s : series)
    for (std::size_t i = 0; i < s.xs.size(); ++i) {
      x0 = std::min(x0, s.xs[i]);
      x1 = std::max(x1, s.xs[i]);
      y0 = std::min(y0, s.ys[i]);
      y1 = std::max(y1, s.ys[i]);
    }
  if (!std::isfinite(x0)) throw Error(ExitCode::not_found, "no finite metric values to plot", "see 'mlt metrics RUN'");
  if (y0 == y1) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  std::string xlabel = o.x == "step" ? "step" : "seconds since the first point";
  if (!o.svg.empty()) {
    write_svg(o.svg, series, x0, x1, y0, y1, xlabel);
    ctx.note(fmt::format("wrote '{}'", o.svg));
    return 0;
  }

  // Terminal: braille cells of 2x4 dots (ASCII: one dot per cell).
  struct winsize ws {};
  int term_w = 80;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) term_w = ws.ws_col;
  else if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) term_w = std::atoi(c);
  int width = o.width > 0 ? o.width : term_w;
  int height = o.height > 0 ? o.height : 16;
  const int label_w = 11;
  int cw = std::max(10, width - label_w - 1), ch = std::max(4, height);
  bool braille = utf8_locale();
  bool colour = ctx.color();
  int dx = braille ? 2 : 1, dy = braille ? 4 : 1;
  int gw = cw * dx, gh = ch * dy;
  std::vector<std::vector<std::uint8_t>> dots(ch, std::vector<std::uint8_t>(cw, 0));
  std::vector<std::vector<int>> owner(ch, std::vector<int>(cw, -1));
  auto set = [&](int gx, int gy, int who) {
    if (gx < 0 || gx >= gw || gy < 0 || gy >= gh) return;
    int cx = gx / dx, cy = gy / dy;
    static const std::uint8_t bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    dots[cy][cx] |= braille ? bits[gy % 4][gx % 2] : 1;
    owner[cy][cx] = who;
  };
  auto gy_of = [&](double y) { return static_cast<int>(std::lround((y1 - y) / (y1 - y0) * (gh - 1))); };
  for (std::size_t si = 0; si < series.size(); ++si) {
    auto cols = bucket(series[si], x0, x1, gw);
    int prev = -1;
    for (int gx = 0; gx < gw; ++gx) {
      if (std::isnan(cols.lo[gx])) continue;
      int a = gy_of(cols.hi[gx]), b = gy_of(cols.lo[gx]);
      if (prev >= 0) {  // join to the previous column
        a = std::min(a, prev);
        b = std::max(b, prev);
      }
      for (int gy = a; gy <= b; ++gy) set(gx, gy, static_cast<int>(si));
      prev = gy_of(cols.lo[gx] + (cols.hi[gx] - cols.lo[gx]) / 2);
    }
  }
  std::string out;
  for (int r = 0; r < ch; ++r) {
    std::string label;
    if (r == 0) label = tick(y1);
    else if (r == ch - 1) label = tick(y0);
    else if (r == ch / 2) label = tick(y0 + (y1 - y0) * (ch - 1 - r) / (ch - 1));
    out += fmt::format("{:>{}} {}", label, label_w - 1, braille ? "\u2502" : "|");
    for (int c = 0; c < cw; ++c) {
      if (!dots[r][c]) {
        out += ' ';
        continue;
      }
      std::string glyph;
      if (braille) {
        char32_t cp = 0x2800 + dots[r][c];
        glyph = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (cp & 0x3F))};
      } else {
        glyph = std::string(1, "*+ox#@"[owner[r][c] % 6]);
      }
      out += colour ? std::string(colours[owner[r][c] % 6]) + glyph + "\033[0m" : glyph;
    }
    out += '\n';
  }
  out += std::string(label_w, ' ') + (braille ? "\u2514" : "+");
  for (int c = 0; c < cw; ++c) out += braille ? "\u2500" : "-";
  out += '\n';
  std::string left = tick(x0), mid = tick(x0 + (x1 - x0) / 2), right = tick(x1);
  std::string axis(static_cast<std::size_t>(cw), ' ');
  auto place = [&](const std::string& t, int at) {
    at = std::clamp(at, 0, std::max(0, cw - static_cast<int>(t.size())));
    axis.replace(static_cast<std::size_t>(at), t.size(), t);
  };
  place(left, 0);
  place(mid, cw / 2 - static_cast<int>(mid.size()) / 2);
  place(right, cw - static_cast<int>(right.size()));
  out += std::string(label_w + 1, ' ') + axis + '\n';
  out += std::string(label_w + 1, ' ') + xlabel + '\n';
  for (std::size_t si = 0; si < series.size(); ++si) {
    std::string mark = braille ? "\u2500\u2500" : std::string(2, "*+ox#@"[si % 6]);
    out += fmt::format("{}{}{} {}\n", std::string(label_w + 1, ' '),
                       colour ? std::string(colours[si % 6]) + mark + "\033[0m" : mark, "", series[si].label);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void add_plot_commands(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<PlotOptions>();
  auto* p = root.add_subcommand("plot", "Draw metric histories as a line chart in the terminal, or as an SVG file.");
  p->add_option("runs", o->runs, "One or more runs.")->required()->type_name("RUN");
  p->add_option("-m,--metric", o->keys, "A metric to draw (repeatable; default: every metric).")
      ->type_name("KEY")
      ->allow_extra_args(false);
  p->add_option("--x", o->x, "The x axis: step (default) or time.")->type_name("AXIS");
  p->add_option("--svg", o->svg, "Write the chart as a standalone SVG file instead.")->type_name("FILE");
  p->add_option("--width", o->width, "Width in characters (default: the terminal's).")->type_name("N");
  p->add_option("--height", o->height, "Height of the plot area in lines (default 16).")->type_name("N");
  p->callback([&ctx, o] { ctx.select(Needs::project, [&ctx, o] { return plot(ctx, *o); }); });
}

}  // namespace mlt::cli
