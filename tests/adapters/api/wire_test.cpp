// Golden JSON for Flux v1's wire types (§3.4): the bytes Go's encoding/json
// writes for the same values.

#include <catch2/catch.hpp>

#include "adapters/api/types.hpp"
#include "tests/adapters/api/fixture_daemon.hpp"

using namespace fluxd;

TEST_CASE("strings are escaped as Go does, HTML characters included") {
  CHECK(api::go_quote("a<b>&c") == R"("a\u003cb\u003e\u0026c")");
  CHECK(api::go_quote("tab\tnl\ncr\r\"q\"\\") == R"("tab\tnl\ncr\r\"q\"\\")");
  CHECK(api::go_quote(std::string("\x01\x1f", 2)) == R"("\u0001\u001f")");
  CHECK(api::go_quote("\xe2\x80\xa8") == R"("\u2028")");
  CHECK(api::go_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(api::go_quote("bad\xff") == R"("bad\ufffd")");
}

TEST_CASE("times are RFC3339Nano in UTC with trailing zeros trimmed") {
  auto t = test::at("2020-03-20T13:53:05.47178071Z");
  CHECK(api::format_rfc3339_nano(t) == "2020-03-20T13:53:05.47178071Z");
  CHECK(api::format_rfc3339_nano(test::at("2020-03-21T10:00:00Z"))
        == "2020-03-21T10:00:00Z");
  CHECK(api::format_rfc3339_nano(test::at("2020-03-21T12:00:00+02:00"))
        == "2020-03-21T10:00:00Z");
  CHECK(api::format_rfc822(t) == "20 Mar 20 13:53 UTC");
  CHECK_THROWS_WITH(api::parse_rfc3339("yesterday", "x.CreatedAt"),
                    Catch::Contains("x.CreatedAt"));
}

TEST_CASE("ControllerStatus encodes every field in Go's order") {
  test::fixture_daemon d;
  CHECK(api::to_json(d.workloads[0])
        == R"({"ID":"demo:deployment/podinfo","Containers":[)"
           R"({"Name":"podinfod","Current":{"ID":"stefanprodan/podinfo:3.1.0","Labels":{}},"LatestFiltered":{"ID":"","Labels":{}}},)"
           R"({"Name":"init","Current":{"ID":"alpine:3.10.1","Labels":{}},"LatestFiltered":{"ID":"","Labels":{}}}],)"
           R"("ReadOnly":"","Status":"ready",)"
           R"("Rollout":{"Desired":1,"Updated":1,"Ready":1,"Available":1,"Outdated":0,"Messages":null},)"
           R"("SyncError":"","Antecedent":"","Labels":{"app":"podinfo"},)"
           R"("Automated":true,"Locked":true,"Ignore":false,)"
           R"("Policies":{"automated":"true","locked":"true","tag.init":"regex:^3.10.*","tag.podinfod":"semver:~3.1"}})");
  api::controller_status empty;
  CHECK(api::to_json(empty)
        == R"({"ID":"","Containers":null,"ReadOnly":"","Status":"",)"
           R"("Rollout":{"Desired":0,"Updated":0,"Ready":0,"Available":0,"Outdated":0,"Messages":null},)"
           R"("SyncError":"","Antecedent":"","Labels":null,)"
           R"("Automated":false,"Locked":false,"Ignore":false,"Policies":{}})");
}

TEST_CASE("Container omits empty fields; Info omits zero times") {
  api::container c;
  CHECK(api::to_json(c)
        == R"({"Current":{"ID":"","Labels":{}},"LatestFiltered":{"ID":"","Labels":{}}})");
  c.name = "app";
  c.current.id = "repo/app:1";
  c.current.digest = "sha256:abc";
  c.current.image_id = "sha256:def";
  c.current.labels.created = test::at("2020-03-20T13:53:05.47178071Z");
  c.current.labels.build_date = test::at("2020-03-19T00:00:00Z");
  c.current.created_at = test::at("2020-03-20T13:53:05.47178071Z");
  c.current.last_fetched = test::at("2020-03-21T10:00:00Z");
  c.available = {c.current};
  c.available_error = "x<y";
  c.available_images_count = 1;
  c.new_available_images_count = 2;
  c.filtered_images_count = 3;
  c.new_filtered_images_count = 4;
  CHECK(api::to_json(c)
        == R"({"Name":"app","Current":{"ID":"repo/app:1","Digest":"sha256:abc","ImageID":"sha256:def",)"
           R"("Labels":{"org.label-schema.build-date":"2020-03-19T00:00:00Z","org.opencontainers.image.created":"2020-03-20T13:53:05.47178071Z"},)"
           R"("CreatedAt":"2020-03-20T13:53:05.47178071Z","LastFetched":"2020-03-21T10:00:00Z"},)"
           R"("LatestFiltered":{"ID":"","Labels":{}},)"
           R"("Available":[{"ID":"repo/app:1","Digest":"sha256:abc","ImageID":"sha256:def",)"
           R"("Labels":{"org.label-schema.build-date":"2020-03-19T00:00:00Z","org.opencontainers.image.created":"2020-03-20T13:53:05.47178071Z"},)"
           R"("CreatedAt":"2020-03-20T13:53:05.47178071Z","LastFetched":"2020-03-21T10:00:00Z"}],)"
           R"("AvailableError":"x\u003cy","AvailableImagesCount":1,"NewAvailableImagesCount":2,)"
           R"("FilteredImagesCount":3,"NewFilteredImagesCount":4})");
  // And back: decoding keeps every field.
  api::image_status s{"ns:deployment/a", std::vector<api::container>{c}};
  auto again = api::decode_image_statuses("[" + api::to_json(s) + "]");
  REQUIRE(again.size() == 1);
  CHECK(api::to_json(again[0]) == api::to_json(s));
}

TEST_CASE("GitConfig and PublicKey use their lower-case JSON tags") {
  test::fixture_daemon d;
  auto g = d.git_repo_config(false);
  CHECK(api::to_json(g)
        == R"({"remote":{"url":"ssh://git@gitsrv/git-server/repos/cluster.git","branch":"master","path":"workloads"},)"
           R"("publicSSHKey":{"key":"ssh-ed25519 AAAAC3Nz fixture\n","fingerprints":{)"
           R"("md5":{"hash":"7c:8e:aa:bb","randomart":"+---[ED25519 256]--+\n|  art  |\n+----[MD5]-----+"},)"
           R"("sha256":{"hash":"SHA256:Xx1","randomart":"art"}}},"status":"ready","errors":""})");
  api::public_key none;
  CHECK(api::to_json(none) == R"({"key":"","fingerprints":null})");
  CHECK(api::to_json(api::decode_git_config(api::to_json(g))) == api::to_json(g));
}

TEST_CASE("update.Spec round-trips in each of its kinds") {
  const char* specs[] = {
    R"({"type":"image","cause":{"Message":"m","User":"Jane \u003cjane@x\u003e"},"spec":{"ServiceSpecs":["default:deployment/foo"],"ImageSpec":"alpine:3.12","Kind":"execute","Excludes":null,"Force":false}})",
    R"({"type":"image","cause":{"Message":"","User":""},"spec":{"ServiceSpecs":["\u003call\u003e"],"ImageSpec":"\u003call latest\u003e","Kind":"plan","Excludes":["default:deployment/bar"],"Force":true}})",
    R"({"type":"containers","cause":{"Message":"","User":""},"spec":{"Kind":"execute","ContainerSpecs":{"default:deployment/foo":[{"Container":"app","Current":"repo/app:1","Target":"repo/app:2"}]},"SkipMismatches":false,"Force":false}})",
    R"({"type":"policy","cause":{"Message":"","User":""},"spec":{"default:deployment/foo":{"add":{"automated":"true","tag.app":"semver:~1.2"},"remove":{"locked":"true"}}}})",
    R"({"type":"auto","cause":{"Message":"","User":""},"spec":{"Changes":[{"WorkloadID":"default:deployment/foo","Container":{"Name":"app","Image":"repo/app:1"},"ImageID":"repo/app:2"}]}})",
    R"({"type":"sync","cause":{"Message":"","User":""},"spec":{}})",
  };
  for (auto* s : specs) {
    INFO(s);
    CHECK(api::to_json(api::decode_update_spec(s)) == s);
  }
}

TEST_CASE("update.Spec decoding is lenient like Go and names bad fields") {
  // Case-insensitive keys, unknown keys ignored, legacy policy lists.
  auto s = api::decode_update_spec(
    R"({"Type":"policy","spec":{"a:deployment/b":{"add":["automated"]}},"extra":1})");
  auto& p = std::get<api::policy_updates>(s.spec);
  CHECK(p.at("a:deployment/b").add.at("automated") == "true");
  CHECK_THROWS_WITH(api::decode_update_spec(R"({"type":"nope","spec":{}})"),
                    "unknown spec type: nope");
  CHECK_THROWS_WITH(api::decode_update_spec(R"({"spec":{}})"),
                    "unknown spec type: ");
  CHECK_THROWS_WITH(
    api::decode_update_spec(
      R"({"type":"image","spec":{"ServiceSpecs":["a",3]}})"),
    Catch::Contains("spec.ServiceSpecs[1]"));
  CHECK_THROWS_WITH(api::decode_update_spec("{"),
                    Catch::Contains("invalid JSON"));
}

TEST_CASE("job.Status omits empty Result members") {
  api::job_status queued;
  queued.status_string = "queued";
  CHECK(api::to_json(queued)
        == R"({"Result":{},"Err":"","StatusString":"queued"})");
  test::fixture_daemon d;
  api::update_spec spec;
  spec.type = "image";
  spec.spec = api::release_image_spec{std::vector<std::string>{"<all>"},
                                      "<all latest>", "execute", std::nullopt,
                                      false};
  auto id = d.update_manifests(spec);
  auto st = d.job_status(id);
  auto json = api::to_json(st);
  CHECK(json
        == R"({"Result":{"revision":"9f1c2d3e4f5061728394a5b6c7d8e9f001122334",)"
           R"("spec":{"type":"image","cause":{"Message":"","User":""},"spec":{"ServiceSpecs":["\u003call\u003e"],"ImageSpec":"\u003call latest\u003e","Kind":"execute","Excludes":null,"Force":false}},)"
           R"("result":{"demo:deployment/podinfo":{"Status":"success","PerContainer":[{"Container":"podinfod","Current":"stefanprodan/podinfo:3.1.0","Target":"stefanprodan/podinfo:3.1.1"}]},)"
           R"("demo:helmrelease/ghost":{"Status":"skipped","Error":"locked","PerContainer":null},)"
           R"("demo:helmrelease/redis":{"Status":"ignored","Error":"not included","PerContainer":null}}},)"
           R"("Err":"","StatusString":"succeeded"})");
  CHECK(api::to_json(api::decode_job_status(json)) == json);
}

TEST_CASE("Change: git and image notifications") {
  auto g = api::decode_change(
    R"({"Kind":"git","Source":{"URL":"git@github.com:org/repo","Branch":"master"}})");
  CHECK(g.git_url == "git@github.com:org/repo");
  CHECK(api::to_json(g)
        == R"({"Kind":"git","Source":{"URL":"git@github.com:org/repo","Branch":"master"}})");
  auto i = api::decode_change(
    R"({"Kind":"image","Source":{"Name":{"Domain":"docker.io","Image":"fluxcd/flux"}}})");
  CHECK(i.image_domain == "docker.io");
  CHECK(i.image_name == "fluxcd/flux");
  CHECK(api::to_json(i)
        == R"({"Kind":"image","Source":{"Name":{"Domain":"docker.io","Image":"fluxcd/flux"}}})");
  CHECK_THROWS_WITH(api::decode_change(R"({"Kind":"cat"})"),
                    "unknown kind of change");
}
