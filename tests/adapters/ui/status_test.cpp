#include <catch2/catch.hpp>

#include <cstdlib>

#include <boost/json.hpp>

#include "adapters/ui/links.hpp"
#include "adapters/ui/status.hpp"
#include "tests/adapters/ui/fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;

namespace {

const std::string golden_path =
    std::string{FLUXD_SOURCE_DIR} + "/tests/adapters/ui/testdata/status.json";

} // namespace

TEST_CASE("the status JSON matches the golden file") {
  // Pretty-printing is left to jq; the golden file is the exact bytes.
  auto text = ui::to_json(test::sample_snapshot()) + "\n";
  if (std::getenv("FLUXD_UPDATE_GOLDEN"))
    test::write_file(golden_path, text);
  CHECK(text == test::read_file(golden_path));
}

TEST_CASE("the status JSON never carries repository credentials") {
  auto text = ui::to_json(test::sample_snapshot());
  CHECK(text.find("s3cr3t") == std::string::npos);
  CHECK(text.find("deploy@") == std::string::npos);
  auto doc = boost::json::parse(text).as_object();
  auto& repo = doc["repositories"].as_array()[0].as_object();
  CHECK(repo["url"].as_string() == "https://github.com/acme/cluster.git");
  auto& web = doc["workloads"].as_array()[0].as_object();
  CHECK(web["repository"].as_string() == "https://github.com/acme/cluster.git");
}

TEST_CASE("the status JSON links workloads to their file and commit") {
  auto doc =
      boost::json::parse(ui::to_json(test::sample_snapshot())).as_object();
  auto& workloads = doc["workloads"].as_array();
  auto& web = workloads[0].as_object();
  CHECK(web["file_url"].as_string()
        == "https://github.com/acme/cluster/blob/"
           "0123456789abcdef0123456789abcdef01234567/apps/"
           "web%20deployment.yaml");
  CHECK(web["commit_url"].as_string()
        == "https://github.com/acme/cluster/commit/"
           "0123456789abcdef0123456789abcdef01234567");
  // No commit known: the file at the repository's branch, no commit link.
  auto& api = workloads[1].as_object();
  CHECK(api["file_url"].as_string()
        == "https://github.com/acme/cluster/blob/main/apps/api.yaml");
  CHECK(api["commit_url"].as_string() == "");
  // Self-hosted GitLab over ssh.
  auto& worker = workloads[2].as_object();
  CHECK(worker["file_url"].as_string()
        == "https://gitlab.example.com/ops/other/-/blob/release/"
           "jobs/worker.yaml");
}

TEST_CASE("credentials are stripped from every URL form") {
  CHECK(ui::strip_credentials("https://user:pw@github.com/a/b")
        == "https://github.com/a/b");
  CHECK(ui::strip_credentials("https://ghp_token@github.com/a/b")
        == "https://github.com/a/b");
  CHECK(ui::strip_credentials("ssh://git:pw@host:2222/a/b")
        == "ssh://git@host:2222/a/b");
  CHECK(ui::strip_credentials("ssh://git@host/a/b") == "ssh://git@host/a/b");
  CHECK(ui::strip_credentials("git@github.com:a/b.git")
        == "git@github.com:a/b.git");
  CHECK(ui::strip_credentials("https://github.com/a/b@c")
        == "https://github.com/a/b@c");
  CHECK(ui::strip_credentials("/srv/git/repo") == "/srv/git/repo");
}

TEST_CASE("git URLs map to web links for known hosts only") {
  using kind = ui::web_repository::host_kind;
  for (auto url :
       {"git@github.com:acme/app.git", "ssh://git@github.com/acme/app.git",
        "https://github.com/acme/app", "https://github.com/acme/app/"}) {
    auto web = ui::web_repository_for(url);
    INFO(url);
    REQUIRE(web);
    CHECK(web->kind == kind::github);
    CHECK(web->base == "https://github.com/acme/app");
  }
  auto gl = ui::web_repository_for("git@gitlab.com:group/sub/app.git");
  REQUIRE(gl);
  CHECK(gl->commit_url("abc123")
        == "https://gitlab.com/group/sub/app/-/commit/abc123");
  auto bb = ui::web_repository_for("git@bitbucket.org:team/app.git");
  REQUIRE(bb);
  CHECK(bb->file_url("main", "./k8s/a b.yaml")
        == "https://bitbucket.org/team/app/src/main/k8s/a%20b.yaml");
  CHECK(bb->commit_url("deadbeef")
        == "https://bitbucket.org/team/app/commits/deadbeef");
  auto ghe = ui::web_repository_for("https://github.acme.io:8443/x/y.git");
  REQUIRE(ghe);
  CHECK(ghe->base == "https://github.acme.io:8443/x/y");

  CHECK_FALSE(ui::web_repository_for("git@git.example.com:acme/app.git"));
  CHECK_FALSE(ui::web_repository_for("file:///srv/git/app"));
  CHECK_FALSE(ui::web_repository_for("/srv/git/app"));
  CHECK_FALSE(ui::web_repository_for("not a url"));
  CHECK_FALSE(ui::web_repository_for("https://github.com/only-owner"));
  CHECK_FALSE(ui::web_repository_for("https://github.com/a/b/c"));
  CHECK_FALSE(ui::web_repository_for("https://github.com/a/b\"onclick=x"));
  // A revision that is not a hex object name is never linked.
  auto gh = ui::web_repository_for("https://github.com/a/b");
  REQUIRE(gh);
  CHECK(gh->commit_url("javascript:alert(1)") == "");
  CHECK(gh->file_url("main", "a/<b>.yaml")
        == "https://github.com/a/b/blob/main/a/%3Cb%3E.yaml");
}

TEST_CASE("times are RFC 3339 UTC and the epoch is empty") {
  CHECK(ui::format_time(test::at(1795881600)) == "2026-11-28T16:00:00Z");
  CHECK(ui::format_time(ui::time_point{}) == "");
}
