#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "adapters/install/manifests.hpp"
#include "tests/kubectl/kubectl_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using fluxd::test::kubectl_env;
using fluxd::test::run;

namespace {

const std::string source_dir = FLUXD_SOURCE_DIR;

/// deploy/base's own values of the flags fluxctl install sets.
const std::vector<std::string> base_flags = {
    "--git-url=git@github.com:example/fleet-infra", "--git-branch=main",
    "--git-path=clusters/production", "--git-email=flux@example.com",
    "--namespace=flux"};

fluxd::test::run_result fluxctl(std::vector<std::string> args) {
  args.insert(args.begin(), fluxd::test::bin_path("fluxctl"));
  return run(args, std::chrono::seconds(20));
}

/// A YAML value as Kubernetes reads it, so that a quoted "3031" and a
/// plain 3031, or 0400 and 256, are told apart or not as they should be.
std::string canonical(const YAML::Node& n) {
  if (n.IsMap()) {
    std::map<std::string, std::string> sorted;
    for (auto kv : n)
      sorted[kv.first.Scalar()] = canonical(kv.second);
    std::string s = "{";
    for (auto& [k, v] : sorted)
      s += k + ":" + v + ",";
    return s + "}";
  }
  if (n.IsSequence()) {
    std::string s = "[";
    for (auto item : n)
      s += canonical(item) + ",";
    return s + "]";
  }
  if (!n.IsScalar())
    return "null";
  auto& v = n.Scalar();
  if (n.Tag() == "!")
    return "s:" + v;
  if (v.size() > 1 && v[0] == '0'
      && v.find_first_not_of("01234567") == std::string::npos)
    return "i:" + std::to_string(std::stol(v, nullptr, 8));
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos)
    return "i:" + v;
  if (v == "true" || v == "false")
    return "b:" + v;
  return "s:" + v;
}

/// kind/namespace/name → canonical object, for every document of `yaml`.
std::map<std::string, std::string> objects(const std::string& yaml) {
  std::map<std::string, std::string> out;
  for (auto doc : YAML::LoadAll(yaml)) {
    if (!doc.IsMap())
      continue;
    auto meta = doc["metadata"];
    auto key = doc["kind"].as<std::string>() + "/"
               + (meta["namespace"] ? meta["namespace"].as<std::string>() : "")
               + "/" + meta["name"].as<std::string>();
    out[key] = canonical(doc);
  }
  return out;
}

boost::json::object get_json(const kubectl_env& env,
                             std::vector<std::string> args) {
  args.insert(args.begin(), "get");
  args.push_back("-o");
  args.push_back("json");
  auto r = env.kubectl(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return boost::json::parse(r.out).as_object();
}

std::vector<std::string> strings(const boost::json::value& v) {
  std::vector<std::string> out;
  for (auto& s : v.as_array())
    out.emplace_back(s.as_string());
  return out;
}

} // namespace

TEST_CASE("fluxctl install with deploy/base's values renders deploy/base") {
  SKIP_WITHOUT_KUBECTL();
  auto rendered = fluxctl([] {
    auto a = base_flags;
    a.insert(a.begin(), "install");
    return a;
  }());
  INFO(rendered.err);
  REQUIRE(rendered.status == 0);
  auto kustomized = run({"kubectl", "kustomize", source_dir + "/deploy/base"});
  INFO(kustomized.err);
  REQUIRE(kustomized.status == 0);

  auto ours = objects(rendered.out);
  auto theirs = objects(kustomized.out);
  CHECK(ours.size() == 8);
  for (auto& [key, obj] : theirs) {
    INFO(key);
    REQUIRE(ours.count(key) == 1);
    CHECK(ours[key] == obj);
  }
  CHECK(ours.size() == theirs.size());
}

TEST_CASE("fluxctl install -o: the files apply with kubectl apply "
          "--server-side and fluxd accepts the arguments") {
  SKIP_WITHOUT_KUBECTL();
  fluxd::test::temp_dir out("install");
  auto r = fluxctl({"install", "--git-url=ssh://git@git.example/fleet.git",
                    "--git-email=bot@example.com", "--git-branch", "prod",
                    "--git-path=apps,infra", "--git-label=fluxd-prod",
                    "--git-user=Fluxd Bot", "--git-readonly",
                    "--manifest-generation", "--registry-disable-scanning",
                    "--namespace", "fluxd-system", "-o", out.path()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  CHECK(fs::exists(out.file("06-deployment.yaml")));
  CHECK(fs::exists(out.file("01-namespace.yaml")));

  kubectl_env env;
  auto applied = env.kubectl({"apply", "--server-side", "-f", out.path()});
  INFO(applied.out << applied.err);
  REQUIRE(applied.status == 0);
  CHECK(applied.out.find("deployment.apps/flux serverside-applied")
        != std::string::npos);

  CHECK(get_json(env, {"namespace", "fluxd-system"}).at("kind") == "Namespace");
  auto dep = get_json(env, {"deployment", "flux", "-n", "fluxd-system"});
  auto& pod = dep.at("spec").at("template").at("spec").as_object();
  auto& c = pod.at("containers").at(0).as_object();
  auto args = strings(c.at("args"));
  std::vector<std::string> expected = {
      "--git-url=ssh://git@git.example/fleet.git",
      "--git-branch=prod",
      "--git-path=apps",
      "--git-path=infra",
      "--git-label=fluxd-prod",
      "--git-user=Fluxd Bot",
      "--git-email=bot@example.com",
      "--git-readonly",
      "--manifest-generation=true",
      "--registry-disable-scanning"};
  REQUIRE(args.size() > expected.size());
  CHECK(std::vector<std::string>(args.begin(), args.begin() + expected.size())
        == expected);
  // deploy/base's other arguments stay.
  CHECK(std::count(args.begin(), args.end(), "--listen-metrics=:3031") == 1);
  CHECK(std::count(args.begin(), args.end(), "--state-dir=/var/lib/fluxd")
        == 1);
  CHECK(std::string(c.at("image").as_string()).rfind("fluxd:", 0) == 0);
  CHECK(c.at("livenessProbe").at("httpGet").at("path") == "/healthz");
  CHECK(c.at("readinessProbe").at("httpGet").at("path") == "/readyz");
  CHECK(c.at("securityContext").at("readOnlyRootFilesystem") == true);
  CHECK(pod.at("securityContext").at("runAsNonRoot") == true);
  CHECK(pod.at("serviceAccountName") == "flux");
  CHECK(dep.at("spec")
            .at("template")
            .at("metadata")
            .at("annotations")
            .at("prometheus.io/port")
        == "3031");
  CHECK(get_json(env, {"clusterrolebinding", "flux"})
            .at("subjects")
            .at(0)
            .at("namespace")
        == "fluxd-system");
  CHECK(
      get_json(env, {"serviceaccount", "flux", "-n", "fluxd-system"}).at("kind")
      == "ServiceAccount");
  CHECK(get_json(env, {"secret", "flux-git-deploy", "-n", "fluxd-system"})
            .at("type")
        == "Opaque");
  CHECK(get_json(env, {"configmap", "flux-ssh-config", "-n", "fluxd-system"})
            .at("data")
            .at("known_hosts")
            .as_string()
            .find("github.com ")
        == 0);
  CHECK(get_json(env, {"service", "flux", "-n", "fluxd-system"})
            .at("spec")
            .at("ports")
            .as_array()
            .size()
        == 2);

  std::vector<std::string> argv = {fluxd::test::bin_path("fluxd")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--help");
  auto help = run(argv);
  INFO(help.err);
  CHECK(help.status == 0);
}

TEST_CASE("install: no security context on request and no Namespace for "
          "default and errors name the flag") {
  fluxd::install::parameters p;
  p.git_url = "git@github.com:o/r";
  p.git_email = "f@x";
  p.add_security_context = false;
  auto files = fluxd::install::render(p);
  std::string all;
  for (auto& [name, text] : files) {
    CHECK(name.find("namespace.yaml") == std::string::npos);
    all += text;
  }
  CHECK(all.find("securityContext") == std::string::npos);
  CHECK(all.find("namespace: default\n") != std::string::npos);
  CHECK(all.find("- --git-branch=master\n") != std::string::npos);
  CHECK(all.find("--git-path") == std::string::npos);
  CHECK(all.find("memcached") == std::string::npos);

  p.git_email.clear();
  CHECK_THROWS_WITH(fluxd::install::render(p),
                    "please supply a valid --git-email argument");
  p.git_email = "f@x";
  std::vector<fluxd::install::base_file> broken = {
      {"kustomization.yaml", "resources: [deployment.yaml]\n"}};
  CHECK_THROWS_WITH(fluxd::install::render(p, broken),
                    Catch::Contains("deploy/base/deployment.yaml"));
}

TEST_CASE("install: values that look like numbers stay strings") {
  fluxd::install::parameters p;
  p.git_url = "git@github.com:o/r";
  p.git_email = "f@x";
  p.namespace_ = "1234";
  std::string all;
  for (auto& [name, text] : fluxd::install::render(p))
    all += text;
  CHECK(all.find("namespace: \"1234\"\n") != std::string::npos);
  CHECK(all.find("prometheus.io/port: \"3031\"\n") != std::string::npos);
  CHECK(all.find("known_hosts: |\n") != std::string::npos);
}
