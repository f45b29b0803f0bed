#include <catch2/catch.hpp>

#include "adapters/git/error.hpp"
#include "adapters/git/known_hosts.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/transport.hpp"
#include "adapters/git/url.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"

using namespace fluxd::git;
namespace fx = fluxd::test::gitfx;

TEST_CASE("git URLs: scp-like, ssh with port, https with password") {
  auto scp = remote_url::parse("git@github.com:org/repo");
  CHECK(scp.scheme == remote_url::scheme_t::ssh);
  CHECK(scp.user == "git");
  CHECK(scp.host == "github.com");
  CHECK(scp.path == "org/repo");
  CHECK(scp.known_hosts_name() == "github.com");

  auto ssh = remote_url::parse("ssh://git@127.0.0.1:2222/srv/repo.git");
  CHECK(ssh.port == 2222);
  CHECK(ssh.known_hosts_name() == "[127.0.0.1]:2222");
  CHECK(ssh.path == "/srv/repo.git");

  auto https = remote_url::parse("https://bot:s3cret@git.example.com/a.git");
  CHECK(https.user == "bot");
  CHECK(https.password == "s3cret");
  CHECK(https.sanitized().find("s3cret") == std::string::npos);
  CHECK(https.for_libgit2() == "https://bot@git.example.com/a.git");

  CHECK_THROWS_AS(remote_url::parse("ftp://x/y"), git_failure);
  CHECK_THROWS_AS(remote_url::parse(""), git_failure);
}

TEST_CASE("known_hosts: plain, wildcard, [host]:port and hashed entries") {
  fluxd::test::temp_dir dir;
  auto key = fx::make_key(dir.path(), "k", "ed25519");
  auto pub = fluxd::test::read_file(key + ".pub");
  auto type = pub.substr(0, pub.find(' '));
  auto b64 = pub.substr(type.size() + 1,
                        pub.find(' ', type.size() + 1) - type.size() - 1);
  auto blob = base64_decode(b64);
  REQUIRE(key_blob_type(blob) == "ssh-ed25519");

  auto kh =
      known_hosts::parse("[127.0.0.1]:2222 " + type + " " + b64
                             + "\n*.example.com " + type + " " + b64 + "\n",
                         "test");
  CHECK_NOTHROW(kh.verify("[127.0.0.1]:2222", blob));
  CHECK_NOTHROW(kh.verify("git.example.com", blob));
  CHECK_THROWS_AS(kh.verify("127.0.0.1", blob), git_failure);

  // A hashed file made by ssh-keygen itself.
  auto file = dir.file("known_hosts");
  fluxd::test::write_file(file, "[127.0.0.1]:2222 " + type + " " + b64 + "\n");
  REQUIRE(fluxd::test::run({"ssh-keygen", "-q", "-H", "-f", file}).status == 0);
  auto hashed = known_hosts::load(file);
  REQUIRE(hashed.entries().size() == 1);
  CHECK(hashed.entries()[0].patterns.rfind("|1|", 0) == 0);
  CHECK_NOTHROW(hashed.verify("[127.0.0.1]:2222", blob));
  CHECK_THROWS_AS(hashed.verify("[127.0.0.1]:2223", blob), git_failure);
}

TEST_CASE("known_hosts: changed key, other key type, unknown host") {
  fluxd::test::temp_dir dir;
  auto read_blob = [&](const std::string& name, const std::string& type) {
    auto pub =
        fluxd::test::read_file(fx::make_key(dir.path(), name, type) + ".pub");
    auto sp = pub.find(' ');
    return std::pair{pub.substr(0, sp),
                     pub.substr(sp + 1, pub.find(' ', sp + 1) - sp - 1)};
  };
  auto [t1, k1] = read_blob("a", "ed25519");
  auto [t2, k2] = read_blob("b", "ed25519");
  auto [t3, k3] = read_blob("c", "ecdsa");
  auto kh = known_hosts::parse("host " + t1 + " " + k1 + "\n", "kh");
  try {
    kh.verify("host", base64_decode(k2));
    FAIL("changed key accepted");
  } catch (const git_failure& e) {
    CHECK(e.kind() == error_kind::host_key);
    CHECK(std::string{e.what()}.find("HOST KEY CHANGED") != std::string::npos);
  }
  try {
    kh.verify("host", base64_decode(k3));
    FAIL("other key type accepted");
  } catch (const git_failure& e) {
    CHECK(e.kind() == error_kind::host_key);
    CHECK(std::string{e.what()}.find("ssh-keyscan -t ecdsa")
          != std::string::npos);
  }
  try {
    kh.verify("other", base64_decode(k1));
    FAIL("unknown host accepted");
  } catch (const git_failure& e) {
    CHECK(std::string{e.what()}.find("unknown host other")
          != std::string::npos);
  }
}

TEST_CASE("commit message, author and retry delays follow the flags") {
  commit_identity id;
  CHECK(commit_message("Auto-release x", id) == "Auto-release x");
  id.ci_skip = true;
  CHECK(commit_message("m", id) == "m\n\n[ci skip]");
  id.ci_skip_message = " [skip ci]";
  CHECK(commit_message("m", id) == "m [skip ci]");

  CHECK(commit_author(id, "Jane <jane@x.org>").first == "Weave Flux");
  id.set_author = true;
  CHECK(commit_author(id, "Jane <jane@x.org>")
        == std::pair<std::string, std::string>{"Jane", "jane@x.org"});
  CHECK(commit_author(id, "jane").second == "support@weave.works");
  CHECK(commit_author(id, "").first == "Weave Flux");

  retry_policy p{5, std::chrono::milliseconds(100),
                 std::chrono::milliseconds(300)};
  CHECK(retry_delay(p, 2) == std::chrono::milliseconds(100));
  CHECK(retry_delay(p, 3) == std::chrono::milliseconds(200));
  CHECK(retry_delay(p, 4) == std::chrono::milliseconds(300));
  CHECK(notes_ref_name("flux") == "refs/notes/flux");
}

TEST_CASE("RSA deploy keys are recognised in PEM and OpenSSH formats") {
  fluxd::test::temp_dir dir;
  CHECK(is_rsa_key_file(fx::make_key(dir.path(), "rsa", "rsa")));
  CHECK_FALSE(is_rsa_key_file(fx::make_key(dir.path(), "ed", "ed25519")));
  auto pem = dir.file("pem");
  REQUIRE(fluxd::test::run({"ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m",
                            "PEM", "-N", "", "-f", pem})
              .status
          == 0);
  CHECK(is_rsa_key_file(pem));
}
