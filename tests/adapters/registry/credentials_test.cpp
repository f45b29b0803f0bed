#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>

#include "adapters/registry/credentials.hpp"
#include "adapters/registry/errors.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd::registry;

TEST_CASE("docker config auths: auth or username/password, any Hub spelling",
          "[registry]") {
  auto creds = static_credentials::parse(R"({"auths": {
      "https://index.docker.io/v1/": {"auth": ")"
                                           + base64_encode("hub:secret1")
                                           + R"("},
      "quay.io": {"username": "q", "password": "p:with:colons"},
      "localhost:5000/v2/": {"auth": ")"
                                           + base64_encode("l:pw") + R"("}
    }, "credHelpers": {"gcr.io": "gcloud"}})",
                                         "test config");
  CHECK(creds.size() == 3);
  for (auto host : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
    auto c = creds.find(host);
    REQUIRE(c);
    CHECK(c->username == "hub");
    CHECK(c->password == "secret1");
  }
  CHECK(creds.find("quay.io")->password == "p:with:colons");
  CHECK(creds.find("localhost:5000")->username == "l");
  CHECK_FALSE(creds.find("gcr.io"));
}

TEST_CASE("legacy dockercfg form and layering", "[registry]") {
  auto legacy = std::make_shared<static_credentials>(static_credentials::parse(
    R"({"docker.io": {"auth": ")" + base64_encode("a:b") + R"("}})", "s"));
  CHECK(legacy->find("index.docker.io")->username == "a");
  auto defaults = std::make_shared<static_credentials>();
  defaults->add("docker.io", {"default", "x"});
  defaults->add("ghcr.io", {"g", "y"});
  layered_credentials layers;
  layers.push_back(legacy);
  layers.push_back(defaults);
  CHECK(layers.find("registry-1.docker.io")->username == "a");
  CHECK(layers.find("ghcr.io")->username == "g");
  CHECK_FALSE(layers.find("quay.io"));
}

TEST_CASE("bad credentials files name the file, never the secret",
          "[registry]") {
  auto message = [](const std::string& text) {
    try {
      static_credentials::parse(text, "/etc/docker/config.json");
    } catch (const registry_error& e) {
      CHECK(e.kind() == error_kind::config);
      return std::string{e.what()};
    }
    return std::string{"no error"};
  };
  auto m = message("{not json");
  CHECK(m.find("/etc/docker/config.json") != std::string::npos);
  m = message(R"({"auths": {"quay.io": {"auth": ")" + base64_encode("nocolon")
              + R"("}}})");
  CHECK(m.find("quay.io") != std::string::npos);
  CHECK(m.find("nocolon") == std::string::npos);
  CHECK(message(R"({"auths": {"https://": {"auth": "eDp5"}}})")
          .find("no host") != std::string::npos);
  CHECK_THROWS_AS(static_credentials::from_file("/nonexistent/config.json"),
                  registry_error);
}

TEST_CASE("base64 round trip", "[registry]") {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "user:pa$$word"})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
  CHECK_THROWS(base64_decode("!!"));
}

TEST_CASE("swappable credentials change under a live reference",
          "[registry]") {
  auto swap = std::make_shared<swappable_credentials>();
  std::shared_ptr<const credentials_provider> as_provider = swap;
  CHECK_FALSE(as_provider->find("ghcr.io"));
  auto v1 = std::make_shared<static_credentials>();
  v1->add("ghcr.io", {"old", "1"});
  swap->set(v1);
  CHECK(as_provider->find("ghcr.io")->username == "old");
  auto v2 = std::make_shared<static_credentials>();
  v2->add("https://ghcr.io/v1/", {"new", "2"});
  swap->set(v2);
  CHECK(as_provider->find("ghcr.io")->username == "new");
  swap->set(nullptr);
  CHECK_FALSE(as_provider->find("ghcr.io"));
}

namespace {

template <class F>
std::optional<registry_error> reload_error(F f) {
  try {
    f();
  } catch (const registry_error& e) {
    return e;
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("the docker config is re-read when it changes, kept when broken",
          "[registry]") {
  fluxd::test::temp_dir dir;
  auto path = dir.file("config.json");
  auto config = [](const std::string& user_pass) {
    return R"({"auths": {"ghcr.io": {"auth": ")" + base64_encode(user_pass)
           + R"("}}})";
  };
  auto target = std::make_shared<swappable_credentials>();
  docker_config_watch watch{path, target};
  using outcome = docker_config_watch::outcome;

  // Missing at the start: an error naming the file, then quiet until the
  // file appears.
  auto e = reload_error([&] { watch.reload(); });
  REQUIRE(e);
  CHECK(std::string{e->what()}.find(path) != std::string::npos);
  CHECK(watch.reload() == outcome::unchanged);

  fluxd::test::write_file(path, config("alice:one"));
  CHECK(watch.reload() == outcome::reloaded);
  CHECK(target->find("ghcr.io")->password == "one");
  CHECK(watch.hosts() == std::vector<std::string>{"ghcr.io"});
  CHECK(watch.reload() == outcome::unchanged);

  // Replaced by rename, as editors and Kubernetes do.
  fluxd::test::write_file(dir.file("new.json"), config("alice:two-longer"));
  std::filesystem::rename(dir.file("new.json"), path);
  CHECK(watch.reload() == outcome::reloaded);
  CHECK(target->find("ghcr.io")->password == "two-longer");

  // Broken: the error names the file, never a secret, and the working
  // credentials stay; it is reported once.
  fluxd::test::write_file(path, R"({"auths": {"ghcr.io": {"auth": ")"
                                  + base64_encode("nocolon-secret")
                                  + R"("}}})");
  e = reload_error([&] { watch.reload(); });
  REQUIRE(e);
  CHECK(std::string{e->what()}.find(path) != std::string::npos);
  CHECK(std::string{e->what()}.find("nocolon-secret") == std::string::npos);
  CHECK(target->find("ghcr.io")->password == "two-longer");
  CHECK(watch.reload() == outcome::unchanged);

  // Removed: its credentials go with it.
  std::filesystem::remove(path);
  CHECK(watch.reload() == outcome::removed);
  CHECK_FALSE(target->find("ghcr.io"));
}
