#include <catch2/catch.hpp>

#include "adapters/git/error.hpp"
#include "adapters/git/proxy.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/git_http_server.hpp"
#include "tests/support/http_proxy.hpp"

#include <cstdlib>
#include <map>
#include <optional>

using namespace fluxd::git;
namespace fx = fluxd::test::gitfx;

namespace {

git_failure failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const git_failure& e) {
    return e;
  }
  FAIL("no git_failure thrown");
  throw;
}

remote_options remote_for(const std::string& url) {
  remote_options o;
  o.url = url;
  o.timeout = std::chrono::seconds(10);
  return o;
}

write_request add_file(const std::string& path) {
  write_request req;
  req.branch = "master";
  req.message = "add " + path;
  req.edits = fixed_changes({{path, std::string{"x\n"}}});
  return req;
}

} // namespace

TEST_CASE("smart HTTP without auth: clone, fetch, and push when enabled") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  fluxd::test::git_http_server http{up.root + "/srv"};
  auto repo = repository::open_or_clone(dir.file("mirror"),
                                        remote_for(http.url("cfg.git")));
  CHECK(repo.branch_head("master") == up.head());
  auto next = up.commit({{"b.yaml", "b\n"}}, "b");
  repo.fetch();
  CHECK(repo.branch_head("master") == next);

  // Anonymous push is refused by http-backend: a clear rejection.
  auto e = failure_of([&] { write_once(repo, add_file("c.yaml"), {}); });
  CHECK(e.kind() != error_kind::non_fast_forward);
  CHECK(std::string{e.what()}.find("127.0.0.1") != std::string::npos);

  fx::git({"--git-dir", up.bare, "config", "http.receivepack", "true"});
  auto result = write_once(repo, add_file("c.yaml"), {});
  CHECK(up.head() == result.revision);
}

TEST_CASE("smart HTTP with basic auth: URL, credentials file, wrong token") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  fluxd::test::git_http_server http{up.root + "/srv", "bot:t0ken"};
  auto url = http.url("cfg.git");
  auto with_user = [&](const std::string& userinfo) {
    return "http://" + userinfo + "@" + url.substr(7);
  };

  auto none = failure_of(
      [&] { repository::open_or_clone(dir.file("m0"), remote_for(url)); });
  CHECK(none.kind() == error_kind::auth);

  auto wrong = failure_of([&] {
    repository::open_or_clone(dir.file("m1"),
                              remote_for(with_user("bot:wrong")));
  });
  CHECK(wrong.kind() == error_kind::auth);
  CHECK(std::string{wrong.what()}.find("wrong") == std::string::npos);

  auto repo = repository::open_or_clone(dir.file("m2"),
                                        remote_for(with_user("bot:t0ken")));
  CHECK(repo.branch_head("master") == up.head());
  auto result = write_once(repo, add_file("pushed.yaml"), {});
  CHECK(up.head() == result.revision);

  auto creds = dir.file("credentials");
  fluxd::test::write_file(creds, "http://other:nope@example.com\n"
                                     + with_user("bot:t0ken") + "\n");
  auto opts = remote_for(url);
  opts.credentials_file = creds;
  auto repo2 = repository::open_or_clone(dir.file("m3"), opts);
  CHECK(repo2.branch_head("master") == up.head());
}

TEST_CASE("git daemon: clone, fetch and push over git://") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  fx::git_daemon daemon{up.root + "/srv"};
  auto repo = repository::open_or_clone(dir.file("mirror"),
                                        remote_for(daemon.url("cfg.git")));
  CHECK(repo.branch_head("master") == up.head());
  auto result = write_once(repo, add_file("d.yaml"), {});
  CHECK(up.head() == result.revision);
  repo.move_tag("flux-sync", result.revision, {});
  CHECK(fx::git({"--git-dir", up.bare, "rev-parse", "flux-sync^{commit}"})
        == result.revision);
}

namespace {

/// A throwaway CA and a server certificate for DNS:localhost.
struct test_pki {
  std::string ca, cert, key;
  explicit test_pki(const fluxd::test::temp_dir& dir) {
    ca = dir.file("ca.crt");
    cert = dir.file("srv.crt");
    key = dir.file("srv.key");
    auto ca_key = dir.file("ca.key");
    auto csr = dir.file("srv.csr");
    auto ext = dir.file("ext.cnf");
    fluxd::test::write_file(ext, "subjectAltName=DNS:localhost\n");
    auto openssl = [](std::vector<std::string> args) {
      args.insert(args.begin(), "openssl");
      auto r = fluxd::test::run(args);
      if (r.status != 0)
        throw std::runtime_error("openssl failed: " + r.err);
    };
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
             "-out", ca, "-days", "1", "-subj", "/CN=fluxd test CA"});
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"});
    openssl({"x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", cert, "-days", "1", "-extfile", ext});
  }
};

} // namespace

TEST_CASE("https: CA bundle required, basic auth, clone and push") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  test_pki pki{dir};
  fluxd::test::git_http_server https{up.root + "/srv", "bot:t0ken", pki.cert,
                                     pki.key};
  auto url = https.url("cfg.git");
  auto authed = "https://bot:t0ken@" + url.substr(8);

  auto untrusted = failure_of(
      [&] { repository::open_or_clone(dir.file("m0"), remote_for(authed)); });
  CHECK(untrusted.kind() == error_kind::host_key);
  CHECK(std::string{untrusted.what()}.find("not trusted") != std::string::npos);
  CHECK(std::string{untrusted.what()}.find("t0ken") == std::string::npos);

  auto opts = remote_for(authed);
  opts.ca_bundle = pki.ca;
  auto repo = repository::open_or_clone(dir.file("m1"), opts);
  CHECK(repo.branch_head("master") == up.head());
  auto result = write_once(repo, add_file("tls.yaml"), {});
  CHECK(up.head() == result.revision);
}

namespace {

/// Sets (or, with nullopt, unsets) environment variables for a scope.
class scoped_env {
public:
  explicit scoped_env(
    const std::map<std::string, std::optional<std::string>>& vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>{old} : std::nullopt;
      set(name, value);
    }
  }
  ~scoped_env() {
    for (const auto& [name, value] : saved_)
      set(name, value);
  }

private:
  static void set(const std::string& name,
                  const std::optional<std::string>& value) {
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

const std::vector<std::string> proxy_vars = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy",
  "NO_PROXY"};

std::map<std::string, std::optional<std::string>>
proxy_env(const std::map<std::string, std::string>& set) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& v : proxy_vars)
    out[v] = std::nullopt;
  for (const auto& [k, v] : set)
    out[k] = v;
  return out;
}

} // namespace

TEST_CASE("http proxy from the environment as git does: HTTP_PROXY used - "
          "NO_PROXY honoured - proxy option none and explicit") {
  // libgit2 1.5 cannot forward plain http through a proxy (it sends the
  // proxy's request to the server): fluxd tunnels it with CONNECT.
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  fx::git({"--git-dir", up.bare, "config", "http.receivepack", "true"});
  fluxd::test::git_http_server http{up.root + "/srv"};
  fluxd::test::http_proxy proxy;
  auto url = http.url("cfg.git");
  {
    scoped_env env{proxy_env({{"HTTP_PROXY", proxy.url()}})};
    auto repo = repository::open_or_clone(dir.file("m1"), remote_for(url));
    CHECK(repo.branch_head("master") == up.head());
    CHECK(proxy.tunnels() > 0);
    auto before = proxy.tunnels();
    auto result = write_once(repo, add_file("p.yaml"), {});
    CHECK(up.head() == result.revision);
    CHECK(proxy.tunnels() > before); // the push went through it too
  }
  auto seen = proxy.tunnels();
  {
    scoped_env env{proxy_env({{"http_proxy", proxy.url()},
                              {"NO_PROXY", "example.com,127.0.0.1"}})};
    auto repo = repository::open_or_clone(dir.file("m2"), remote_for(url));
    CHECK(repo.branch_head("master") == up.head());
    CHECK(proxy.tunnels() == seen);
  }
  {
    scoped_env env{proxy_env({{"HTTP_PROXY", proxy.url()}})};
    auto opts = remote_for(url);
    opts.proxy = "none";
    auto repo = repository::open_or_clone(dir.file("m3"), opts);
    CHECK(repo.branch_head("master") == up.head());
    CHECK(proxy.tunnels() == seen);
  }
  {
    scoped_env env{proxy_env({})};
    auto opts = remote_for(url);
    opts.proxy = proxy.url();
    auto repo = repository::open_or_clone(dir.file("m4"), opts);
    CHECK(repo.branch_head("master") == up.head());
    CHECK(proxy.tunnels() > seen);
  }
}

TEST_CASE("https through a CONNECT proxy from HTTPS_PROXY: clone and push") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  test_pki pki{dir};
  fluxd::test::git_http_server https{up.root + "/srv", "bot:t0ken", pki.cert,
                                     pki.key};
  fluxd::test::http_proxy proxy;
  auto url = https.url("cfg.git");
  auto opts = remote_for("https://bot:t0ken@" + url.substr(8));
  opts.ca_bundle = pki.ca;
  scoped_env env{proxy_env({{"HTTPS_PROXY", proxy.url()}})};
  auto repo = repository::open_or_clone(dir.file("m"), opts);
  CHECK(repo.branch_head("master") == up.head());
  CHECK(proxy.tunnels() > 0);
  auto result = write_once(repo, add_file("tls.yaml"), {});
  CHECK(up.head() == result.revision);
}

TEST_CASE("proxy choice: scheme - NO_PROXY lists - proxy endpoints") {
  using fluxd::git::no_proxy_matches;
  CHECK(no_proxy_matches("example.com", "git.example.com"));
  CHECK(no_proxy_matches(".example.com", "git.example.com"));
  CHECK(no_proxy_matches("a.org, example.com:443", "EXAMPLE.com"));
  CHECK(!no_proxy_matches("example.com", "notexample.com"));
  CHECK(no_proxy_matches("*", "anything"));
  CHECK(no_proxy_matches("10.0.0.1 127.0.0.1", "127.0.0.1"));
  CHECK(!no_proxy_matches("", "127.0.0.1"));

  scoped_env env{proxy_env({{"https_proxy", "http://p:3128"},
                            {"HTTP_PROXY", "http://q:8080"},
                            {"no_proxy", "internal.example"}})};
  auto url = [](const std::string& u) { return remote_url::parse(u); };
  CHECK(proxy_for("", url("https://github.com/o/r")) == "http://p:3128");
  CHECK(proxy_for("", url("http://github.com/o/r")) == "http://q:8080");
  CHECK(proxy_for("", url("https://git.internal.example/r")).empty());
  CHECK(proxy_for("", url("ssh://git@github.com/o/r")).empty());
  CHECK(proxy_for("none", url("https://github.com/o/r")).empty());
  CHECK(proxy_for("http://x:1", url("https://git.internal.example/r"))
        == "http://x:1");

  using ep = std::pair<std::string, std::string>;
  CHECK(proxy_endpoint("http://user:pw@proxy:3128/") == ep{"proxy", "3128"});
  CHECK(proxy_endpoint("proxy.local") == ep{"proxy.local", "1080"});
  CHECK(proxy_endpoint("http://[::1]:8080") == ep{"::1", "8080"});
  CHECK_THROWS_AS(proxy_endpoint("socks5://proxy:1080"), git_failure);
}
