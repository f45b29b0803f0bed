#include "adapters/release/spec.hpp"

#include <catch2/catch.hpp>

#include "adapters/release/commit.hpp"
#include "adapters/release/job.hpp"

using namespace fluxd::release;

TEST_CASE("update specs decode Flux v1's JSON and round-trip") {
  const char* bodies[] = {
    R"({"type":"image","cause":{"Message":"m","User":"Jane <jane@x>"},)"
    R"("spec":{"ServiceSpecs":["default:deployment/foo"],)"
    R"("ImageSpec":"alpine:3.12","Kind":"execute",)"
    R"("Excludes":["default:deployment/bar"],"Force":true}})",
    R"({"type":"containers","cause":{"Message":"","User":""},"spec":)"
    R"({"ContainerSpecs":{"default:deployment/foo":[{"Container":"app",)"
    R"("Current":"repo/app:1","Target":"repo/app:2"}]},"Kind":"plan",)"
    R"("SkipMismatches":true,"Force":false}})",
    R"({"type":"policy","cause":{"Message":"","User":""},"spec":)"
    R"({"default:deployment/foo":{"add":{"automated":"true",)"
    R"("tag.app":"semver:~1.2"},"remove":{"locked":"true"}}}})",
    R"({"type":"auto","cause":{"Message":"","User":""},"spec":{"Changes":)"
    R"([{"WorkloadID":"default:deployment/foo","Container":{"Name":"app",)"
    R"("Image":"repo/app:1"},"ImageID":"repo/app:2"}]}})",
    R"({"type":"sync","cause":{"Message":"","User":""},"spec":{}})"};
  for (auto* b : bodies) {
    INFO(b);
    auto s = parse_spec(b);
    CHECK(serialize(parse_spec(serialize(s))) == serialize(s));
  }
  auto img = parse_spec(bodies[0]);
  CHECK(img.type() == "image");
  CHECK(img.why.user == "Jane <jane@x>");
  auto& i = std::get<image_spec>(img.spec);
  CHECK(i.force);
  CHECK(i.excludes == std::vector<std::string>{"default:deployment/bar"});
  CHECK_FALSE(img.is_plan());
  CHECK(parse_spec(bodies[1]).is_plan());
  auto pol = std::get<policy_spec>(parse_spec(bodies[2]).spec);
  CHECK(pol["default:deployment/foo"].add.at("tag.app") == "semver:~1.2");
  CHECK(pol["default:deployment/foo"].remove.count("locked"));
}

TEST_CASE("a legacy policy list means true; unknown types are refused") {
  auto s = parse_spec(R"({"type":"policy","spec":{"default:deployment/a":)"
                      R"({"add":["ignore","locked"]}}})");
  auto& add = std::get<policy_spec>(s.spec)["default:deployment/a"].add;
  CHECK(add == fluxd::manifests::policy_set{{"ignore", "true"},
                                            {"locked", "true"}});
  REQUIRE_THROWS_WITH(parse_spec(R"({"type":"bogus"})"),
                      "unknown spec type: bogus");
  REQUIRE_THROWS_WITH(parse_spec(R"({"spec":{}})"), "unknown spec type: ");
  REQUIRE_THROWS_AS(parse_spec("{"), spec_error);
  REQUIRE_THROWS_AS(
    parse_spec(R"({"type":"image","spec":{"Kind":"sometimes"}})"), spec_error);
}

TEST_CASE("image specs as ParseImageSpec (§14.4)") {
  CHECK_NOTHROW(check_image_spec("valid/image:tag"));
  CHECK_NOTHROW(check_image_spec("image:tag"));
  CHECK_NOTHROW(check_image_spec("<all latest>"));
  CHECK_THROWS_AS(check_image_spec(":tag"), spec_error);
  CHECK_THROWS_AS(check_image_spec("image:"), spec_error);
  CHECK_THROWS_AS(check_image_spec("image"), spec_error);
  CHECK_THROWS_AS(check_image_spec("<invalid spec>"), spec_error);
}

TEST_CASE("result summaries and JSON") {
  result r;
  r["default:deployment/a"] = {workload_status::success, "",
                               {{"app", "repo/app:1", "repo/app:2"}}};
  r["default:deployment/b"] = {workload_status::failed, "boom", {}};
  CHECK(error_summary(r) == "default:deployment/b failed: boom");
  r["default:deployment/c"] = {workload_status::failed, "bang", {}};
  CHECK(error_summary(r) ==
        "Multiple workloads failed: default:deployment/b, "
        "default:deployment/c");
  auto back = result_from_json(to_json(r));
  CHECK(back.at("default:deployment/a").per_container ==
        r.at("default:deployment/a").per_container);
  CHECK(back.at("default:deployment/c").error == "bang");
}

TEST_CASE("commit messages (§9.6, §14.3, §14.4)") {
  update_spec rel;
  rel.spec = image_spec{{"<all>"}, "<all latest>", release_kind::execute, {},
                        false};
  CHECK(commit_message(rel, {}) == "Release all latest to all");
  std::get<image_spec>(rel.spec) =
    image_spec{{"default:deployment/a", "default:deployment/b"},
               "alpine:3.12", release_kind::execute, {}, false};
  CHECK(commit_message(rel, {}) ==
        "Release alpine:3.12 to default:deployment/a, default:deployment/b");
  rel.why.message = "because";
  CHECK(commit_message(rel, {}) == "because");

  update_spec cont;
  cont.spec = containers_spec{};
  result r;
  r["default:deployment/helloworld"] = {
    workload_status::success, "",
    {{"greeter", "", "quay.io/weaveworks/helloworld:master-a000002"},
     {"sidecar", "", "weaveworks/sidecar:master-a000002"}}};
  CHECK(commit_message(cont, r) ==
        "Update image refs in default:deployment/helloworld\n\n"
        "default:deployment/helloworld\n"
        "- quay.io/weaveworks/helloworld:master-a000002\n"
        "- weaveworks/sidecar:master-a000002\n");

  update_spec au;
  au.spec = auto_spec{};
  result one;
  one["ns:kind/1"] = {workload_status::success, "", {{"c", "", "a:v2"}}};
  CHECK(commit_message(au, one) == "Auto-release a:v2");
  result many;
  auto& pc = many["ns:kind/1"];
  pc.status = workload_status::success;
  for (int i = 1; i <= 11; ++i)
    pc.per_container.push_back(
      {"c", "", "docker.io/image:v" + std::to_string(i)});
  CHECK(commit_message(au, many) ==
        "Auto-release multiple (11) images\n\n"
        " - docker.io/image:v1\n - docker.io/image:v10\n"
        " - docker.io/image:v11\n - docker.io/image:v2\n"
        " - docker.io/image:v3\n - docker.io/image:v4\n"
        " - docker.io/image:v5\n - docker.io/image:v6\n"
        " - docker.io/image:v7\n - docker.io/image:v8\n ...\n");
  CHECK(commit_message(au, {}) == "Auto-release (no images)\n");

  update_spec pol;
  policy_spec ps;
  ps["default:deployment/b"].add = {{"automated", "true"}};
  ps["default:deployment/a"].add = {{"automated", "true"}};
  pol.spec = ps;
  result ok;
  ok["default:deployment/a"] = {workload_status::success, "", {}};
  ok["default:deployment/b"] = {workload_status::success, "", {}};
  CHECK(commit_message(pol, ok) ==
        "Automated: default:deployment/a, default:deployment/b\n");
  ps["default:deployment/a"].remove = {{"locked", "true"}};
  pol.spec = ps;
  CHECK(commit_message(pol, ok) ==
        "Updated workload policies\n\n"
        "- Automated: default:deployment/a, default:deployment/b\n"
        "- Unlocked: default:deployment/a\n");
  pol.why.message = "why";
  CHECK(commit_message(pol, ok) ==
        "why\n\n- Automated: default:deployment/a, default:deployment/b\n"
        "- Unlocked: default:deployment/a\n");
  ps = {};
  ps["default:deployment/a"].add = {{"tag.app", "glob:*"}};
  pol.spec = ps;
  pol.why.message.clear();
  CHECK(commit_message(pol, ok) == "Updated policies: default:deployment/a\n");
}

TEST_CASE("job ids, statuses and notes") {
  auto id = new_job_id();
  REQUIRE(id.size() == 36);
  for (int dash : {8, 13, 18, 23})
    CHECK(id[dash] == '-');
  CHECK(new_job_id() != id);

  job_status queued;
  queued.id = id;
  CHECK(status_json(queued) ==
        R"({"Result":{},"Err":"","StatusString":"queued"})");

  update_spec s;
  s.spec = auto_spec{{{"default:deployment/a", "c", "a:1", "a:2"}}};
  result r;
  r["default:deployment/a"] = {workload_status::success, "",
                               {{"c", "a:1", "a:2"}}};
  auto note = parse_note(note_json(id, s, r));
  REQUIRE(note.ok);
  CHECK(note.job_id == id);
  CHECK(serialize(note.spec) == serialize(s));
  CHECK(note.outcome.at("default:deployment/a").per_container[0].target ==
        "a:2");
  auto event = commit_event_json(id, s, r, "0123abc");
  CHECK(event.find(R"("revision":"0123abc")") != std::string::npos);
  CHECK(parse_note(event).job_id == id);
  CHECK_FALSE(parse_note("not json").ok);
  CHECK_FALSE(parse_note(R"({"sync":"x"})").ok);

  job_status done;
  done.id = id;
  done.state = job_state::succeeded;
  done.revision = "abc";
  done.has_spec = true;
  done.spec = s;
  done.outcome = r;
  auto back = status_from_json(status_json(done));
  CHECK(back.state == job_state::succeeded);
  CHECK(back.revision == "abc");
  CHECK(status_json(back) == status_json(done));
}
