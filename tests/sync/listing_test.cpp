#include "tests/sync/sync_fixture.hpp"

using namespace fluxd;
using namespace fluxd::test::syncfx;

/// The sync learns the cluster from watches that list whole kinds, and a
/// stage waits for its kinds' first listings: a first sync reads no object
/// one by one, and it sees objects fluxd never marked.
namespace {

long gets(env& e) {
  return static_cast<long>(e.requests().at("get").to_number<double>());
}

} // namespace

TEST_CASE("a first sync of 150 objects makes no GET per object: the watches' "
          "listings tell what is there") {
  SKIP_IF_NO_KUBECTL();
  std::map<std::string, std::string> files{
    {"ns.yaml", namespace_yaml("demo")}};
  constexpr int objects = 150;
  for (int i = 0; i < objects; ++i) {
    auto n = std::to_string(i);
    files["cm-" + n + ".yaml"] = configmap_yaml("demo", "cm-" + n, "v" + n);
  }
  options o;
  o.coordinator = false; // count from a quiet emulator
  env e{files, o};
  // A few objects already there, unmarked: the listing must cover them too.
  REQUIRE(e.create(namespace_yaml("demo")) == 0);
  for (int i = 0; i < 5; ++i)
    REQUIRE(e.create(configmap_yaml("demo", "cm-" + std::to_string(i), "old"))
            == 0);
  auto before = gets(e);
  e.start_coordinator();
  auto r = e.synced(e.up.head(), 0, 30s);
  auto during = gets(e) - before;
  CHECK(r.success);
  CHECK(r.applied == objects + 1);
  CHECK(r.failed == 0);
  // Discovery, one list and one watch per kind, the reading of this count:
  // a few dozen at most. A GET per object would be more than `objects`.
  INFO("GETs during the first sync: " << during);
  CHECK(during < objects / 3);
  CHECK(e.get("configmap/cm-3", "demo", "{.data.key}") == "v3");
  CHECK(e.get("configmap/cm-149", "demo", "{.data.key}") == "v149");
}

TEST_CASE("ignore on a live object fluxd never marked is honoured: the "
          "object in git differs and is not applied (Flux v1 §7.4)") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.coordinator = false; // the object is there before the first sync
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")},
         {"b.yaml", deployment_yaml("demo", "b", "nginx:2", 3)},
         {"c.yaml", configmap_yaml("demo", "c", "from-git")}},
        o};
  REQUIRE(e.create(namespace_yaml("demo")) == 0);
  REQUIRE(e.create(deployment_yaml("demo", "b", "nginx:1", 1,
                                   "    fluxcd.io/ignore: \"true\"\n"))
          == 0);
  REQUIRE(e.create(configmap_yaml("demo", "c", "by-hand")) == 0);
  e.start_coordinator();
  auto r = e.synced(e.up.head(), 0, 30s);
  CHECK(r.success);
  CHECK(r.ignored == 1);
  CHECK(r.failed == 0);
  CHECK(e.get("deployment/b", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1");
  CHECK(e.get("deployment/b", "demo", "{.spec.replicas}") == "1");
  CHECK(e.get("deployment/b", "demo",
              "{.metadata.labels.fluxcd\\.io/sync-gc-mark}")
        .empty());
  // The unmarked object without `ignore` is taken over as git says.
  CHECK(e.get("configmap/c", "demo", "{.data.key}") == "from-git");
  CHECK(e.get("deployment/a", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1");

  // A later commit changing it: still left alone.
  auto rev = e.up.commit(
    {{"b.yaml", deployment_yaml("demo", "b", "nginx:3", 4)}}, "change b");
  auto second = e.synced(rev);
  CHECK(second.ignored == 1);
  CHECK(e.get("deployment/b", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:1");
  CHECK(e.get("deployment/b", "demo", "{.spec.replicas}") == "1");
}
