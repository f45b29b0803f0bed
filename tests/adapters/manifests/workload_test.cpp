#include "adapters/manifests/workload.hpp"

#include <catch2/catch.hpp>

using namespace fluxd::manifests;

namespace {

std::vector<std::string> describe(const workload_containers& w) {
  std::vector<std::string> out;
  for (const auto& c : w.containers)
    out.push_back(c.name + "=" + c.image.to_string() + (c.init ? "(init)" : ""));
  return out;
}

} // namespace

TEST_CASE("pod template workloads list containers then init containers") {
  auto dep = YAML::Load(R"(
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: setup
        image: busybox
      containers:
      - name: app
        image: quay.io/x/app:1
      - image: 'weaveworks/sidecar:2'
        name: sidecar
)");
  CHECK(describe(containers_of(dep))
        == std::vector<std::string>{"app=quay.io/x/app:1",
                                    "sidecar=weaveworks/sidecar:2",
                                    "setup=busybox(init)"});
  auto cron = YAML::Load(R"(
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: alpine:3.12
)");
  CHECK(describe(containers_of(cron))
        == std::vector<std::string>{"job=alpine:3.12"});
  CHECK(is_workload_kind("StatefulSet"));
  CHECK_FALSE(is_workload_kind("Service"));
  CHECK(containers_of(YAML::Load("kind: Service")).containers.empty());
}

TEST_CASE("an unparseable image leaves the workload with an excuse") {
  auto dep = YAML::Load(R"(
kind: DaemonSet
spec: {template: {spec: {containers: [{name: a, image: 'x:'}, {name: b, image: y}]}}}
)");
  auto w = containers_of(dep);
  CHECK(w.containers.empty());
  CHECK_THAT(w.excuse, Catch::Contains("malformed image ID"));
}

TEST_CASE("HelmRelease images come from values (§6.4)") {
  auto hr = YAML::Load(R"(
kind: HelmRelease
metadata:
  annotations:
    repository.fluxcd.io/custom: mariadb.customImage
    tag.fluxcd.io/custom: mariadb.customTag
    tag.fluxcd.io/orphan: nothing.here
spec:
  values:
    image: repo/chart:1.0
    sidecar:
      image: sidecar/img
      tag: v1
    withreg:
      registry: r.io
      image: team/app
      tag: "2"
    regonly:
      registry: r.io
      image: team/app:3
    nested:
      image:
        repository: nested/img
        tag: v4
    nestedreg:
      image:
        registry: n.io
        repository: n/img:v5
    mariadb:
      customImage: localhost:5000/mariadb
      customTag: 10.1.30-r1
    notimage:
      foo: bar
)");
  auto w = containers_of(hr);
  CHECK(describe(w)
        == std::vector<std::string>{
          "chart-image=repo/chart:1.0", "custom=localhost:5000/mariadb:10.1.30-r1",
          "nested=nested/img:v4", "nestedreg=n.io/n/img:v5",
          "regonly=r.io/team/app:3", "sidecar=sidecar/img:v1",
          "withreg=r.io/team/app:2"});
  auto by_name = [&](const std::string& n) {
    for (const auto& c : w.containers)
      if (c.name == n)
        return c;
    FAIL("no container " << n);
    return container{};
  };
  using writes = std::vector<std::pair<value_path, std::string>>;
  auto nr = fluxd::image::parse_ref("r.io/team/app:9");
  CHECK(image_writes(by_name("withreg"), nr)
        == writes{{{"spec", "values", "withreg", "registry"}, "r.io"},
                  {{"spec", "values", "withreg", "image"}, "team/app"},
                  {{"spec", "values", "withreg", "tag"}, "9"}});
  CHECK(image_writes(by_name("regonly"), nr)
        == writes{{{"spec", "values", "regonly", "registry"}, "r.io"},
                  {{"spec", "values", "regonly", "image"}, "team/app:9"}});
  CHECK(image_writes(by_name("sidecar"), nr)
        == writes{{{"spec", "values", "sidecar", "image"}, "r.io/team/app"},
                  {{"spec", "values", "sidecar", "tag"}, "9"}});
  CHECK(image_writes(by_name("chart-image"), nr)
        == writes{{{"spec", "values", "image"}, "r.io/team/app:9"}});
  auto mr = fluxd::image::parse_ref("localhost:5000/mariadb:10.1.33");
  CHECK(image_writes(by_name("custom"), mr)
        == writes{{{"spec", "values", "mariadb", "customImage"},
                   "localhost:5000/mariadb"},
                  {{"spec", "values", "mariadb", "customTag"}, "10.1.33"}});
}

TEST_CASE("node_at walks maps and sequences without touching the tree") {
  auto doc = YAML::Load("a: {b: [x, {c: d}]}\n");
  CHECK(node_at(doc, {"a", "b", "1", "c"}).Scalar() == "d");
  CHECK_FALSE(node_at(doc, {"a", "missing"}));
  CHECK_FALSE(node_at(doc, {"a", "b", "7"}));
  CHECK(YAML::Dump(doc) == "a: {b: [x, {c: d}]}");
  CHECK(split_path("a.b.c") == value_path{"a", "b", "c"});
  CHECK(join_path({"a", "b"}) == "a.b");
}
