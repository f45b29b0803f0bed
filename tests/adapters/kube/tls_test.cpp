#include "adapters/kube/client.hpp"
#include "tests/adapters/kube/fake_api.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

using namespace fluxd::kube;
using fluxd::test::fake_api;
using fluxd::test::temp_dir;
using fluxd::test::write_file;
namespace json = boost::json;

namespace {

/// Answers who the server thinks the caller is.
void serve_whoami(fake_api& api, const std::string& token = "") {
  api.server().Get("/whoami", [token](const httplib::Request& req,
                                      httplib::Response& res) {
    auto auth = req.get_header_value("Authorization");
    if (!token.empty() && auth != "Bearer " + token) {
      res.status = 401;
      res.set_content(R"({"kind":"Status","apiVersion":"v1","status":
        "Failure","message":"Unauthorized","reason":"Unauthorized",
        "code":401})", "application/json");
      return;
    }
    std::string cn;
    if (req.ssl) {
      if (X509* peer = SSL_get0_peer_certificate(req.ssl)) {
        char buf[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
                                  NID_commonName, buf, sizeof buf);
        cn = buf;
      }
    }
    json::object out{{"authorization", auth}, {"cn", cn},
                     {"agent", req.get_header_value("User-Agent")}};
    res.set_content(json::serialize(out), "application/json");
  });
}

json::value whoami(client& c) {
  return c.request(http_request{"GET", "/whoami"});
}

} // namespace

TEST_CASE("TLS: bearer token over verified TLS, one kept-alive connection") {
  fake_api api;
  serve_whoami(api, "s3cr3t");
  api.start();
  auto cfg = api.config();
  cfg.token = "s3cr3t";
  client c(cfg);
  for (int i = 0; i < 20; ++i) {
    auto who = whoami(c);
    REQUIRE(who.at("authorization") == "Bearer s3cr3t");
  }
  CHECK(whoami(c).at("agent") == "fluxd");
  CHECK(c.transport().connections_opened() == 1);
  CHECK(api.connections() == 1);

  cfg.token = "wrong";
  client bad(cfg);
  try {
    whoami(bad);
    FAIL("expected 401");
  } catch (const api_error& e) {
    CHECK(e.code() == 401);
    CHECK(e.reason() == "Unauthorized");
    CHECK(e.method() == "GET");
    CHECK(e.path() == "/whoami");
    CHECK_THAT(std::string(e.what()), !Catch::Contains("wrong"));
  }
}

TEST_CASE("TLS: client certificates, and what the server refuses") {
  fake_api api({true});
  serve_whoami(api);
  api.start();
  auto cfg = api.config();
  cfg.client_cert_pem = fake_api::pki().client.cert;
  cfg.client_key_pem = fake_api::pki().client.key;
  client c(cfg);
  CHECK(whoami(c).at("cn") == "admin");
  CHECK(whoami(c).at("authorization") == "");

  // With TLS 1.3 the refusal arrives after the handshake: a failed
  // write or read, still a transport_error naming the request.
  client anonymous(api.config());
  CHECK_THROWS_WITH(whoami(anonymous), Catch::Contains("GET /whoami"));
  CHECK_THROWS_AS(whoami(anonymous), transport_error);

  auto foreign = api.config();
  foreign.client_cert_pem = fake_api::pki().other_client.cert;
  foreign.client_key_pem = fake_api::pki().other_client.key;
  client mallory(foreign);
  CHECK_THROWS_AS(whoami(mallory), transport_error);

  auto mismatched = api.config();
  mismatched.client_cert_pem = fake_api::pki().client.cert;
  mismatched.client_key_pem = fake_api::pki().other_client.key;
  CHECK_THROWS_WITH(client(mismatched).request({"GET", "/whoami"}),
                    Catch::Contains("does not match"));
}

TEST_CASE("TLS: the server must be signed by the configured CA") {
  fake_api api;
  serve_whoami(api);
  api.start();
  auto cfg = api.config();
  cfg.ca_pem = fake_api::pki().other_ca.cert;
  client untrusted(cfg);
  CHECK_THROWS_WITH(whoami(untrusted),
                    Catch::Contains("TLS handshake failed")
                      && Catch::Contains("certificate verify failed"));

  // No CA: the system roots, which do not know our test CA either.
  cfg.ca_pem.clear();
  CHECK_THROWS_AS(whoami(*std::make_unique<client>(cfg)), transport_error);

  cfg.insecure_skip_tls_verify = true;
  client insecure(cfg);
  CHECK(whoami(insecure).at("cn") == "");

  // The name checked is the host, or tls-server-name when given.
  auto named = api.config();
  named.tls_server_name = "localhost";
  CHECK_NOTHROW(whoami(*std::make_unique<client>(named)));
  named.tls_server_name = "kubernetes.example";
  CHECK_THROWS_AS(whoami(*std::make_unique<client>(named)), transport_error);
}

TEST_CASE("TLS: exec plugin token on the wire, re-run after 401") {
  temp_dir dir;
  auto count = dir.file("count");
  auto plugin = dir.file("plugin.sh");
  write_file(plugin,
             "#!/bin/sh\necho x >> " + count + "\nn=$(wc -l < " + count
               + ")\nprintf '{\"apiVersion\":\"client.authentication.k8s.io"
                 "/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":"
                 "\"tok-%s\"}}' $n\n");
  ::chmod(plugin.c_str(), 0755);
  fake_api api;
  serve_whoami(api, "tok-2");
  api.start();
  auto cfg = api.config();
  exec_config ex;
  ex.api_version = "client.authentication.k8s.io/v1";
  ex.command = plugin;
  cfg.exec = ex;
  client c(cfg);
  // tok-1 is refused; the client runs the plugin again and retries.
  CHECK(whoami(c).at("authorization") == "Bearer tok-2");
  CHECK(whoami(c).at("authorization") == "Bearer tok-2");
  CHECK(c.transport().credentials().exec_runs() == 2);
}

TEST_CASE("TLS: exec plugin client certificate") {
  temp_dir dir;
  json::object status{{"clientCertificateData", fake_api::pki().client.cert},
                      {"clientKeyData", fake_api::pki().client.key}};
  json::object cred{{"apiVersion", "client.authentication.k8s.io/v1"},
                    {"kind", "ExecCredential"},
                    {"status", status}};
  write_file(dir.file("cred.json"), json::serialize(cred));
  write_file(dir.file("plugin.sh"),
             "#!/bin/sh\ncat " + dir.file("cred.json") + "\n");
  ::chmod(dir.file("plugin.sh").c_str(), 0755);
  fake_api api({true});
  serve_whoami(api);
  api.start();
  auto cfg = api.config();
  exec_config ex;
  ex.api_version = "client.authentication.k8s.io/v1";
  ex.command = dir.file("plugin.sh");
  cfg.exec = ex;
  client c(cfg);
  CHECK(whoami(c).at("cn") == "admin");
}

TEST_CASE("TLS: a rotated token file is sent from the next request on") {
  temp_dir dir;
  write_file(dir.file("token"), "first\n");
  fake_api api;
  serve_whoami(api);
  api.start();
  auto cfg = api.config();
  cfg.token_file = dir.file("token");
  client c(cfg);
  CHECK(whoami(c).at("authorization") == "Bearer first");
  write_file(dir.file("token.tmp"), "second-token\n");
  ::rename(dir.file("token.tmp").c_str(), dir.file("token").c_str());
  CHECK(whoami(c).at("authorization") == "Bearer second-token");
}

TEST_CASE("errors: Status bodies, other bodies, retries, timeouts") {
  fake_api api;
  std::atomic<int> busy_calls{0};
  std::mutex mtx;
  std::condition_variable cv;
  bool release = false;
  api.server().Get("/missing", [](const httplib::Request&,
                                  httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"configmaps \"x\" not found",
      "reason":"NotFound","details":{"name":"x","kind":"configmaps"},
      "code":404})", "application/json");
  });
  api.server().Get("/proxy", [](const httplib::Request&,
                                httplib::Response& res) {
    res.status = 502;
    res.set_content("<html>Bad Gateway</html>", "text/html");
  });
  api.server().Get("/busy", [&](const httplib::Request&,
                                httplib::Response& res) {
    if (busy_calls++ < 2) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content(R"({"kind":"Status","code":429,
        "reason":"TooManyRequests"})", "application/json");
      return;
    }
    res.set_content("{}", "application/json");
  });
  api.server().Get("/slow", [&](const httplib::Request&,
                                httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mtx);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    res.set_content("{}", "application/json");
  });
  api.start();
  client c(api.config());
  try {
    c.request({"GET", "/missing"});
    FAIL("expected NotFound");
  } catch (const api_error& e) {
    CHECK(e.not_found());
    CHECK(e.status().details_name == "x");
    CHECK(std::string(e.what())
          == "GET /missing: 404 NotFound: configmaps \"x\" not found");
  }
  try {
    c.request({"GET", "/proxy"});
    FAIL("expected 502");
  } catch (const api_error& e) {
    CHECK(e.code() == 502);
    CHECK(e.reason() == "InternalError");
    CHECK(e.status().message == "<html>Bad Gateway</html>");
  }
  CHECK(c.request({"GET", "/busy"}).is_object());
  CHECK(busy_calls == 3);

  http_request slow{"GET", "/slow"};
  slow.timeout = std::chrono::milliseconds(300);
  try {
    c.request(slow);
    FAIL("expected a timeout");
  } catch (const transport_error& e) {
    CHECK(e.timed_out());
    CHECK(e.path() == "/slow");
    CHECK_THAT(std::string(e.what()), Catch::Contains("timed out"));
  }
  {
    std::lock_guard<std::mutex> lock(mtx);
    release = true;
  }
  cv.notify_all();
}

TEST_CASE("transport: nothing listening is a transport_error naming it") {
  int port;
  {
    fake_api api;
    api.start();
    port = api.port();
  }
  rest_config cfg = fake_api{}.config();
  cfg.server = "https://127.0.0.1:" + std::to_string(port);
  client c(cfg);
  CHECK_THROWS_WITH(c.request({"GET", "/version"}),
                    Catch::Contains("GET /version")
                      && Catch::Contains("cannot connect")
                      && Catch::Contains(cfg.server));
}

TEST_CASE("transport: a server URL with a path prefix (API proxies)") {
  fake_api api;
  api.server().Get("/k8s/clusters/c-1/api", [](const httplib::Request&,
                                               httplib::Response& res) {
    res.set_content(R"({"kind":"APIVersions","versions":["v1"]})",
                    "application/json");
  });
  api.start();
  auto cfg = api.config();
  cfg.server += "/k8s/clusters/c-1";
  client c(cfg);
  CHECK(c.request({"GET", "/api"}).at("kind") == "APIVersions");
}
