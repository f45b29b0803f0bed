#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "adapters/git/error.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"

using namespace fluxd::git;
namespace fx = fluxd::test::gitfx;

namespace {

struct ssh_setup {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"deploy/a.yaml", "a: 1\n"}}};
  std::string key = fx::make_key(dir.file("client"), "id_ed25519", "ed25519");
  std::string known_hosts = dir.file("client/known_hosts");

  remote_options remote(const fx::sshd_server& sshd) const {
    remote_options o;
    o.url = sshd.url(up.bare);
    o.ssh_key_path = key;
    o.known_hosts_path = known_hosts;
    o.timeout = std::chrono::seconds(10);
    return o;
  }
};

git_failure failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const git_failure& e) {
    return e;
  }
  FAIL("no git_failure thrown");
  throw;
}

} // namespace

TEST_CASE(
    "ssh: clone, fetch and push with an ed25519 key, hashed known_hosts") {
  ssh_setup s;
  fx::sshd_server sshd{s.dir.file("sshd"), {s.key}};
  fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
  REQUIRE(
      fluxd::test::run({"ssh-keygen", "-q", "-H", "-f", s.known_hosts}).status
      == 0);
  auto repo = repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd));
  CHECK(repo.branch_head("master") == s.up.head());
  auto next = s.up.commit({{"deploy/b.yaml", "b\n"}}, "b");
  repo.fetch();
  CHECK(repo.branch_head("master") == next);

  write_request req;
  req.branch = "master";
  req.message = "over ssh";
  req.edits = fixed_changes({{"deploy/c.yaml", std::string{"c\n"}}});
  auto result = write_once(repo, req, {});
  CHECK(result.changed);
  CHECK(s.up.head() == result.revision);
}

TEST_CASE("ssh: changed host key is refused, then accepted once fixed") {
  ssh_setup s;
  fx::sshd_server sshd{s.dir.file("sshd"), {s.key}};
  // known_hosts names this server but with other keys of the same types.
  fx::sshd_server impostor_keys{s.dir.file("other"), {s.key}};
  auto wrong = impostor_keys.known_hosts();
  auto from = "]:" + std::to_string(impostor_keys.port());
  auto to = "]:" + std::to_string(sshd.port());
  for (size_t at; (at = wrong.find(from)) != std::string::npos;)
    wrong.replace(at, from.size(), to);
  fluxd::test::write_file(s.known_hosts, wrong);
  auto e = failure_of(
      [&] { repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd)); });
  CHECK(e.kind() == error_kind::host_key);
  CHECK(std::string{e.what()}.find("HOST KEY CHANGED") != std::string::npos);

  fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
  auto repo = repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd));
  CHECK(repo.branch_head("master") == s.up.head());
}

TEST_CASE("ssh: unknown host and a known_hosts without the offered type") {
  ssh_setup s;
  fx::sshd_server sshd{s.dir.file("sshd"), {s.key}};
  fluxd::test::write_file(s.known_hosts, "");
  auto e = failure_of(
      [&] { repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd)); });
  CHECK(e.kind() == error_kind::host_key);
  CHECK(std::string{e.what()}.find("unknown host [127.0.0.1]:")
        != std::string::npos);

  // Only the ed25519 key: libssh2 1.10 negotiates ECDSA and must be told.
  auto lines = sshd.known_hosts();
  fluxd::test::write_file(s.known_hosts, lines.substr(0, lines.find('\n') + 1));
  auto e2 = failure_of(
      [&] { repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd)); });
  CHECK(e2.kind() == error_kind::host_key);
  CHECK(std::string{e2.what()}.find("ssh-keyscan -t ecdsa")
        != std::string::npos);
}

TEST_CASE("ssh: a key the server does not know is refused, then works") {
  ssh_setup s;
  auto other = fx::make_key(s.dir.file("client"), "other", "ed25519");
  fx::sshd_server sshd{s.dir.file("sshd"), {other}};
  fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
  auto e = failure_of(
      [&] { repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd)); });
  CHECK(e.kind() == error_kind::auth);
  CHECK(std::string{e.what()}.find(s.key) != std::string::npos);

  auto opts = s.remote(sshd);
  opts.ssh_key_path = other;
  auto repo = repository::open_or_clone(s.dir.file("mirror"), opts);
  CHECK(repo.branch_head("master") == s.up.head());
}

TEST_CASE("ssh: an RSA deploy key fails with advice, and works when allowed") {
  ssh_setup s;
  auto rsa = fx::make_key(s.dir.file("client"), "id_rsa", "rsa");
  auto opts_for = [&](const fx::sshd_server& sshd) {
    auto o = s.remote(sshd);
    o.ssh_key_path = rsa;
    return o;
  };
  {
    fx::sshd_server sshd{s.dir.file("sshd"), {rsa}};
    fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
    auto e = failure_of([&] {
      repository::open_or_clone(s.dir.file("mirror"), opts_for(sshd));
    });
    CHECK(e.kind() == error_kind::auth);
    CHECK(std::string{e.what()}.find("ed25519 or ECDSA deploy key")
          != std::string::npos);
  }
  fx::sshd_server sshd{
      s.dir.file("sshd2"), {rsa}, 0, "PubkeyAcceptedAlgorithms +ssh-rsa\n"};
  fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
  auto repo = repository::open_or_clone(s.dir.file("mirror"), opts_for(sshd));
  CHECK(repo.branch_head("master") == s.up.head());
}

TEST_CASE("ssh: unreachable server, then the server comes up") {
  ssh_setup s;
  int port = fluxd::test::free_port();
  remote_options o;
  o.url = "ssh://root@127.0.0.1:" + std::to_string(port) + s.up.bare;
  o.ssh_key_path = s.key;
  o.known_hosts_path = s.known_hosts;
  o.timeout = std::chrono::seconds(5);
  auto e =
      failure_of([&] { repository::open_or_clone(s.dir.file("mirror"), o); });
  CHECK(e.kind() == error_kind::unreachable);
  CHECK(std::string{e.what()}.find("127.0.0.1") != std::string::npos);

  fx::sshd_server sshd{s.dir.file("sshd"), {s.key}, port};
  fluxd::test::write_file(s.known_hosts, sshd.known_hosts());
  auto repo = repository::open_or_clone(s.dir.file("mirror"), s.remote(sshd));
  CHECK(repo.branch_head("master") == s.up.head());
}

TEST_CASE("ssh: a server that never answers hits --git-timeout") {
  ssh_setup s;
  // A listening socket nobody accepts from: connect succeeds, the ssh
  // banner never comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  remote_options o;
  o.url = "ssh://root@127.0.0.1:" + std::to_string(ntohs(addr.sin_port))
          + "/srv/x.git";
  o.ssh_key_path = s.key;
  o.known_hosts_path = s.known_hosts;
  o.timeout = std::chrono::milliseconds(800);
  auto e =
      failure_of([&] { repository::open_or_clone(s.dir.file("mirror"), o); });
  ::close(fd);
  CHECK(e.kind() == error_kind::timeout);
  CHECK(std::string{e.what()}.find("--git-timeout") != std::string::npos);
}
