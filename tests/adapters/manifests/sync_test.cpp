#include "adapters/manifests/sync.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "adapters/manifests/json.hpp"
#include "adapters/manifests/loader.hpp"

using namespace fluxd::manifests;

TEST_CASE("apply order ranks kinds, then names (§7.5)") {
  CHECK(apply_order({"test:deployment/deploy", "test:secret/secret",
                     "<cluster>:namespace/namespace"})
        == std::vector<std::string>{"<cluster>:namespace/namespace",
                                    "test:secret/secret",
                                    "test:deployment/deploy"});
  CHECK(apply_order({"a:widget/w", "a:service/b", "a:service/a",
                     "<cluster>:customresourcedefinition/z"})
        == std::vector<std::string>{"a:service/a", "a:service/b",
                                    "<cluster>:customresourcedefinition/z",
                                    "a:widget/w"});
}

TEST_CASE("objects to apply carry namespace, gc mark and checksum") {
  auto r = load({{"a.yaml",
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                  "  name: app\n  labels: {app: x}\n  annotations:\n"
                  "    flux.weave.works/ignore: 'true'\nspec:\n  replicas: 2\n"
                  "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
                  "  name: ns\n  namespace: bogus\n  annotations:\n"
                  "    fluxcd.io/ignore: sync_only\n"}},
                {});
  const auto& dep = r.resources.at("default:deployment/app");
  auto obj = prepare_for_apply(dep, "git@example.com:repo");
  const auto& md = obj.at("metadata").as_object();
  CHECK(md.at("namespace") == "default");
  CHECK(md.at("labels").at("app") == "x");
  CHECK(md.at("labels").at(gc_mark_label).as_string()
        == gc_mark("git@example.com:repo", "default:deployment/app").c_str());
  CHECK(md.at("annotations").at(checksum_annotation).as_string()
        == checksum(dep.node).c_str());
  CHECK(obj.at("spec").at("replicas") == 2);
  const auto& ns = r.resources.at("<cluster>:namespace/ns");
  CHECK_FALSE(
    prepare_for_apply(ns, "s").at("metadata").as_object().contains("namespace"));
  CHECK(ignored_in_file(dep));
  CHECK_FALSE(ignored_in_file(ns));
  CHECK(never_collect(ns));
  // SHA-256 of "" is e3b0c442…; base64url without padding, `sha256.` prefix.
  CHECK(gc_mark("", "") == "sha256.47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}
