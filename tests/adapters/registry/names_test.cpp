#include <catch2/catch.hpp>

#include "adapters/registry/errors.hpp"
#include "adapters/registry/names.hpp"

using namespace fluxd::registry;

TEST_CASE("image references canonicalise like Flux v1", "[registry]") {
  auto canon = [](const char* s) { return repository_name::parse(s).canonical(); };
  CHECK(canon("alpine") == "index.docker.io/library/alpine");
  CHECK(canon("library/alpine") == "index.docker.io/library/alpine");
  CHECK(canon("alpine:mytag") == "index.docker.io/library/alpine");
  CHECK(canon("docker.io/library/alpine") == "index.docker.io/library/alpine");
  CHECK(canon("registry-1.docker.io/fluxcd/flux:1.2")
        == "index.docker.io/fluxcd/flux");
  CHECK(canon("weaveworks/scope") == "index.docker.io/weaveworks/scope");
  CHECK(canon("quay.io/library/alpine") == "quay.io/library/alpine");
  CHECK(canon("localhost/hello:v1.1") == "localhost/hello");
  CHECK(canon("localhost:5000/path/to/repo/alpine:mytag")
        == "localhost:5000/path/to/repo/alpine");
  CHECK(canon("kennethreitz/httpbin@sha256:599f")
        == "index.docker.io/kennethreitz/httpbin");
  CHECK(canon("127.0.0.1:5000/demo/app:v1") == "127.0.0.1:5000/demo/app");
  CHECK_THROWS_AS(repository_name::parse(""), registry_error);
  CHECK_THROWS_AS(repository_name::parse("/a"), registry_error);
  CHECK_THROWS_AS(repository_name::parse("a:"), registry_error);
}

TEST_CASE("hosts normalise across Docker Hub's spellings", "[registry]") {
  CHECK(normalize_host("https://index.docker.io/v1/") == "index.docker.io");
  CHECK(normalize_host("docker.io") == "index.docker.io");
  CHECK(normalize_host("Registry-1.Docker.io") == "index.docker.io");
  CHECK(normalize_host("https://gcr.io/v1/") == "gcr.io");
  CHECK(normalize_host("localhost:5000/v2/") == "localhost:5000");
  CHECK_THROWS_AS(normalize_host("https://"), registry_error);
  CHECK(api_host("index.docker.io") == "registry-1.docker.io");
  CHECK(api_host("quay.io") == "quay.io");
}

TEST_CASE("globs match with * only", "[registry]") {
  CHECK(glob_match("k8s.gcr.io/*", "k8s.gcr.io/pause"));
  CHECK_FALSE(glob_match("k8s.gcr.io/*", "gcr.io/pause"));
  CHECK(glob_match("*test*", "index.docker.io/a/testing"));
  CHECK(glob_match("*bitnami/mongodb", "index.docker.io/bitnami/mongodb"));
  CHECK(glob_match("*", ""));
  CHECK_FALSE(glob_match("master-*", "foo-master"));
  CHECK(glob_match("a*b*c", "aXXbYYc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
  CHECK(glob_any({"x", "index.docker.io/fluxcd/*"},
                 "index.docker.io/fluxcd/flux"));
}

TEST_CASE("include and exclude globs decide what is scanned", "[registry]") {
  std::vector<std::string> none;
  std::vector<std::string> excl{"k8s.gcr.io/*"};
  CHECK(scan_allowed("index.docker.io/library/alpine", none, excl));
  CHECK_FALSE(scan_allowed("k8s.gcr.io/pause", none, excl));
  std::vector<std::string> incl{"quay.io/*", "*test*"};
  CHECK(scan_allowed("quay.io/a/b", incl, excl));
  CHECK(scan_allowed("ghcr.io/testing/x", incl, excl));
  CHECK_FALSE(scan_allowed("ghcr.io/a/b", incl, excl));
  // Exclusions win.
  CHECK_FALSE(scan_allowed("k8s.gcr.io/test", incl, excl));
}
