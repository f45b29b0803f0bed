#include <cstdio>
#include <string>

#include "adapters/sync/revision_cache.hpp"
#include "tests/bench/bench_util.hpp"

/// Loading a revision for the sync (YAML files → objects ready to apply):
/// a full load against the revision cache's load after one file changed,
/// at 1,000 and 10,000 files. Not part of scripts/bench's table (the push
/// → applied latency there includes it); run by hand, under the bench lock.
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

void measure(int n, int rounds) {
  manifests::file_map files;
  files["00-namespace.yaml"] =
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n";
  for (int i = 0; i < n; ++i)
    files["r" + std::to_string(i) + ".yaml"] = resource(i);
  manifests::load_options opts;
  const std::string set = "bench-set";

  std::vector<double> full, cold, one, none;
  std::size_t objects = 0;
  for (int r = 0; r < rounds; ++r) {
    full.push_back(time_s([&] { sync::prepare_all(files, opts, set); }));
    sync::revision_cache cache(set);
    cold.push_back(time_s([&] { cache.prepare(files, opts); }));
    none.push_back(time_s([&] { cache.prepare(files, opts); }));
    files["r7.yaml"] = resource(7, "1." + std::to_string(r + 1));
    sync::prepared p;
    one.push_back(time_s([&] { p = cache.prepare(files, opts); }));
    objects = p.resources.size();
    if (r + 1 == rounds)
      std::printf("cache: %zu files, ~%.1f MB held, %zu parsed, %zu reused\n",
                  cache.stats().files, cache.stats().bytes / 1e6,
                  cache.stats().parsed, cache.stats().reused);
  }
  std::printf("%6d files (%zu objects): full load %s | cache cold %s | "
              "one file changed %s | nothing changed %s\n",
              n, objects, fmt(median(full), "s").c_str(),
              fmt(median(cold), "s").c_str(), fmt(median(one), "s").c_str(),
              fmt(median(none), "s").c_str());
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  auto size = size_from(argc, argv);
  measure(pick(size, 50, 1000, 1000), pick(size, 1, 3, 5));
  if (size != bench_size::smoke)
    measure(pick(size, 0, 10000, 10000), pick(size, 1, 1, 3));
  return 0;
}
