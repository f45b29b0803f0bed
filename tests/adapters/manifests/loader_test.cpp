#include "adapters/manifests/loader.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace fluxd::manifests;

namespace {

std::string deployment(const std::string& name, const std::string& extra = "",
                       const std::string& image = "nginx:1") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "\n" + extra + "spec:\n  template:\n    spec:\n      containers:\n"
         + "      - name: c\n        image: " + image + "\n";
}

/// The shape of Flux v1's kubernetes testfiles repository.
file_map fixture_repo() {
  return {
    {"garbage", "This is just a text file, not YAML: {{{\n"},
    {"helloworld-deploy.yaml",
     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: helloworld\n"
     "spec:\n  replicas: 5\n  template:\n    spec:\n      containers:\n"
     "      - name: greeter\n"
     "        image: quay.io/weaveworks/helloworld:master-a000001\n"
     "      - name: sidecar\n"
     "        image: weaveworks/sidecar:master-a000001\n"},
    {"semver-deploy.yaml",
     deployment("semver",
                "  annotations:\n    flux.weave.works/automated: \"true\"\n"
                "    flux.weave.works/tag.greeter: semver:*\n")},
    {"locked-service-deploy.yaml",
     deployment("locked-service",
                "  annotations:\n    flux.weave.works/locked: \"true\"\n",
                "quay.io/weaveworks/locked-service:1")},
    {"test/test-service-deploy.yaml",
     deployment("test-service", "", "quay.io/weaveworks/test-service:1")},
    {"multi.yaml",
     "---\n" + deployment("multi-deploy",
                          "  annotations:\n    fluxcd.io/automated: 'true'\n")
       + "---\napiVersion: v1\nkind: Service\nmetadata:\n"
         "  name: multi-service\n"},
    {"list.yaml", "apiVersion: v1\nkind: List\nitems:\n"
                  "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n"
                  "    name: list-deploy\n"
                  "- apiVersion: v1\n  kind: Service\n  metadata:\n"
                  "    name: list-service\n"},
    {"init.yml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n"
                 "  name: init\nspec:\n  template:\n    spec:\n"
                 "      initContainers:\n      - name: greeter\n"
                 "        image: quay.io/weaveworks/helloworld:master-a000002\n"
                 "      containers: []\n"},
  };
}

std::vector<std::string> ids(const load_result& r) {
  std::vector<std::string> out;
  for (const auto& [id, _] : r.resources)
    out.push_back(id);
  return out;
}

} // namespace

TEST_CASE("the fixture repository loads every resource with its ID") {
  auto r = load(fixture_repo(), {});
  CHECK(r.errors.empty());
  CHECK(ids(r)
        == std::vector<std::string>{
          "default:daemonset/init", "default:deployment/helloworld",
          "default:deployment/list-deploy",
          "default:deployment/locked-service",
          "default:deployment/multi-deploy", "default:deployment/semver",
          "default:deployment/test-service", "default:service/list-service",
          "default:service/multi-service"});
  const auto& multi = r.resources.at("default:service/multi-service");
  CHECK(multi.source == "multi.yaml");
  CHECK(multi.line == 15);
  CHECK(r.resources.at("default:deployment/semver").annotations.at(
          "flux.weave.works/tag.greeter")
        == "semver:*");
  CHECK(r.files.count("garbage") == 0);
}

TEST_CASE("paths, default namespace and cluster scope") {
  file_map files = {
    {"a/dep.yaml", deployment("one")},
    {"a/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"
                  "  namespace: spurious\n"},
    {"b/dep.yaml", deployment("two", "  namespace: team\n")},
    {"c/other.yaml", deployment("three")},
  };
  load_options opts;
  opts.paths = {"a", "./b/"};
  opts.default_namespace = "flux";
  auto r = load(files, opts);
  CHECK(ids(r)
        == std::vector<std::string>{"<cluster>:namespace/team",
                                    "flux:deployment/one",
                                    "team:deployment/two"});
  CHECK(r.resources.at("<cluster>:namespace/team").cluster_scoped());
}

TEST_CASE("Helm chart directories are skipped with their contents") {
  file_map files = {
    {"charts/app/Chart.yaml", "name: app\n"},
    {"charts/app/values.yaml", "image: x\n"},
    {"charts/app/templates/dep.yaml", "{{ .Values.broken }}: [\n"},
    {"charts/notachart/values.yaml", "kind: ConfigMap\napiVersion: v1\n"
                                     "metadata: {name: values}\n"},
    {"dep.yaml", deployment("app")},
  };
  auto r = load(files, {});
  CHECK(r.errors.empty());
  CHECK(ids(r)
        == std::vector<std::string>{"default:configmap/values",
                                    "default:deployment/app"});
}

TEST_CASE("a broken file is reported with its line, others still load") {
  file_map files = {
    {"bad.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n"
                 "\tname: tabbed\n"},
    {"scalar.yaml", "--- just a string\n"},
    {"good.yaml", deployment("good")},
  };
  auto r = load(files, {});
  CHECK(ids(r) == std::vector<std::string>{"default:deployment/good"});
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].file == "bad.yaml");
  CHECK_THAT(r.errors[0].to_string(),
             Catch::Contains("scanning multidoc from \"bad.yaml\" (line 4"));
  CHECK(r.errors[1].file == "scalar.yaml");
  CHECK_THAT(r.errors[1].message, Catch::Contains("must be a mapping"));
}

TEST_CASE("a duplicate ID names both places and keeps the first") {
  file_map files = {
    {"a.yaml", deployment("dup", "", "first:1")},
    {"b.yaml", "---\n" + deployment("dup", "", "second:1")},
  };
  auto r = load(files, {});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "b.yaml");
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[0].message
        == "duplicate definition of 'default:deployment/dup' (in a.yaml:1 "
           "and b.yaml:2)");
  CHECK(r.resources.at("default:deployment/dup").source == "a.yaml");
}

TEST_CASE("empty and kind-less documents are skipped") {
  file_map files = {{"x.yaml", "---\n# only a comment\n---\n...\n---\n"
                               "foo: bar\n---\n"
                               + deployment("x")}};
  auto r = load(files, {});
  CHECK(r.errors.empty());
  CHECK(ids(r) == std::vector<std::string>{"default:deployment/x"});
}

TEST_CASE("scope comes from the callback, then CRDs, then the table") {
  file_map files = {
    {"crd.yaml", "apiVersion: apiextensions.k8s.io/v1\n"
                 "kind: CustomResourceDefinition\nmetadata:\n"
                 "  name: widgets.example.com\nspec:\n  group: example.com\n"
                 "  scope: Cluster\n  names:\n    kind: Widget\n"},
    {"w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n"
               "  name: w\n  namespace: ignored\n"},
    {"g.yaml", "apiVersion: other.io/v1\nkind: Gadget\nmetadata:\n"
               "  name: g\n"},
    {"m.yaml", "apiVersion: other.io/v1\nkind: Mystery\nmetadata:\n"
               "  name: m\n"},
  };
  load_options opts;
  opts.scope = [](const std::string&,
                  const std::string& kind) -> std::optional<bool> {
    if (kind == "Gadget")
      return true;
    return std::nullopt;
  };
  auto r = load(files, opts);
  CHECK(ids(r)
        == std::vector<std::string>{
          "<cluster>:customresourcedefinition/widgets.example.com",
          "<cluster>:widget/w", "default:gadget/g"});
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].message == "cannot find scope of resource Mystery/m");
}

TEST_CASE("allowed namespaces exclude other resources") {
  file_map files = {
    {"a.yaml", deployment("a", "  namespace: team\n")},
    {"b.yaml", deployment("b", "  namespace: other\n")},
    {"ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
                "  name: other\n---\napiVersion: rbac.authorization.k8s.io/v1\n"
                "kind: ClusterRole\nmetadata:\n  name: reader\n"},
  };
  load_options opts;
  opts.allow_namespaces = {"team"};
  auto r = load(files, opts);
  CHECK(ids(r)
        == std::vector<std::string>{"<cluster>:clusterrole/reader",
                                    "<cluster>:namespace/team",
                                    "team:deployment/a"});
  CHECK(r.excluded
        == std::vector<std::string>{"other:deployment/b",
                                    "<cluster>:namespace/other"});
}

TEST_CASE("hostile input is refused in bounded time") {
  SECTION("alias bomb") {
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 12; ++i) {
      auto p = "a" + std::to_string(i - 1);
      bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*"
              + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p + ", *" + p
              + ", *" + p + ", *" + p + ", *" + p + ", *" + p + "]\n";
    }
    bomb += "kind: ConfigMap\napiVersion: v1\nmetadata: {name: bomb}\n";
    auto r = load({{"bomb.yaml", bomb}}, {});
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0].message, Catch::Contains("excessive aliasing"));
  }
  SECTION("huge file") {
    std::string big(50u << 20, ' ');
    auto r = load({{"big.yaml", big}, {"ok.yaml", deployment("ok")}}, {});
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0].message, Catch::Contains("larger than"));
    CHECK(r.resources.size() == 1);
  }
  SECTION("deep nesting") {
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto r = load({{"deep.yaml", deep}}, {});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].file == "deep.yaml");
  }
}

TEST_CASE("read_tree reads YAML files and chart markers from disk") {
  fluxd::test::temp_dir dir;
  fluxd::test::write_file(dir.file("k8s/dep.yaml"), deployment("disk"));
  fluxd::test::write_file(dir.file("k8s/readme.md"), "# no\n");
  fluxd::test::write_file(dir.file("k8s/chart/Chart.yaml"), "name: c\n");
  fluxd::test::write_file(dir.file("k8s/chart/values.yaml"), "a: b\n");
  fluxd::test::write_file(dir.file("other/x.yaml"), deployment("other"));
  auto files = read_tree(dir.path(), {"k8s"});
  CHECK(files.size() == 3);
  CHECK(files.count("k8s/readme.md") == 0);
  auto r = load(files, {});
  CHECK(ids(r) == std::vector<std::string>{"default:deployment/disk"});
  CHECK_THROWS_WITH(read_tree(dir.path(), {"missing"}),
                    Catch::Contains("unable to read root path \"missing\""));
}

TEST_CASE("a stray comma at document level is an error, not a hang") {
  // yaml-cpp 0.7 loops forever on these in LoadAll (jbeder/yaml-cpp#1040).
  for (const char* text : {",\n", "---\n,\n---\nb: c\n", "[a]\n,\n"}) {
    INFO(text);
    auto r = load({{"comma.yaml", text}}, {});
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0].message,
               Catch::Contains("unexpected content at document level"));
  }
}

TEST_CASE("an alias cycle is refused, not followed") {
  auto r = load({{"cycle.yaml", "a: &a [x, *a]\nkind: ConfigMap\n"
                                "apiVersion: v1\nmetadata: {name: c}\n"}},
                {});
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("alias cycle"));
}

TEST_CASE("assigning a resource rebinds its node") {
  auto r = load({{"a.yaml", deployment("a")}, {"b.yaml", deployment("b")}},
                {});
  auto a = r.resources.at("default:deployment/a");
  a = r.resources.at("default:deployment/b");
  CHECK(a.node["metadata"]["name"].Scalar() == "b");
  CHECK(r.resources.at("default:deployment/a").node["metadata"]["name"]
          .Scalar()
        == "a");
}
