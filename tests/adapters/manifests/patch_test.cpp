#include "adapters/manifests/patch.hpp"

#include <catch2/catch.hpp>

#include "adapters/manifests/editor.hpp"

using namespace fluxd::manifests;

namespace {

const std::string generated = R"(---
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: helloworld
spec:
  replicas: 2
  template:
    metadata:
      labels:
        name: helloworld
    spec:
      containers:
      - name: greeter
        image: quay.io/weaveworks/helloworld:master-a000001
        ports:
        - containerPort: 80
      - name: sidecar
        image: quay.io/weaveworks/sidecar:master-a000001
---
apiVersion: v1
kind: Namespace
metadata:
  name: demo
)";

} // namespace

TEST_CASE("patchUpdated: edits become a strategic merge patch (§8.4)") {
  auto effective = apply_patch_file(generated, "");
  edit_target hw{"Deployment", "", "helloworld"};
  auto edited = set_container_image(effective, hw, "greeter",
                                    fluxd::image::parse_ref("repo/image:tag"));
  edited = update_policies(edited, hw, {{{"tag.greeter", "glob:master-*"}}, {}});
  auto patch = make_patch_file(generated, edited);
  CHECK(patch == R"(---
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  annotations:
    fluxcd.io/tag.greeter: glob:master-*
  name: helloworld
spec:
  template:
    spec:
      $setElementOrder/containers:
      - name: greeter
      - name: sidecar
      containers:
      - image: repo/image:tag
        name: greeter
)");
  // Applying the patch to the generator output gives the edited manifests.
  CHECK(apply_patch_file(generated, patch) == apply_patch_file(edited, ""));
  // And nothing changed means an empty patch.
  CHECK(make_patch_file(generated, effective).empty());
}

TEST_CASE("effective manifests are sorted by ID and emitted as go-yaml") {
  auto effective = apply_patch_file(generated, "");
  CHECK(effective.rfind("---\napiVersion: v1\nkind: Namespace\n", 0) == 0);
  CHECK_THAT(effective, Catch::Contains("  replicas: 2\n"));
  CHECK_THAT(effective,
             Catch::Contains("      containers:\n      - image: quay.io/"));
}

TEST_CASE("strategic patches merge lists by key and delete items") {
  auto base = YAML::Load("spec: {containers: [{name: a, image: x}, "
                         "{name: b, image: y}], tolerations: [{key: k}]}");
  auto patch = YAML::Load("spec: {containers: [{name: b, $patch: delete}, "
                          "{name: c, image: z}, {name: a, image: x2}], "
                          "tolerations: [{key: other}]}");
  auto out = apply_patch(base, patch, true);
  CHECK(YAML::Dump(out)
        == "spec: {containers: [{name: a, image: x2}, {name: c, image: z}], "
           "tolerations: [{key: other}]}");
  auto back = diff_patch(base, out, true);
  CHECK(YAML::Dump(apply_patch(base, back, true)) == YAML::Dump(out));
  CHECK(YAML::Dump(base)
        == "spec: {containers: [{name: a, image: x}, {name: b, image: y}], "
           "tolerations: [{key: k}]}");
}

TEST_CASE("other kinds get a JSON merge patch (RFC 7386)") {
  auto base = YAML::Load("a: {b: 1, c: [1, 2]}\nd: e\n");
  auto patch = YAML::Load("a: {b: null, c: [3]}\nf: g\n");
  auto out = apply_patch(base, patch, false);
  CHECK(YAML::Dump(out) == "a: {c: [3]}\nd: e\nf: g");
  auto d = diff_patch(base, out, false);
  CHECK(YAML::Dump(apply_patch(base, d, false)) == YAML::Dump(out));
  CHECK_FALSE(strategic_kind("HelmRelease"));
  CHECK(strategic_kind("Deployment"));
}

TEST_CASE("a patch for a resource that is not generated is an error") {
  CHECK_THROWS_WITH(
    apply_patch_file(generated, "apiVersion: v1\nkind: Service\n"
                                "metadata: {name: missing}\n"),
    "patch refers to missing resource (default:service/missing)");
}
