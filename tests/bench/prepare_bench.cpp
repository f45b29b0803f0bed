#include <cstdio>
#include <ctime>
#include <string>

#include <thread>

#include "adapters/manifests/loader.hpp"
#include "adapters/release/automation.hpp"
#include "adapters/sync/revision_cache.hpp"
#include "tests/bench/bench_util.hpp"

/// Loading a revision for the sync (YAML files → objects ready to apply):
/// a full load against the revision cache's load after one file changed,
/// at 1,000 and 10,000 files; and parse_file() alone over every file (the
/// per-file YAML cost that both the cache and automation pay); and a
/// fluxd start's first load, the sync's and the automation's at once: each
/// parsing every file on one thread (as before session 5), against one
/// cache shared by both that parses each file once on up to 4 threads
/// (CPU is the process's, both threads). Not part of
/// scripts/bench's table (the push → applied latency there includes it);
/// run by hand, under the bench lock.
using namespace fluxd;
using namespace fluxd::bench;

namespace {

/// The shapes of sync_bench's repository: ~70% workloads.
std::string resource(int i, const std::string& image_tag = "1.0") {
  auto n = std::to_string(i);
  auto meta = [&](const char* kind, const char* api, const char* prefix) {
    return std::string("apiVersion: ") + api + "\nkind: " + kind
           + "\nmetadata:\n  name: " + prefix + n + "\n  namespace: bench\n";
  };
  auto pod = [&](const char* app, const char* image) {
    return std::string("  selector:\n    matchLabels:\n      app: ") + app
           + n + "\n  template:\n    metadata:\n      labels:\n        app: "
           + app + n + "\n    spec:\n      containers:\n      - name: c\n"
           + "        image: registry.example.com/team/" + image + ":"
           + image_tag + "." + n + "\n";
  };
  switch (i % 10) {
  case 0: case 1: case 2: case 3: case 4:
    return meta("Deployment", "apps/v1", "web-") + "spec:\n  replicas: 1\n"
           + pod("web-", "web");
  case 5:
    return meta("StatefulSet", "apps/v1", "db-") + "spec:\n  serviceName: db-"
           + n + "\n  replicas: 1\n" + pod("db-", "db");
  case 6:
    return meta("DaemonSet", "apps/v1", "agent-") + "spec:\n"
           + pod("agent-", "agent");
  case 7:
    return meta("ConfigMap", "v1", "cfg-") + "data:\n  key: value-" + n + "\n";
  case 8:
    return meta("Service", "v1", "svc-") + "spec:\n  selector:\n    app: web-"
           + n + "\n  ports:\n  - port: 80\n    targetPort: 8080\n";
  default:
    return meta("Secret", "v1", "sec-") + "type: Opaque\nstringData:\n"
           + "  token: t-" + n + "\n";
  }
}

void measure(int n, int rounds, bool parse_only) {
  manifests::file_map files;
  files["00-namespace.yaml"] =
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n";
  for (int i = 0; i < n; ++i)
    files["r" + std::to_string(i) + ".yaml"] = resource(i);
  manifests::load_options opts;
  const std::string set = "bench-set";

  std::vector<double> full, cold, cold1, one, one_auto, none, parse,
    parse_cpu;
  std::vector<double> both_old, both_old_cpu, both_new, both_new_cpu;
  std::size_t objects = 0;
  for (int r = 0; r < rounds; ++r) {
    std::size_t parsed = 0;
    auto cpu0 = std::clock();
    parse.push_back(time_s([&] {
      for (const auto& [path, text] : files)
        parsed += manifests::parse_file(path, text, opts.lim).objects.size();
    }));
    parse_cpu.push_back(double(std::clock() - cpu0) / CLOCKS_PER_SEC);
    if (parsed != files.size())
      std::printf("parse_file: %zu objects from %zu files\n", parsed,
                  files.size());
    if (parse_only)
      continue;
    full.push_back(time_s([&] { sync::prepare_all(files, opts, set); }));
    {
      sync::revision_cache one_thread(set, 1);
      cold1.push_back(time_s([&] { one_thread.prepare(files, opts); }));
    }
    auto at_once = [&](auto&& sync_load, auto&& automation_load,
                       std::vector<double>& wall, std::vector<double>& cpu) {
      auto c0 = std::clock();
      wall.push_back(time_s([&] {
        std::thread automation(automation_load);
        sync_load();
        automation.join();
      }));
      cpu.push_back(double(std::clock() - c0) / CLOCKS_PER_SEC);
    };
    // As fluxd's sync loads: scopes known (discovery), so forms are made
    // while each tree lives.
    auto scoped = opts;
    scoped.scope = manifests::default_scope;
    {
      sync::revision_cache mine(set, 1);
      at_once([&] { mine.prepare(files, scoped); },
              [&] { release::summarize(files, opts); }, both_old,
              both_old_cpu);
    }
    {
      sync::revision_cache shared(set);
      shared.premake_for(opts.default_namespace);
      at_once([&] { shared.prepare(files, scoped); },
              [&] { release::summarize(shared, files, opts); }, both_new,
              both_new_cpu);
    }
    sync::revision_cache cache(set);
    cold.push_back(time_s([&] { cache.prepare(files, opts); }));
    none.push_back(time_s([&] { cache.prepare(files, opts); }));
    files["r7.yaml"] = resource(7, "1." + std::to_string(r + 1));
    sync::prepared p;
    one.push_back(time_s([&] { p = cache.prepare(files, opts); }));
    // The automation reads the same revision after the sync: no parse.
    one_auto.push_back(
      time_s([&] { release::summarize(cache, files, opts); }));
    objects = p.resources.size();
    if (r + 1 == rounds)
      std::printf("cache: %zu files, ~%.1f MB held, %zu parsed, %zu reused\n",
                  cache.stats().files, cache.stats().bytes / 1e6,
                  cache.stats().parsed, cache.stats().reused);
  }
  if (parse_only) {
    std::printf("%6d files: parse_file each %s (CPU %s)\n", n,
                fmt(median(parse), "s").c_str(),
                fmt(median(parse_cpu), "s").c_str());
    return;
  }
  std::printf("%6d files (%zu objects): parse_file each %s (CPU %s) | "
              "full load %s | cache cold %s (1 thread %s) | one file "
              "changed %s (then the automation %s) | nothing changed %s\n",
              n, objects, fmt(median(parse), "s").c_str(),
              fmt(median(parse_cpu), "s").c_str(),
              fmt(median(full), "s").c_str(), fmt(median(cold), "s").c_str(),
              fmt(median(cold1), "s").c_str(), fmt(median(one), "s").c_str(),
              fmt(median(one_auto), "s").c_str(),
              fmt(median(none), "s").c_str());
  std::printf("%6d files, sync and automation at once: each parsing %s "
              "(CPU %s) | one shared cache %s (CPU %s)\n",
              n, fmt(median(both_old), "s").c_str(),
              fmt(median(both_old_cpu), "s").c_str(),
              fmt(median(both_new), "s").c_str(),
              fmt(median(both_new_cpu), "s").c_str());
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  auto size = size_from(argc, argv);
  // --parse: only parse_file() over 10,000 files (seconds; for profiling).
  bool parse_only = false;
  for (int i = 1; i < argc; ++i)
    parse_only = parse_only || std::string(argv[i]) == "--parse";
  if (parse_only) {
    measure(10000, 3, true);
    return 0;
  }
  measure(pick(size, 50, 1000, 1000), pick(size, 1, 3, 5), false);
  if (size != bench_size::smoke)
    measure(pick(size, 0, 10000, 10000), pick(size, 1, 1, 3), false);
  return 0;
}
