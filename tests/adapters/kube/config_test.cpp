#include "adapters/kube/config.hpp"
#include "adapters/kube/credentials.hpp"
#include "adapters/kube/errors.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <thread>

using namespace fluxd::kube;
using fluxd::test::read_file;
using fluxd::test::temp_dir;
using fluxd::test::write_file;

namespace {

const std::string ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n"
                           "-----END CERTIFICATE-----\n";

std::string kubeconfig(const std::string& clusters, const std::string& users,
                       const std::string& contexts,
                       const std::string& current = "") {
  std::string out = "apiVersion: v1\nkind: Config\n";
  if (!current.empty())
    out += "current-context: " + current + "\n";
  out += "clusters:\n" + clusters + "users:\n" + users + "contexts:\n"
         + contexts;
  return out;
}

std::string cluster(const std::string& name, const std::string& server,
                    const std::string& extra = "") {
  return "- name: " + name + "\n  cluster:\n    server: " + server + "\n"
         + extra;
}

std::string user(const std::string& name, const std::string& body) {
  return "- name: " + name + "\n  user:\n" + body;
}

std::string context(const std::string& name, const std::string& cl,
                    const std::string& us, const std::string& ns = "") {
  std::string out = "- name: " + name + "\n  context:\n    cluster: " + cl
                    + "\n    user: " + us + "\n";
  if (!ns.empty())
    out += "    namespace: " + ns + "\n";
  return out;
}

void make_executable(const std::string& path, const std::string& script) {
  write_file(path, script);
  ::chmod(path.c_str(), 0755);
}

} // namespace

TEST_CASE("kubeconfig: token user, CA data, context namespace") {
  temp_dir dir;
  auto path = dir.file("config");
  write_file(path,
             kubeconfig(cluster("c", "https://127.0.0.1:6443/",
                                "    certificate-authority-data: "
                                  + base64_encode(ca_pem) + "\n"
                                  "    tls-server-name: api.local\n"),
                        user("u", "    token: s3cr3t\n"),
                        context("ctx", "c", "u", "team-a"), "ctx"));
  auto cfg = load_kubeconfig({path});
  CHECK(cfg.server == "https://127.0.0.1:6443");
  CHECK(cfg.ca_pem == ca_pem);
  CHECK(cfg.tls_server_name == "api.local");
  CHECK(cfg.token == "s3cr3t");
  CHECK(cfg.context == "ctx");
  CHECK(cfg.namespace_name == "team-a");
  CHECK(cfg.default_namespace() == "team-a");
  CHECK_FALSE(cfg.insecure_skip_tls_verify);
}

TEST_CASE("kubeconfig: file paths are relative to the kubeconfig") {
  temp_dir dir;
  write_file(dir.file("sub/pki/ca.crt"), ca_pem);
  write_file(dir.file("sub/pki/client.crt"), "CERT");
  write_file(dir.file("sub/pki/client.key"), "KEY");
  write_file(dir.file("sub/token"), "tok-from-file\n");
  auto path = dir.file("sub/config");
  write_file(path, kubeconfig(cluster("c", "https://h:1",
                                      "    certificate-authority: "
                                      "pki/ca.crt\n"),
                              user("u", "    client-certificate: "
                                        "pki/client.crt\n"
                                        "    client-key: pki/client.key\n"
                                        "    tokenFile: token\n"),
                              context("ctx", "c", "u"), "ctx"));
  auto cfg = load_kubeconfig({path});
  CHECK(cfg.ca_pem == ca_pem);
  CHECK(cfg.client_cert_pem == "CERT");
  CHECK(cfg.client_key_pem == "KEY");
  CHECK(cfg.token_file == dir.file("sub/token"));
  CHECK(cfg.namespace_name.empty());
  CHECK(cfg.default_namespace() == "default");
  credential_source creds(cfg);
  CHECK(creds.current().authorization == "Bearer tok-from-file");
}

TEST_CASE("kubeconfig: -data fields, data wins over files") {
  temp_dir dir;
  auto path = dir.file("config");
  write_file(path,
             kubeconfig(cluster("c", "https://h:1",
                                "    certificate-authority: /nonexistent\n"
                                "    certificate-authority-data: "
                                  + base64_encode(ca_pem) + "\n"),
                        user("u", "    client-certificate-data: "
                                    + base64_encode("CERT") + "\n"
                                    + "    client-key-data: "
                                    + base64_encode("KEY") + "\n"
                                    + "    token: t\n    tokenFile: /x\n"),
                        context("ctx", "c", "u")));
  auto cfg = load_kubeconfig({path}, "ctx");
  CHECK(cfg.ca_pem == ca_pem);
  CHECK(cfg.client_cert_pem == "CERT");
  CHECK(cfg.client_key_pem == "KEY");
  CHECK(cfg.token == "t");
  CHECK(cfg.token_file.empty()); // token wins over tokenFile
}

TEST_CASE("kubeconfig: insecure-skip-tls-verify and its conflict with a CA") {
  temp_dir dir;
  auto path = dir.file("config");
  write_file(path, kubeconfig(cluster("c", "https://h:1",
                                      "    insecure-skip-tls-verify: true\n"),
                              user("u", "    token: t\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK(load_kubeconfig({path}).insecure_skip_tls_verify);
  write_file(path, kubeconfig(cluster("c", "https://h:1",
                                      "    insecure-skip-tls-verify: true\n"
                                      "    certificate-authority-data: "
                                        + base64_encode(ca_pem) + "\n"),
                              user("u", "    token: t\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains("clusters[c].cluster")
                      && Catch::Contains("insecure-skip-tls-verify"));
}

TEST_CASE("kubeconfig: named contexts and what is missing is named") {
  temp_dir dir;
  auto path = dir.file("config");
  write_file(path,
             kubeconfig(cluster("c1", "https://one:1") +
                          cluster("c2", "https://two:2"),
                        user("u1", "    token: one\n") +
                          user("u2", "    token: two\n"),
                        context("first", "c1", "u1") +
                          context("second", "c2", "u2", "ns2") +
                          context("nocluster", "gone", "u1") +
                          context("nouser", "c1", "ghost"),
                        "first"));
  CHECK(load_kubeconfig({path}).server == "https://one:1");
  auto second = load_kubeconfig({path}, "second");
  CHECK(second.server == "https://two:2");
  CHECK(second.token == "two");
  CHECK(second.namespace_name == "ns2");
  CHECK_THROWS_WITH(load_kubeconfig({path}, "absent"),
                    Catch::Contains("context \"absent\" not found")
                      && Catch::Contains(path));
  CHECK_THROWS_WITH(load_kubeconfig({path}, "nocluster"),
                    Catch::Contains("cluster \"gone\" not found"));
  CHECK_THROWS_WITH(load_kubeconfig({path}, "nouser"),
                    Catch::Contains("user \"ghost\" not found"));
}

TEST_CASE("kubeconfig: bad values name file and field") {
  temp_dir dir;
  auto path = dir.file("config");
  write_file(path, kubeconfig(cluster("c", "https://h:1"),
                              user("u", "    client-key-data: '%%%'\n"
                                        "    client-certificate-data: "
                                        "QQ==\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains(path)
                      && Catch::Contains("users[u].user.client-key-data"));
  write_file(path, kubeconfig(cluster("c", "https://h:1"),
                              user("u", "    client-certificate-data: QQ==\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}), Catch::Contains("needs its key"));
  write_file(path, kubeconfig(cluster("c", "h:1"), user("u", "    token: t\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains("clusters[c].cluster.server"));
  write_file(path, "clusters: [unclosed\n");
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains(path) && Catch::Contains("invalid YAML"));
  write_file(path, kubeconfig(cluster("c", "https://h:1"),
                              user("u", "    auth-provider:\n"
                                        "      name: gcp\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains("auth-provider"));
  write_file(path, kubeconfig(cluster("c", "https://h:1",
                                      "    proxy-url: http://proxy:3128\n"),
                              user("u", "    token: t\n"),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains("clusters[c].cluster.proxy-url"));
}

TEST_CASE("kubeconfig: KUBECONFIG merges files, the first one wins") {
  temp_dir dir;
  auto a = dir.file("a.yaml");
  auto b = dir.file("b.yaml");
  // a: current-context ctx, cluster c; b: another current-context, its own
  // version of c (ignored), and the user that a's context names.
  write_file(a, kubeconfig(cluster("c", "https://from-a:1"), "",
                           context("ctx", "c", "u", "from-a"), "ctx"));
  write_file(b, kubeconfig(cluster("c", "https://from-b:2") +
                             cluster("d", "https://only-b:3"),
                           user("u", "    token: from-b\n"),
                           context("ctx", "d", "u") +
                             context("other", "d", "u"),
                           "other"));
  config_options opts;
  opts.kubeconfig_env =
    a + ":" + dir.file("missing.yaml") + "::" + b + ":" + a;
  auto files = kubeconfig_files(opts);
  REQUIRE(files == std::vector<std::string>{a, b});
  auto cfg = load_config(opts);
  CHECK(cfg.context == "ctx");
  CHECK(cfg.server == "https://from-a:1");
  CHECK(cfg.token == "from-b");
  CHECK(cfg.namespace_name == "from-a");
  CHECK(cfg.origin == a + ":" + b);

  // Reversed order: b's current-context and b's cluster c win.
  opts.kubeconfig_env = b + ":" + a;
  auto rev = load_config(opts);
  CHECK(rev.context == "other");
  CHECK(rev.server == "https://only-b:3");

  // --kubeconfig beats KUBECONFIG, --context beats current-context.
  opts.kubeconfig = b;
  opts.context = "ctx";
  auto explicit_cfg = load_config(opts);
  CHECK(explicit_cfg.server == "https://only-b:3");
  CHECK(explicit_cfg.origin == b);
  opts.kubeconfig = dir.file("nope.yaml");
  CHECK_THROWS_WITH(load_config(opts), Catch::Contains("nope.yaml"));
}

TEST_CASE("kubeconfig: ~/.kube/config when KUBECONFIG is empty") {
  temp_dir home;
  config_options opts;
  opts.kubeconfig_env = "";
  opts.home = home.path();
  opts.env = std::map<std::string, std::string>{};
  CHECK(kubeconfig_files(opts).empty());
  CHECK_THROWS_WITH(load_config(opts),
                    Catch::Contains("KUBERNETES_SERVICE_HOST"));
  write_file(home.file(".kube/config"),
             kubeconfig(cluster("c", "https://home:1"),
                        user("u", "    token: t\n"), context("x", "c", "u"),
                        "x"));
  CHECK(load_config(opts).server == "https://home:1");
}

TEST_CASE("in-cluster: env, token, CA and namespace files") {
  temp_dir sa;
  write_file(sa.file("token"), "sa-token-1\n");
  write_file(sa.file("ca.crt"), ca_pem);
  write_file(sa.file("namespace"), "flux-system\n");
  config_options opts;
  opts.kubeconfig_env = "";
  opts.home = sa.path(); // no .kube/config there
  opts.service_account_dir = sa.path();
  opts.env = std::map<std::string, std::string>{
    {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
    {"KUBERNETES_SERVICE_PORT", "443"}};
  auto cfg = load_config(opts);
  CHECK(cfg.origin == "in-cluster");
  CHECK(cfg.server == "https://10.0.0.1:443");
  CHECK(cfg.ca_pem == ca_pem);
  CHECK(cfg.namespace_name == "flux-system");
  CHECK(cfg.token_file == sa.file("token"));

  // The kubelet rotates the token: the next request sees the new one.
  credential_source creds(cfg);
  CHECK(creds.current().authorization == "Bearer sa-token-1");
  write_file(sa.file("token.new"), "sa-token-2-longer\n");
  REQUIRE(::rename(sa.file("token.new").c_str(), sa.file("token").c_str())
          == 0);
  CHECK(creds.current().authorization == "Bearer sa-token-2-longer");

  (*opts.env)["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  CHECK(in_cluster_config(opts).server == "https://[fd00::1]:443");

  ::unlink(sa.file("token").c_str());
  CHECK_THROWS_WITH(in_cluster_config(opts), Catch::Contains(sa.file("token")));
}

TEST_CASE("exec plugin: config forms") {
  temp_dir dir;
  auto path = dir.file("config");
  auto exec_user = [](const std::string& extra) {
    return user("u", "    exec:\n      apiVersion: "
                     "client.authentication.k8s.io/v1\n"
                     "      command: ./plugin.sh\n"
                     "      args: [--flag, value]\n"
                     "      env:\n      - name: PLUGIN_MODE\n"
                     "        value: test\n"
                       + extra);
  };
  write_file(path, kubeconfig(cluster("c", "https://h:1"),
                              exec_user("      interactiveMode: Never\n"),
                              context("ctx", "c", "u"), "ctx"));
  auto cfg = load_kubeconfig({path});
  REQUIRE(cfg.exec);
  CHECK(cfg.exec->command == "./plugin.sh");
  CHECK(cfg.exec->base_dir == dir.path());
  CHECK(cfg.exec->args == std::vector<std::string>{"--flag", "value"});
  REQUIRE(cfg.exec->env.size() == 1);
  CHECK(cfg.exec->env[0].second == "test");
  write_file(path, kubeconfig(cluster("c", "https://h:1"), exec_user(""),
                              context("ctx", "c", "u"), "ctx"));
  CHECK_THROWS_WITH(load_kubeconfig({path}),
                    Catch::Contains("interactiveMode"));
}

TEST_CASE("exec plugin: runs, caches until expiry, re-runs when expired") {
  temp_dir dir;
  auto count = dir.file("count");
  auto info = dir.file("info");
  auto expiry = dir.file("expiry");
  write_file(expiry, "2099-01-01T00:00:00Z");
  make_executable(dir.file("plugin.sh"),
                  "#!/bin/sh\n"
                  "echo run >> " + count + "\n"
                  "printf '%s' \"$KUBERNETES_EXEC_INFO\" > " + info + "\n"
                  "n=$(wc -l < " + count + ")\n"
                  "printf '{\"apiVersion\":\"client.authentication.k8s.io/"
                  "v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":"
                  "\"tok-%s-%s-%s\",\"expirationTimestamp\":\"%s\"}}' "
                  "$n \"$1\" \"$PLUGIN_MODE\" \"$(cat " + expiry + ")\"\n");
  rest_config cfg;
  cfg.server = "https://h:1";
  cfg.ca_pem = ca_pem;
  exec_config ex;
  ex.api_version = "client.authentication.k8s.io/v1";
  ex.command = "./plugin.sh";
  ex.base_dir = dir.path();
  ex.args = {"arg1"};
  ex.env = {{"PLUGIN_MODE", "m"}};
  ex.provide_cluster_info = true;
  cfg.exec = ex;
  credential_source creds(cfg);
  CHECK(creds.current().authorization == "Bearer tok-1-arg1-m");
  CHECK(creds.current().authorization == "Bearer tok-1-arg1-m");
  CHECK(creds.exec_runs() == 1);
  auto sent = read_file(info);
  CHECK_THAT(sent, Catch::Contains("\"kind\":\"ExecCredential\"")
                     && Catch::Contains("\"interactive\":false")
                     && Catch::Contains("\"server\":\"https://h:1\"")
                     && Catch::Contains(base64_encode(ca_pem)));
  // After a 401 the plugin runs again.
  CHECK(creds.invalidate());
  CHECK(creds.current().authorization == "Bearer tok-2-arg1-m");
  // A credential that has expired is not used again.
  write_file(expiry, "2000-01-01T00:00:00Z");
  creds.invalidate();
  CHECK(creds.current().authorization == "Bearer tok-3-arg1-m");
  CHECK(creds.current().authorization == "Bearer tok-4-arg1-m");
  CHECK(creds.exec_runs() == 4);
}

TEST_CASE("exec plugin: failures name the plugin") {
  temp_dir dir;
  rest_config cfg;
  cfg.server = "https://h:1";
  exec_config ex;
  ex.api_version = "client.authentication.k8s.io/v1beta1";
  ex.base_dir = dir.path();
  ex.command = dir.file("fail.sh");
  make_executable(ex.command, "#!/bin/sh\necho 'login expired' >&2\nexit 3\n");
  CHECK_THROWS_WITH(run_exec_plugin(ex, cfg, std::chrono::seconds(10)),
                    Catch::Contains("fail.sh")
                      && Catch::Contains("status 3")
                      && Catch::Contains("login expired"));
  ex.command = dir.file("wrong.sh");
  make_executable(ex.command,
                  "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication"
                  ".k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":"
                  "{\"token\":\"x\"}}'\n");
  CHECK_THROWS_WITH(run_exec_plugin(ex, cfg, std::chrono::seconds(10)),
                    Catch::Contains("does not match"));
  ex.command = dir.file("missing.sh");
  CHECK_THROWS_WITH(run_exec_plugin(ex, cfg, std::chrono::seconds(10)),
                    Catch::Contains("missing.sh"));
  ex.command = dir.file("slow.sh");
  make_executable(ex.command, "#!/bin/sh\nexec sleep 30\n");
  CHECK_THROWS_WITH(
    run_exec_plugin(ex, cfg, std::chrono::milliseconds(300)),
    Catch::Contains("timed out"));
}

TEST_CASE("exec credential parsing") {
  auto cred = parse_exec_credential(
    R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
        "status":{"clientCertificateData":"C","clientKeyData":"K"}})",
    "client.authentication.k8s.io/v1", "p");
  CHECK(cred.client_cert_pem == "C");
  CHECK(cred.client_key_pem == "K");
  CHECK_FALSE(cred.expires);
  CHECK_THROWS_WITH(parse_exec_credential("not json", "v", "plug"),
                    Catch::Contains("plug"));
  CHECK_THROWS_WITH(
    parse_exec_credential(R"({"apiVersion":"v","kind":"ExecCredential",
                              "status":{}})", "v", "p"),
    Catch::Contains("neither token"));
}

TEST_CASE("rfc3339 timestamps") {
  using namespace std::chrono;
  auto t = parse_rfc3339("2024-03-01T12:30:45Z");
  REQUIRE(t);
  CHECK(system_clock::to_time_t(*t) == 1709296245);
  auto frac = parse_rfc3339("2024-03-01T12:30:45.123456Z");
  REQUIRE(frac);
  CHECK(system_clock::to_time_t(*frac) == 1709296245);
  auto off = parse_rfc3339("2024-03-01T14:30:45+02:00");
  REQUIRE(off);
  CHECK(system_clock::to_time_t(*off) == 1709296245);
  CHECK_FALSE(parse_rfc3339("2024-03-01 12:30:45"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}

TEST_CASE("base64") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_decode("Zm9v\nYmFy") == "foobar");
  CHECK(base64_decode("Zg==") == "f");
  CHECK(base64_decode(base64_encode(ca_pem)) == ca_pem);
  CHECK_THROWS_AS(base64_decode("Zm9v!"), std::invalid_argument);
  CHECK_THROWS_AS(base64_decode("Zg=x"), std::invalid_argument);
}
