#include "adapters/image/ref.hpp"

#include <catch2/catch.hpp>

using fluxd::image::parse_ref;
using fluxd::image::ref_error;

TEST_CASE("image refs parse and canonicalise as Flux v1") {
  struct row {
    const char* in;
    const char* registry;
    const char* repository;
    const char* tag;
    const char* canonical;
  };
  const row rows[] = {
    {"alpine", "index.docker.io", "library/alpine", "",
     "index.docker.io/library/alpine"},
    {"library/alpine", "index.docker.io", "library/alpine", "",
     "index.docker.io/library/alpine"},
    {"alpine:mytag", "index.docker.io", "library/alpine", "mytag",
     "index.docker.io/library/alpine:mytag"},
    {"docker.io/library/alpine", "index.docker.io", "library/alpine", "",
     "index.docker.io/library/alpine"},
    {"docker.io/alpine:3.5", "index.docker.io", "library/alpine", "3.5",
     "index.docker.io/library/alpine:3.5"},
    {"index.docker.io/alpine", "index.docker.io", "library/alpine", "",
     "index.docker.io/library/alpine"},
    {"weaveworks/scope:1.0", "index.docker.io", "weaveworks/scope", "1.0",
     "index.docker.io/weaveworks/scope:1.0"},
    {"quay.io/library/alpine", "quay.io", "library/alpine", "",
     "quay.io/library/alpine"},
    {"quay.io/alpine", "quay.io", "alpine", "", "quay.io/alpine"},
    {"localhost/hello:v1.1", "localhost", "hello", "v1.1",
     "localhost/hello:v1.1"},
    {"localhost:5000/path/to/repo/alpine:mytag", "localhost:5000",
     "path/to/repo/alpine", "mytag",
     "localhost:5000/path/to/repo/alpine:mytag"},
    {"kennethreitz/httpbin@sha256:599fe5e5073102dbb0ee3dbb65f049dab44fa9fc25"
     "1f6835c9990f8fb196a72b",
     "index.docker.io", "kennethreitz/httpbin", "",
     "index.docker.io/kennethreitz/httpbin"},
    // The domain regexp is unanchored and needs a dot or `localhost`.
    {"myhost:5000/app", "index.docker.io", "library/myhost", "5000/app",
     "index.docker.io/library/myhost:5000/app"},
    {"a/b/c:d", "a", "b/c", "d", "a/b/c:d"},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto ref = parse_ref(r.in);
    CHECK(ref.registry() == r.registry);
    CHECK(ref.repository() == r.repository);
    CHECK(ref.tag == r.tag);
    CHECK(ref.canonical_ref() == r.canonical);
    CHECK(ref.to_string() == r.in); // the spelling is kept
  }
}

TEST_CASE("image ref fields and spelling") {
  auto r = parse_ref("quay.io/weaveworks/helloworld:master-a000001");
  CHECK(r.domain == "quay.io");
  CHECK(r.path == "weaveworks/helloworld");
  CHECK(r.name() == "quay.io/weaveworks/helloworld");
  CHECK(r.with_tag("v2").to_string() == "quay.io/weaveworks/helloworld:v2");
  auto d = parse_ref("alpine@sha256:abc");
  CHECK(d.sha == "abc");
  CHECK(d.tag.empty());
  CHECK(d.with_tag("3.5").to_string() == "alpine:3.5");
  CHECK(parse_ref("alpine:3.10").same_canonical(
    parse_ref("index.docker.io/library/alpine:3.10")));
  CHECK(parse_ref("alpine:3.10") != parse_ref("docker.io/alpine:3.10"));
  CHECK(parse_ref("alpine:3.10") == parse_ref("alpine:3.10"));
}

TEST_CASE("malformed image refs are errors naming the input") {
  for (const char* bad :
       {"", "/alpine", "alpine/", "alpine:", ":tag", "a:b:c", "foo@sha256:",
        "@sha256:abc", "quay.io/a/b:c:d"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_ref(bad), ref_error);
  }
  CHECK_THROWS_WITH(parse_ref(""), Catch::Contains("blank image name"));
  CHECK_THROWS_WITH(parse_ref("a:b:c"),
                    Catch::Contains("\"a:b:c\": malformed image ID"));
}

TEST_CASE("release image specs (ParseImageSpec)") {
  using fluxd::image::parse_image_spec;
  CHECK(parse_image_spec("valid/image:tag")->to_string() == "valid/image:tag");
  CHECK(parse_image_spec("image:tag")->tag == "tag");
  CHECK_FALSE(parse_image_spec("<all latest>"));
  for (const char* bad : {":tag", "image:", "image", "<invalid spec>"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_image_spec(bad), ref_error);
  }
  CHECK_THROWS_WITH(parse_image_spec("image"), Catch::Contains("blank tag"));
}
