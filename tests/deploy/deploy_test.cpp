#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/kubectl/kubectl_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using fluxd::test::kubectl_env;
using fluxd::test::read_file;
using fluxd::test::run;

namespace {

const std::string source_dir = FLUXD_SOURCE_DIR;

boost::json::object get_json(const kubectl_env& env,
                             std::vector<std::string> args) {
  args.push_back("-o");
  args.push_back("json");
  args.insert(args.begin(), "get");
  auto r = env.kubectl(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return boost::json::parse(r.out).as_object();
}

/// Every file of the source tree below `dir` with one of `exts`.
std::string all_sources(const std::vector<std::string>& dirs) {
  std::string text;
  for (auto& d : dirs)
    for (auto& e : fs::recursive_directory_iterator(source_dir + "/" + d))
      if (e.path().extension() == ".cpp" || e.path().extension() == ".hpp")
        text += read_file(e.path().string());
  return text;
}

std::string family_of(const std::string& series) {
  for (std::string suffix : {"_bucket", "_sum", "_count"})
    if (series.size() > suffix.size()
        && series.compare(series.size() - suffix.size(), suffix.size(),
                          suffix)
             == 0)
      return series.substr(0, series.size() - suffix.size());
  return series;
}

} // namespace

TEST_CASE("deploy/base applies cleanly with kubectl apply --server-side -k") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env env;
  auto r = env.kubectl({"apply", "--server-side", "-k",
                        source_dir + "/deploy/base"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("deployment.apps/flux serverside-applied")
        != std::string::npos);

  auto dep = get_json(env, {"deployment", "flux", "-n", "flux"});
  auto& spec = dep.at("spec").at("template").at("spec").as_object();
  CHECK(spec.at("serviceAccountName") == "flux");
  CHECK(spec.at("securityContext").at("runAsNonRoot") == true);
  auto& c = spec.at("containers").at(0).as_object();
  CHECK(c.at("livenessProbe").at("httpGet").at("path") == "/healthz");
  CHECK(c.at("readinessProbe").at("httpGet").at("path") == "/readyz");
  CHECK(c.at("securityContext").at("readOnlyRootFilesystem") == true);
  CHECK(c.at("securityContext").at("allowPrivilegeEscalation") == false);
  CHECK(c.at("resources").at("requests").at("memory") == "64Mi");
  std::set<std::string> mounts;
  for (auto& m : c.at("volumeMounts").as_array())
    mounts.insert(std::string(m.at("mountPath").as_string()));
  CHECK(mounts.count("/etc/fluxd/ssh"));
  CHECK(mounts.count("/var/lib/fluxd"));
  CHECK(dep.at("spec").at("strategy").at("type") == "Recreate");

  CHECK(get_json(env, {"serviceaccount", "flux", "-n", "flux"})
          .at("metadata").at("name") == "flux");
  CHECK(get_json(env, {"clusterrole", "flux"}).at("rules").as_array().size()
        == 3);
  CHECK(get_json(env, {"clusterrolebinding", "flux"})
          .at("subjects").at(0).at("namespace") == "flux");
  CHECK(get_json(env, {"secret", "flux-git-deploy", "-n", "flux"})
          .at("type") == "Opaque");
  CHECK(get_json(env, {"configmap", "flux-ssh-config", "-n", "flux"})
          .at("data").as_object().count("known_hosts") == 1);
  auto svc = get_json(env, {"service", "flux", "-n", "flux"});
  CHECK(svc.at("spec").at("ports").as_array().size() == 2);

  // Applying again changes nothing and conflicts with nothing.
  auto again = env.kubectl({"apply", "--server-side", "-k",
                            source_dir + "/deploy/base"});
  CHECK(again.status == 0);
  CHECK(again.out.find("deployment.apps/flux serverside-applied")
        != std::string::npos);
}

TEST_CASE("deploy/namespaced uses a Role and restricts fluxd's namespaces") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env env;
  auto r = env.kubectl({"apply", "--server-side", "-k",
                        source_dir + "/deploy/namespaced"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("clusterrole") == std::string::npos);
  CHECK(get_json(env, {"role", "flux", "-n", "flux"}).at("kind") == "Role");
  CHECK(env.kubectl({"get", "clusterrole", "flux"}).status != 0);
  auto dep = get_json(env, {"deployment", "flux", "-n", "flux"});
  auto& args = dep.at("spec").at("template").at("spec").at("containers")
                 .at(0).at("args").as_array();
  CHECK(args.back() == "--k8s-allow-namespace=flux");
}

TEST_CASE("every flag in deploy/ is one fluxd accepts") {
  auto yaml = YAML::LoadFile(source_dir + "/deploy/base/deployment.yaml");
  auto args = yaml["spec"]["template"]["spec"]["containers"][0]["args"];
  std::vector<std::string> argv = {fluxd::test::bin_path("fluxd")};
  for (auto a : args)
    argv.push_back(a.as<std::string>());
  argv.push_back("--help");
  auto r = run(argv);
  INFO(r.err);
  CHECK(r.status == 0);
}

TEST_CASE("the Dockerfile installs every library fluxd links") {
  auto dockerfile = read_file(source_dir + "/deploy/Dockerfile");
  auto needed = run({"readelf", "-d", fluxd::test::bin_path("fluxd")});
  REQUIRE(needed.status == 0);
  std::regex lib_re{"\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]"};
  int checked = 0;
  for (std::sregex_iterator i(needed.out.begin(), needed.out.end(), lib_re),
       end;
       i != end; ++i) {
    auto lib = (*i)[1].str();
    auto where = run({"sh", "-c",
                      "dpkg -S \"$(readlink -f \"$(ldconfig -p | awk '$1 == \""
                        + lib + "\" {print $NF; exit}')\")\" | cut -d: -f1"});
    auto package = where.out.substr(0, where.out.find('\n'));
    if (package.empty())
      continue;
    // The base image already has the C and C++ runtimes.
    if (package == "libc6" || package == "libstdc++6"
        || package == "libgcc-s1")
      continue;
    INFO(lib << " comes from " << package);
    CHECK(dockerfile.find(package) != std::string::npos);
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("alerts and the dashboard use metrics fluxd exports") {
  auto code = all_sources({"adapters", "actors"});
  std::regex metric_re{"\\b((flux|fluxd|process)_[a-z_]+)\\b"};
  auto check_text = [&](const std::string& text, const std::string& what) {
    int n = 0;
    for (std::sregex_iterator i(text.begin(), text.end(), metric_re), end;
         i != end; ++i) {
      auto series = (*i)[1].str();
      if (series.rfind("process_", 0) == 0)
        continue; // the process collector's, written without quotes
      INFO(what << " uses " << series);
      // A gauge may itself end in _count (flux_daemon_queue_length_count).
      CHECK((code.find("\"" + series + "\"") != std::string::npos
             || code.find("\"" + family_of(series) + "\"")
                  != std::string::npos));
      ++n;
    }
    CHECK(n > 5);
  };
  auto rules = read_file(source_dir + "/deploy/monitoring/prometheus-rules.yaml");
  auto parsed = YAML::Load(rules);
  REQUIRE(parsed["groups"][0]["rules"].size() >= 3);
  check_text(rules, "prometheus-rules.yaml");
  auto dashboard = read_file(source_dir
                             + "/deploy/monitoring/grafana-dashboard.json");
  auto dash = boost::json::parse(dashboard).as_object();
  CHECK(dash.at("panels").as_array().size() > 10);
  check_text(dashboard, "grafana-dashboard.json");
}
