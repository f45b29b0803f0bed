#include <catch2/catch.hpp>

#include <thread>

#include "adapters/metrics/fluxd_metrics.hpp"
#include "adapters/metrics/registry.hpp"
#include "tests/adapters/daemon/prometheus_text.hpp"

using namespace fluxd::metrics;

TEST_CASE("counters, gauges and histograms render in text format") {
  registry r;
  auto& c = r.add_counter("x_requests_total", "Requests.", {"code"});
  c.with({"200"}).inc();
  c.with({"200"}).inc(2);
  c.with({"500"}).inc();
  auto& g = r.add_gauge("x_ready", "Ready.");
  g.with({}).set(1);
  auto& h = r.add_histogram("x_seconds", "Latency.", {}, {0.1, 1});
  h.with({}).observe(0.05);
  h.with({}).observe(0.5);
  h.with({}).observe(5);
  auto text = r.expose();
  CHECK(text.find("# TYPE x_requests_total counter\n"
                  "x_requests_total{code=\"200\"} 3\n"
                  "x_requests_total{code=\"500\"} 1\n")
        != std::string::npos);
  CHECK(text.find("x_seconds_bucket{le=\"0.1\"} 1\n"
                  "x_seconds_bucket{le=\"1\"} 2\n"
                  "x_seconds_bucket{le=\"+Inf\"} 3\n"
                  "x_seconds_sum 5.55\n"
                  "x_seconds_count 3\n")
        != std::string::npos);
  auto samples = parse_prometheus_text(text);
  CHECK(samples.at("x_ready") == 1);
}

TEST_CASE("label values are escaped; wrong label counts are refused") {
  registry r;
  auto& c = r.add_counter("y_total", "Y.", {"path"});
  c.with({"a\"b\\c\nd"}).inc();
  CHECK(r.expose().find("y_total{path=\"a\\\"b\\\\c\\nd\"} 1")
        != std::string::npos);
  CHECK_THROWS_AS(c.with({}), std::invalid_argument);
  CHECK_THROWS_AS(r.add_gauge("y_total", "again"), std::logic_error);
  CHECK_THROWS(c.with({"x"}).inc(-1));
  CHECK_NOTHROW(parse_prometheus_text(r.expose()));
}

TEST_CASE("updates from many threads are all counted") {
  registry r;
  auto& c = r.add_counter("z_total", "Z.").with({});
  auto& h = r.add_histogram("z_seconds", "Z.").with({});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.001);
      }
    });
  for (auto& t : ts)
    t.join();
  CHECK(c.value() == 40000);
  CHECK(h.count() == 40000);
}

TEST_CASE("the default registry has Flux v1's metrics and process metrics") {
  standard();
  auto text = default_registry().expose();
  auto samples = parse_prometheus_text(text);
  for (auto name :
       {"# TYPE flux_daemon_sync_duration_seconds histogram",
        "# TYPE flux_daemon_sync_manifests gauge",
        "# TYPE flux_daemon_job_duration_seconds histogram",
        "# TYPE flux_daemon_queue_duration_seconds histogram",
        "# TYPE flux_daemon_queue_length_count gauge",
        "# TYPE flux_git_ready gauge",
        "# TYPE flux_fluxsvc_release_duration_seconds histogram",
        "# TYPE flux_registry_fetch_duration_seconds histogram",
        "# TYPE flux_client_fetch_duration_seconds histogram",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_cpu_seconds_total counter"})
    CHECK(text.find(name) != std::string::npos);
  CHECK(samples.at("process_resident_memory_bytes") > 0);
  CHECK(samples.at("process_open_fds") > 0);
  CHECK(samples.at("flux_git_ready") == 0);
  CHECK(samples.count("fluxd_build_info{version=\"0.1.0\"}") == 1);
}

TEST_CASE("histogram_family returns the family already registered") {
  registry r;
  auto& a = r.histogram_family("h_seconds", "H.", {"x"});
  auto& b = r.histogram_family("h_seconds", "H.", {"x"});
  CHECK(&a == &b);
  CHECK_THROWS_AS(r.add_histogram("h_seconds", "again"), std::logic_error);
}
