#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/registry/metadata_cache.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/bench/registry_fill.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/registry/local_registry.hpp"
#include "tests/support/registry/proxy.hpp"
#include "tests/support/temp_dir.hpp"

/// Scenario 6, image half: the fluxd binary holding N resources (70%
/// automated workloads) whose images come from R repositories x T tags in
/// Debian's docker-registry behind the counting proxy. fluxd's VmHWM and
/// VmRSS once every repository's tags (and, for the time-ordered ones,
/// every tag's metadata) are in its on-disk cache, against a second run
/// with the same workloads and no registry reachable; idle CPU after the
/// scan; the registry requests made.
using namespace fluxd;
using namespace fluxd::bench;
using namespace std::chrono_literals;

namespace {

struct shape {
  int repos;
  int tags;
  int resources;
  int time_every; ///< every n-th repository orders by time (glob filter)
};

/// The labels a CI pipeline (docker/metadata-action) puts on an image.
std::map<std::string, std::string> image_labels() {
  return {{"maintainer", "Platform Team <platform@example.com>"},
          {"org.opencontainers.image.created", "2024-01-01T10:00:00Z"},
          {"org.opencontainers.image.description",
           "The bench application, built from the main branch"},
          {"org.opencontainers.image.licenses", "Apache-2.0"},
          {"org.opencontainers.image.revision",
           "0123456789abcdef0123456789abcdef01234567"},
          {"org.opencontainers.image.source",
           "https://git.example.com/platform/bench-app"},
          {"org.opencontainers.image.title", "bench-app"},
          {"org.opencontainers.image.url",
           "https://git.example.com/platform/bench-app"},
          {"org.opencontainers.image.version", "1.0.0"}};
}

bool time_ordered(const shape& s, int repo) { return repo % s.time_every == 0; }

/// The tag each workload runs: the one its filter picks as newest, so
/// automation finds nothing to commit (the same manifest under every tag
/// gives one creation time; ties go to the smallest reference).
std::string current_tag(const shape& s, int repo) {
  return time_ordered(s, repo) ? tag_name(0) : tag_name(s.tags - 1);
}

std::string workload(const std::string& kind, const std::string& name,
                     const std::string& image, const std::string& filter) {
  std::string extra = kind == "StatefulSet"
                        ? "  serviceName: " + name + "\n  replicas: 1\n"
                        : kind == "Deployment" ? "  replicas: 1\n" : "";
  return "apiVersion: apps/v1\nkind: " + kind + "\nmetadata:\n  name: " + name
         + "\n  namespace: bench\n  annotations:\n"
           "    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.app: "
         + filter + "\nspec:\n" + extra + "  selector:\n    matchLabels:\n"
         + "      app: " + name + "\n  template:\n    metadata:\n"
         + "      labels:\n        app: " + name + "\n    spec:\n"
         + "      containers:\n      - name: app\n        image: " + image
         + "\n";
}

/// ~70% workloads spread round-robin over the repositories, the rest
/// ConfigMaps, Services and Secrets; one file each.
void write_resources(const std::string& dir, const shape& s,
                     const std::string& host) {
  test::write_file(dir + "/00-namespace.yaml",
                   "apiVersion: v1\nkind: Namespace\nmetadata:\n"
                   "  name: bench\n");
  int w = 0;
  for (int i = 0; i < s.resources; ++i) {
    auto n = std::to_string(i);
    std::string yaml;
    int k = i % 10;
    if (k < 7) {
      int repo = w++ % s.repos;
      auto image = host + "/" + repo_name(repo) + ":" + current_tag(s, repo);
      auto filter = time_ordered(s, repo) ? "glob:1.*" : "semver:~1";
      auto kind = k < 5 ? "Deployment" : k == 5 ? "StatefulSet" : "DaemonSet";
      yaml = workload(kind, "w-" + n, image, filter);
    } else if (k == 7) {
      yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-" + n
             + "\n  namespace: bench\ndata:\n  key: value-" + n + "\n";
    } else if (k == 8) {
      yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-" + n
             + "\n  namespace: bench\nspec:\n  selector:\n    app: w-" + n
             + "\n  ports:\n  - port: 80\n    targetPort: 8080\n";
    } else {
      yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec-" + n
             + "\n  namespace: bench\ntype: Opaque\nstringData:\n  token: t-"
             + n + "\n";
    }
    test::write_file(dir + "/r" + n + ".yaml", yaml);
  }
}

std::string bare_of(const test::temp_dir& root, const std::string& dir) {
  namespace gitfx = test::gitfx;
  gitfx::git({"init", "-q", "-b", "master", dir});
  gitfx::git({"add", "-A"}, dir);
  gitfx::git({"commit", "-q", "-m", "resources"}, dir);
  auto bare = root.file("bare.git");
  gitfx::git({"clone", "-q", "--bare", dir, bare});
  return bare;
}

void wait_synced(test::child_process& p, std::chrono::seconds timeout) {
  if (!p.wait_for_output("msg=\"sync finished\"", timeout)) {
    auto log = p.stderr_text();
    throw std::runtime_error("fluxd did not sync; log tail: "
                             + log.substr(log.size() > 3000 ? log.size() - 3000
                                                            : 0));
  }
}

/// How far the on-disk metadata cache (written when a repository's scan
/// ends, the same moment its snapshot goes to automation) has got.
struct cache_watch {
  const shape& s;
  std::string state_dir;
  std::string host;
  std::set<int> pending;

  cache_watch(const shape& sh, std::string state, std::string h)
    : s(sh), state_dir(std::move(state)), host(std::move(h)) {
    for (int r = 0; r < s.repos; ++r)
      pending.insert(r);
  }

  /// Drops the repositories that are complete: every tag listed and, for
  /// time-ordered ones, every tag's metadata.
  size_t poll() {
    registry::metadata_cache disk{state_dir};
    for (auto it = pending.begin(); it != pending.end();) {
      std::optional<registry::repository_record> rec;
      try {
        rec = disk.load(host + "/" + repo_name(*it));
      } catch (const std::exception&) {
        // being replaced right now
      }
      bool done = false;
      if (rec)
        done = rec->tags.size() == size_t(s.tags)
               && (!time_ordered(s, *it)
                   || rec->images.size() == size_t(s.tags));
      it = done ? pending.erase(it) : std::next(it);
    }
    return pending.size();
  }
};

struct run_figures {
  double scan_s = 0; ///< fluxd start -> every repository complete
  long hwm_kb = 0;
  long rss_kb = 0;
  double idle_cpu = 0;
  int requests = 0;
  std::string available; ///< list-images check, reachable run only
  double list_s = 0;
  long hwm_after_list_kb = 0;
};

/// `Available` counts of one workload's containers from list-images, or
/// what went wrong.
std::string available_of(int port, const std::string& id) {
  httplib::Client http{"127.0.0.1", port};
  http.set_read_timeout(300, 0);
  auto res = http.Get("/api/flux/v6/images?service=" + id);
  if (!res)
    return "no answer";
  if (res->status != 200)
    return "HTTP " + std::to_string(res->status) + " "
           + res->body.substr(0, 200);
  auto v = boost::json::parse(res->body);
  std::string out;
  for (auto& row : v.as_array())
    for (auto& c : row.at("Containers").as_array()) {
      auto& a = c.as_object();
      auto it = a.find("Available");
      out += std::to_string(it == a.end() || !it->value().is_array()
                              ? 0 : it->value().as_array().size());
    }
  return out;
}

/// FLUXD_BENCH_FLUXD=<path>: another fluxd binary (before/after a change).
std::string fluxd_binary() {
  const char* path = std::getenv("FLUXD_BENCH_FLUXD");
  return path ? path : test::bin_path("fluxd");
}

/// FLUXD_BENCH_WRAP="heaptrack -o /tmp/h": a profiler in front of fluxd
/// (its figures then are the wrapper's process, not fluxd's).
std::vector<std::string> wrapped(std::vector<std::string> argv) {
  const char* wrap = std::getenv("FLUXD_BENCH_WRAP");
  if (!wrap)
    return argv;
  std::vector<std::string> out;
  std::istringstream in{wrap};
  for (std::string w; in >> w;)
    out.push_back(w);
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

/// FLUXD_BENCH_PERF=<file>: `perf record` of fluxd from the end of the
/// scan through the idle window; null otherwise.
std::unique_ptr<test::child_process> perf_attach(pid_t pid) {
  const char* out = std::getenv("FLUXD_BENCH_PERF");
  return out ? perf_record(pid, out) : nullptr;
}

run_figures run_fluxd(const test::temp_dir& root, const std::string& bare,
                      const shape& s, const std::string& reg_host,
                      test::registry_proxy* proxy, bench_size size) {
  bool reachable = proxy != nullptr;
  test::kube_emulator::options ko;
  ko.rollout_delay = "0s";
  test::kube_emulator emu{
    root.file(reachable ? "kubeconfig-reg" : "kubeconfig-none"), ko};
  test::temp_dir home{"fluxd-bench-home"};
  test::child_process::options o;
  o.env["HOME"] = home.path();
  o.env["KUBECONFIG"] = emu.kubeconfig();
  auto t0 = std::chrono::steady_clock::now();
  test::child_process p{
    wrapped({fluxd_binary(), "--listen=127.0.0.1:0",
     "--state-dir=" + home.file("state"), "--git-url=file://" + bare,
     "--git-branch=master", "--k8s-qps=1000", "--k8s-burst=2000",
     "--sync-interval=1h", "--git-poll-interval=1h",
     "--automation-interval=1h", "--registry-poll-interval=1h",
     "--registry-insecure-host=" + reg_host, "--registry-rps=100000",
     "--registry-burst=100000"}),
    o};
  int port = test::fluxd_api_port(p, std::chrono::seconds(60));
  if (port == 0)
    throw std::runtime_error("fluxd did not listen: "
                             + p.stderr_text().substr(0, 2000));
  wait_synced(p, 30min);
  if (reachable) {
    cache_watch cache{s, home.file("state"), reg_host};
    auto deadline = t0 + 60min;
    while (cache.poll() > 0) {
      if (std::chrono::steady_clock::now() > deadline || !p.running())
        throw std::runtime_error(std::to_string(cache.pending.size())
                                 + " repositories not scanned");
      std::this_thread::sleep_for(pick(size, 50ms, 500ms, 1000ms));
    }
  } else {
    // The host backs off after refused connections, so the repositories
    // never all "finish"; every image_repo is up once git is read.
    std::this_thread::sleep_for(pick(size, 2s, 5s, 10s));
  }
  run_figures f;
  f.scan_s = seconds_since(t0);
  // From the scan's end through the idle window: what outlives the scan.
  auto perf = reachable ? perf_attach(p.pid()) : nullptr;
  if (proxy) {
    // The cache says every repository is known; the proxy going quiet
    // says nothing more is being asked.
    for (int last = -1; last != proxy->total();) {
      last = proxy->total();
      std::this_thread::sleep_for(2s);
    }
    f.requests = proxy->total();
  }
  std::this_thread::sleep_for(500ms);
  double idle_s = pick(size, 1.0, 3.0, 10.0);
  double cpu0 = process_cpu(p.pid());
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
  f.idle_cpu = (process_cpu(p.pid()) - cpu0) / idle_s * 100;
  perf_stop(perf);
  f.hwm_kb = process_peak_rss_kb(p.pid());
  f.rss_kb = process_status_kb(p.pid(), "VmRSS");
  if (reachable) { // after the figures: list-images builds big answers
    f.list_s = time_s([&] {
      f.available = available_of(port, "bench:deployment/w-0") + " and "
                    + available_of(port, "bench:deployment/w-1");
    });
    f.hwm_after_list_kb = process_peak_rss_kb(p.pid());
  }
  // FLUXD_BENCH_HOLD=<s>: time to take a profiler's snapshot now.
  if (const char* hold = std::getenv("FLUXD_BENCH_HOLD")) {
    std::fprintf(stderr, "memory_bench: holding fluxd (pid %d) %s s\n",
                 int(p.pid()), hold);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(hold)));
  }
  if (p.stderr_text().find("queued automated release") != std::string::npos)
    throw std::runtime_error("automation queued a release: the workloads' "
                             "tags are not their filters' newest");
  p.stop();
  return f;
}

std::string mb(long kb) { return fmt(kb / 1024.0, "MB", 1); }

} // namespace

int main(int argc, char** argv) try {
  auto size = size_from(argc, argv);
  shape s = pick(size, shape{3, 5, 20, 3}, shape{100, 20, 1000, 10},
                 shape{1000, 100, 10000, 10});
  // FLUXD_BENCH_MEMORY_SHAPE="repos tags resources time_every" (profiling).
  if (const char* env = std::getenv("FLUXD_BENCH_MEMORY_SHAPE")) {
    std::istringstream in{env};
    in >> s.repos >> s.tags >> s.resources >> s.time_every;
  }
  auto dims = std::to_string(s.repos) + "x" + std::to_string(s.tags);
  auto what = std::to_string(s.resources) + " resources ("
              + std::to_string(s.resources * 7 / 10) + " automated workloads)";

  test::local_registry reg;
  double put_s = 0;
  int put_repos = std::min(s.repos, 10);
  double fill_s = time_s(
    [&] { put_s = fill_registry_linked(reg, s.repos, s.tags, put_repos,
                                       image_labels()); });
  double put_rate = put_repos * s.tags / put_s;
  emit({"registry fill " + dims, fmt(fill_s, "s", 1), "-", -1, "-", "n/a",
        "docker-registry on loopback: " + std::to_string(put_repos)
          + " repositories by skopeo push, blob mounts and manifest PUTs ("
          + fmt(put_rate, "PUT/s", 0) + ", so "
          + fmt(s.repos * s.tags / put_rate / 60, "min", 1)
          + " for all by PUT); the others are symlinks to bench/app0's "
            "storage directory"});

  auto proxy = std::make_unique<test::registry_proxy>(reg.url());
  auto host = proxy->host();
  test::temp_dir root{"fluxd-bench-memory"};
  auto dir = root.file("repo");
  write_resources(dir, s, host);
  auto bare = bare_of(root, dir);
  int timed = (s.repos + s.time_every - 1) / s.time_every;

  auto with = run_fluxd(root, bare, s, host, proxy.get(), size);
  int minimum = s.repos + 1 + 2 * timed * s.tags;
  emit({"image scan in fluxd " + dims, fmt(with.scan_s, "s", 1), "-", -1,
        "-", "n/a",
        std::to_string(timed) + " repositories time-ordered (glob, metadata "
          "per tag), the rest semver; from process start (incl. the sync of "
          + what + ") to every repository complete in the metadata cache"});
  emit({"registry requests, fluxd " + dims, std::to_string(with.requests),
        std::to_string(minimum) + " (minimum)", double(with.requests) / minimum,
        "1.0", met(with.requests <= minimum),
        "tags lists + ping + manifest and config per time-ordered tag"});
  emit({"idle CPU, fluxd with image repositories", fmt(with.idle_cpu, "%", 2),
        "-", -1, "~0 %", met(with.idle_cpu < 1.0),
        what + ", " + dims + "; over " + fmt(pick(size, 1.0, 3.0, 10.0), "s", 0)
          + " after the scan went quiet"});

  proxy.reset(); // nothing listens there any more
  auto without = run_fluxd(root, bare, s, host, nullptr, size);
  emit({"peak RSS, fluxd with " + dims + " image repositories",
        mb(with.hwm_kb), mb(without.hwm_kb) + " (no registry reachable)",
        double(with.hwm_kb) / without.hwm_kb, "<= 150 MB",
        met(with.hwm_kb <= 150 * 1024),
        "VmHWM; " + what + "; difference "
          + mb(with.hwm_kb - without.hwm_kb)});
  emit({"RSS after the scan, fluxd with " + dims + " image repositories",
        mb(with.rss_kb), mb(without.rss_kb) + " (no registry reachable)",
        double(with.rss_kb) / without.rss_kb, "-", "n/a",
        "VmRSS; difference " + mb(with.rss_kb - without.rss_kb) + " = "
          + fmt((with.rss_kb - without.rss_kb) * 1024.0 / (s.repos * s.tags),
                "B/tag", 0)});
  emit({"list-images of 2 workloads, fluxd with " + dims,
        fmt(with.list_s, "s", 2), "-", -1, "-", "n/a",
        "Available tags of w-0, w-1: " + with.available + "; VmHWM after: "
          + mb(with.hwm_after_list_kb)});
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "memory_bench: %s\n", e.what());
  return 1;
}
