// Every route of §3.2 through fluxd's HTTP server: bodies, status codes,
// query rules and the error cases of §3.4.10.

#include <catch2/catch.hpp>

#include <httplib.h>

#include "tests/adapters/api/api_server.hpp"

using namespace fluxd;

namespace {

httplib::Headers json_accept() {
  return {{"Accept", "application/json"}};
}

/// httplib sends `Accept: */*` unless told otherwise; old fluxctls sent
/// none, which an empty header stands for.
httplib::Headers no_accept() {
  return {{"Accept", ""}};
}

} // namespace

TEST_CASE("list-workloads routes: v6 and v11, namespace and services") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto all = c.Get("/api/flux/v6/services?namespace=demo");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->get_header_value("Content-Type")
        == "application/json; charset=utf-8");
  CHECK(all->body == api::to_json(s.daemon.workloads));
  auto one = c.Get("/api/flux/v11/services?services=demo:Deployment/podinfo");
  REQUIRE(one);
  CHECK(one->status == 200);
  CHECK(one->body == "[" + api::to_json(s.daemon.workloads[0]) + "]");
  // v6 shares the handler, so it accepts `services` too.
  auto v6 = c.Get("/api/flux/v6/services?services=demo:deployment/podinfo");
  CHECK(v6->body == one->body);
  auto none = c.Get("/api/flux/v6/services?namespace=elsewhere");
  CHECK(none->body == "[]");

  auto both = c.Get(
    "/api/flux/v11/services?namespace=demo&services=demo:deployment/podinfo",
    json_accept());
  CHECK(both->status == 422);
  CHECK(both->body.find(R"("error":"cannot filter by 'namespace' and )"
                        R"('workloads' at the same time")")
        != std::string::npos);
  auto bad = c.Get("/api/flux/v11/services?services=not-an-id", no_accept());
  CHECK(bad->status == 400);
  CHECK(bad->body
        == "parsing service spec \"not-an-id\": parsing not-an-id: invalid "
           "service ID");
}

TEST_CASE("list-images routes: v6 and v10 with containerFields") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto all = c.Get("/api/flux/v10/images?service=&containerFields=&namespace=demo");
  REQUIRE(all);
  CHECK(all->status == 200);
  CHECK(all->body == api::to_json(s.daemon.images));
  auto one = c.Get("/api/flux/v6/images?service=demo:deployment/podinfo");
  CHECK(one->body == "[" + api::to_json(s.daemon.images[0]) + "]");
  auto some = c.Get(
    "/api/flux/v10/images?service=demo:helmrelease/ghost"
    "&containerFields=Name,AvailableImagesCount");
  CHECK(some->body
        == R"([{"ID":"demo:helmrelease/ghost","Containers":[{"Name":"chart-image",)"
           R"("Current":{"ID":"","Labels":{}},"LatestFiltered":{"ID":"","Labels":{}},)"
           R"("AvailableImagesCount":2}]}])");
  auto field = c.Get("/api/flux/v10/images?containerFields=Name,Colour",
                     json_accept());
  CHECK(field->status == 422);
  CHECK(field->body.find(R"("error":"Colour is an invalid field")")
        != std::string::npos);
  auto both = c.Get(
    "/api/flux/v10/images?service=demo:deployment/podinfo&namespace=demo",
    no_accept());
  CHECK(both->status == 422);
  CHECK(both->body
        == "cannot filter by 'namespace' and 'workload' at the same time");
  auto bad = c.Get("/api/flux/v10/images?service=%3Cnone%3E", no_accept());
  CHECK(bad->status == 400);
  CHECK(bad->body
        == "parsing service spec \"<none>\": invalid workload spec: parsing "
           "<none>: invalid service ID");
}

TEST_CASE("update-manifests queues specs and jobs report them") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto posted = c.Post(
    "/api/flux/v9/update-manifests",
    R"({"type":"policy","cause":{"Message":"","User":"me"},"spec":{"demo:deployment/podinfo":{"add":{"locked":"true"}}}})",
    "application/json");
  REQUIRE(posted);
  CHECK(posted->status == 200);
  CHECK(posted->body == R"("00000000-0000-0000-0000-000000000001")");
  REQUIRE(s.daemon.specs().size() == 1);
  CHECK(s.daemon.specs()[0].cause.user == "me");

  auto job = c.Get("/api/flux/v6/jobs?id=00000000-0000-0000-0000-000000000001");
  CHECK(job->status == 200);
  CHECK(job->body.find(R"("StatusString":"succeeded")") != std::string::npos);

  auto unknown = c.Get("/api/flux/v6/jobs?id=nope", json_accept());
  CHECK(unknown->status == 404);
  CHECK(unknown->body.find(R"({"type":"missing","help":"Job not found)")
        == 0);
  CHECK(unknown->body.find(R"("error":"unknown job \"nope\"")")
        != std::string::npos);

  auto bad_type = c.Post("/api/flux/v9/update-manifests", no_accept(),
                         R"({"type":"nope","spec":{}})", "application/json");
  CHECK(bad_type->status == 400);
  CHECK(bad_type->body == "unknown spec type: nope");
  auto bad_id = c.Post(
    "/api/flux/v9/update-manifests",
    R"({"type":"image","spec":{"ServiceSpecs":["x y"],"ImageSpec":"a:1","Kind":"plan"}})",
    "application/json");
  CHECK(bad_id->status == 400);
  CHECK(s.daemon.specs().size() == 1); // nothing queued for bad requests
}

TEST_CASE("required query parameters: missing means 404, as Flux's mux") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto jobs = c.Get("/api/flux/v6/jobs", json_accept());
  CHECK(jobs->status == 404);
  CHECK(jobs->body.find(R"("error":"API endpoint not found")")
        != std::string::npos);
  CHECK(c.Get("/api/flux/v6/sync")->status == 404);
  CHECK(c.Post("/api/flux/v6/update-images?image=a:1&kind=plan", "",
               "text/plain")
          ->status
        == 404);
  // Wrong method and unknown paths, and deprecated versions.
  CHECK(c.Delete("/api/flux/v6/services")->status == 404);
  auto gone = c.Get("/api/flux/v5/services", json_accept());
  CHECK(gone->status == 410);
  CHECK(gone->body.find("deprecated") != std::string::npos);
}

TEST_CASE("sync, export, git-repo-config, identity, ping, version, notify") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  s.daemon.set_pending_syncs(1);
  CHECK(c.Get("/api/flux/v6/sync?ref=abc")->body == R"(["abc"])");
  CHECK(c.Get("/api/flux/v6/sync?ref=abc")->body == "[]");

  auto exp = c.Get("/api/flux/v6/export");
  CHECK(exp->body
        == "\"LS0tCmFwaVZlcnNpb246IHYxCmtpbmQ6IE5hbWVzcGFjZQptZXRhZGF0YToKICBu"
           "YW1lOiBkZW1vCg==\"");

  auto cfg = c.Post("/api/flux/v9/git-repo-config", "false", "application/json");
  CHECK(cfg->status == 200);
  CHECK(cfg->body == api::to_json(s.daemon.git_repo_config(false)));
  CHECK(c.Post("/api/flux/v9/git-repo-config", "maybe", "application/json")
          ->status
        == 400);
  CHECK(c.Post("/api/flux/v9/git-repo-config", "true", "application/json")
          ->status
        == 200);
  CHECK(s.daemon.regenerations() == 1);

  auto key = c.Get("/api/flux/v6/identity.pub");
  CHECK(key->body
        == api::to_json(s.daemon.git_repo_config(false).public_ssh_key));
  CHECK(c.Post("/api/flux/v6/identity.pub", "", "text/plain")->status == 204);
  CHECK(s.daemon.regenerations() == 2);

  CHECK(c.Get("/api/flux/v11/ping")->status == 204);
  s.daemon.set_ping_error("connection refused");
  auto ping = c.Get("/api/flux/v11/ping", no_accept());
  CHECK(ping->status == 422);
  CHECK(ping->body == "connection refused");
  CHECK(c.Get("/api/flux/v11/version")->body == R"("1.25.4")");

  auto n = c.Post("/api/flux/v11/notify",
                  R"({"Kind":"git","Source":{"URL":"u","Branch":"b"}})",
                  "application/json");
  CHECK(n->status == 202);
  CHECK(n->body.empty());
  CHECK(c.Post("/api/flux/v11/notify", R"({"Kind":"x"})", "application/json")
          ->status
        == 400);
  CHECK(s.daemon.changes().size() == 1);
}

TEST_CASE("legacy update-images and policies build the same specs") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto r = c.Post(
    "/api/flux/v6/update-images?service=demo:deployment/podinfo"
    "&service=%3Call%3E&image=alpine:3.12&kind=plan&exclude=demo/x&user=u",
    "", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto spec = s.daemon.specs().at(0);
  CHECK(api::to_json(spec)
        == R"({"type":"image","cause":{"Message":"","User":"u"},"spec":{)"
           R"("ServiceSpecs":["demo:deployment/podinfo","\u003call\u003e"],)"
           R"("ImageSpec":"alpine:3.12","Kind":"plan","Excludes":["demo/x"],"Force":false}})");
  CHECK(c.Post("/api/flux/v6/update-images?service=a:b/c&image=alpine"
               "&kind=plan",
               no_accept(), "", "text/plain")
          ->body
        == "parsing image spec \"alpine\": blank tag (if you want latest, "
           "explicitly state the tag :latest)");
  CHECK(c.Post("/api/flux/v6/update-images?service=a:b/c&image=a:1&kind=now",
               "", "text/plain")
          ->status
        == 400);
  auto p = c.Patch("/api/flux/v6/policies?message=hi",
                   R"({"demo:deployment/podinfo":{"remove":{"locked":"true"}}})",
                   "application/json");
  CHECK(p->status == 200);
  CHECK(s.daemon.specs().at(1).cause.message == "hi");
}

TEST_CASE("error bodies follow the Accept header") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto plain = c.Get("/api/flux/v6/jobs?id=x", no_accept());
  CHECK(plain->get_header_value("Content-Type") == "text/plain; charset=utf-8");
  CHECK(plain->body == "unknown job \"x\"");
  auto help = c.Get("/api/flux/v6/jobs?id=x", {{"Accept", "text/plain"}});
  CHECK(help->body.rfind("Job not found\n", 0) == 0);
  auto json = c.Get("/api/flux/v6/jobs?id=x",
                    {{"Accept", "text/plain;q=0.5, application/json"}});
  CHECK(json->get_header_value("Content-Type")
        == "application/json; charset=utf-8");
}

TEST_CASE("api token (--api-token-file): requests without the token get 401") {
  test::api_server s{api::route_options{"s3cret-token"}};
  httplib::Client c("127.0.0.1", s.srv->port());
  auto none = c.Get("/api/flux/v11/version", json_accept());
  CHECK(none->status == 401);
  CHECK(none->body.find(R"("error":"request failed authentication")")
        != std::string::npos);
  CHECK(c.Get("/api/flux/v11/version", {{"Authorization", "Bearer wrong"}})
          ->status
        == 401);
  CHECK(c.Get("/api/flux/v11/version",
              {{"Authorization", "Bearer s3cret-token"}})
          ->status
        == 200);
  CHECK(c.Get("/api/flux/v11/version",
              {{"Authorization", "Scope-Probe token=s3cret-token"}})
          ->status
        == 200);
  CHECK(api::constant_time_equal("abc", "abc"));
  CHECK_FALSE(api::constant_time_equal("abc", "abd"));
  CHECK_FALSE(api::constant_time_equal("", ""));
}

TEST_CASE("error JSON escapes as Go does (unknown path with <>&)") {
  test::api_server s;
  httplib::Client c("127.0.0.1", s.srv->port());
  auto r = c.Get("/api/flux/v6/x%3Cy%3E&z", json_accept());
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body.find(R"(    /v6/x\u003cy\u003e\u0026z\n")") != std::string::npos);
}
