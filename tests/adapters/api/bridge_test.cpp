// The API's wire types and adapters/release's job model agree on Flux v1's
// JSON: every spec kind and a job status survive the trip.

#include <catch2/catch.hpp>

#include "adapters/api/release_bridge.hpp"

using namespace fluxd;

TEST_CASE("update specs cross to the release model and back unchanged") {
  const char* specs[] = {
    R"({"type":"image","cause":{"Message":"m","User":"Jane \u003cjane@x\u003e"},"spec":{"ServiceSpecs":["default:deployment/foo"],"ImageSpec":"alpine:3.12","Kind":"execute","Excludes":null,"Force":false}})",
    R"({"type":"containers","cause":{"Message":"","User":""},"spec":{"Kind":"execute","ContainerSpecs":{"default:deployment/foo":[{"Container":"app","Current":"repo/app:1","Target":"repo/app:2"}]},"SkipMismatches":false,"Force":true}})",
    R"({"type":"policy","cause":{"Message":"","User":""},"spec":{"default:deployment/foo":{"add":{"automated":"true"},"remove":{"locked":"true"}}}})",
    R"({"type":"auto","cause":{"Message":"","User":""},"spec":{"Changes":[{"WorkloadID":"default:deployment/foo","Container":{"Name":"app","Image":"repo/app:1"},"ImageID":"repo/app:2"}]}})",
    R"({"type":"sync","cause":{"Message":"","User":""},"spec":{}})",
  };
  // The release model has no nil/empty distinction: empty lists are null.
  for (auto* text : specs) {
    INFO(text);
    auto spec = api::decode_update_spec(text);
    auto r = api::to_release(spec);
    CHECK(r.type() == spec.type);
    CHECK(api::to_json(api::from_release(r)) == text);
  }
}

TEST_CASE("a release job status reads as the API's job.Status") {
  release::job_status st;
  st.id = "0123abcd-0000-0000-0000-000000000000";
  st.state = release::job_state::failed;
  st.error = "no changes made in repo";
  auto s = api::from_release(st);
  CHECK(s.status_string == "failed");
  CHECK(s.err == "no changes made in repo");
  CHECK(api::to_json(s)
        == R"({"Result":{},"Err":"no changes made in repo","StatusString":"failed"})");
}
