#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/config/daemon_config.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/kube/client.hpp"
#include "adapters/ssh/deploy_key.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/kube_emulator.hpp"

using namespace fluxd::ssh;
namespace fx = fluxd::test::gitfx;
using fluxd::test::kube_emulator;
using fluxd::test::read_file;
using fluxd::test::temp_dir;

namespace {

struct cluster_setup {
  temp_dir dir{"ssh-deploy-key"};
  kube_emulator emu{dir.file("kc"), {}};
  std::shared_ptr<fluxd::kube::client> client = [this] {
    fluxd::kube::config_options where;
    where.kubeconfig = emu.kubeconfig();
    return std::make_shared<fluxd::kube::client>(
        fluxd::kube::load_config(where));
  }();

  deploy_key_options options(const std::string& name) const {
    deploy_key_options o;
    o.secret_namespace = "default";
    o.mount_path = dir.file(name + "/mount");
    o.keygen_dir = dir.file(name + "/keygen");
    return o;
  }

  /// data[identity] of the Secret, decoded; "" when there is none.
  std::string stored(const std::string& key = "identity") {
    try {
      auto s = client->get({"v1", "Secret", "default", "flux-git-deploy"});
      auto* v = s.at("data").as_object().if_contains(key);
      return v ? base64_decode(std::string(v->as_string()), "test") : "";
    } catch (const fluxd::kube::api_error& e) {
      if (e.not_found())
        return "";
      throw;
    }
  }
};

} // namespace

TEST_CASE("no key anywhere: generated, stored in the Secret, reused") {
  cluster_setup c;
  // The Secret exists (from the install manifests) and holds sync state.
  c.client->apply(boost::json::parse(R"({"apiVersion":"v1","kind":"Secret",
      "metadata":{"name":"flux-git-deploy","namespace":"default"},
      "data":{"sync-state":"c3RhdGU="}})"));
  deploy_keyring first{c.options("a"), c.client};
  first.start();
  auto path = first.private_key_path();
  CHECK(path == c.dir.file("a/keygen/identity"));
  auto key = read_file(path);
  CHECK(c.stored() == key);
  CHECK(c.stored("sync-state") == "state");
  auto pub = first.public_key();
  CHECK(pub.key == read_file(path + ".pub"));
  CHECK(pub.key.rfind("ssh-ed25519 ", 0) == 0);
  REQUIRE(pub.fingerprints);
  CHECK(pub.fingerprints->at("md5").hash.size() == 47);
  CHECK(pub.fingerprints->at("sha256").randomart.find("[SHA256]")
        != std::string::npos);

  // A restart (fresh keygen dir, nothing mounted) takes the Secret's key.
  deploy_keyring second{c.options("b"), c.client};
  second.start();
  CHECK(read_file(second.private_key_path()) == key);
  CHECK(second.public_key().key == pub.key);

  // Regenerating replaces it in the Secret and in the file git reads.
  auto fresh = second.regenerate();
  CHECK(fresh.key != pub.key);
  CHECK(c.stored() == read_file(second.private_key_path()));
  CHECK(c.stored() != key);
  CHECK(second.public_key().key == fresh.key);
  CHECK(c.stored("sync-state") == "state");
}

TEST_CASE("a mounted key is used as it is, the Secret is not touched") {
  cluster_setup c;
  auto o = c.options("m");
  auto mounted = generate_key({"ecdsa", 256, ""});
  fluxd::test::write_file(o.mount_path + "/identity", mounted.private_key);
  deploy_keyring ring{o, c.client};
  ring.start();
  CHECK(ring.private_key_path() == o.mount_path + "/identity");
  CHECK(ring.public_key().key == mounted.public_line());
  CHECK(c.stored().empty());
}

TEST_CASE("libssh2 authenticates with generated keys: clone over ssh") {
  cluster_setup c;
  deploy_keyring ring{c.options("g"), c.client};
  ring.start();
  auto ecdsa_opts = c.options("e");
  ecdsa_opts.secret_name = "other";
  ecdsa_opts.spec = {"ecdsa", 384, ""};
  deploy_keyring ecdsa{ecdsa_opts, c.client};
  ecdsa.start();

  fx::upstream up{c.dir.path(), "cfg", {{"deploy/a.yaml", "a: 1\n"}}};
  fx::sshd_server sshd{c.dir.file("sshd"),
                       {ring.private_key_path(), ecdsa.private_key_path()}};
  auto known_hosts = c.dir.file("known_hosts");
  fluxd::test::write_file(known_hosts, sshd.known_hosts());
  for (auto* r : {&ring, &ecdsa}) {
    fluxd::git::remote_options o;
    o.url = sshd.url(up.bare);
    o.ssh_key_path = r->private_key_path();
    o.known_hosts_path = known_hosts;
    o.timeout = std::chrono::seconds(10);
    auto mirror = c.dir.file("mirror-" + std::to_string(r == &ring));
    auto repo = fluxd::git::repository::open_or_clone(mirror, o);
    CHECK(repo.branch_head("master") == up.head());
  }

  // A key the server does not know is refused.
  auto stranger = c.options("s");
  stranger.secret_name = "stranger";
  deploy_keyring other{stranger, c.client};
  other.start();
  fluxd::git::remote_options o;
  o.url = sshd.url(up.bare);
  o.ssh_key_path = other.private_key_path();
  o.known_hosts_path = known_hosts;
  o.timeout = std::chrono::seconds(10);
  CHECK_THROWS(fluxd::git::repository::open_or_clone(c.dir.file("x"), o));
}

TEST_CASE("fluxd's startup step: only for ssh URLs, key in the Secret") {
  cluster_setup c;
  fluxd::config::daemon_config flags;
  flags.kube_config = c.emu.kubeconfig();
  flags.k8s_secret_volume_mount_path = c.dir.file("start/mount");
  flags.ssh_keygen_dir = c.dir.file("start/keygen");
  CHECK(start_deploy_keyring(flags) == nullptr); // no --git-url
  flags.git_url = "https://example.com/org/repo.git";
  CHECK(start_deploy_keyring(flags) == nullptr);
  flags.git_url = "git@example.com:org/repo.git";
  auto ring = start_deploy_keyring(flags);
  REQUIRE(ring);
  CHECK(ring->private_key_path() == c.dir.file("start/keygen/identity"));
  CHECK(c.stored() == read_file(ring->private_key_path()));
  CHECK(ring->public_key().key.rfind("ssh-ed25519 AAAA", 0) == 0);
}
