#include "adapters/kube/client.hpp"
#include "tests/adapters/kube/fake_api.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <boost/json.hpp>

using namespace fluxd::kube;
using fluxd::test::fake_api;
namespace json = boost::json;

TEST_CASE("discovery: legacy documents, cached, refreshed for unknown kinds") {
  fake_api api;
  api.serve_discovery(false);
  api.start();
  client c(api.config());
  auto deploy = c.discovery().resolve("apps/v1", "Deployment");
  CHECK(deploy.plural == "deployments");
  CHECK(deploy.namespaced);
  CHECK_FALSE(c.discovery().aggregated());
  CHECK(api.discovery_requests() == 4); // /api, /apis, /api/v1, apps/v1
  auto ns = c.discovery().resolve("v1", "Namespace");
  CHECK_FALSE(ns.namespaced);
  CHECK(api.discovery_requests() == 4);
  CHECK(c.discovery().refreshes() == 1);

  // Unknown kind: one refresh, then the error; right after, no new refresh.
  discovery fresh(c.transport(), std::chrono::hours(1));
  fresh.refresh();
  CHECK_THROWS_AS(fresh.resolve("helm.fluxcd.io/v1", "HelmRelease"),
                  unknown_kind_error);
  CHECK(fresh.refreshes() == 1); // within min interval: cache only
  fresh.invalidate();            // e.g. a CRD was applied
  CHECK_THROWS_WITH(fresh.resolve("helm.fluxcd.io/v1", "HelmRelease"),
                    Catch::Contains("HelmRelease")
                      && Catch::Contains("helm.fluxcd.io/v1"));
  CHECK(fresh.refreshes() == 2);
  CHECK(fresh.preferred_resources().size() == 3);
  CHECK(c.object_path({"apps/v1", "Deployment", "", "web"})
        == "/apis/apps/v1/namespaces/default/deployments/web");
  CHECK(c.object_path({"v1", "Namespace", "ignored", "team"})
        == "/api/v1/namespaces/team");
}

TEST_CASE("discovery: concurrent misses share one refresh") {
  fake_api api;
  api.serve_discovery(false);
  api.start();
  client c(api.config());
  std::vector<std::thread> threads;
  std::atomic<int> resolved{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (c.discovery().resolve("apps/v1", "Deployment").plural
          == "deployments")
        ++resolved;
    });
  for (auto& t : threads)
    t.join();
  CHECK(resolved == 8);
  CHECK(c.discovery().refreshes() == 1);
  CHECK(api.discovery_requests() == 4);
}

TEST_CASE("discovery: aggregated in two requests") {
  fake_api api;
  api.serve_discovery(true);
  api.start();
  client c(api.config());
  CHECK(c.discovery().resolve("v1", "ConfigMap").plural == "configmaps");
  CHECK(c.discovery().aggregated());
  CHECK(api.discovery_requests() == 2);
  CHECK(c.discovery().resolve("apps/v1", "Deployment").namespaced);
}

TEST_CASE("apply: SSA request shape, and many objects from a few threads") {
  fake_api api;
  api.serve_discovery(false);
  std::atomic<int> applies{0};
  std::mutex mtx;
  std::string last_query;
  api.server().Patch(
    R"(/api/v1/namespaces/(\w+)/configmaps/([\w-]+))",
    [&](const httplib::Request& req, httplib::Response& res) {
      ++applies;
      if (req.get_header_value("Content-Type")
          != "application/apply-patch+yaml") {
        res.status = 415;
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mtx);
        last_query = req.get_param_value("fieldManager") + "|"
                     + req.get_param_value("force") + "|"
                     + req.get_param_value("dryRun");
      }
      auto obj = json::parse(req.body).as_object();
      if (obj["metadata"].as_object()["name"] == "refused") {
        res.status = 422;
        res.set_content(R"({"kind":"Status","status":"Failure",
          "reason":"Invalid","message":"data: Invalid value","code":422})",
                        "application/json");
        return;
      }
      obj["metadata"].as_object()["namespace"] = req.matches[1].str();
      obj["metadata"].as_object()["uid"] = "u-" + req.matches[2].str();
      res.status = 201;
      res.set_content(json::serialize(obj), "application/json");
    });
  api.start();
  client_options opts;
  opts.max_idle_connections = 4;
  opts.qps = 0; // the limiter has its own tests
  client c(api.config(), opts);

  json::value cm = {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata", {{"name", "cfg"}}},
                    {"data", {{"k", "v"}}}};
  apply_options ao;
  ao.field_manager = "flux";
  ao.force = true;
  ao.dry_run = true;
  auto stored = c.apply(cm, ao);
  CHECK(stored.at("metadata").at("namespace") == "default");
  CHECK(last_query == "flux|true|All");

  std::vector<json::value> objs;
  for (int i = 0; i < 200; ++i) {
    auto o = cm;
    o.at("metadata").as_object()["name"] =
      i == 57 ? std::string("refused") : "cm-" + std::to_string(i);
    o.at("metadata").as_object()["namespace"] = "team";
    objs.push_back(o);
  }
  auto results = apply_all(c, objs, apply_options{}, 4);
  REQUIRE(results.size() == 200);
  CHECK(last_query == "fluxd|false|");
  for (int i = 0; i < 200; ++i) {
    if (i == 57) {
      CHECK_FALSE(results[i].ok());
      CHECK_THAT(results[i].message,
                 Catch::Contains("/namespaces/team/configmaps/refused")
                   && Catch::Contains("422 Invalid"));
      CHECK_THROWS_AS(std::rethrow_exception(results[i].error), api_error);
    } else {
      REQUIRE(results[i].ok());
      CHECK(results[i].object.at("metadata").at("uid").as_string()
            == "u-cm-" + std::to_string(i));
    }
  }
  CHECK(applies == 201);
  // Four threads never need more than four connections.
  CHECK(c.transport().connections_opened() <= 4);

  json::value nameless = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
  CHECK_THROWS_AS(c.apply(nameless), kube_error);
  json::value unknown = {{"apiVersion", "x.io/v1"},
                         {"kind", "Thing"},
                         {"metadata", {{"name", "t"}}}};
  CHECK_THROWS_AS(c.apply(unknown), unknown_kind_error);
}

TEST_CASE("list: selectors and limit/continue paging, and delete options") {
  fake_api api;
  api.serve_discovery(false);
  std::vector<std::string> queries;
  std::mutex mtx;
  api.server().Get(
    "/api/v1/namespaces/team/configmaps",
    [&](const httplib::Request& req, httplib::Response& res) {
      auto cont = req.get_param_value("continue");
      {
        std::lock_guard<std::mutex> lock(mtx);
        queries.push_back(req.get_param_value("labelSelector") + "|"
                          + req.get_param_value("limit") + "|" + cont);
      }
      if (cont == "stale") {
        res.status = 410;
        res.set_content(R"({"kind":"Status","reason":"Expired","code":410,
          "message":"continue token expired"})", "application/json");
        return;
      }
      int page = cont.empty() ? 0 : std::stoi(cont);
      int limit = req.has_param("limit") ? std::stoi(req.get_param_value(
                                             "limit"))
                                         : 5;
      json::array items;
      for (int i = page; i < std::min(5, page + limit); ++i)
        items.push_back(json::object{
          {"metadata", json::object{{"name", "cm" + std::to_string(i)}}}});
      json::object meta{{"resourceVersion", "77"}};
      if (page + limit < 5)
        meta["continue"] = req.get_param_value("labelSelector") == "expire"
                             ? std::string("stale")
                             : std::to_string(page + limit);
      json::object list{{"kind", "ConfigMapList"},
                        {"apiVersion", "v1"},
                        {"metadata", meta},
                        {"items", items}};
      res.set_content(json::serialize(list), "application/json");
    });
  std::string delete_body;
  api.server().Delete(
    "/api/v1/namespaces/team/configmaps/cm0",
    [&](const httplib::Request& req, httplib::Response& res) {
      delete_body = req.body;
      res.set_content(R"({"kind":"Status","status":"Success"})",
                      "application/json");
    });
  api.start();
  client c(api.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  list_options lo;
  lo.label_selector = "app in (web,api)";
  lo.limit = 2;
  auto page = c.list(res, "team", lo);
  CHECK(page.items.size() == 2);
  CHECK(page.continue_token == "2");
  CHECK(page.items[0].at("kind") == "ConfigMap");
  CHECK(page.items[0].at("apiVersion") == "v1");
  auto all = c.list_all(res, "team", lo);
  CHECK(all.items.size() == 5);
  CHECK(all.resource_version == "77");
  CHECK(all.continue_token.empty());
  CHECK(all.items[4].at("metadata").at("name") == "cm4");
  CHECK(queries[0] == "app in (web,api)|2|");
  CHECK(queries.size() == 4);

  // An expired continue token: the pager starts again without paging.
  queries.clear();
  lo.label_selector = "expire";
  auto again = c.list_all(res, "team", lo);
  CHECK(again.items.size() == 5);
  CHECK(queries == std::vector<std::string>{"expire|2|", "expire|2|stale",
                                            "expire||"});
  // A first request with a stale token is the caller's error.
  lo.continue_token = "stale";
  CHECK_THROWS_AS(c.list_all(res, "team", lo), api_error);

  delete_options del;
  del.propagation_policy = "Foreground";
  del.dry_run = true;
  del.precondition_uid = "u1";
  auto answer = c.remove({"v1", "ConfigMap", "team", "cm0"}, del);
  CHECK(answer.at("status") == "Success");
  auto body = json::parse(delete_body);
  CHECK(body.at("propagationPolicy") == "Foreground");
  CHECK(body.at("dryRun").at(0) == "All");
  CHECK(body.at("preconditions").at("uid") == "u1");
}
