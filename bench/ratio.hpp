#pragma once
// Shared by the tfx benchmarks: run the registered Google Benchmark cases, then print, for each
// declared pair, tfx against its peer measured in the same run, the ratio and whether the target
// is met. A bench file declares its pairs at namespace scope and its main is two lines:
//
//   static const int pairs = tfx_bench::compare("sgemm 512 vs OpenBLAS", "tfx_sgemm/512",
//                                               "openblas_sgemm/512", 0.9, tfx_bench::higher_is_better);
//   int main(int argc, char** argv) { return tfx_bench::run_and_report(argc, argv); }
//
// The metric is a user counter (e.g. "GFLOPS", "bytes_per_second") or, when none is named, the
// run's only counter if it has exactly one, else its real time per iteration in seconds. The
// ratio is always tfx / peer of that metric; the target is met when the ratio is >= target
// (higher_is_better: a rate) or <= target (lower_is_better: a time). With repetitions the median
// of the repetitions is used. A pair whose tfx case or peer did not run (peer not installed,
// filtered out, failed) is listed as skipped, never guessed. tfx_bench::show(...) declares a pair
// without a target: its ratio is printed for information.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tfx_bench {

enum class direction { higher_is_better, lower_is_better };
inline constexpr direction higher_is_better = direction::higher_is_better;
inline constexpr direction lower_is_better = direction::lower_is_better;

struct comparison {
    std::string label;
    std::string tfx;
    std::string peer;
    double target;
    direction better;
    std::string metric;
};

namespace detail {

inline std::vector<comparison>& comparisons() {
    static std::vector<comparison> list;
    return list;
}

// Per benchmark (function name plus arguments, without the repeats:/min_time:/... decorations):
// the metric values seen, one per repetition.
struct samples {
    std::vector<double> real_time;  // seconds per iteration
    std::map<std::string, std::vector<double>> counters;
    std::map<std::string, double> median_aggregate;  // from --benchmark_report_aggregates_only runs
    double median_time_aggregate = -1;
};

inline std::string key_of(const benchmark::BenchmarkReporter::Run& run) {
    const auto& n = run.run_name;
    return n.args.empty() ? n.function_name : n.function_name + "/" + n.args;
}

class recording_reporter : public benchmark::ConsoleReporter {
public:
    recording_reporter() : benchmark::ConsoleReporter(OO_Tabular) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& run : runs) {
            if (run.error_occurred) continue;
            auto& s = results[key_of(run)];
            const double seconds =
                run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
            if (run.run_type == Run::RT_Iteration) {
                s.real_time.push_back(seconds);
                for (const auto& [name, c] : run.counters) s.counters[name].push_back(c.value);
            } else if (run.aggregate_name == "median") {
                s.median_time_aggregate = seconds;
                for (const auto& [name, c] : run.counters) s.median_aggregate[name] = c.value;
            }
        }
        benchmark::ConsoleReporter::ReportRuns(runs);
    }

    std::map<std::string, samples> results;
};

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The metric of one benchmark and its unit (a counter name; empty for seconds), or false when it
// did not run or lacks the metric.
inline bool value_of(const recording_reporter& rep, const std::string& key, const std::string& metric,
                     double& value, std::string& unit) {
    const auto it = rep.results.find(key);
    if (it == rep.results.end()) return false;
    const samples& s = it->second;
    std::string name = metric;
    if (name.empty()) {
        const std::size_t counters = std::max(s.counters.size(), s.median_aggregate.size());
        if (counters == 1) name = s.counters.empty() ? s.median_aggregate.begin()->first : s.counters.begin()->first;
    }
    if (name.empty()) {
        unit.clear();
        if (!s.real_time.empty()) value = median(s.real_time);
        else if (s.median_time_aggregate >= 0) value = s.median_time_aggregate;
        else return false;
        return true;
    }
    unit = name;
    if (const auto c = s.counters.find(name); c != s.counters.end() && !c->second.empty()) {
        value = median(c->second);
        return true;
    }
    if (const auto c = s.median_aggregate.find(name); c != s.median_aggregate.end()) {
        value = c->second;
        return true;
    }
    return false;
}

inline std::string format_value(double v, const std::string& unit) {
    char buf[64];
    if (unit.empty()) {
        const char* units[] = {"s", "ms", "us", "ns"};
        int u = 0;
        while (u < 3 && std::fabs(v) < 1.0) {
            v *= 1e3;
            ++u;
        }
        std::snprintf(buf, sizeof buf, "%.3g %s", v, units[u]);
    } else {
        std::snprintf(buf, sizeof buf, "%.4g %s", v, unit.c_str());
    }
    return buf;
}

inline void print_table(const recording_reporter& rep) {
    const auto& list = comparisons();
    if (list.empty()) return;
    std::size_t w = 4;
    for (const auto& c : list) w = std::max(w, c.label.size());
    const int wi = int(w);
    std::printf("\n%-*s | %-16s | %-16s | %-7s | %-8s | %s\n", wi, "case", "tfx", "peer", "ratio",
                "target", "met?");
    std::printf("%s\n", std::string(w + 70, '-').c_str());
    int met = 0, missed = 0, skipped = 0;
    for (const auto& c : list) {
        double t = 0, p = 0;
        std::string ut, up;
        const bool have_tfx = value_of(rep, c.tfx, c.metric, t, ut);
        const bool have_peer = value_of(rep, c.peer, c.metric, p, up);
        const char* cmp = c.better == higher_is_better ? ">=" : "<=";
        if (!have_tfx || !have_peer || p == 0 || ut != up) {
            ++skipped;
            char target[32] = "-";
            if (!std::isnan(c.target)) std::snprintf(target, sizeof target, "%s %.3g", cmp, c.target);
            std::printf("%-*s | %-16s | %-16s | %-7s | %-8s | skipped (%s did not run)\n", wi,
                        c.label.c_str(), have_tfx ? format_value(t, ut).c_str() : "-",
                        have_peer ? format_value(p, up).c_str() : "-", "-", target,
                        !have_tfx ? c.tfx.c_str() : c.peer.c_str());
            continue;
        }
        const double ratio = t / p;
        if (std::isnan(c.target)) {
            std::printf("%-*s | %-16s | %-16s | %-7.3f | %-8s | info\n", wi, c.label.c_str(),
                        format_value(t, ut).c_str(), format_value(p, up).c_str(), ratio, "-");
            continue;
        }
        const bool ok = c.better == higher_is_better ? ratio >= c.target : ratio <= c.target;
        ok ? ++met : ++missed;
        std::printf("%-*s | %-16s | %-16s | %-7.3f | %s %-5.3g | %s\n", wi, c.label.c_str(),
                    format_value(t, ut).c_str(), format_value(p, up).c_str(), ratio, cmp, c.target,
                    ok ? "yes" : "NO");
    }
    std::printf("\n%d met, %d missed, %d skipped (ratio = tfx / peer)\n", met, missed, skipped);
}

}  // namespace detail

// Declares a pair to report. Returns the number of pairs so far, so that it can initialise a
// namespace-scope constant.
inline int compare(std::string label, std::string tfx, std::string peer, double target,
                   direction better, std::string metric = {}) {
    auto& list = detail::comparisons();
    list.push_back({std::move(label), std::move(tfx), std::move(peer), target, better, std::move(metric)});
    return int(list.size());
}

// Declares a pair reported for information only (no target).
inline int show(std::string label, std::string tfx, std::string peer, direction better,
                std::string metric = {}) {
    return compare(std::move(label), std::move(tfx), std::move(peer), std::nan(""), better,
                   std::move(metric));
}

// Runs the benchmarks selected on the command line (the usual --benchmark_* flags apply), then
// prints the comparison table.
inline int run_and_report(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    detail::recording_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    detail::print_table(reporter);
    benchmark::Shutdown();
    return 0;
}

}  // namespace tfx_bench
