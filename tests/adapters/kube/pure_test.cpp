#include "adapters/kube/discovery.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/json.hpp"
#include "adapters/kube/rate_limiter.hpp"
#include "adapters/kube/watch.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

using namespace fluxd::kube;
namespace json = boost::json;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst, then one token per 1/qps") {
  auto t0 = token_bucket::clock::time_point{} + 100s;
  token_bucket b(2.0, 3, t0);
  CHECK(b.reserve(t0) == 0ms);
  CHECK(b.reserve(t0) == 0ms);
  CHECK(b.reserve(t0) == 0ms);
  // Reservations queue up: the 4th waits 0.5 s, the 5th 1 s.
  CHECK(b.reserve(t0) == 500ms);
  CHECK(b.reserve(t0) == 1000ms);
  CHECK(b.tokens(t0) == Approx(-2.0));
  // 1 s later the debt is paid; 1.5 s later one token is back.
  CHECK(b.tokens(t0 + 1s) == Approx(0.0));
  CHECK(b.reserve(t0 + 1500ms) == 0ms);
  // A long idle time refills only up to the burst.
  CHECK(b.tokens(t0 + 1h) == Approx(3.0));
  auto t1 = t0 + 1h;
  for (int i = 0; i < 3; ++i)
    CHECK(b.reserve(t1) == 0ms);
  CHECK(b.reserve(t1) == 500ms);
}

TEST_CASE("token bucket: qps 50 burst 100 as fluxd's defaults") {
  auto t0 = token_bucket::clock::time_point{};
  token_bucket b(50, 100, t0);
  for (int i = 0; i < 100; ++i)
    REQUIRE(b.reserve(t0) == 0ms);
  CHECK(b.reserve(t0) == 20ms);
  // 1000 more requests need 20 s at 50/s.
  token_bucket::clock::duration last{};
  for (int i = 0; i < 1000; ++i)
    last = b.reserve(t0);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(last)
        == 20020ms);
}

TEST_CASE("token bucket: qps 0 is unlimited, burst is at least 1") {
  auto t0 = token_bucket::clock::time_point{};
  token_bucket unlimited(0, 0, t0);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(unlimited.reserve(t0) == 0ms);
  token_bucket tiny(10, 0, t0);
  CHECK(tiny.reserve(t0) == 0ms);
  CHECK(tiny.reserve(t0) == 100ms);
}

TEST_CASE("Status: decoded from the API's JSON") {
  auto st = decode_status(409, "application/json", R"({
    "kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Apply failed with 1 conflict: conflict with )"
    R"(\"kubectl-patch\" using apps/v1: .spec.replicas",
    "reason":"Conflict","code":409,
    "details":{"name":"web","group":"apps","kind":"deployments",
      "causes":[{"reason":"FieldManagerConflict",
                 "message":"conflict with \"kubectl-patch\" using apps/v1",
                 "field":".spec.replicas"}]}})");
  CHECK(st.code == 409);
  CHECK(st.status == "Failure");
  CHECK(st.reason == "Conflict");
  CHECK(st.message == "Apply failed with 1 conflict: conflict with "
                      "\"kubectl-patch\" using apps/v1: .spec.replicas");
  CHECK(st.details_name == "web");
  CHECK(st.details_group == "apps");
  CHECK(st.details_kind == "deployments");
  REQUIRE(st.causes.size() == 1);
  CHECK(st.causes[0].reason == "FieldManagerConflict");
  CHECK(st.causes[0].field == ".spec.replicas");

  api_error e("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
              st);
  CHECK(e.conflict());
  CHECK_THAT(std::string(e.what()),
             Catch::StartsWith("PATCH /apis/apps/v1/namespaces/default/"
                               "deployments/web: 409 Conflict: Apply failed"));
}

TEST_CASE("Status: non-Status bodies get the reason for the code") {
  auto html = decode_status(503, "text/html", "<html>\nbad gateway</html>");
  CHECK(html.code == 503);
  CHECK(html.reason == "ServiceUnavailable");
  CHECK(html.message == "<html> bad gateway</html>");
  auto empty = decode_status(404, "application/json", "");
  CHECK(empty.reason == "NotFound");
  auto other_json = decode_status(422, "application/json", R"({"a":1})");
  CHECK(other_json.reason == "Invalid");
  auto no_reason = decode_status(
    410, "application/json",
    R"({"kind":"Status","status":"Failure","message":"too old","code":410})");
  CHECK(no_reason.reason == "Gone");
  CHECK(no_reason.message == "too old");
  CHECK(reason_for_code(429) == "TooManyRequests");
  CHECK(reason_for_code(502) == "InternalError");
}

TEST_CASE("discovery documents: legacy") {
  auto versions = parse_group_list(json::parse(
    R"({"kind":"APIVersions","versions":["v1"]})"));
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].group.empty());
  CHECK(versions[0].preferred);
  auto groups = parse_group_list(json::parse(R"({"kind":"APIGroupList",
    "groups":[{"name":"apps",
               "versions":[{"groupVersion":"apps/v1","version":"v1"}],
               "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
              {"name":"x.io","versions":[{"version":"v2"},{"version":"v1"}],
               "preferredVersion":{"version":"v2"}}]})"));
  REQUIRE(groups.size() == 3);
  CHECK(groups[2].group == "x.io");
  CHECK(groups[2].version == "v1");
  CHECK_FALSE(groups[2].preferred);
  CHECK(groups[1].preferred);

  auto res = parse_resource_list(json::parse(R"({"kind":"APIResourceList",
    "groupVersion":"apps/v1","resources":[
     {"name":"deployments","singularName":"deployment","namespaced":true,
      "kind":"Deployment","verbs":["get","list","watch","patch"],
      "shortNames":["deploy"]},
     {"name":"deployments/status","namespaced":true,"kind":"Deployment"},
     {"name":"deployments/scale","group":"autoscaling","version":"v1",
      "namespaced":true,"kind":"Scale"}]})"),
                                 groups[0]);
  REQUIRE(res.size() == 1);
  CHECK(res[0].kind == "Deployment");
  CHECK(res[0].plural == "deployments");
  CHECK(res[0].namespaced);
  CHECK(res[0].has_verb("watch"));
  CHECK_FALSE(res[0].has_verb("delete"));
  CHECK(res[0].short_names == std::vector<std::string>{"deploy"});
  CHECK(res[0].api_version() == "apps/v1");
  CHECK(res[0].collection_path("") == "/apis/apps/v1/deployments");
  CHECK(res[0].object_path("team", "web")
        == "/apis/apps/v1/namespaces/team/deployments/web");
}

TEST_CASE("discovery documents: aggregated") {
  auto res = parse_aggregated(json::parse(R"({"kind":"APIGroupDiscoveryList",
    "apiVersion":"apidiscovery.k8s.io/v2","items":[
     {"metadata":{"name":""},"versions":[{"version":"v1","resources":[
       {"resource":"namespaces","responseKind":{"group":"","version":"v1",
        "kind":"Namespace"},"scope":"Cluster","singularResource":"namespace",
        "verbs":["get","list"]},
       {"resource":"configmaps","responseKind":{"kind":"ConfigMap"},
        "scope":"Namespaced","verbs":["get"],"shortNames":["cm"],
        "subresources":[]}]}]},
     {"metadata":{"name":"helm.fluxcd.io"},"versions":[
       {"version":"v1","resources":[{"resource":"helmreleases",
        "responseKind":{"kind":"HelmRelease"},"scope":"Namespaced"}]},
       {"version":"v1beta1","resources":[{"resource":"helmreleases",
        "responseKind":{"kind":"HelmRelease"},"scope":"Namespaced"}]}]}]})"));
  REQUIRE(res.size() == 4);
  CHECK(res[0].kind == "Namespace");
  CHECK_FALSE(res[0].namespaced);
  CHECK(res[0].collection_path("ignored") == "/api/v1/namespaces");
  CHECK(res[0].object_path("ignored", "team") == "/api/v1/namespaces/team");
  CHECK(res[1].object_path("ns", "cfg")
        == "/api/v1/namespaces/ns/configmaps/cfg");
  CHECK(res[2].preferred);
  CHECK(res[2].api_version() == "helm.fluxcd.io/v1");
  CHECK_FALSE(res[3].preferred);
  CHECK(split_api_version("v1")
        == std::make_pair(std::string{}, std::string{"v1"}));
  CHECK(split_api_version("apps/v1")
        == std::make_pair(std::string{"apps"}, std::string{"v1"}));
}

TEST_CASE("watch stream: values split at JSON boundaries, not chunks") {
  std::string body =
    R"({"type":"ADDED","object":{"metadata":{"name":"a",)"
    R"("resourceVersion":"5"}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})"
    "\n"
    R"({"type":"DELETED","object":{"metadata":{"name":"b{\"}"}}})";
  for (std::size_t chunk : {1u, 3u, 7u, 64u, 4096u}) {
    json_stream s;
    std::vector<std::string> types;
    for (std::size_t i = 0; i < body.size(); i += chunk)
      s.feed(std::string_view(body).substr(i, chunk), [&](json::value&& v) {
        types.emplace_back(v.at("type").as_string());
        return true;
      });
    CHECK(types == std::vector<std::string>{"ADDED", "BOOKMARK", "DELETED"});
  }
  json_stream s;
  int seen = 0;
  CHECK_FALSE(s.feed(body, [&](json::value&&) { return ++seen < 2; }));
  CHECK(seen == 2);
  json_stream bad;
  CHECK_THROWS_AS(bad.feed("{\"type\": ]", [](json::value&&) { return true; }),
                  kube_error);
}

TEST_CASE("deeply nested objects parse (CRD schemas, managedFields)") {
  std::string deep;
  for (int i = 0; i < 200; ++i)
    deep += R"({"properties":)";
  deep += "{}";
  for (int i = 0; i < 200; ++i)
    deep += "}";
  json::error_code ec;
  auto v = parse_json(deep, ec);
  CHECK_FALSE(ec);
  CHECK(v.is_object());
  json_stream s;
  int values = 0;
  s.feed(deep + "\n" + deep, [&](json::value&&) { return ++values > 0; });
  CHECK(values == 2);
}

TEST_CASE("url encoding of selectors") {
  CHECK(url_encode("app=web,tier in (a,b)")
        == "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
  CHECK(url_encode("!fluxcd.io/sync-gc-mark")
        == "%21fluxcd.io%2Fsync-gc-mark");
}
