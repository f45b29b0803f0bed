#include "tests/sync/sync_fixture.hpp"

using namespace fluxd;
using namespace fluxd::test::syncfx;

namespace {

std::map<std::string, std::string> sample() {
  return {{"deploy/ns.yaml", namespace_yaml("demo")},
          {"deploy/web.yaml", deployment_yaml("demo", "web", "nginx:1.25")},
          {"deploy/config.yaml", configmap_yaml("demo", "settings", "a")},
          {"README.md", "not a manifest\n"}};
}

} // namespace

TEST_CASE("first sync applies every manifest - marks it - moves the marker - "
          "a no-op resync sends no write") {
  SKIP_IF_NO_KUBECTL();
  env e{sample()};
  auto r = e.synced(e.up.head());
  CHECK(r.success);
  CHECK(r.applied == 3);
  CHECK(r.failed == 0);
  CHECK(r.errors.empty());
  CHECK(e.get("deployment/web", "demo", "{.spec.replicas}") == "2");
  CHECK(e.get("deployment/web", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1.25");
  CHECK(e.get("configmap/settings", "demo", "{.data.key}") == "a");
  auto mark = e.get("deployment/web", "demo",
                    "{.metadata.labels.fluxcd\\.io/sync-gc-mark}");
  CHECK(mark.rfind("sha256.", 0) == 0);
  CHECK(e.get("deployment/web", "demo",
              "{.metadata.annotations.fluxcd\\.io/sync-checksum}")
          .size()
        == 40);
  CHECK(eventually([&] { return e.marker() == e.up.head(); }));
  CHECK(eventually([&] { return e.status().synced == e.up.head(); }));

  // The same revision again: every object is as git says, nothing written.
  auto before = e.writes();
  e.sync_now();
  auto again = e.synced(e.up.head(), r.finished_unix_ms);
  CHECK(again.success);
  CHECK(again.unchanged == 3);
  CHECK(again.applied == 0);
  CHECK(e.writes() == before);
}

TEST_CASE("a commit is applied - kubectl scale - annotate - edit and delete "
          "are put back - fields git does not set are left alone") {
  SKIP_IF_NO_KUBECTL();
  env e{sample()};
  e.synced(e.up.head());
  auto second = e.up.commit(
    {{"deploy/web.yaml", deployment_yaml("demo", "web", "nginx:1.27", 3)}},
    "new image");
  auto r = e.synced(second);
  CHECK(r.applied == 1);
  CHECK(r.unchanged == 2);
  CHECK(e.get("deployment/web", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1.27");
  CHECK(e.get("deployment/web", "demo", "{.spec.replicas}") == "3");

  REQUIRE(e.kubectl({"scale", "deployment/web", "-n", "demo",
                     "--replicas=7"})
            .status
          == 0);
  CHECK(eventually([&] {
    return e.get("deployment/web", "demo", "{.spec.replicas}") == "3";
  }));

  REQUIRE(e.kubectl({"annotate", "--overwrite", "deployment/web", "-n",
                     "demo", "team=someone-else", "note=mine"})
            .status
          == 0);
  CHECK(eventually([&] {
    return e.get("deployment/web", "demo", "{.metadata.annotations.team}")
           == "web";
  }));
  // git does not set `note`: it stays.
  CHECK(e.get("deployment/web", "demo", "{.metadata.annotations.note}")
        == "mine");

  auto edit = e.kubectl({"edit", "deployment/web", "-n", "demo"},
                        {{"KUBE_EDITOR", "sed -i -e s/nginx:1.27/evil:1/"}});
  REQUIRE(edit.status == 0);
  CHECK(eventually([&] {
    return e.get("deployment/web", "demo",
                 "{.spec.template.spec.containers[0].image}")
           == "nginx:1.27";
  }));

  REQUIRE(e.kubectl({"delete", "deployment/web", "-n", "demo"}).status == 0);
  CHECK(eventually([&] { return e.exists("deployment/web", "demo"); }));
  REQUIRE(e.kubectl({"delete", "configmap/settings", "-n", "demo"}).status
          == 0);
  CHECK(eventually([&] {
    return e.get("configmap/settings", "demo", "{.data.key}") == "a";
  }));
}

TEST_CASE("each sync that brings commits emits Flux v1's sync event: "
          "commits - changed workloads - errors (§7.7)") {
  SKIP_IF_NO_KUBECTL();
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")},
         {"b.yaml", configmap_yaml("demo", "b", "x")}}};
  auto first = e.synced_ok(e.up.head());
  REQUIRE(eventually([&] { return e.events->of_type("sync").size() == 1; }));
  auto ev = e.events->of_type("sync").at(0);
  CHECK(ev.at("type") == "sync");
  auto& md = ev.at("metadata").as_object();
  CHECK(md.at("initialSync") == true);
  REQUIRE(md.at("commits").as_array().size() == 1);
  CHECK(md.at("commits").at(0).at("revision").as_string()
        == first.revision);
  CHECK(ev.at("serviceIDs").as_array().size() == 3);
  REQUIRE(eventually([&] { return e.marker() == first.revision; }));

  auto rev = e.up.commit(
    {{"a.yaml", deployment_yaml("demo", "a", "nginx:2")},
     {"c.yaml", deployment_yaml("nowhere", "c", "nginx:1")}},
    "change a, add c where it cannot go");
  e.synced(rev);
  REQUIRE(eventually([&] { return e.events->of_type("sync").size() == 2; }));
  auto second = e.events->of_type("sync").at(1);
  auto& md2 = second.at("metadata").as_object();
  CHECK(!md2.contains("initialSync"));
  REQUIRE(md2.at("commits").as_array().size() == 1);
  CHECK(md2.at("commits").at(0).at("revision").as_string() == rev);
  CHECK(md2.at("commits").at(0).at("message")
        == "change a, add c where it cannot go");
  CHECK(md2.at("includes").at("other") == true);
  auto ids = second.at("serviceIDs").as_array();
  CHECK(ids.size() == 2);
  CHECK(std::find(ids.begin(), ids.end(),
                  boost::json::value("demo:deployment/a"))
        != ids.end());
  REQUIRE(md2.at("errors").as_array().size() == 1);
  CHECK(md2.at("errors").at(0).at("ID") == "nowhere:deployment/c");
  CHECK(md2.at("errors").at(0).at("Path") == "c.yaml");

  // A resync of the same revision brings no commits: no event.
  REQUIRE(eventually([&] { return e.status().synced == rev; }));
  auto before = e.result(rev)->finished_unix_ms;
  e.sync_now();
  e.synced(rev, before);
  std::this_thread::sleep_for(200ms); // an event would follow at once
  CHECK(e.events->of_type("sync").size() == 2);
}
