#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "adapters/registry/client.hpp"
#include "adapters/registry/names.hpp"
#include "tests/adapters/registry/live_fixture.hpp"
#include "tests/support/registry/proxy.hpp"
#include "tests/support/registry/token_server.hpp"

using namespace fluxd::registry;
using namespace fluxd::test;

namespace {

std::string created_of(const image_info& i) {
  return i.created == time_point{} ? "" : format_rfc3339(i.created);
}

} // namespace

TEST_CASE("anonymous registry: tags and metadata of OCI, Docker and "
          "multi-arch images", "[registry][live]") {
  local_registry reg;
  push_demo(reg.host(), "demo/app");
  client c{loopback(reg.host())};
  CHECK(c.list_tags("demo/app")
        == std::vector<std::string>{"multi", "v0.9.0", "v1.0.0", "v1.1.0"});

  auto v100 = c.fetch_image_info("demo/app", "v1.0.0");
  CHECK(created_of(v100) == demo_v100);
  CHECK(valid_digest(v100.digest));
  CHECK(valid_digest(v100.config_digest));
  CHECK(v100.labels.at("org.opencontainers.image.created") == demo_label_time);
  CHECK(format_rfc3339(effective_created(v100, true)) == demo_label_time);

  auto v110 = c.fetch_image_info("demo/app", "v1.1.0"); // Docker schema 2
  CHECK(created_of(v110) == demo_v110);
  CHECK(c.get_manifest("demo/app", "v1.1.0").media_type
        == media_type::docker_manifest);

  auto multi = c.fetch_image_info("demo/app", "multi");
  CHECK_FALSE(multi.excluded());
  CHECK(created_of(multi) == demo_multi_amd64);
  // HEAD gives the same digest GET verified.
  CHECK(c.head_manifest("demo/app", "multi").digest == multi.digest);
  CHECK(c.head_manifest("demo/app", "v1.0.0").digest == v100.digest);

  SECTION("a configured platform picks its entry; a missing one excludes") {
    auto opts = loopback(reg.host());
    opts.want_platform = platform::parse("linux/arm64");
    client arm{opts};
    CHECK(created_of(arm.fetch_image_info("demo/app", "multi"))
          == demo_multi_arm64);
    opts.want_platform = platform::parse("linux/s390x");
    client s390{opts};
    auto none = s390.fetch_image_info("demo/app", "multi");
    CHECK(none.excluded());
    CHECK(none.excluded_reason.find("linux/s390x") != std::string::npos);
    CHECK(none.digest == multi.digest);
  }
  SECTION("unknown repositories and tags are not_found naming them") {
    try {
      c.fetch_image_info("demo/app", "v9");
      FAIL("no error");
    } catch (const registry_error& e) {
      CHECK(e.kind() == error_kind::not_found);
      CHECK(std::string{e.what()}.find("demo/app") != std::string::npos);
      CHECK(std::string{e.what()}.find("MANIFEST_UNKNOWN") != std::string::npos);
    }
    auto e = error_of([&] { c.list_tags("demo/none"); });
    REQUIRE(e);
    CHECK(mentions(*e, "demo/none"));
  }
}

TEST_CASE("htpasswd basic auth with docker config credentials",
          "[registry][live]") {
  local_registry::options o;
  o.auth = local_registry::auth_mode::htpasswd;
  o.users = {{"alice", "wonderland"}};
  local_registry reg{o};
  push_demo(reg.host(), "demo/app", "alice:wonderland", false);

  temp_dir cfg;
  write_file(cfg.file("config.json"),
             R"({"auths":{"http://)" + reg.host() + R"(/v1/":{"auth":")"
               + base64_encode("alice:wonderland") + R"("}}})");
  auto opts = loopback(reg.host());
  opts.credentials = std::make_shared<static_credentials>(
    static_credentials::from_file(cfg.file("config.json")));
  client c{opts};
  CHECK(c.list_tags("demo/app").size() == 3);
  CHECK(created_of(c.fetch_image_info("demo/app", "v0.9.0")) == demo_v090);

  SECTION("without credentials: unauthorized, naming the repository") {
    client anon{loopback(reg.host())};
    try {
      anon.list_tags("demo/app");
      FAIL("no error");
    } catch (const registry_error& e) {
      CHECK(e.kind() == error_kind::unauthorized);
      CHECK(std::string{e.what()}.find("demo/app") != std::string::npos);
    }
  }
  SECTION("wrong password: unauthorized, and the password is not in it") {
    auto bad = loopback(reg.host());
    auto creds = std::make_shared<static_credentials>();
    creds->add(reg.host(), {"alice", "s3cr3t-wrong"});
    bad.credentials = creds;
    client wrong{bad};
    try {
      wrong.list_tags("demo/app");
      FAIL("no error");
    } catch (const registry_error& e) {
      CHECK(e.kind() == error_kind::unauthorized);
      CHECK(std::string{e.what()}.find("s3cr3t") == std::string::npos);
    }
  }
}

TEST_CASE("token auth: anonymous and authenticated pulls, tokens cached per "
          "scope", "[registry][live]") {
  temp_dir dir;
  token_server tokens{dir.file("token.crt"), {{"alice", "wonderland"}}};
  local_registry::options o;
  o.auth = local_registry::auth_mode::token;
  o.token_realm = tokens.realm();
  o.token_cert = tokens.cert_path();
  local_registry reg{o};
  push_demo(reg.host(), "demo/app", "alice:wonderland", false);

  SECTION("anonymous") {
    client c{loopback(reg.host())};
    int before = tokens.requests();
    CHECK(c.list_tags("demo/app").size() == 3);
    CHECK(created_of(c.fetch_image_info("demo/app", "v1.1.0")) == demo_v110);
    CHECK(created_of(c.fetch_image_info("demo/app", "v1.0.0")) == demo_v100);
    // One token for demo/app, however many requests used it.
    CHECK(tokens.requests() - before == 1);
  }
  SECTION("authenticated, one token per repository scope") {
    auto opts = loopback(reg.host());
    auto creds = std::make_shared<static_credentials>();
    creds->add(reg.host(), {"alice", "wonderland"});
    opts.credentials = creds;
    client c{opts};
    int before = tokens.requests();
    CHECK(c.list_tags("demo/app").size() == 3);
    CHECK(c.head_manifest("demo/app", "v1.0.0").digest.size() == 71);
    CHECK(tokens.requests() - before == 1);
    c.list_tags("demo/app");
    CHECK(tokens.requests() - before == 1);
  }
  SECTION("clients sharing a session ping once and share tokens") {
    std::atomic<int> pings{0};
    auto opts = loopback(reg.host());
    opts.shared = make_session();
    opts.observer = [&](const request_event& e) {
      if (e.kind == request_kind::ping)
        ++pings;
    };
    client one{opts};
    client two{opts};
    int before = tokens.requests();
    CHECK(one.list_tags("demo/app").size() == 3);
    CHECK(two.list_tags("demo/app").size() == 3);
    CHECK(two.head_manifest("demo/app", "v1.0.0").digest.size() == 71);
    CHECK(pings == 1);
    CHECK(tokens.requests() - before == 1);
  }
  SECTION("a token server that refuses the credentials") {
    auto opts = loopback(reg.host());
    auto creds = std::make_shared<static_credentials>();
    creds->add(reg.host(), {"alice", "nope"});
    opts.credentials = creds;
    client c{opts};
    auto e = error_of([&] { c.list_tags("demo/app"); });
    REQUIRE(e);
    CHECK(e->kind() == error_kind::unauthorized);
    CHECK(mentions(*e, "demo/app"));
  }
}

TEST_CASE("tag lists page through Link headers", "[registry][live]") {
  local_registry reg;
  push_demo(reg.host(), "demo/app", "", false);
  push_one(reg.host(), "demo/app", "a1");
  push_one(reg.host(), "demo/app", "z9");
  registry_proxy proxy{reg.url(), paging_hook(reg.url(), 2)};
  std::vector<request_event> events;
  auto opts = loopback(proxy.host());
  opts.observer = [&](const request_event& e) { events.push_back(e); };
  client c{opts};
  CHECK(c.list_tags("demo/app")
        == std::vector<std::string>{"a1", "v0.9.0", "v1.0.0", "v1.1.0", "z9"});
  CHECK(proxy.count("tags") == 3);
  CHECK(proxy.count("ping") == 1);
  CHECK(proxy.total() == 4);
  REQUIRE(events.size() == 4);
  CHECK(events[0].kind == request_kind::ping);
  CHECK(events[1].target == "/v2/demo/app/tags/list?n=1000");
  CHECK(events[3].status == 200);

  SECTION("a client page size below the server's") {
    auto small = loopback(proxy.host());
    small.tag_page_size = 1;
    client one{small};
    proxy.reset_counts();
    CHECK(one.list_tags("demo/app").size() == 5);
    CHECK(proxy.count("tags") == 5);
  }
}

TEST_CASE("insecure hosts fall back from TLS to plain HTTP",
          "[registry][live]") {
  local_registry reg;
  push_one(reg.host(), "demo/app");
  auto opts = loopback(reg.host());
  opts.plain_http = false;
  std::vector<request_event> pings;
  opts.observer = [&](const request_event& e) {
    if (e.kind == request_kind::ping)
      pings.push_back(e);
  };
  SECTION("insecure: TLS fails, plain HTTP works") {
    opts.insecure = true;
    client c{opts};
    CHECK(c.list_tags("demo/app") == std::vector<std::string>{"v1"});
    REQUIRE(pings.size() == 2);
    CHECK(pings[0].status == 0);
    CHECK(pings[1].status == 200);
  }
  SECTION("secure: no fallback, a clear error") {
    client c{opts};
    auto e = error_of([&] { c.list_tags("demo/app"); });
    REQUIRE(e);
    CHECK(e->kind() == error_kind::unreachable);
    CHECK(mentions(*e, "demo/app"));
  }
}

TEST_CASE("bearer tokens are reused until they expire", "[registry][live]") {
  temp_dir dir;
  token_server tokens{dir.file("token.crt"), {{"alice", "wonderland"}}, 1};
  local_registry::options o;
  o.auth = local_registry::auth_mode::token;
  o.token_realm = tokens.realm();
  o.token_cert = tokens.cert_path();
  local_registry reg{o};
  temp_dir layout{"fluxd-oci"};
  write_oci_layout(layout.path(), {{"v1", demo_v100, {}}});
  skopeo_push(layout.path(), "v1", reg.host(), "demo/app", false, false,
              "alice:wonderland");
  client c{loopback(reg.host())};
  int before = tokens.requests();
  c.list_tags("demo/app");
  c.head_manifest("demo/app", "v1");
  CHECK(tokens.requests() - before == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  c.list_tags("demo/app");
  CHECK(tokens.requests() - before == 2);
}

TEST_CASE("blob redirects are followed", "[registry][live]") {
  local_registry reg;
  push_one(reg.host(), "demo/app");
  auto target = reg.url();
  registry_proxy proxy{reg.url(), [target](const httplib::Request& req,
                                           httplib::Response& res) {
                         if (req.path.find("/blobs/") == std::string::npos)
                           return false;
                         res.status = 307;
                         res.set_header("Location", target + req.path);
                         return true;
                       }};
  client c{loopback(proxy.host())};
  CHECK(format_rfc3339(c.fetch_image_info("demo/app", "v1").created)
        == demo_v100);
  CHECK(proxy.count("blob") == 1);
}
