#include <catch2/catch.hpp>

#include <regex>
#include <stdexcept>

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/http/server.hpp"
#include "adapters/ui/routes.hpp"
#include "tests/adapters/ui/fixtures.hpp"
#include "tests/adapters/ui/page_server.hpp"

using namespace fluxd;

TEST_CASE("the page and its assets are served with a strict CSP") {
  test::page_server s;
  httplib::Client cli("127.0.0.1", s.port());
  struct expect {
    const char* path;
    const char* type;
  };
  for (auto e :
       {expect{"/", "text/html"}, expect{"/ui/", "text/html"},
        expect{"/ui", "text/html"}, expect{"/ui/app.js", "text/javascript"},
        expect{"/ui/app.css", "text/css"}}) {
    INFO(e.path);
    auto res = cli.Get(e.path);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type").rfind(e.type, 0) == 0);
    CHECK(res->get_header_value("Content-Security-Policy")
          == "default-src 'none'; script-src 'self'; style-src 'self'; "
             "connect-src 'self'; img-src 'self' data:; "
             "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(res->get_header_value("X-Frame-Options") == "DENY");
    CHECK_FALSE(res->body.empty());
  }
  auto missing = cli.Get("/ui/other.js");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("the page has no inline script or style and the script no HTML "
          "sinks") {
  auto* page = ui::find_asset("index.html");
  REQUIRE(page);
  std::string html{page->body};
  // Every <script> loads our file; no inline handlers or style attributes.
  size_t scripts = 0;
  for (auto at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    ++scripts;
    std::string ours = "<script src=\"/ui/app.js\" defer></script>";
    CHECK(html.compare(at, ours.size(), ours) == 0);
  }
  CHECK(scripts == 1);
  CHECK_FALSE(std::regex_search(html, std::regex{"\\son[a-z]+\\s*="}));
  CHECK(html.find("style=") == std::string::npos);
  CHECK(html.find("<style") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);

  auto* js = ui::find_asset("app.js");
  REQUIRE(js);
  std::string code{js->body};
  for (auto sink :
       {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
        "eval(", "new Function", "createContextualFragment", "srcdoc"}) {
    INFO(sink);
    CHECK(code.find(sink) == std::string::npos);
  }
  CHECK_FALSE(ui::find_asset("../routes.cpp"));
}

TEST_CASE("the status route serves the provider's snapshot as JSON") {
  test::page_server s;
  httplib::Client cli("127.0.0.1", s.port());
  auto res = cli.Get("/api/fluxd/v1/status");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type")
        == "application/json; charset=utf-8");
  CHECK(res->get_header_value("Cache-Control") == "no-store");
  CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(res->body == ui::to_json(test::sample_snapshot()) + "\n");
}

TEST_CASE("a provider that fails answers 503, not a broken page") {
  test::page_server s{"", []() -> ui::status_snapshot {
                        throw std::runtime_error("sync actor timed out");
                      }};
  httplib::Client cli("127.0.0.1", s.port());
  auto res = cli.Get("/api/fluxd/v1/status");
  REQUIRE(res);
  CHECK(res->status == 503);
  auto body = boost::json::parse(res->body).as_object();
  CHECK(body["error"].as_string() == "status is not available right now");
}

TEST_CASE("with an API token the JSON needs it and the page does not") {
  test::page_server s{"t0k3n-value"};
  httplib::Client cli("127.0.0.1", s.port());
  auto page = cli.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);

  auto none = cli.Get("/api/fluxd/v1/status");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate") == "Bearer realm=\"fluxd\"");
  CHECK(none->body.find("workload") == std::string::npos);

  for (auto bad : {"Bearer wrong", "Bearer t0k3n-valu", "Bearer t0k3n-value2",
                   "Basic dDBrM246", "t0k3n-value", "Bearer  t0k3n-value"}) {
    INFO(bad);
    auto res = cli.Get("/api/fluxd/v1/status", {{"Authorization", bad}});
    REQUIRE(res);
    CHECK(res->status == 401);
  }
  auto ok = cli.Get("/api/fluxd/v1/status",
                    {{"Authorization", "Bearer t0k3n-value"}});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body.find("default:deployment/web") != std::string::npos);
}

TEST_CASE("authorization compares the whole bearer token") {
  CHECK(ui::authorized("", ""));
  CHECK(ui::authorized("anything", ""));
  CHECK(ui::authorized("Bearer abc", "abc"));
  CHECK_FALSE(ui::authorized("Bearer abd", "abc"));
  CHECK_FALSE(ui::authorized("Bearer ab", "abc"));
  CHECK_FALSE(ui::authorized("", "abc"));
  CHECK_FALSE(ui::authorized("Token abc", "abc"));
}
