#include "adapters/manifests/store.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

using namespace fluxd::manifests;
using namespace std::chrono_literals;
using fluxd::image::parse_ref;
using fluxd::test::read_file;
using fluxd::test::temp_dir;
using fluxd::test::write_file;

namespace {

std::string deployment(const std::string& name, const std::string& image) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "  # keep me\nspec:\n  template:\n    spec:\n      containers:\n"
           "      - name: app\n        image: "
         + image + "\n";
}

std::vector<std::string> ids(const store_contents& c) {
  std::vector<std::string> out;
  for (const auto& [id, _] : c.loaded.resources)
    out.push_back(id);
  return out;
}

} // namespace

TEST_CASE("a store of plain files edits them in place") {
  temp_dir repo;
  write_file(repo.file("k8s/app.yaml"), deployment("app", "nginx:1"));
  write_file(repo.file("other/x.yaml"), deployment("x", "nginx:1"));
  store_options opts;
  opts.git_paths = {"k8s"};
  manifest_store store(repo.path(), opts);
  auto c = store.load();
  CHECK(ids(c) == std::vector<std::string>{"default:deployment/app"});
  CHECK(c.origins.at("default:deployment/app").how == origin::kind::file);
  CHECK(store.set_image("default:deployment/app", "app", parse_ref("nginx:2")));
  CHECK(read_file(repo.file("k8s/app.yaml")) == deployment("app", "nginx:2"));
  CHECK_FALSE(
    store.set_image("default:deployment/app", "app", parse_ref("nginx:2")));
  CHECK(store.update_policies("default:deployment/app",
                              {{{"automated", "true"}}, {}}));
  CHECK_THAT(read_file(repo.file("k8s/app.yaml")),
             Catch::Contains("  name: app  # keep me\n  annotations:\n"
                             "    fluxcd.io/automated: 'true'\n"));
  CHECK_THROWS_WITH(store.set_image("default:deployment/nope", "app",
                                    parse_ref("nginx:2")),
                    Catch::Contains("not found"));
}

TEST_CASE("a store with commandUpdated runs generators and updaters") {
  temp_dir repo;
  write_file(repo.file("gen/.flux.yaml"), R"(version: 1
commandUpdated:
  generators:
  - command: cat src/*.yaml
  updaters:
  - containerImage:
      command: echo "$FLUX_WORKLOAD $FLUX_CONTAINER $FLUX_IMG:$FLUX_TAG" >> log
    policy:
      command: echo "$FLUX_POLICY=${FLUX_POLICY_VALUE:-remove}" >> log
)");
  write_file(repo.file("gen/src/a.yaml"), deployment("gen", "busybox:1"));
  store_options opts;
  opts.git_paths = {"gen"};
  opts.manifest_generation = true;
  opts.commands.default_timeout = 5s;
  manifest_store store(repo.path(), opts);
  auto c = store.load();
  REQUIRE(ids(c) == std::vector<std::string>{"default:deployment/gen"});
  CHECK(c.loaded.resources.at("default:deployment/gen").source
        == "gen/.flux.yaml");
  CHECK(store.set_image("default:deployment/gen", "app",
                        parse_ref("busybox:2")));
  CHECK(store.update_policies("default:deployment/gen",
                              {{{"tag_all", "semver:*"}}, {{"locked", ""}}}));
  CHECK(read_file(repo.file("gen/log"))
        == "default:deployment/gen app busybox:2\n"
           "locked=remove\ntag.app=semver:*\n");
}

TEST_CASE("a store with patchUpdated writes the patch file") {
  temp_dir repo;
  write_file(repo.file(".flux.yaml"), R"(version: 1
patchUpdated:
  generators:
  - command: cat base.yaml
  patchFile: patches/flux-patch.yaml
)");
  write_file(repo.file("base.yaml"), deployment("hello", "nginx:1"));
  write_file(repo.file("patches/.keep"), "");
  store_options opts;
  opts.manifest_generation = true;
  opts.commands.default_timeout = 5s;
  manifest_store store(repo.path(), opts);
  CHECK(store.set_image("default:deployment/hello", "app",
                        parse_ref("nginx:2")));
  auto patch = read_file(repo.file("patches/flux-patch.yaml"));
  CHECK(patch
        == "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
           "  name: hello\nspec:\n  template:\n    spec:\n"
           "      $setElementOrder/containers:\n      - name: app\n"
           "      containers:\n      - image: nginx:2\n        name: app\n");
  struct stat st {};
  REQUIRE(::stat(repo.file("patches/flux-patch.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(store.update_policies("default:deployment/hello",
                              {{{"automated", "true"}}, {}}));
  auto c = store.load();
  const auto& res = c.loaded.resources.at("default:deployment/hello");
  CHECK(res.annotations.at("fluxcd.io/automated") == "true");
  CHECK(res.node["spec"]["template"]["spec"]["containers"][0]["image"]
          .Scalar()
        == "nginx:2");
  CHECK(read_file(repo.file("base.yaml")) == deployment("hello", "nginx:1"));
}

TEST_CASE("generator failures are reported per path") {
  temp_dir repo;
  write_file(repo.file("bad/.flux.yaml"),
             "version: 1\ncommandUpdated:\n  generators:\n"
             "  - command: exit 4\n");
  write_file(repo.file("good/a.yaml"), deployment("good", "nginx:1"));
  write_file(repo.file("good/.flux.yaml"), "version: 1\nscanForFiles: {}\n");
  store_options opts;
  opts.git_paths = {"bad", "good"};
  opts.manifest_generation = true;
  auto c = manifest_store(repo.path(), opts).load();
  CHECK(ids(c) == std::vector<std::string>{"default:deployment/good"});
  REQUIRE(c.generation_errors.size() == 1);
  CHECK_THAT(c.generation_errors[0].message, Catch::Contains("exit status 4"));
}
