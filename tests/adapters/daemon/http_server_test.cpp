#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/health/readiness.hpp"
#include "adapters/http/flux_error.hpp"
#include "adapters/http/listen_address.hpp"
#include "adapters/http/server.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"
#include "tests/adapters/daemon/prometheus_text.hpp"

using namespace fluxd;

namespace {

struct running_server {
  explicit running_server(std::string metrics_listen = {}) {
    http::server::options o;
    o.listen = "127.0.0.1:0";
    o.listen_metrics = std::move(metrics_listen);
    o.readiness = &ready;
    srv = std::make_unique<http::server>(o);
    srv->route("GET", "/api/flux/v11/version", "Version",
               [](const httplib::Request&, httplib::Response& res) {
                 res.set_content("\"0.1.0\"", "application/json; charset=utf-8");
               });
    srv->start();
  }
  health::readiness ready;
  std::unique_ptr<http::server> srv;
};

} // namespace

TEST_CASE("listen addresses parse as Go's net.Listen syntax") {
  CHECK(http::parse_listen_address(":3030", "listen").host == "0.0.0.0");
  CHECK(http::parse_listen_address(":3030", "listen").port == 3030);
  CHECK(http::parse_listen_address("127.0.0.1:0", "listen").port == 0);
  CHECK(http::parse_listen_address("[::1]:80", "listen").host == "::1");
  CHECK_THROWS_WITH(http::parse_listen_address("3030", "listen-metrics"),
                    Catch::Contains("--listen-metrics")
                      && Catch::Contains("missing port"));
  CHECK_THROWS_WITH(http::parse_listen_address(":99999", "listen"),
                    Catch::Contains("0 to 65535"));
  CHECK(http::is_loopback("127.0.0.1"));
  CHECK_FALSE(http::is_loopback("0.0.0.0"));
}

TEST_CASE("/metrics serves valid Prometheus text on port 0") {
  metrics::standard();
  running_server s;
  REQUIRE(s.srv->port() > 0);
  httplib::Client cli("127.0.0.1", s.srv->port());
  // Two requests, so the request-duration metric has a sample to show.
  REQUIRE(cli.Get("/api/flux/v11/version"));
  auto res = cli.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type").find("text/plain; version=0.0.4")
        == 0);
  auto samples = parse_prometheus_text(res->body);
  CHECK(samples.count("flux_request_duration_seconds_count{method=\"GET\","
                      "route=\"Version\",status_code=\"200\",ws=\"false\"}")
        == 1);
  CHECK(samples.at("process_resident_memory_bytes") > 0);
}

TEST_CASE("a metrics listen address moves /metrics to its own listener") {
  running_server s{"127.0.0.1:0"};
  REQUIRE(s.srv->metrics_port() != s.srv->port());
  httplib::Client api("127.0.0.1", s.srv->port());
  httplib::Client met("127.0.0.1", s.srv->metrics_port());
  CHECK(api.Get("/metrics")->status == 404);
  CHECK(met.Get("/metrics")->status == 200);
  CHECK(met.Get("/api/flux/v11/version")->status == 404);
}

TEST_CASE("/healthz and /readyz report process and component state") {
  running_server s;
  httplib::Client cli("127.0.0.1", s.srv->port());
  CHECK(cli.Get("/healthz")->status == 200);
  s.ready.set("git", false, "cloning");
  s.ready.set("api", true);
  auto res = cli.Get("/readyz");
  CHECK(res->status == 503);
  auto body = boost::json::parse(res->body).as_object();
  CHECK(body.at("ready") == false);
  CHECK(body.at("components").at("git").at("reason") == "cloning");
  s.ready.set("git", true);
  CHECK(cli.Get("/readyz")->status == 200);
}

TEST_CASE("unknown API routes get Flux v1's error body and status") {
  running_server s;
  httplib::Client cli("127.0.0.1", s.srv->port());
  auto json = cli.Get("/api/flux/v99/nothing",
                      {{"Accept", "application/json"}});
  REQUIRE(json);
  CHECK(json->status == 404);
  CHECK(json->get_header_value("Content-Type")
        == "application/json; charset=utf-8");
  auto body = boost::json::parse(json->body).as_object();
  CHECK(body.at("type") == "missing");
  CHECK(body.at("error") == "API endpoint not found");
  CHECK(std::string(body.at("help").as_string()).find("/v99/nothing")
        != std::string::npos);
  // The JSON keys are in Flux v1's order.
  CHECK(json->body.rfind("{\"type\":\"missing\",\"help\":", 0) == 0);

  // No acceptable type: the short error as plain text.
  auto plain = cli.Get("/api/flux/v99/nothing", {{"Accept", "image/png"}});
  CHECK(plain->status == 404);
  CHECK(plain->body == "API endpoint not found");
  auto text = cli.Get("/api/flux/v99/nothing", {{"Accept", "text/plain"}});
  CHECK(text->body.rfind("The API endpoint requested is not supported", 0)
        == 0);

  httplib::Headers png{{"Accept", "image/png"}};
  auto gone = cli.Post("/api/flux/v3/anything", png, "", "application/json");
  CHECK(gone->status == 410);
  CHECK(gone->body == "API endpoint deprecated");
  CHECK(cli.Get("/nowhere")->body == "404 page not found\n");
}

TEST_CASE("Accept negotiation follows quality values") {
  CHECK(http::negotiate_error_type("application/json")
        == "application/json");
  CHECK(http::negotiate_error_type("text/plain;q=0.9, application/json;q=0.5")
        == "text/plain");
  CHECK(http::negotiate_error_type("*/*") == "application/json");
  CHECK(http::negotiate_error_type("image/png").empty());
  CHECK(http::negotiate_error_type("").empty());
  auto r = http::render_error(http::from_message("boom"), "application/json");
  CHECK(r.status == 422);
  CHECK(r.body.find("We don't have a specific help message") !=
        std::string::npos);
}

TEST_CASE("a listener that cannot bind says which address") {
  running_server first;
  http::server::options o;
  o.listen = "127.0.0.1:" + std::to_string(first.srv->port());
  http::server second{o};
  CHECK_THROWS_WITH(second.start(), Catch::Contains(o.listen)
                                      && Catch::Contains("--listen"));
}

TEST_CASE("each server counts requests in its own registry") {
  // Registries made and freed one after another (often at one address):
  // every server must record into the registry it was given.
  for (int i = 0; i < 3; ++i) {
    auto reg = std::make_unique<metrics::registry>();
    http::server::options o;
    o.listen = "127.0.0.1:0";
    o.registry = reg.get();
    http::server srv{o};
    srv.start();
    httplib::Client cli("127.0.0.1", srv.port());
    REQUIRE(cli.Get("/api/flux/v99/x"));
    srv.stop();
    CHECK(reg->expose().find("flux_request_duration_seconds_count{method="
                             "\"GET\",route=\"NotFound\",status_code=\"404\","
                             "ws=\"false\"} 1")
          != std::string::npos);
  }
}
