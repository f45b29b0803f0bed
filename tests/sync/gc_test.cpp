#include "tests/sync/sync_fixture.hpp"

using namespace fluxd;
using namespace fluxd::test::syncfx;

namespace {

std::map<std::string, std::string> two_deployments() {
  return {{"ns.yaml", namespace_yaml("demo")},
          {"a.yaml", deployment_yaml("demo", "a", "nginx:1")},
          {"b.yaml", deployment_yaml("demo", "b", "nginx:1")}};
}

} // namespace

TEST_CASE("a manifest removed without GC stays in the cluster") {
  SKIP_IF_NO_KUBECTL();
  env e{two_deployments()};
  e.synced(e.up.head());
  auto rev = e.up.commit({{"b.yaml", ""}}, "remove b");
  auto r = e.synced(rev);
  CHECK(r.success);
  CHECK(r.deleted == 0);
  CHECK(e.exists("deployment/b", "demo"));
  // No longer looked after: a change to it stays.
  REQUIRE(e.kubectl({"scale", "deployment/b", "-n", "demo", "--replicas=4"})
            .status
          == 0);
  std::this_thread::sleep_for(1s);
  CHECK(e.get("deployment/b", "demo", "{.spec.replicas}") == "4");
}

TEST_CASE("GC deletes what git no longer holds and only what this fluxd "
          "marked - dry run deletes nothing") {
  SKIP_IF_NO_KUBECTL();
  SECTION("dry run") {
    options o;
    o.gc_dry = true;
    env e{two_deployments(), o};
    e.synced(e.up.head());
    auto rev = e.up.commit({{"b.yaml", ""}}, "remove b");
    auto r = e.synced(rev);
    CHECK(r.deleted == 1); // would have
    CHECK(e.exists("deployment/b", "demo"));
  }
  SECTION("for real") {
    options o;
    o.gc = true;
    env e{two_deployments(), o};
    e.synced(e.up.head());
    // Not created by fluxd: never collected.
    REQUIRE(e.create(configmap_yaml("demo", "mine", "b")) == 0);
    // A copy of a's label under another name: not collected either.
    auto mark = e.get("deployment/a", "demo",
                      "{.metadata.labels.fluxcd\\.io/sync-gc-mark}");
    REQUIRE(e.create(configmap_yaml("demo", "copy", "c")) == 0);
    REQUIRE(e.kubectl({"label", "configmap/copy", "-n", "demo",
                       "fluxcd.io/sync-gc-mark=" + mark})
              .status
            == 0);
    auto rev = e.up.commit({{"b.yaml", ""}}, "remove b");
    auto r = e.synced(rev);
    CHECK(r.success);
    CHECK(r.deleted == 1);
    CHECK(eventually([&] { return !e.exists("deployment/b", "demo"); }));
    CHECK(e.exists("deployment/a", "demo"));
    CHECK(e.exists("configmap/mine", "demo"));
    CHECK(e.exists("configmap/copy", "demo"));

    // Everything gone from git: namespace and deployment go too.
    auto empty = e.up.commit({{"a.yaml", ""}, {"ns.yaml", ""}}, "empty");
    auto last = e.synced(empty);
    CHECK(last.deleted == 2);
    CHECK(eventually([&] { return !e.exists("namespace/demo"); }));
  }
}

TEST_CASE("ignore: in the file never applied - on the live object never "
          "overwritten - sync_only applied and never collected") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.gc = true;
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")},
         {"b.yaml", deployment_yaml("demo", "b", "nginx:1", 2,
                                    "    fluxcd.io/ignore: \"true\"\n")},
         {"c.yaml", deployment_yaml("demo", "c", "nginx:1", 2,
                                    "    fluxcd.io/ignore: sync_only\n")}},
        o};
  auto r = e.synced(e.up.head());
  CHECK(r.ignored == 1);
  CHECK(!e.exists("deployment/b", "demo"));
  CHECK(e.exists("deployment/c", "demo"));

  REQUIRE(e.kubectl({"annotate", "deployment/a", "-n", "demo",
                     "fluxcd.io/ignore=true"})
            .status
          == 0);
  REQUIRE(e.kubectl({"scale", "deployment/a", "-n", "demo", "--replicas=5"})
            .status
          == 0);
  auto rev = e.up.commit(
    {{"a.yaml", deployment_yaml("demo", "a", "nginx:2")}, {"c.yaml", ""}},
    "change a, drop c");
  auto second = e.synced(rev);
  CHECK(second.ignored >= 1);
  CHECK(e.get("deployment/a", "demo", "{.spec.replicas}") == "5");
  CHECK(e.get("deployment/a", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1");
  CHECK(e.exists("deployment/c", "demo")); // sync_only: not collected
}

TEST_CASE("excluded kinds (--k8s-unsafe-exclude-resource) are applied as "
          "Flux v1 does - never listed - so never garbage collected") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.gc = true;
  o.exclude_resources = std::vector<std::string>{"v1/ConfigM*"};
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"b.yaml", deployment_yaml("demo", "b", "nginx:1")},
         {"c.yaml", configmap_yaml("demo", "c", "x")}},
        o};
  auto first = e.synced(e.up.head());
  CHECK(first.success);
  CHECK(e.get("configmap/c", "demo", "{.data.key}") == "x");
  auto rev = e.up.commit({{"b.yaml", ""}, {"c.yaml", ""}}, "remove b and c");
  auto r = e.synced(rev);
  CHECK(r.success);
  CHECK(r.deleted == 1); // b only
  CHECK(eventually([&] { return !e.exists("deployment/b", "demo"); }));
  CHECK(e.exists("configmap/c", "demo"));
}
