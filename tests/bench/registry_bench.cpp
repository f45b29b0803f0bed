#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <httplib.h>
#include <sys/resource.h>

#include "caf/all.hpp"

#include "actors/registry_scanner.hpp"
#include "adapters/registry/metadata_cache.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/bench/registry_fill.hpp"
#include "tests/support/process.hpp"
#include "tests/support/registry/local_registry.hpp"
#include "tests/support/registry/proxy.hpp"
#include "tests/support/temp_dir.hpp"

/// Scenarios 4 and 6 (registry part): fluxd's registry scanner against
/// Debian's docker-registry behind a counting proxy. Requests made vs the
/// minimum the policies need, throughput vs `hey` on the same proxy at the
/// same concurrency, a warm restart, and this process's peak RSS / idle CPU.
using namespace fluxd;
using namespace fluxd::bench;
using namespace std::chrono_literals;

namespace {

/// Counts the repositories whose snapshots are complete.
struct progress {
  std::mutex mtx;
  std::set<std::string> done;
  bool want_images = false;
  size_t tags = 0;
  size_t count() {
    std::lock_guard<std::mutex> g{mtx};
    return done.size();
  }
};

repo_listener_actor::behavior_type
listener(repo_listener_actor::pointer, std::shared_ptr<progress> p) {
  return {[=](const repo_snapshot& s) {
    bool complete = s.tags.size() == p->tags
                    && (!p->want_images || s.images.size() == p->tags);
    if (complete) {
      std::lock_guard<std::mutex> g{p->mtx};
      p->done.insert(s.repository);
    }
  }};
}

registry_scanner_config scanner_settings(const std::string& state,
                                         const std::string& host) {
  registry_scanner_config sc;
  sc.state_dir = state;
  sc.plain_http_hosts = {host};
  // Throughput, not the rate limiter, is measured: no rps ceiling.
  sc.rps = 1e6;
  sc.burst = 1e6;
  sc.concurrency = 4;
  sc.poll_interval = std::chrono::hours(1);
  return sc;
}

/// Watches every repository and waits until all are complete; seconds.
double scan(caf::actor_system& sys, registry_scanner_actor scanner,
            const std::string& host, int repos, int tags, bool created) {
  auto p = std::make_shared<progress>();
  p->tags = size_t(tags);
  p->want_images = created;
  auto l = sys.spawn(listener, p);
  caf::scoped_actor self{sys};
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repos; ++r) {
    auto image = host + "/" + repo_name(r);
    self->request(scanner, 60s, watch_repo_atom_v, image, l, created)
      .receive(
        [&](const repo_snapshot& s) {
          bool complete = s.tags.size() == size_t(tags)
                          && (!created || s.images.size() == size_t(tags));
          if (complete) {
            std::lock_guard<std::mutex> g{p->mtx};
            p->done.insert(s.repository);
          }
        },
        [&](caf::error& e) {
          throw std::runtime_error("watch " + image + ": " + sys.render(e));
        });
  }
  auto deadline = t0 + std::chrono::minutes(30);
  while (p->count() < size_t(repos)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("scan did not complete in 30 minutes");
    std::this_thread::sleep_for(5ms);
  }
  double t = seconds_since(t0);
  caf::anon_send_exit(l, caf::exit_reason::user_shutdown);
  return t;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
         + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kb() {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

/// `hey` requests/s for `n` GETs of `url` at concurrency `c`.
double hey_rps(const std::string& url, int n, int c) {
  auto r = test::run({"hey", "-n", std::to_string(n), "-c", std::to_string(c),
                      "-H", std::string{"Accept: "} + oci_manifest, url},
                     std::chrono::minutes(10));
  std::smatch m;
  std::regex rps{"Requests/sec:\\s+([0-9.]+)"};
  if (r.status != 0 || !std::regex_search(r.out, m, rps))
    throw std::runtime_error("hey failed: " + r.err + r.out.substr(0, 500));
  return std::stod(m[1]);
}

void wait_for_cache(const std::string& state, const std::string& host,
                    int repos, int tags) {
  registry::metadata_cache disk{state};
  auto deadline = std::chrono::steady_clock::now() + 2min;
  for (int r = 0; r < repos; ++r)
    for (;;) {
      auto rec = disk.load(host + "/" + repo_name(r));
      if (rec && rec->images.size() == size_t(tags))
        break;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("metadata cache not written for "
                                 + repo_name(r));
      std::this_thread::sleep_for(20ms);
    }
}

} // namespace

int main(int argc, char** argv) try {
  auto size = size_from(argc, argv);
  int repos = pick(size, 3, 20, 200);
  int tags = pick(size, 5, 50, 100);
  auto shape = std::to_string(repos) + "x" + std::to_string(tags);
  log::set_sink([](std::string_view) {});

  test::local_registry reg;
  fill_registry(reg.host(), repos, tags);
  test::registry_proxy proxy{reg.url()};
  test::temp_dir state{"fluxd-bench-state"};
  auto host = proxy.host();
  long rss_before = peak_rss_kb();

  // Scheduled as in fluxd (main/fluxd.cpp): work sharing, as many workers
  // as cores. CAF's default work stealing polls while idle, so the idle
  // row would measure the scheduler rather than the registry actors.
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{cfg};

  // Semver/alphabetical: tags are enough.
  auto scanner = sys.spawn(registry_scanner, scanner_settings(state.path(),
                                                              host));
  double t_tags = scan(sys, scanner, host, repos, tags, false);
  int made = proxy.total();
  // One tags/list per repository (Distribution sends one page) and one
  // ping per host to learn its auth scheme.
  int minimum = repos + 1;
  emit({"registry requests, semver " + shape, std::to_string(made),
        std::to_string(minimum) + " (minimum)", double(made) / minimum,
        "1.0", met(made <= minimum),
        "tags " + std::to_string(proxy.count("tags")) + ", ping "
          + std::to_string(proxy.count("ping")) + "; "
          + fmt(t_tags, "s", 2)});

  // Time-ordered: one manifest + one config per tag.
  proxy.reset_counts();
  double t_meta = scan(sys, scanner, host, repos, tags, true);
  int manifests = proxy.count("manifest") + proxy.count("HEAD manifest");
  int blobs = proxy.count("blob");
  int meta_min = 2 * repos * tags;
  emit({"registry requests, time-ordered " + shape,
        std::to_string(manifests + blobs) + " manifest+config",
        std::to_string(meta_min) + " (minimum)",
        double(manifests + blobs) / meta_min, "1.0",
        met(manifests + blobs <= meta_min),
        "plus " + std::to_string(proxy.total() - manifests - blobs)
          + " other (tags/ping)"});
  double ours = proxy.total() / t_meta;
  int n = std::max(200, std::min(proxy.total(), 20000));
  double theirs = hey_rps("http://" + host + "/v2/" + repo_name(0)
                            + "/manifests/" + tag_name(0),
                          n, 4);
  emit({"registry scan throughput " + shape, fmt(ours, "req/s", 0),
        fmt(theirs, "req/s", 0) + " (hey -c 4)", ours / theirs, ">= 0.7x",
        met(ours / theirs >= 0.7),
        "same proxy, concurrency 4; hey repeats one manifest URL"});

  // Idle: nothing due for an hour, so no CPU should be spent.
  double cpu0 = cpu_seconds();
  double idle_s = pick(size, 1.0, 3.0, 10.0);
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
  double idle_cpu = (cpu_seconds() - cpu0) / idle_s * 100;
  emit({"idle CPU, registry actors", fmt(idle_cpu, "%", 2), "-", -1,
        "~0 %", met(idle_cpu < 1.0),
        "bench process over " + fmt(idle_s, "s", 0)
          + " after the scan; CAF scheduled as in fluxd (work sharing)"});

  long rss = peak_rss_kb();
  emit({"peak RSS, registry actors " + shape, fmt(rss / 1024.0, "MB", 1),
        "-", -1, "<= 150 MB (whole fluxd)", "n/a",
        "bench process incl. test support; " + fmt(rss_before / 1024.0, "MB", 1)
          + " before the actors started; no workloads held"});

  // Warm restart: a new scanner on the same state dir fetches no metadata.
  wait_for_cache(state.path(), host, repos, tags);
  caf::anon_send_exit(scanner, caf::exit_reason::user_shutdown);
  proxy.reset_counts();
  auto again = sys.spawn(registry_scanner, scanner_settings(state.path(),
                                                            host));
  double t_warm = scan(sys, again, host, repos, tags, true);
  int refetched = proxy.count("manifest") + proxy.count("HEAD manifest")
                  + proxy.count("blob");
  emit({"warm restart re-fetches " + shape, std::to_string(refetched),
        "0 (minimum)", -1, "0", met(refetched == 0),
        std::to_string(proxy.count("tags")) + " tags lists; "
          + fmt(t_warm, "s", 2)});
  caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "registry_bench: %s\n", e.what());
  return 1;
}
