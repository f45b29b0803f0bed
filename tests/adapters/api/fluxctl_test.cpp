// fluxctl: byte-exact tables (§2.3, §13.7) and end-to-end runs against
// fluxd's real HTTP server answering from a fixture_daemon.

#include <catch2/catch.hpp>

#include <sstream>

#include "adapters/fluxctl/cli.hpp"
#include "adapters/fluxctl/output.hpp"
#include "adapters/fluxctl/tabwriter.hpp"
#include "tests/adapters/api/api_server.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;

namespace {

struct result {
  int code;
  std::string out;
  std::string err;
};

/// Runs fluxctl in-process with FLUX_URL pointing at `url`.
result run_fluxctl(const std::string& url, std::vector<std::string> args,
               std::map<std::string, std::string> env_vars = {}) {
  std::ostringstream out, err;
  env_vars.emplace("FLUX_URL", url);
  fluxctl::environment env{out, err, [env_vars](const std::string& n) {
                             auto it = env_vars.find(n);
                             return it == env_vars.end() ? std::string{}
                                                         : it->second;
                           }};
  env.version = "0.1.0";
  int code = fluxctl::run(args, env);
  return {code, out.str(), err.str()};
}

} // namespace

TEST_CASE("tabwriter pads like Go's text/tabwriter") {
  CHECK(fluxctl::tabwrite("a\tbb\tc\nccc\td\te\n")
        == "a    bb  c\nccc  d   e\n");
  // Cells only align within a block of lines that have them.
  CHECK(fluxctl::tabwrite("aaaa\tb\nc\nd\te\n") == "aaaa  b\nc\nd  e\n");
  // The last cell of a line is never padded; empty cells before it are.
  CHECK(fluxctl::tabwrite("x\t\t\ny\tlong\tz\n") == "x        \ny  long  z\n");
}

TEST_CASE("list-workloads: the exact layout of Flux v1's e2e test 15") {
  test::fixture_daemon d;
  CHECK(fluxctl::list_workloads_table(d.workloads, true)
        == "WORKLOAD                  CONTAINER    IMAGE                     "
           "       RELEASE  POLICY\n"
           "demo:deployment/podinfo   podinfod     stefanprodan/podinfo:3.1.0"
           "       ready    automated,locked\n"
           "                          init         alpine:3.10.1             "
           "                \n"
           "demo:helmrelease/ghost    chart-image  bitnami/ghost:3.1.1-debian"
           "-9-r0           \n"
           "demo:helmrelease/mongodb  chart-image  bitnami/mongodb:4.0.13    "
           "                \n"
           "demo:helmrelease/redis    chart-image  bitnami/redis:5.0.7       "
           "                automated,locked\n");
}

TEST_CASE("list-images: the exact layout of Flux v1's e2e test 15") {
  test::fixture_daemon d;
  CHECK(fluxctl::list_images_table(d.images, 10, true)
        == "WORKLOAD                  CONTAINER    IMAGE                  "
           "CREATED\n"
           "demo:deployment/podinfo   podinfod     stefanprodan/podinfo   \n"
           "                                       '-> 3.1.0              "
           "20 Mar 20 13:53 UTC\n"
           "                                           3.0.5              "
           "20 Apr 20 13:53 UTC\n"
           "                          init                                "
           "image data not available\n"
           "                                       '-> (untagged)         ?\n"
           "demo:helmrelease/ghost    chart-image  bitnami/ghost          \n"
           "                                       '-> 3.1.1-debian-9-r0  "
           "20 Feb 20 13:53 UTC\n"
           "                                           3.0.2-debian-9-r3  "
           "20 Jan 20 13:53 UTC\n"
           "demo:helmrelease/mongodb  chart-image                         "
           "image data not available\n"
           "                                       '-> (untagged)         ?\n"
           "demo:helmrelease/redis    chart-image                         "
           "image data not available\n"
           "                                       '-> (untagged)         ?\n");
}

TEST_CASE("list-images: the limit keeps the running image, with a gap line") {
  api::image_status s{"ns:deployment/app", std::vector<api::container>{}};
  api::container c;
  c.name = "app";
  c.current.id = "reg.io/app:1";
  for (auto tag : {"5", "4", "3", "2", "1"})
    c.available.push_back({std::string("reg.io/app:") + tag, "", "", {},
                           std::nullopt, std::nullopt});
  s.containers->push_back(c);
  CHECK(fluxctl::list_images_table({s}, 2, false)
        == "ns:deployment/app  app  reg.io/app              \n"
           "                        |   5                   \n"
           "                        |   4                   \n"
           "                        : (2 image(s) omitted)  \n"
           "                        '-> 1                   \n");
}

TEST_CASE("result table: sorted IDs, verbosity hides skipped and ignored") {
  api::update_result r;
  r["default:deployment/helloworld"]
    = {"success", "",
       std::vector<api::container_update>{
         {"helloworld", "quay.io/weaveworks/helloworld:master-a000002",
          "quay.io/weaveworks/helloworld:master-a000001"},
         {"sidecar", "weaveworks/sidecar:a", "weaveworks/sidecar:b"}}};
  r["default:deployment/locked"] = {"skipped", "locked", std::nullopt};
  r["default:deployment/other"] = {"ignored", "not included", std::nullopt};
  CHECK(fluxctl::result_table(r, 0)
        == "WORKLOAD                       STATUS   UPDATES\n"
           "default:deployment/helloworld  success  helloworld: "
           "quay.io/weaveworks/helloworld:master-a000002 -> master-a000001\n"
           "                                        sidecar: "
           "weaveworks/sidecar:a -> b\n");
  CHECK(fluxctl::result_table(r, 2)
        == "WORKLOAD                       STATUS   UPDATES\n"
           "default:deployment/helloworld  success  helloworld: "
           "quay.io/weaveworks/helloworld:master-a000002 -> master-a000001\n"
           "                                        sidecar: "
           "weaveworks/sidecar:a -> b\n"
           "default:deployment/locked      skipped  locked\n"
           "default:deployment/other       ignored  not included\n");
}

TEST_CASE("fluxctl list-workloads and list-images against fluxd's server") {
  test::api_server s;
  auto lw = run_fluxctl(s.url(), {"list-workloads", "--namespace", "demo"});
  CHECK(lw.code == 0);
  CHECK(lw.out == fluxctl::list_workloads_table(s.daemon.workloads, true));
  auto js = run_fluxctl(s.url(), {"list-controllers", "-n", "demo", "-o", "json"});
  CHECK(js.out == api::to_json(s.daemon.workloads) + "\n");
  auto c = run_fluxctl(s.url(), {"list-workloads", "-a", "-c", "init",
                             "--no-headers"});
  CHECK(c.out.rfind("demo:deployment/podinfo", 0) == 0);
  CHECK(c.out.find("ghost") == std::string::npos);
  auto li = run_fluxctl(s.url(), {"list-images", "-n", "demo"});
  CHECK(li.code == 0);
  CHECK(li.out == fluxctl::list_images_table(s.daemon.images, 10, true));
  auto one = run_fluxctl(s.url(), {"list-images", "-w", "demo:deployment/podinfo",
                               "-l", "1", "-o", "json"});
  CHECK(one.out.find("3.0.5") == std::string::npos);
  CHECK(one.out.find(R"("ID":"demo:deployment/podinfo")") != std::string::npos);
  auto bad = run_fluxctl(s.url(), {"list-workloads", "-o", "yaml"});
  CHECK(bad.code == 1);
  CHECK(bad.err
        == "Error: invalid output format specified\n"
           "Run 'fluxctl --help' for usage.\n");
  auto args = run_fluxctl(s.url(), {"list-workloads", "extra"});
  CHECK(args.err.rfind("Error: expected no (non-flag) arguments\n", 0) == 0);
}

TEST_CASE("fluxctl release: plan, execute waiting for the sync, usage") {
  test::api_server s;
  auto plan = run_fluxctl(s.url(), {"release", "--workload=demo:deployment/podinfo",
                                "--update-all-images", "--dry-run", "--user",
                                "Jane <jane@x>"});
  CHECK(plan.code == 0);
  CHECK(plan.err == "Submitting dry-run release ...\n");
  CHECK(plan.out
        == "WORKLOAD                 STATUS   UPDATES\n"
           "demo:deployment/podinfo  success  podinfod: "
           "stefanprodan/podinfo:3.1.0 -> 3.1.1\n");
  auto spec = s.daemon.specs().at(0);
  CHECK(api::to_json(spec)
        == R"({"type":"image","cause":{"Message":"","User":"Jane \u003cjane@x\u003e"},)"
           R"("spec":{"ServiceSpecs":["demo:deployment/podinfo"],"ImageSpec":"\u003call latest\u003e",)"
           R"("Kind":"plan","Excludes":[],"Force":false}})");

  s.daemon.set_pending_syncs(1);
  auto exec = run_fluxctl(s.url(), {"release", "--all", "-i",
                                "stefanprodan/podinfo:3.1.1", "-vv",
                                "--user", "u", "-m", "why"});
  CHECK(exec.code == 0);
  CHECK(exec.err
        == "Submitting release ...\n"
           "Commit pushed:\t9f1c2d3\n"
           "Commit applied:\t9f1c2d3\n");
  CHECK(exec.out
        == "WORKLOAD                 STATUS   UPDATES\n"
           "demo:deployment/podinfo  success  podinfod: "
           "stefanprodan/podinfo:3.1.0 -> 3.1.1\n"
           "demo:helmrelease/ghost   skipped  locked\n"
           "demo:helmrelease/redis   ignored  not included\n");

  auto none = run_fluxctl(s.url(), {"release", "--all"});
  CHECK(none.code == 1);
  CHECK(none.err.rfind("Error: please supply exactly one of "
                       "--update-image=<image> or --update-all-images\n",
                       0)
        == 0);
  CHECK(run_fluxctl(s.url(), {"release", "--update-all-images"}).err.find(
          "please supply either --all, or at least one --workload=<workload>")
        != std::string::npos);
  CHECK(run_fluxctl(s.url(), {"release", "--all", "--update-all-images", "-f"})
          .err.find("--force has no effect when used with --all and "
                    "--update-all-images")
        != std::string::npos);
  CHECK(run_fluxctl(s.url(), {"release", "--all", "-i", "alpine", "--user", "u"})
          .err.find("blank tag")
        != std::string::npos);
  auto warn = run_fluxctl(s.url(), {"release", "--all", "-i", "alpine:3", "-f",
                                "--dry-run", "--user", "u"});
  CHECK(warn.err.rfind("Warning: --force will not ignore locked workloads "
                       "when used with --all\n",
                       0)
        == 0);
}

TEST_CASE("fluxctl policy commands send Flux v1's policy updates") {
  test::api_server s;
  auto lock = run_fluxctl(s.url(), {"lock", "-w", "deployment/podinfo", "-n",
                                "demo", "--user", "Jane", "-m", "hold"});
  CHECK(lock.code == 0);
  CHECK(lock.out
        == "WORKLOAD                 STATUS   UPDATES\n"
           "demo:deployment/podinfo  success  \n");
  CHECK(lock.err == "Commit pushed:\t9f1c2d3\n");
  auto spec = s.daemon.specs().at(0);
  CHECK(api::to_json(spec)
        == R"({"type":"policy","cause":{"Message":"hold","User":"Jane"},)"
           R"("spec":{"demo:deployment/podinfo":{"add":{"locked":"true",)"
           R"("locked_msg":"hold","locked_user":"Jane"}}}})");
  run_fluxctl(s.url(), {"policy", "-w", "demo:deployment/podinfo", "--automate",
                    "--unlock", "--tag-all", "v*", "--tag", "init=*",
                    "--tag=podinfod=semver:~3.1", "--user", ""});
  auto& u = std::get<api::policy_updates>(s.daemon.specs().at(1).spec)
              .at("demo:deployment/podinfo");
  CHECK(u.add.at("automated") == "true");
  CHECK(u.add.at("tag_all") == "glob:v*");
  CHECK(u.add.at("tag.podinfod") == "semver:~3.1");
  CHECK(u.remove.count("tag.init") == 1);
  CHECK(u.remove.count("locked_user") == 1);
  CHECK(run_fluxctl(s.url(), {"automate"}).err.find("-w, --workload is required")
        != std::string::npos);
  CHECK(run_fluxctl(s.url(), {"policy", "-w", "a:b/c", "--lock", "--unlock"})
          .err.find("lock and unlock both specified")
        != std::string::npos);
  CHECK(run_fluxctl(s.url(), {"policy", "-w", "a:b/c", "--tag", "nonsense",
                          "--user", "u"})
          .err.find("invalid container/tag pair: \"nonsense\". Expected "
                    "format is 'container=filter'")
        != std::string::npos);
}

TEST_CASE("fluxctl sync waits for the commit to be applied; identity") {
  test::api_server s;
  s.daemon.set_pending_syncs(1);
  auto sync = run_fluxctl(s.url(), {"sync"});
  CHECK(sync.code == 0);
  CHECK(sync.err
        == "Synchronizing with ssh://git@gitsrv/git-server/repos/cluster.git\n"
           "Revision of master to apply is 9f1c2d3\n"
           "Waiting for 9f1c2d3 to be applied ...\n"
           "Done.\n");
  CHECK(run_fluxctl(s.url(), {"identity"}).out == "ssh-ed25519 AAAAC3Nz fixture\n");
  CHECK(run_fluxctl(s.url(), {"identity", "-l"}).out == "7c:8e:aa:bb\n");
  CHECK(run_fluxctl(s.url(), {"identity", "-v"}).out
        == "7c:8e:aa:bb\n+---[ED25519 256]--+\n|  art  |\n+----[MD5]-----+\n");
  run_fluxctl(s.url(), {"identity", "--regenerate"});
  CHECK(s.daemon.regenerations() == 1);
}

TEST_CASE("fluxctl errors: structured, unreachable, no URL, 401") {
  test::api_server s{api::route_options{"tok"}};
  auto denied = run_fluxctl(s.url(), {"list-workloads"});
  CHECK(denied.code == 1);
  CHECK(denied.err.rfind("== Error ==\n\nThe request failed authentication",
                         0)
        == 0);
  auto ok = run_fluxctl(s.url(), {"list-workloads", "-n", "demo"},
                    {{"FLUX_SERVICE_TOKEN", "tok"}});
  CHECK(ok.code == 0);
  // A job the daemon does not know: Flux's structured 404.
  std::ostringstream out, err;
  auto refused = run_fluxctl("http://127.0.0.1:1/api/flux", {"list-workloads"});
  CHECK(refused.code == 1);
  CHECK(refused.err.find("pass --url or FLUX_URL") != std::string::npos);
  auto no_url = run_fluxctl("", {"list-workloads", "--k8s-fwd-ns", "flux"});
  CHECK(no_url.code == 1);
  CHECK(no_url.err.find("kubectl -n flux port-forward") != std::string::npos);
  auto bad_timeout = run_fluxctl(s.url(), {"sync", "--timeout", "soon"});
  CHECK(bad_timeout.err.find("--timeout") != std::string::npos);
}

TEST_CASE("fluxctl version, completion, install, save; the real binary") {
  test::api_server s;
  CHECK(run_fluxctl("", {"version"}).out == "0.1.0\n");
  for (auto shell : {"bash", "zsh", "fish"}) {
    auto r = run_fluxctl("", {"completion", shell});
    CHECK(r.code == 0);
    CHECK(r.out.find("list-workloads") != std::string::npos);
  }
  CHECK(run_fluxctl("", {"completion"}).err.rfind("Error: please specify a shell",
                                              0)
        == 0);
  CHECK(run_fluxctl("", {"completion", "tcsh"})
          .err.rfind("Error: unsupported shell type \"tcsh\"", 0)
        == 0);
  auto inst = run_fluxctl("", {"install", "--git-url", "git@github.com:o/r",
                           "--git-email", "f@x", "--git-path", "a,b",
                           "--namespace", "flux", "--registry-disable-scanning"});
  CHECK(inst.code == 0);
  CHECK(inst.out.find("- --git-path=b\n") != std::string::npos);
  CHECK(inst.out.find("  namespace: flux\n") != std::string::npos);
  CHECK(inst.out.find("memcached") == std::string::npos);
  CHECK(run_fluxctl("", {"install", "--git-email", "x"})
          .err.find("Error: please supply a valid --git-url argument\n")
        != std::string::npos);
  test::temp_dir dir;
  auto saved = run_fluxctl(s.url(), {"save", "-o", dir.path()});
  CHECK(saved.code == 0);
  CHECK(saved.err == "Saving Namespace 'demo' to " + dir.path()
                       + "/demo-ns.yaml\n");

  auto bin = std::string(FLUXD_BINARY_DIR) + "/bin/fluxctl";
  auto r = test::run({bin, "--url", s.url(), "list-workloads", "-n", "demo"},
                     std::chrono::seconds(20));
  CHECK(r.status == 0);
  CHECK(r.out == fluxctl::list_workloads_table(s.daemon.workloads, true));
}

TEST_CASE("fluxctl without --url looks for the fluxd pod in the cluster") {
  test::temp_dir dir;
  test::kube_emulator kube{dir.path() + "/kubeconfig", {}};
  auto r = run_fluxctl("", {"list-workloads", "--k8s-fwd-ns", "flux"},
                       {{"KUBECONFIG", kube.kubeconfig()}});
  CHECK(r.code == 1);
  CHECK(r.err
        == "Error: No pod found in namespace \"flux\" using the following "
           "selectors:\n  app=flux\n  name in (flux,fluxd,weave-flux-agent)"
           "\n\nMake sure Flux is running in namespace \"flux\".\nIf Flux is "
           "running in another different namespace, please supply it to "
           "--k8s-fwd-ns.\nRun 'fluxctl --help' for usage.\n");
}

TEST_CASE("fluxctl release --watch and --interactive") {
  test::api_server s;
  auto w = run_fluxctl(s.url(), {"release", "--workload",
                                 "demo:deployment/podinfo", "-i",
                                 "stefanprodan/podinfo:3.1.1", "--watch",
                                 "--user", "u"});
  CHECK(w.code == 0);
  CHECK(w.err
        == "Submitting release ...\nCommit pushed:\t9f1c2d3\n"
           "Commit applied:\t9f1c2d3\nMonitoring rollout ...\n");
  CHECK(w.out.find("WORKLOAD                 CONTAINER  IMAGE              "
                   "         RELEASE  REPLICAS\n"
                   "demo:deployment/podinfo  podinfod   stefanprodan/podinfo"
                   ":3.1.0  ready    1/1\n")
        != std::string::npos);
  CHECK(w.out.find("All workloads ready.\n") != std::string::npos);
  CHECK(run_fluxctl(s.url(), {"release", "--all", "--update-all-images",
                              "--watch", "--dry-run"})
          .err.find("cannot use --watch with --dry-run")
        != std::string::npos);

  // The menu itself is tested through a pty in tests/fluxctl_menu.
  std::ostringstream out, err;
  fluxctl::environment env{out, err, [&](const std::string& n) {
                             return n == "FLUX_URL" ? s.url() : "";
                           }};
  env.tty_path = "/nonexistent/tty";
  CHECK(fluxctl::run({"release", "--all", "--update-all-images",
                      "--interactive"},
                     env)
        == 1);
  CHECK(err.str().find("Error: --interactive needs a terminal: cannot open "
                       "/nonexistent/tty")
        != std::string::npos);
}
