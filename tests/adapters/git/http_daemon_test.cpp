#include <catch2/catch.hpp>

#include "adapters/git/error.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/git_http_server.hpp"

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
