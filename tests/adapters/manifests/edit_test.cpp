#include "adapters/manifests/editor.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace fluxd::manifests;
using fluxd::image::parse_ref;

namespace {

std::string fixture(const std::string& name) {
  return fluxd::test::read_file(std::string(FLUXD_SOURCE_DIR)
                                + "/tests/adapters/manifests/testdata/"
                                + name);
}

std::string crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n')
      out += '\r';
    out += c;
  }
  return out;
}

/// Runs `edit` on the LF fixture and on its CRLF twin: both must give the
/// expected bytes exactly.
template <class Edit>
void check_case(const std::string& dir, const std::string& name, Edit edit) {
  auto in = fixture(dir + "/" + name + ".in.yaml");
  auto want = fixture(dir + "/" + name + ".out.yaml");
  INFO("case " << dir << "/" << name);
  CHECK(edit(in) == want);
  CHECK(edit(crlf(in)) == crlf(want));
}

} // namespace

TEST_CASE("image edits change only the image, byte for byte") {
  struct row {
    const char* file;
    edit_target target;
    const char* container;
    const char* image;
  };
  const row rows[] = {
    {"common", {"Deployment", "default", "helloworld"}, "greeter",
     "quay.io/weaveworks/helloworld:master-a000002"},
    {"numeric", {"deployment", "", "fluxy"}, "fluxy",
     "weaveworks/fluxy:1234567"},
    {"one_space", {"Deployment", "monitoring", "grafana"}, "grafana",
     "quay.io/weaveworks/grafana:master-37aaf67"},
    {"reordered", {"StatefulSet", "data", "db"}, "postgres",
     "postgres:9.6.10"},
    {"single_quotes", {"DaemonSet", "kube-system", "weave"}, "weave",
     "weaveworks/weave-kube:2.2.1"},
    {"multidoc", {"Deployment", "default", "app"}, "app", "alpine:3.11"},
    {"list", {"Deployment", "default", "list-deploy"}, "greeter",
     "quay.io/weaveworks/helloworld:master-a000002"},
    {"init", {"DaemonSet", "default", "init"}, "greeter",
     "quay.io/weaveworks/helloworld:master-a000002"},
    {"flow", {"Deployment", "default", "flow"}, "b", "nginx:1.20"},
    {"cronjob", {"CronJob", "", "backup"}, "backup",
     "index.docker.io/library/busybox:1.32"},
    {"helm_mapped", {"HelmRelease", "maria", "mariadb"}, "custom",
     "localhost:5000/mariadb:10.1.33"},
    {"helm_split", {"HelmRelease", "", "app"}, "web", "quay.io/team/web:1.1"},
  };
  for (const auto& r : rows)
    check_case("image", r.file, [&](const std::string& in) {
      return set_container_image(in, r.target, r.container,
                                 parse_ref(r.image));
    });
}

TEST_CASE("image edits in both directions and in every HelmRelease shape") {
  auto in = fixture("image/numeric.in.yaml");
  auto there = set_container_image(in, {"Deployment", "", "fluxy"}, "fluxy",
                                   parse_ref("weaveworks/fluxy:1234567"));
  auto back = set_container_image(there, {"Deployment", "", "fluxy"}, "fluxy",
                                  parse_ref("weaveworks/fluxy:master-a000001"));
  CHECK(back == in);

  auto hr = fixture("image/helm_split.in.yaml");
  edit_target app{"HelmRelease", "", "app"};
  auto out = set_container_image(hr, app, "chart-image",
                                 parse_ref("repo/chart-image:2.0"));
  out = set_container_image(out, app, "worker", parse_ref("team/worker:2.0"));
  out = set_container_image(out, app, "web", parse_ref("quay.io/team/web:1.1"));
  CHECK(out
        == "apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n"
           "  name: app\nspec:\n  values:\n"
           "    image: repo/chart-image:2.0   # chart-image\n"
           "    web:\n      registry: quay.io\n      image: team/web\n"
           "      tag: \"1.1\"\n    worker:\n      image:\n"
           "        repository: team/worker\n        tag: '2.0'\n");
}

TEST_CASE("image edit errors") {
  auto in = fixture("image/common.in.yaml");
  CHECK_THROWS_WITH(
    set_container_image(in, {"Deployment", "default", "nope"}, "greeter",
                        parse_ref("a:1")),
    Catch::Contains("manifest not found"));
  CHECK_THROWS_WITH(
    set_container_image(in, {"Deployment", "default", "helloworld"}, "nope",
                        parse_ref("a:1")),
    Catch::Contains("container \"nope\" not found"));
  auto svc = fixture("image/multidoc.in.yaml");
  CHECK_THROWS_WITH(set_container_image(svc, {"Service", "", "app"}, "app",
                                        parse_ref("a:1")),
                    "updating resource kind \"service\" not supported");
  CHECK_THROWS_WITH(
    set_values(in, {"Deployment", "default", "helloworld"},
               {{{"spec", "template", "missing", "x"}, "y"}}),
    Catch::Contains("unable to resolve path(s)"));
  CHECK_THROWS_WITH(set_values(in, {"Deployment", "default", "helloworld"},
                               {{{"spec", "template"}, "y"}}),
                    Catch::Contains("unable to resolve path(s)"));
}

TEST_CASE("annotation edits on other layouts, byte for byte") {
  using ch = annotation_change;
  edit_target nginx{"Deployment", "", "nginx"};
  check_case("policy", "flow_annotations", [&](const std::string& in) {
    return set_annotations(in, nginx, {ch{"fluxcd.io/automated", "true"}});
  });
  check_case("policy", "flow_metadata", [&](const std::string& in) {
    return set_annotations(in, nginx, {ch{"fluxcd.io/automated", "true"}});
  });
  check_case("policy", "comments", [&](const std::string& in) {
    return set_annotations(in, nginx,
                           {ch{"fluxcd.io/locked", std::nullopt},
                            ch{"fluxcd.io/locked_msg", std::nullopt},
                            ch{"fluxcd.io/automated", "true"}});
  });
  check_case("policy", "null_annotations", [&](const std::string& in) {
    return update_policies(in, nginx,
                           {{{"locked", "true"},
                             {"locked_msg", "broken: do not touch"},
                             {"locked_user", "Jane Doe <jane@example.com>"}},
                            {}});
  });
  check_case("policy", "no_final_newline", [&](const std::string& in) {
    return update_policies(in, nginx, {{{"automated", "true"}}, {}});
  });
}

TEST_CASE("the re-parse check refuses edits that change something else") {
  // Both containers share one anchored scalar: editing either would change
  // the other one too.
  std::string in = "kind: Deployment\nmetadata: {name: a}\nspec:\n"
                   "  template:\n    spec:\n      containers:\n"
                   "      - name: one\n        image: &img nginx:1\n"
                   "      - name: two\n        image: *img\n";
  for (const char* c : {"one", "two"})
    CHECK_THROWS_WITH(set_container_image(in, {"Deployment", "", "a"}, c,
                                          fluxd::image::parse_ref("nginx:2")),
                      Catch::Contains("shared through an anchor or alias"));
}

TEST_CASE("edits refuse hostile files within the limits") {
  limits small;
  small.max_file_bytes = 64;
  auto in = fixture("image/common.in.yaml");
  CHECK_THROWS_WITH(
    set_container_image(in, {"Deployment", "default", "helloworld"}, "greeter",
                        parse_ref("a:1"), small),
    Catch::Contains("larger than 64 bytes"));
}

TEST_CASE("flow-style annotations: add to empty, remove first, last, only") {
  using ch = annotation_change;
  edit_target t{"Service", "", "s"};
  auto doc = [](const std::string& ann) {
    return "kind: Service\nmetadata:\n  name: s\n" + ann + "spec: {}\n";
  };
  CHECK(set_annotations(doc("  annotations: {}\n"), t,
                        {ch{"fluxcd.io/automated", "true"}})
        == doc("  annotations: {fluxcd.io/automated: 'true'}\n"));
  CHECK(set_annotations(doc("  annotations: {a: '1', b: \"2\", c: x}\n"), t,
                        {ch{"a", std::nullopt}})
        == doc("  annotations: {b: \"2\", c: x}\n"));
  CHECK(set_annotations(doc("  annotations: {a: '1', b: \"2\", c: x}\n"), t,
                        {ch{"c", std::nullopt}})
        == doc("  annotations: {a: '1', b: \"2\"}\n"));
  CHECK(set_annotations(doc("  annotations: {a: '1'}  # only one\n"), t,
                        {ch{"a", std::nullopt}})
        == doc(""));
  CHECK(set_annotations(doc("  annotations: {a: '1', b: \"2\"}\n"), t,
                        {ch{"b", "it's"}})
        == doc("  annotations: {a: '1', b: \"it's\"}\n"));
}

TEST_CASE("a new annotations block follows the file's indentation") {
  std::string in = "kind: Deployment\nmetadata:\n    name: wide\nspec:\n"
                   "    replicas: 1\n";
  CHECK(update_policies(in, {"Deployment", "", "wide"},
                        {{{"automated", "true"}}, {}})
        == "kind: Deployment\nmetadata:\n    name: wide\n    annotations:\n"
           "        fluxcd.io/automated: 'true'\nspec:\n    replicas: 1\n");
}
