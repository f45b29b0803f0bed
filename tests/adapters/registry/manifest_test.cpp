#include <catch2/catch.hpp>

#include "adapters/registry/client.hpp"
#include "adapters/registry/errors.hpp"
#include "adapters/registry/manifest.hpp"
#include "adapters/registry/wire.hpp"

using namespace fluxd::registry;

TEST_CASE("RFC 3339 times: fractions, offsets, epoch = unknown",
          "[registry]") {
  auto t = parse_rfc3339("2024-01-01T10:00:00Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2024-01-01T10:00:00Z");
  auto frac = parse_rfc3339("2024-01-01T10:00:00.123456789Z");
  REQUIRE(frac);
  CHECK(format_rfc3339(*frac) == "2024-01-01T10:00:00.123456789Z");
  auto off = parse_rfc3339("2024-01-01T12:00:00+02:00");
  REQUIRE(off);
  CHECK(*off == *t);
  CHECK(*parse_rfc3339("1970-01-01T00:00:00Z") == time_point{});
  CHECK_FALSE(parse_rfc3339("2024-01-01"));
  CHECK_FALSE(parse_rfc3339("2024-13-01T10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-01T10:00:00"));
  CHECK_FALSE(parse_rfc3339("2024-01-01T10:00:00Zjunk"));
}

TEST_CASE("manifests of every kind parse", "[registry]") {
  const std::string d1 = "sha256:" + std::string(64, 'a');
  const std::string d2 = "sha256:" + std::string(64, 'b');
  auto docker = parse_manifest(
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
        "config":{"digest":")" + d1 + R"("}})",
    "", "t");
  CHECK(docker.what == parsed_manifest::kind::image);
  CHECK(docker.config_digest == d1);
  auto oci_no_type = parse_manifest(
    R"({"schemaVersion":2,"config":{"digest":")" + d1 + R"("}})",
    "application/vnd.oci.image.manifest.v1+json; charset=utf-8", "t");
  CHECK(oci_no_type.media_type == media_type::oci_manifest);
  auto index = parse_manifest(R"({"schemaVersion":2,"manifests":[
      {"digest":")" + d1 + R"(","platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
      {"digest":")" + d2 + R"(","platform":{"os":"linux","architecture":"amd64"}}]})",
                              std::string{media_type::oci_index}, "t");
  CHECK(index.what == parsed_manifest::kind::index);
  REQUIRE(index.entries.size() == 2);
  CHECK(select_platform(index.entries, {})->digest == d2);
  CHECK(select_platform(index.entries, platform::parse("linux/arm64"))->digest
        == d1);
  CHECK(select_platform(index.entries, platform::parse("linux/arm64/v7"))
        == nullptr);
  CHECK(select_platform(index.entries, platform::parse("windows/amd64"))
        == nullptr);
  auto v1 = parse_manifest(R"({"schemaVersion":1,"history":[{"v1Compatibility":
      "{\"created\":\"2020-02-02T00:00:00Z\",\"config\":{\"Labels\":{\"a\":\"b\"}}}"}]})",
                           "", "t");
  CHECK(v1.what == parsed_manifest::kind::schema1);
  CHECK(format_rfc3339(v1.created) == "2020-02-02T00:00:00Z");
  CHECK(v1.labels.at("a") == "b");
}

TEST_CASE("malformed manifests are bad responses naming the origin",
          "[registry]") {
  for (std::string body : {"not json", "[]", R"({"schemaVersion":2})",
                           R"({"config":{"digest":"sha256:short"}})",
                           R"({"manifests":[{"digest":"md5:x"}]})",
                           R"({"schemaVersion":1,"history":[]})"}) {
    try {
      parse_manifest(body, "", "registry r repository demo/app: manifest v1");
      FAIL("no error for " << body);
    } catch (const registry_error& e) {
      CHECK(e.kind() == error_kind::bad_response);
      CHECK(std::string{e.what()}.find("demo/app") != std::string::npos);
    }
  }
}

TEST_CASE("config blobs: created and labels, labels win when asked",
          "[registry]") {
  auto c = parse_config(R"({"created":"2024-03-01T00:00:00Z",
      "config":{"Labels":{"org.opencontainers.image.created":"2020-01-01T00:00:00Z"}}})",
                        "t");
  CHECK(format_rfc3339(c.created) == "2024-03-01T00:00:00Z");
  image_info info;
  info.created = c.created;
  info.labels = c.labels;
  CHECK(effective_created(info, false) == c.created);
  CHECK(format_rfc3339(effective_created(info, true))
        == "2020-01-01T00:00:00Z");
  info.labels = {{"org.label-schema.build-date", "2019-01-01T00:00:00Z"}};
  CHECK(format_rfc3339(effective_created(info, true))
        == "2019-01-01T00:00:00Z");
  info.labels = {{"org.label-schema.build-date", "yesterday"}};
  CHECK(effective_created(info, true) == c.created);
  // Docker's legacy location, as Flux v1 read it.
  auto legacy = parse_config(
    R"({"container_config":{"Labels":{"x":"y"}}})", "t");
  CHECK(legacy.labels.at("x") == "y");
  CHECK(legacy.created == time_point{});
}

TEST_CASE("scanning keeps only the labels that give a creation time",
          "[registry]") {
  std::map<std::string, std::string> all{
    {"org.opencontainers.image.created", "2020-01-01T00:00:00Z"},
    {"org.label-schema.build-date", "2019-01-01T00:00:00Z"},
    {"org.opencontainers.image.source", "https://example.com/app"},
    {"maintainer", "someone"}};
  auto kept = created_labels(all);
  CHECK(kept.size() == 2);
  image_info full, trimmed;
  full.labels = all;
  trimmed.labels = kept;
  CHECK(effective_created(trimmed, true) == effective_created(full, true));
  CHECK(created_labels({{"maintainer", "someone"}}).empty());
}

TEST_CASE("digests", "[registry]") {
  CHECK(sha256_digest("")
        == "sha256:"
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(valid_digest(sha256_digest("x")));
  CHECK_FALSE(valid_digest("sha256:abc"));
  CHECK_FALSE(valid_digest("sha256:" + std::string(64, 'A')));
  CHECK_FALSE(valid_digest(std::string(64, 'a')));
}

TEST_CASE("wire helpers: URLs, Link headers, error bodies", "[registry]") {
  using namespace fluxd::registry::wire;
  auto s = split("https://auth.docker.io/token?service=x");
  CHECK(s.origin == "https://auth.docker.io");
  CHECK(s.target == "/token?service=x");
  CHECK(split("http://h:5000").target == "/");
  CHECK(split("/v2/x").origin.empty());
  CHECK(url_encode("repository:a/b:pull") == "repository%3Aa%2Fb%3Apull");
  CHECK(next_link(R"(</v2/a/tags/list?last=b&n=2>; rel="next")")
        == "/v2/a/tags/list?last=b&n=2");
  CHECK(next_link(R"(<https://x/prev>; rel="prev", <https://x/next>; rel="next")")
        == "https://x/next");
  CHECK(next_link(R"(</v2/a>; rel="prev")").empty());
  CHECK(next_link("").empty());
  CHECK(describe_body(
          R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]})")
        == "NAME_UNKNOWN repository name not known");
  CHECK(describe_body(std::string("<html>\x01", 7)) == "<html>?");
}
