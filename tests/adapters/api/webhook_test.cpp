// Webhook receivers: a signed push notifies the daemon at once; bad
// signatures, replays, oversized bodies and unknown events change nothing.

#include <catch2/catch.hpp>

#include <httplib.h>

#include "adapters/api/webhooks.hpp"
#include "tests/adapters/api/api_server.hpp"

using namespace fluxd;

namespace {

const std::string secret = "hook-secret";

struct hook_server : test::api_server {
  hook_server() : test::api_server(api::route_options{}, [](http::server& s,
                                                         api::daemon_api& d) {
    api::webhook_options o;
    o.secret = secret;
    o.max_body = 4096;
    api::install_webhooks(s, d, o);
  }) {}
};

const std::string github_push
  = R"({"ref":"refs/heads/main","after":"abc","repository":{)"
    R"("ssh_url":"git@github.com:org/cluster.git",)"
    R"("clone_url":"https://github.com/org/cluster.git"}})";

httplib::Headers github_headers(const std::string& body, std::string id,
                                std::string event = "push") {
  return {{"X-GitHub-Event", event},
          {"X-GitHub-Delivery", id},
          {"X-Hub-Signature-256",
           "sha256=" + api::hmac_sha256_hex(secret, body)}};
}

} // namespace

TEST_CASE("HMAC-SHA256 matches the RFC 4231 test vector") {
  CHECK(api::hmac_sha256_hex("Jefe", "what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("a signed GitHub push asks the daemon to fetch at once") {
  hook_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto r = c.Post("/hook/github", github_headers(github_push, "d-1"),
                  github_push, "application/json");
  REQUIRE(r);
  CHECK(r->status == 202);
  auto changes = s.daemon.changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == "git");
  CHECK(changes[0].git_url == "git@github.com:org/cluster.git");
  CHECK(changes[0].git_branch == "main");

  // Replayed delivery: refused, no second notification.
  auto again = c.Post("/hook/github", github_headers(github_push, "d-1"),
                      github_push, "application/json");
  CHECK(again->status == 409);
  CHECK(s.daemon.changes().size() == 1);

  // Ping and tag pushes are fine but need nothing.
  CHECK(c.Post("/hook/github", github_headers("{}", "d-2", "ping"), "{}",
               "application/json")
          ->status
        == 200);
  auto tag = R"({"ref":"refs/tags/v1","repository":{"ssh_url":"x"}})";
  CHECK(c.Post("/hook/github", github_headers(tag, "d-3"), tag,
               "application/json")
          ->status
        == 200);
  CHECK(s.daemon.changes().size() == 1);
}

TEST_CASE("GitHub: bad or missing signature, unknown event, big body") {
  hook_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto h = github_headers(github_push, "d-1");
  h.erase("X-Hub-Signature-256");
  CHECK(c.Post("/hook/github", h, github_push, "application/json")->status
        == 401);
  h.emplace("X-Hub-Signature-256",
            "sha256=" + api::hmac_sha256_hex("wrong", github_push));
  auto bad = c.Post("/hook/github", h, github_push, "application/json");
  CHECK(bad->status == 401);
  CHECK(bad->body.find("does not match") != std::string::npos);
  // A tampered body under a valid signature of another body.
  auto tampered = github_push + " ";
  CHECK(c.Post("/hook/github", github_headers(github_push, "d-2"), tampered,
               "application/json")
          ->status
        == 401);
  auto issue = R"({"action":"opened"})";
  auto unknown = c.Post("/hook/github", github_headers(issue, "d-3", "issues"),
                        issue, "application/json");
  CHECK(unknown->status == 400);
  CHECK(unknown->body.find("unsupported GitHub event \"issues\"")
        != std::string::npos);
  std::string huge(5000, ' ');
  huge = "{" + huge + "}";
  CHECK(c.Post("/hook/github", github_headers(huge, "d-4"), huge,
               "application/json")
          ->status
        == 413);
  auto junk = std::string("not json");
  CHECK(c.Post("/hook/github", github_headers(junk, "d-5"), junk,
               "application/json")
          ->status
        == 400);
  CHECK(s.daemon.changes().empty());
}

TEST_CASE("GitLab and Bitbucket pushes") {
  hook_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto gl = R"({"ref":"refs/heads/master","project":{)"
            R"("git_ssh_url":"git@gitlab.com:o/r.git"}})";
  CHECK(c.Post("/hook/gitlab",
               {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "nope"}},
               gl, "application/json")
          ->status
        == 401);
  CHECK(c.Post("/hook/gitlab",
               {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", secret},
                {"X-Gitlab-Event-UUID", "u-1"}},
               gl, "application/json")
          ->status
        == 202);
  CHECK(c.Post("/hook/gitlab",
               {{"X-Gitlab-Event", "Issue Hook"}, {"X-Gitlab-Token", secret}},
               gl, "application/json")
          ->status
        == 400);
  std::string bb
    = R"({"push":{"changes":[{"new":{"type":"branch","name":"dev"}}]},)"
      R"("repository":{"links":{"html":{"href":"https://bitbucket.org/o/r"}}}})";
  CHECK(c.Post("/hook/bitbucket",
               {{"X-Event-Key", "repo:push"},
                {"X-Request-UUID", "b-1"},
                {"X-Hub-Signature",
                 "sha256=" + api::hmac_sha256_hex(secret, bb)}},
               bb, "application/json")
          ->status
        == 202);
  auto changes = s.daemon.changes();
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].git_url == "git@gitlab.com:o/r.git");
  CHECK(changes[0].git_branch == "master");
  CHECK(changes[1].git_url == "https://bitbucket.org/o/r");
  CHECK(changes[1].git_branch == "dev");
}

TEST_CASE("registry pushes: Docker Hub, Harbor, Distribution") {
  hook_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto hub = R"({"push_data":{"tag":"1.2"},"repository":{"repo_name":"fluxcd/flux"}})";
  CHECK(c.Post("/hook/dockerhub", hub, "application/json")->status == 401);
  CHECK(c.Post("/hook/dockerhub?secret=" + secret, hub, "application/json")
          ->status
        == 202);
  auto harbor = R"({"type":"PUSH_ARTIFACT","event_data":{"resources":[)"
                R"({"resource_url":"harbor.example.com/lib/app:1.0"}]}})";
  CHECK(c.Post("/hook/harbor", {{"Authorization", secret}}, harbor,
               "application/json")
          ->status
        == 202);
  auto dist = R"({"events":[{"id":"e-1","action":"push","target":{)"
              R"("repository":"team/app"},"request":{"host":"reg.local:5000"}},)"
              R"({"id":"e-2","action":"pull","target":{"repository":"x"}}]})";
  httplib::Headers auth{{"Authorization", "Bearer " + secret}};
  CHECK(c.Post("/hook/registry", auth, dist, "application/json")->status
        == 202);
  // The same event again (the registry retries): nothing new.
  CHECK(c.Post("/hook/registry", auth, dist, "application/json")->status
        == 200);
  CHECK(c.Post("/hook/registry", {{"Authorization", "Bearer x"}}, dist,
               "application/json")
          ->status
        == 401);
  auto changes = s.daemon.changes();
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].image_domain == "docker.io");
  CHECK(changes[0].image_name == "fluxcd/flux");
  CHECK(changes[1].image_domain == "harbor.example.com");
  CHECK(changes[1].image_name == "lib/app");
  CHECK(changes[2].image_domain == "reg.local:5000");
  CHECK(changes[2].image_name == "team/app");
}

TEST_CASE("without --webhook-secret-file there are no receivers") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  CHECK(c.Post("/hook/github", github_headers(github_push, "d-1"), github_push,
               "application/json")
          ->status
        == 404);
  CHECK(s.daemon.changes().empty());
}
