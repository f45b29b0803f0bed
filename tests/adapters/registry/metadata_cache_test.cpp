#include <catch2/catch.hpp>

#include <filesystem>

#include "adapters/registry/errors.hpp"
#include "adapters/registry/metadata_cache.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd::registry;

namespace {

repository_record sample() {
  repository_record r;
  r.canonical = "index.docker.io/library/alpine";
  r.tags = {"3.18", "3.19", "latest"};
  tag_record t;
  t.info.digest = sha256_digest("m");
  t.info.config_digest = sha256_digest("c");
  t.info.created = *parse_rfc3339("2024-01-01T10:00:00.5Z");
  t.info.labels = {{"org.opencontainers.image.version", "3.19"}};
  t.fetched_at = *parse_rfc3339("2024-02-01T00:00:00Z");
  t.refresh_after = *parse_rfc3339("2024-02-01T01:00:00Z");
  t.refresh_interval = std::chrono::seconds(3600);
  r.images["3.19"] = t;
  tag_record excluded;
  excluded.info.digest = sha256_digest("i");
  excluded.info.excluded_reason = "no suitable manifest (linux/amd64)";
  r.images["3.18"] = excluded;
  r.last_update = *parse_rfc3339("2024-02-01T00:00:00Z");
  return r;
}

} // namespace

TEST_CASE("metadata cache round-trips a repository", "[registry]") {
  fluxd::test::temp_dir dir;
  metadata_cache cache{dir.path()};
  CHECK_FALSE(cache.load("index.docker.io/library/alpine"));
  auto r = sample();
  cache.store(r);
  auto back = cache.load(r.canonical);
  REQUIRE(back);
  CHECK(back->tags == r.tags);
  REQUIRE(back->images.size() == 2);
  auto& t = back->images.at("3.19");
  CHECK(t.info.digest == r.images["3.19"].info.digest);
  CHECK(t.info.created == r.images["3.19"].info.created);
  CHECK(t.info.labels == r.images["3.19"].info.labels);
  CHECK(t.refresh_interval == std::chrono::seconds(3600));
  CHECK(t.refresh_after == r.images["3.19"].refresh_after);
  CHECK(back->images.at("3.18").info.excluded());
  CHECK(cache.repositories()
        == std::vector<std::string>{"index.docker.io/library/alpine"});
  // A second store replaces the file and leaves no temp files behind.
  r.tags.push_back("edge");
  cache.store(r);
  CHECK(cache.load(r.canonical)->tags.size() == 4);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(cache.directory())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("a corrupt cache file is a storage error naming it", "[registry]") {
  fluxd::test::temp_dir dir;
  metadata_cache cache{dir.path()};
  auto name = std::string{"quay.io/a/b"};
  fluxd::test::write_file(cache.path_for(name), "{\"version\":1,\"tags\":[");
  try {
    cache.load(name);
    FAIL("no error");
  } catch (const registry_error& e) {
    CHECK(e.kind() == error_kind::storage);
    CHECK(std::string{e.what()}.find(cache.path_for(name))
          != std::string::npos);
  }
  // Storing again repairs it.
  repository_record r;
  r.canonical = name;
  cache.store(r);
  CHECK(cache.load(name));
}

TEST_CASE("an unwritable state dir is a storage error", "[registry]") {
  CHECK_THROWS_AS(metadata_cache{"/proc/fluxd-no-such"}, registry_error);
}
