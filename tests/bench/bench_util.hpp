#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

#include "tests/support/process.hpp"

/// Shared helpers for the benchmark programs: sizes from the command line,
/// a stopwatch, and one result line per figure that scripts/bench collects.
namespace fluxd::bench {

/// --smoke (ctest: tiny, seconds), --quick (scripts/bench --quick), or full.
enum class bench_size { smoke, quick, full };

inline bench_size size_from(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0)
      return bench_size::smoke;
    if (std::strcmp(argv[i], "--quick") == 0)
      return bench_size::quick;
  }
  return bench_size::full;
}

template <class T>
T pick(bench_size s, T smoke, T quick, T full) {
  return s == bench_size::smoke ? smoke : s == bench_size::quick ? quick : full;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
    .count();
}

/// Times `f` once, in seconds.
template <class F>
double time_s(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return seconds_since(t0);
}

inline double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// One row of the table. `fluxd` and `comparison` are already formatted
/// with their unit ("1.23 s"); `ratio` < 0 means none; `met` is "yes",
/// "no" or "n/a". Tab-separated so that scripts/bench can split it.
struct row {
  std::string scenario;
  std::string fluxd;
  std::string comparison;
  double ratio = -1;
  std::string target;
  std::string met;
  std::string note;
};

inline void emit(const row& r) {
  char ratio[32] = "-";
  if (r.ratio >= 0)
    std::snprintf(ratio, sizeof ratio, "%.2f", r.ratio);
  std::printf("BENCH\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.scenario.c_str(),
              r.fluxd.c_str(), r.comparison.c_str(), ratio, r.target.c_str(),
              r.met.c_str(), r.note.c_str());
  std::fflush(stdout);
}

inline std::string fmt(double v, const char* unit, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s", decimals, v, unit);
  return buf;
}

inline std::string met(bool ok) { return ok ? "yes" : "no"; }

/// utime + stime of a process, in seconds (/proc/<pid>/stat).
inline double process_cpu(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  std::istringstream fields{stat.substr(stat.rfind(')') + 2)};
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i)
    if (i == 14 || i == 15)
      ticks += std::stod(field);
  return ticks / double(sysconf(_SC_CLK_TCK));
}

/// One kB field of /proc/<pid>/status ("VmHWM", "VmRSS"); -1 if absent.
inline long process_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return -1;
}

inline long process_peak_rss_kb(pid_t pid) {
  return process_status_kb(pid, "VmHWM");
}

/// `perf record` of `pid` into `out` until perf_stop; the options are
/// FLUXD_BENCH_PERF_ARGS, by default "-F 499 -g" (e.g. "-F 199
/// --call-graph dwarf" for stacks through code without frame pointers).
/// perf -p follows only the threads that exist when it attaches.
inline std::unique_ptr<test::child_process> perf_record(pid_t pid,
                                                        const std::string& out) {
  std::vector<std::string> argv = {"perf", "record", "-q"};
  const char* custom = std::getenv("FLUXD_BENCH_PERF_ARGS");
  std::istringstream args{custom ? custom : "-F 499 -g"};
  for (std::string a; args >> a;)
    argv.push_back(a);
  for (auto a : {std::string{"-p"}, std::to_string(pid), std::string{"-o"},
                 out})
    argv.push_back(a);
  return std::make_unique<test::child_process>(argv);
}

/// Stops a perf_record (perf writes its file on SIGINT); null is fine.
inline void perf_stop(std::unique_ptr<test::child_process>& perf) {
  if (!perf)
    return;
  perf->signal(SIGINT);
  perf->wait(std::chrono::seconds(60));
  perf.reset();
}

} // namespace fluxd::bench
