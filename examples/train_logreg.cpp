// mlt-example-train: a tiny, deterministic logistic-regression trainer.
//
// It generates a synthetic binary classification dataset from a fixed seed, trains logistic
// regression with full-batch gradient descent and, when run under `mlt run` (MLT_RUN_ID set),
// logs its params and per-epoch metrics to mlt. Standard C++20 plus POSIX only.
//
// Determinism: std::normal_distribution and friends are implementation-defined, so the random
// numbers are derived by hand from the raw std::mt19937_64 output (whose sequence the standard
// fixes), and every printed number uses a fixed format.
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern char **environ;

namespace {

constexpr size_t kFeatures = 4;
using Vec = std::array<double, kFeatures>;

struct Options {
    long epochs = 20;
    double lr = 0.5;
    std::uint64_t seed = 42;
    long samples = 2000;
    double l2 = 0.0;
    std::string data, write_data, save;   // --data FILE, --write-data FILE, --save FILE
};

struct Dataset {
    std::vector<Vec> x;
    std::vector<double> y;  // 0 or 1
};

[[noreturn]] void usage_error(const std::string &msg) {
    std::fprintf(stderr, "mlt-example-train: %s\n(try --help)\n", msg.c_str());
    std::exit(2);
}

void print_help() {
    std::puts(
        "usage: mlt-example-train [--epochs N] [--lr X] [--seed N] [--samples N] [--l2 X]\n"
        "                         [--data FILE] [--write-data FILE] [--save FILE]\n"
        "Logistic regression by full-batch gradient descent on a deterministic synthetic dataset\n"
        "(4 features, 80/20 train/validation split).\n"
        "  --epochs N   1..1000000 (default 20)     --lr X       > 0 (default 0.5)\n"
        "  --seed N     dataset seed (default 42)   --samples N  10..1000000 (default 2000)\n"
        "  --l2 X       L2 penalty >= 0 (default 0)\n"
        "  --write-data FILE  write the synthetic dataset as CSV (x0,x1,x2,x3,y) and exit\n"
        "  --data FILE  train on that CSV instead of generating the data\n"
        "  --save FILE  write the trained model as JSON; in a run, also `mlt model save FILE --flavor generic`\n"
        "With MLT_RUN_ID set, logs params via `mlt log param` and per-epoch metrics to the fd in\n"
        "MLT_METRICS_FD (else via `mlt log metric`); mlt is $MLT_EXE if set, else `mlt` on PATH.");
}

long parse_long(const std::string &flag, const std::string &s, long lo, long hi) {
    long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
        usage_error("invalid value for " + flag + ": '" + s + "' (expected an integer in " +
                    std::to_string(lo) + ".." + std::to_string(hi) + ")");
    return v;
}

double parse_double(const std::string &flag, const std::string &s, bool allow_zero) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) ||
        v < 0 || (v == 0 && !allow_zero))
        usage_error("invalid value for " + flag + ": '" + s + "' (expected a " +
                    (allow_zero ? "non-negative" : "positive") + " number)");
    return v;
}

Options parse_args(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i], value;
        if (arg == "--help" || arg == "-h") { print_help(); std::exit(0); }
        if (arg.rfind("--", 0) != 0) usage_error("unexpected argument '" + arg + "'");
        // Accept both `--flag value` and `--flag=value`.
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        } else if (arg == "--epochs" || arg == "--lr" || arg == "--seed" || arg == "--samples" ||
                   arg == "--l2" || arg == "--data" || arg == "--write-data" || arg == "--save") {
            if (i + 1 >= argc) usage_error("missing value for " + arg);
            value = argv[++i];
        }
        if (arg == "--epochs") o.epochs = parse_long(arg, value, 1, 1000000);
        else if (arg == "--lr") o.lr = parse_double(arg, value, false);
        else if (arg == "--samples") o.samples = parse_long(arg, value, 10, 1000000);
        else if (arg == "--l2") o.l2 = parse_double(arg, value, true);
        else if (arg == "--data" || arg == "--write-data" || arg == "--save") {
            if (value.empty()) usage_error("missing file name for " + arg);
            (arg == "--data" ? o.data : arg == "--write-data" ? o.write_data : o.save) = value;
        }
        else if (arg == "--seed") {
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), o.seed);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size())
                usage_error("invalid value for --seed: '" + value + "' (expected an unsigned integer)");
        } else usage_error("unknown flag '" + arg + "'");
    }
    return o;
}

// Hand-rolled distributions on top of the fully specified mt19937_64 bit stream.
struct Rng {
    std::mt19937_64 gen;
    explicit Rng(std::uint64_t seed) : gen(seed) {}
    // Uniform in the open interval (0, 1): top 53 bits, offset by half a step so never 0.
    double uniform() { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; }
    // Standard normal by Box-Muller (one of the pair is used; simple and reproducible).
    double normal() {
        double u1 = uniform(), u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
    }
};

// Latent g ~ N(0, I); features 0 and 1 are strongly correlated, which makes plain gradient descent
// start slowly (accuracy visibly climbs over the first epochs and depends on --lr).
// Label = [w*.x + b* + noise > 0] with noise ~ N(0, 0.5^2), so the classes overlap a little.
Dataset make_dataset(std::uint64_t seed, size_t n) {
    constexpr Vec w_true = {2.0, -2.5, 1.0, 0.5};
    constexpr double b_true = 0.25;
    Rng rng(seed);
    Dataset d;
    d.x.resize(n);
    d.y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        double z = b_true;
        Vec g;
        for (double &v : g) v = rng.normal();
        d.x[i] = {g[0], 0.7 * g[0] + 0.7 * g[1], g[2], g[3]};
        for (size_t j = 0; j < kFeatures; ++j) z += w_true[j] * d.x[i][j];
        d.y[i] = (z + 0.5 * rng.normal() > 0) ? 1.0 : 0.0;
    }
    return d;
}

struct Model {
    Vec w{};
    double b = 0;
    double logit(const Vec &x) const {
        double z = b;
        for (size_t j = 0; j < kFeatures; ++j) z += w[j] * x[j];
        return z;
    }
};

// Mean binary cross-entropy over [begin, end), computed stably from the logit, plus accuracy.
struct Eval { double loss, accuracy; };
Eval evaluate(const Model &m, const Dataset &d, size_t begin, size_t end) {
    double loss = 0;
    size_t correct = 0;
    for (size_t i = begin; i < end; ++i) {
        double z = m.logit(d.x[i]);
        loss += std::max(z, 0.0) - z * d.y[i] + std::log1p(std::exp(-std::fabs(z)));
        correct += ((z > 0) == (d.y[i] > 0.5));
    }
    double n = static_cast<double>(end - begin);
    return {loss / n, static_cast<double>(correct) / n};
}

// One full-batch gradient-descent step on mean cross-entropy + (l2/2)*|w|^2 (bias unpenalised).
void gd_step(Model &m, const Dataset &d, size_t n_train, double lr, double l2) {
    Vec gw{};
    double gb = 0;
    for (size_t i = 0; i < n_train; ++i) {
        double err = 1.0 / (1.0 + std::exp(-m.logit(d.x[i]))) - d.y[i];
        for (size_t j = 0; j < kFeatures; ++j) gw[j] += err * d.x[i][j];
        gb += err;
    }
    double n = static_cast<double>(n_train);
    for (size_t j = 0; j < kFeatures; ++j) m.w[j] -= lr * (gw[j] / n + l2 * m.w[j]);
    m.b -= lr * gb / n;
}

// Shortest text that reads back as exactly the same double (e.g. 0.1, not 0.10000000000000001).
std::string shortest(double v) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
std::string full(double v) {  // %.17g: full precision for metric values
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// The dataset as CSV with a header, shortest round-trip numbers.
bool write_dataset(const Dataset &d, const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    std::fputs("x0,x1,x2,x3,y\n", f);
    for (size_t i = 0; i < d.y.size(); ++i)
        std::fprintf(f, "%s,%s,%s,%s,%d\n", shortest(d.x[i][0]).c_str(), shortest(d.x[i][1]).c_str(),
                     shortest(d.x[i][2]).c_str(), shortest(d.x[i][3]).c_str(), d.y[i] > 0.5 ? 1 : 0);
    return std::fclose(f) == 0;
}

// Reads what write_dataset writes; exits 2 naming the line on anything else.
Dataset read_dataset(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "r");
    if (!f) usage_error("cannot read --data '" + path + "': " + std::strerror(errno));
    Dataset d;
    char buf[4096];
    size_t line = 0;
    while (std::fgets(buf, sizeof buf, f)) {
        ++line;
        std::string l(buf);
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
        if (line == 1) {
            if (l != "x0,x1,x2,x3,y") usage_error(path + ":1: expected the header x0,x1,x2,x3,y");
            continue;
        }
        if (l.empty()) continue;
        Vec x{};
        double y = 0;
        size_t start = 0;
        for (size_t j = 0; j <= kFeatures; ++j) {
            size_t comma = l.find(',', start);
            std::string cell = l.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            double v = 0;
            auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
            if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() ||
                (comma == std::string::npos) != (j == kFeatures))
                usage_error(path + ":" + std::to_string(line) + ": expected 5 numbers");
            (j < kFeatures ? x[j] : y) = v;
            start = comma + 1;
        }
        d.x.push_back(x);
        d.y.push_back(y > 0.5 ? 1.0 : 0.0);
    }
    std::fclose(f);
    if (d.y.size() < 10) usage_error("--data '" + path + "' has fewer than 10 rows");
    return d;
}

bool save_model(const Model &m, const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    std::fprintf(f, "{\"type\": \"logistic_regression\", \"features\": [\"x0\", \"x1\", \"x2\", \"x3\"], "
                    "\"weights\": [%s, %s, %s, %s], \"bias\": %s}\n",
                 shortest(m.w[0]).c_str(), shortest(m.w[1]).c_str(), shortest(m.w[2]).c_str(), shortest(m.w[3]).c_str(),
                 shortest(m.b).c_str());
    return std::fclose(f) == 0;
}

// Runs `<mlt> args...` directly (no shell) and waits. Failure to log is only a warning.
void run_mlt(std::vector<std::string> args) {
    const char *exe = std::getenv("MLT_EXE");
    args.insert(args.begin(), (exe && *exe) ? exe : "mlt");
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::fflush(stdout);  // keep our output ordered before the child writes anything
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    // Send the child's stdout to our stderr so our stdout stays exactly the training log.
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    // We ignore SIGPIPE (see main); give the child the default disposition back.
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        std::fprintf(stderr, "warning: could not start %s: %s (continuing)\n", argv[0],
                     std::strerror(rc));
        return;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::fprintf(stderr, "warning: `%s %s %s` failed (%s %d); continuing\n", argv[0],
                     argv[1], argv[2], WIFEXITED(status) ? "exit" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

// The metrics fd from MLT_METRICS_FD, or -1 when unset or not an open descriptor.
int metrics_fd() {
    const char *s = std::getenv("MLT_METRICS_FD");
    if (!s || !*s) return -1;
    int fd = -1;
    auto [end, ec] = std::from_chars(s, s + std::strlen(s), fd);
    if (ec != std::errc() || *end != '\0' || fd < 0 || fcntl(fd, F_GETFD) == -1) {
        std::fprintf(stderr, "warning: MLT_METRICS_FD='%s' is not an open fd; using mlt log metric\n", s);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const std::string &s) {
    for (size_t off = 0; off < s.size();) {
        ssize_t n = write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    const Options opt = parse_args(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);  // a closed metrics pipe must give EPIPE, not kill training
    if (!opt.write_data.empty()) {
        if (!write_dataset(make_dataset(opt.seed, static_cast<size_t>(opt.samples)), opt.write_data)) {
            std::fprintf(stderr, "mlt-example-train: cannot write '%s': %s\n", opt.write_data.c_str(),
                         std::strerror(errno));
            return 1;
        }
        return 0;
    }

    const char *run_id = std::getenv("MLT_RUN_ID");
    const bool logging = run_id && *run_id;
    int fd = logging ? metrics_fd() : -1;
    if (logging)
        run_mlt({"log", "param", "epochs=" + std::to_string(opt.epochs), "lr=" + shortest(opt.lr),
                 "seed=" + std::to_string(opt.seed), "samples=" + std::to_string(opt.samples),
                 "l2=" + shortest(opt.l2)});

    // Deterministic 80/20 split: the samples are i.i.d., so the first 80% train, the rest validate.
    const Dataset data =
        opt.data.empty() ? make_dataset(opt.seed, static_cast<size_t>(opt.samples)) : read_dataset(opt.data);
    const size_t n = data.y.size(), n_train = n * 4 / 5;

    Model model;
    Eval tr{}, va{};
    for (long e = 1; e <= opt.epochs; ++e) {
        gd_step(model, data, n_train, opt.lr, opt.l2);
        tr = evaluate(model, data, 0, n_train);  // train_loss: cross-entropy, without the L2 term
        va = evaluate(model, data, n_train, n);
        std::printf("epoch %ld/%ld  train_loss=%.4f val_loss=%.4f val_accuracy=%.4f\n", e,
                    opt.epochs, tr.loss, va.loss, va.accuracy);
        if (!logging) continue;
        std::string kv = "train_loss=" + full(tr.loss) + " val_loss=" + full(va.loss) +
                         " val_accuracy=" + full(va.accuracy);
        if (fd >= 0 && !write_all(fd, kv + " step=" + std::to_string(e) + "\n")) {
            std::fprintf(stderr, "warning: writing to MLT_METRICS_FD failed: %s; using mlt log metric\n",
                         std::strerror(errno));
            fd = -1;
        }
        if (fd < 0)
            run_mlt({"log", "metric", "--step", std::to_string(e), "train_loss=" + full(tr.loss),
                     "val_loss=" + full(va.loss), "val_accuracy=" + full(va.accuracy)});
    }
    std::printf("done: %ld epochs on %zu train / %zu val samples  train_loss=%.4f val_loss=%.4f "
                "val_accuracy=%.4f\n", opt.epochs, n_train, n - n_train, tr.loss, va.loss, va.accuracy);
    if (!opt.save.empty()) {
        if (!save_model(model, opt.save)) {
            std::fprintf(stderr, "mlt-example-train: cannot write '%s': %s\n", opt.save.c_str(), std::strerror(errno));
            return 1;
        }
        if (logging) run_mlt({"model", "save", opt.save, "--flavor", "generic", "-n", "model"});
    }
    return 0;
}
