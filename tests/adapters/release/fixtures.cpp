#include "fixtures.hpp"

#include <chrono>

namespace fixtures {

using namespace fluxd;

namespace {

std::string deployment(const std::string& name, const std::string& ann,
                       const std::string& containers) {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " +
         name + "\n  namespace: default\n" + ann +
         "spec:\n  template:\n    spec:\n      containers:\n" + containers;
}

std::string container(const std::string& name, const std::string& image) {
  return "      - name: " + name + "\n        image: " + image + "\n";
}

} // namespace

manifests::file_map files() {
  manifests::file_map f;
  f["helloworld-deploy.yaml"] = deployment(
    "helloworld", "",
    container("greeter", "quay.io/weaveworks/helloworld:master-a000001") +
      "        # the sidecar\n" +
      container("sidecar", "weaveworks/sidecar:master-a000001"));
  f["locked-service-deploy.yaml"] = deployment(
    "locked-service", "  annotations:\n    fluxcd.io/locked: \"true\"\n",
    container("locked-service", "quay.io/weaveworks/locked-service:1"));
  f["test-service-deploy.yaml"] = deployment(
    "test-service", "",
    container("test-service", "quay.io/weaveworks/test-service:1"));
  f["semver-deploy.yaml"] = deployment(
    "semver", "  annotations:\n    fluxcd.io/tag.greeter: semver:*\n",
    container("greeter", "quay.io/weaveworks/helloworld:master-a000001"));
  f["init.yaml"] =
    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: init\n"
    "  namespace: default\nspec:\n  template:\n    spec:\n"
    "      initContainers:\n" +
    container("greeter", "quay.io/weaveworks/helloworld:master-a000001") +
    "      containers:\n" +
    container("unrelated", "alpine:3.12");
  f["multi.yaml"] =
    "# two workloads in one file\n" +
    deployment("multi-deploy", "",
               container("hello", "quay.io/weaveworks/helloworld:master-a000001")) +
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: multi-service\n"
    "  namespace: default\nspec:\n  ports:\n  - port: 80\n";
  f["list.yaml"] =
    "apiVersion: v1\nkind: List\nitems:\n"
    "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n"
    "    name: list-deploy\n    namespace: default\n  spec:\n"
    "    template:\n      spec:\n        containers:\n"
    "        - name: hello\n"
    "          image: quay.io/weaveworks/helloworld:master-a000001\n";
  return f;
}

manifests::load_options options() { return {}; }

release::cluster_view cluster(bool everything) {
  release::cluster_view c;
  c["default:deployment/helloworld"] = {
    {{"greeter", "quay.io/weaveworks/helloworld:master-a000001"},
     {"sidecar", "weaveworks/sidecar:master-a000001"}},
    {}};
  c["default:deployment/locked-service"] = {
    {{"locked-service", "quay.io/weaveworks/locked-service:1"}}, {}};
  if (everything) {
    c["default:deployment/semver"] = {
      {{"greeter", "quay.io/weaveworks/helloworld:master-a000001"}}, {}};
    c["default:daemonset/init"] = {
      {{"greeter", "quay.io/weaveworks/helloworld:master-a000001"},
       {"unrelated", "alpine:3.12"}},
      {}};
    c["default:deployment/multi-deploy"] = {
      {{"hello", "quay.io/weaveworks/helloworld:master-a000001"}}, {}};
    c["default:deployment/list-deploy"] = {
      {{"hello", "quay.io/weaveworks/helloworld:master-a000001"}}, {}};
  }
  return c;
}

release::image_index registry() {
  using namespace std::chrono;
  auto now = system_clock::time_point{} + hours(24 * 365 * 50);
  auto older = now - hours(1);
  release::image_index idx;
  auto& hw = idx["quay.io/weaveworks/helloworld"];
  hw.tags = {"3.0.0", "master-a000002", "master-a000001"};
  hw.created = {{"3.0.0", older},
                {"master-a000002", now},
                {"master-a000001", older - hours(1)}};
  auto& sc = idx["index.docker.io/weaveworks/sidecar"];
  sc.tags = {"master-a000002", "master-a000001"};
  sc.created = {{"master-a000002", now}, {"master-a000001", older}};
  auto& ls = idx["quay.io/weaveworks/locked-service"];
  ls.tags = {"1", "2"};
  ls.created = {{"1", older}, {"2", now}};
  return idx;
}

} // namespace fixtures
