#include "adapters/manifests/generator.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "adapters/manifests/loader.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd::manifests;
using namespace std::chrono_literals;
using fluxd::test::read_file;
using fluxd::test::temp_dir;
using fluxd::test::write_file;

TEST_CASE(".flux.yaml validation (§8.2)") {
  const char* invalid[] = {
    "",
    "version: 2\nscanForFiles: {}\n",
    "version: 1\n",
    "version: 1\ncommandUpdated: {}\n",
    "version: 1\npatchUpdated:\n  generators: []\n",
    "version: 1\npatchUpdated: {generators: [], patchFile: a.yaml}\n"
    "commandUpdated: {generators: []}\n",
    "version: 1\ncommandUpdated:\n  generators:\n  - echo hi\n",
    "version: 1\ncommandUpdated:\n  generators: []\n  patchFile: a.yaml\n",
    "version: 1\ncommandUpdated:\n  generators:\n"
    "  - {command: echo, timeout: 30}\n",
    "version: 1\nscanForFiles: {}\nextra: true\n",
    "version: 1\ncommandUpdated:\n  generators:\n  - {timeout: 1s}\n",
    "version: [1\n",
  };
  for (const char* text : invalid) {
    INFO(text);
    CHECK_THROWS_AS(parse_flux_config(text, ".flux.yaml"), config_error);
  }
  CHECK_THROWS_WITH(parse_flux_config("version: 2\nscanForFiles: {}\n", "f"),
                    Catch::StartsWith("config file is not valid: "));
  CHECK(parse_flux_config("version: 1\ncommandUpdated: {generators: []}\n",
                          "f")
          .mode
        == flux_config::kind::command_updated);
  CHECK(parse_flux_config(
          "version: 1\npatchUpdated: {generators: [], patchFile: foo.yaml}\n",
          "f")
          .patch_file
        == "foo.yaml");
  CHECK(parse_flux_config("version: 1\nscanForFiles: {}\n", "f").mode
        == flux_config::kind::scan_for_files);
}

TEST_CASE(".flux.yaml parsing of both updated modes") {
  auto p = parse_flux_config(R"(version: 1
patchUpdated:
  generators:
    - command: foo
      timeout: 2s
    - command: bar
      timeout: 1s
    - command: baz
  patchFile: baz.yaml
)",
                             "f");
  REQUIRE(p.generators.size() == 3);
  CHECK(p.generators[0].command == "foo");
  CHECK(*p.generators[0].timeout == 2s);
  CHECK(*p.generators[1].timeout == 1s);
  CHECK_FALSE(p.generators[2].timeout);
  CHECK(p.patch_file == "baz.yaml");
  auto c = parse_flux_config(R"(version: 1
commandUpdated:
  generators:
    - command: g1
    - command: g2
  updaters:
    - containerImage:
        command: uci1
      policy:
        command: ua1
    - containerImage: {command: uci2, timeout: 500ms}
)",
                             "f");
  REQUIRE(c.updaters.size() == 2);
  CHECK(c.updaters[0].container_image->command == "uci1");
  CHECK(c.updaters[0].policy->command == "ua1");
  CHECK_FALSE(c.updaters[1].policy);
  CHECK(*c.updaters[1].container_image->timeout == 500ms);
}

TEST_CASE("Go durations") {
  CHECK(*parse_go_duration("1m30s") == 90s);
  CHECK(*parse_go_duration("1.5h") == 90min);
  CHECK(*parse_go_duration("300ms") == 300ms);
  CHECK(*parse_go_duration("0") == 0s);
  for (const char* bad : {"", "30", "1x", "s", "1..2s", "--1s"}) {
    INFO(bad);
    CHECK_FALSE(parse_go_duration(bad));
  }
}

TEST_CASE("config discovery walks up to the repository root (§8.1)") {
  temp_dir repo;
  write_file(repo.file("one/two/three/x.yaml"), "a: b\n");
  write_file(repo.file("envs/staging/s.yaml"), "a: b\n");
  write_file(repo.file("envs/production/p.yaml"), "a: b\n");
  CHECK_FALSE(find_flux_config(repo.path(), "one/two/three"));
  write_file(repo.file(".flux.yaml"), "version: 1\nscanForFiles: {}\n");
  auto root_cfg = find_flux_config(repo.path(), "one/two/three");
  REQUIRE(root_cfg);
  CHECK(root_cfg->config_file == ".flux.yaml");
  CHECK(root_cfg->working_dir == "one/two/three");
  CHECK(root_cfg->source == "one/two/three/../../../.flux.yaml");
  write_file(repo.file("one/two/.flux.yaml"), "version: 1\nscanForFiles: {}\n");
  CHECK(find_flux_config(repo.path(), "one/two/three")->config_file
        == "one/two/.flux.yaml");
  auto itself = find_flux_config(repo.path(), "one/two/.flux.yaml");
  REQUIRE(itself);
  CHECK(itself->working_dir == "one/two");
  write_file(repo.file("envs/.flux.yaml"), "version: 1\nscanForFiles: {}\n");
  CHECK(find_flux_config(repo.path(), "envs/staging")->source
        == "envs/staging/../.flux.yaml");
  CHECK(find_flux_config(repo.path(), "envs/production")->source
        == "envs/production/../.flux.yaml");
  CHECK(find_flux_config(repo.path(), "")->source == ".flux.yaml");
  CHECK_THROWS_AS(find_flux_config(repo.path(), "../elsewhere"), config_error);
}

TEST_CASE("generators run in order, in the working dir, with fluxd's env") {
  temp_dir repo;
  write_file(repo.file("app/.flux.yaml"), "");
  ::setenv("FLUXD_GENERATOR_TEST", "inherited", 1);
  auto cfg = parse_flux_config(R"(version: 1
commandUpdated:
  generators:
  - command: echo g1
  - command: printf 'g2 %s' "$FLUXD_GENERATOR_TEST"
  - command: pwd
)",
                               "f");
  auto where = find_flux_config(repo.path(), "app");
  REQUIRE(where);
  auto out = run_generators(cfg, *where, {repo.path(), 2s});
  auto cwd = std::filesystem::canonical(repo.file("app")).string();
  CHECK(out == "---\ng1\n---\ng2 inherited\n---\n" + cwd + "\n");
}

TEST_CASE("generator output loads as resources named by the config") {
  temp_dir repo;
  write_file(repo.file("staging/.keep"), "");
  write_file(repo.file(".flux.yaml"), "");
  auto cfg = parse_flux_config(R"(version: 1
commandUpdated:
  generators:
  - command: "printf 'kind: ConfigMap\\napiVersion: v1\\nmetadata: {name: a}\\n'"
  - command: "printf 'kind: ConfigMap\\napiVersion: v1\\nmetadata: {name: a}\\n'"
)",
                               "f");
  auto where = *find_flux_config(repo.path(), "staging");
  auto stream = run_generators(cfg, where, {repo.path(), 2s});
  auto r = load({{where.source, stream}}, {});
  CHECK(r.resources.count("default:configmap/a") == 1);
  CHECK(r.resources.at("default:configmap/a").source
        == "staging/../.flux.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("duplicate definition"));
}

TEST_CASE("generator timeouts and output limits", "[slow]") {
  temp_dir repo;
  config_location here{".flux.yaml", ".", ".flux.yaml"};
  auto with = [](const char* command, const char* timeout) {
    flux_config cfg;
    cfg.mode = flux_config::kind::command_updated;
    command_config c{command, std::nullopt};
    if (timeout)
      c.timeout = parse_go_duration(timeout);
    cfg.generators.push_back(c);
    return cfg;
  };
  CHECK_NOTHROW(run_generators(with("sleep 1", nullptr), here,
                               {repo.path(), 2s}));
  CHECK_NOTHROW(run_generators(with("sleep 1", "2s"), here,
                               {repo.path(), 500ms}));
  CHECK_THROWS_WITH(run_generators(with("sleep 2; echo late", "1s"), here,
                                   {repo.path(), 10s}),
                    Catch::Contains("context deadline exceeded"));
  // A timeout under one second falls back to the default.
  CHECK_THROWS_WITH(run_generators(with("sleep 5", "10ms"), here,
                                   {repo.path(), 300ms}),
                    Catch::Contains("context deadline exceeded"));
  generation_context small{repo.path(), 5s, 1000};
  CHECK_THROWS_WITH(run_generators(with("yes", nullptr), here, small),
                    Catch::Contains("output larger than"));
  CHECK_THROWS_WITH(run_generators(with("echo oops >&2; exit 3", nullptr),
                                   here, {repo.path(), 2s}),
                    Catch::Contains("error executing generator command "
                                    "\"echo oops >&2; exit 3\" from file "
                                    "\".flux.yaml\": exit status 3\n"
                                    "error output:\noops"));
}

TEST_CASE("updaters get Flux v1's restricted environment") {
  temp_dir repo;
  write_file(repo.file(".flux.yaml"), "");
  auto out = repo.file("out.txt");
  ::setenv("FLUXD_SECRET_THING", "must-not-leak", 1);
  auto cfg = parse_flux_config(
    "version: 1\ncommandUpdated:\n  generators: []\n  updaters:\n"
    "  - containerImage:\n      command: echo uci1 $FLUX_WORKLOAD $FLUX_WL_NS "
    "$FLUX_WL_KIND $FLUX_WL_NAME $FLUX_CONTAINER $FLUX_IMG $FLUX_TAG "
    "x${FLUXD_SECRET_THING}x >> out.txt\n"
    "    policy:\n      command: echo ua1 $FLUX_WORKLOAD $FLUX_WL_NS "
    "$FLUX_WL_KIND $FLUX_WL_NAME $FLUX_POLICY ${FLUX_POLICY_VALUE:-delete} "
    ">> out.txt\n",
    "f");
  auto where = *find_flux_config(repo.path(), "");
  generation_context ctx{repo.path(), 2s};
  run_image_updaters(cfg, where, ctx, "default:deployment/foo", "bar",
                     fluxd::image::parse_ref("repo/image:latest"));
  run_policy_updaters(cfg, where, ctx, "default:deployment/foo", "key",
                      std::string("value"));
  run_policy_updaters(cfg, where, ctx, "default:deployment/foo", "key",
                      std::nullopt);
  CHECK(read_file(out)
        == "uci1 default:deployment/foo default deployment foo bar repo/image "
           "latest xx\n"
           "ua1 default:deployment/foo default deployment foo key value\n"
           "ua1 default:deployment/foo default deployment foo key delete\n");

  auto none = parse_flux_config("version: 1\ncommandUpdated:\n"
                                "  generators: []\n",
                                "f");
  CHECK_THROWS_WITH(run_image_updaters(none, where, ctx, "default:deployment/foo",
                                       "bar", fluxd::image::parse_ref("a:1")),
                    Catch::Contains("no update.containerImage commands to run"));
  CHECK_THROWS_WITH(run_policy_updaters(none, where, ctx,
                                        "default:deployment/foo", "k", {}),
                    Catch::Contains("no updaters.policy commands to run"));
}
