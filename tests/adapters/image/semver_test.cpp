#include "adapters/image/semver.hpp"

#include <catch2/catch.hpp>

namespace semver = fluxd::image::semver;

namespace {

bool check(const char* constraint, const char* version) {
  semver::constraints c(constraint);
  auto v = semver::parse_version(version);
  REQUIRE(v);
  return c.check(*v);
}

} // namespace

TEST_CASE("lenient versions parse as Masterminds NewVersion") {
  for (const char* ok : {"1", "1.0", "v1.0.3", "1.2.3-alpha.1+build.5",
                         "0.0.0", "10.20.30"}) {
    INFO(ok);
    CHECK(semver::parse_version(ok));
  }
  for (const char* bad : {"", "latest", "v", "1.2.3.4", "1.2.3-", "a1",
                          "1.2.3+", " 1.2", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(semver::parse_version(bad));
  }
  auto v = semver::parse_version("v1.2");
  CHECK(v->major == 1);
  CHECK(v->minor == 2);
  CHECK(v->patch == 0);
}

TEST_CASE("versions compare with pre-release precedence") {
  auto cmp = [](const char* a, const char* b) {
    return semver::compare(*semver::parse_version(a),
                           *semver::parse_version(b));
  };
  CHECK(cmp("1.0.0", "1.0.0-alpha") == 1);
  CHECK(cmp("1.0.0-alpha", "1.0.0-alpha.1") == -1);
  CHECK(cmp("1.0.0-alpha.1", "1.0.0-alpha.beta") == -1);
  CHECK(cmp("1.0.0-beta.2", "1.0.0-beta.11") == -1);
  CHECK(cmp("1.0.0-rc.1", "1.0.0-beta.11") == 1);
  CHECK(cmp("1.10", "1.10.0") == 0);
  CHECK(cmp("1.0.0+a", "1.0.0+b") == 0);
  CHECK(cmp("2", "10") == -1);
}

TEST_CASE("constraints follow Masterminds semantics") {
  struct row {
    const char* c;
    const char* v;
    bool ok;
  };
  const row rows[] = {
    {"*", "1.2.3", true},         {"*", "2.0.1-alpha.1", false},
    {"~1", "1.9.9", true},        {"~1", "2.0.0", false},
    {"~1.2", "1.2.9", true},      {"~1.2", "1.3.0", false},
    {"~1.2.3", "1.2.2", false},   {"~1.2.3", "1.2.4", true},
    {"~>1.2", "1.2.0", true},     {"^1.2.3", "1.9.0", true},
    {"^1.2.3", "2.0.0", false},   {"^0.2.3", "0.2.9", true},
    {"^0.2.3", "0.3.0", false},   {"^0.0.3", "0.0.3", true},
    {"^0.0.3", "0.0.4", false},   {"^0", "0.9.0", true},
    {">1.2", "1.3.0", true},      {">1.2", "1.2.9", false},
    {">11", "11.1.0", false},     {">11", "12.0.0", true},
    {">=1.2.3", "1.2.3", true},   {"=>1.2.3", "1.2.2", false},
    {"<1.2.3", "1.2.2", true},    {"<=1.2", "1.2.9", true},
    {"<=1.2", "1.3.0", false},    {"=<1.2.3", "1.2.3", true},
    {"!=1.2.3", "1.2.3", false},  {"!=1.2.3", "1.2.4", true},
    {"1.2.x", "1.2.7", true},     {"1.2.x", "1.3.0", false},
    {"1.x", "1.8.0", true},       {"=1.5", "1.5.3", true},
    {">=1.2, <2", "1.9.0", true}, {">=1.2, <2", "2.0.0", false},
    {">=1.2 <2", "2.1.0", false}, {"1.2 - 1.4.5", "1.4.5", true},
    {"1.2 - 1.4.5", "1.4.6", false},
    {"<1 || >=3", "0.5.0", true}, {"<1 || >=3", "2.0.0", false},
    {"<1 || >=3", "3.1.0", true},
    // Pre-releases pass only constraints that name one.
    {">=1.2.3-0", "1.2.4-beta", true}, {">=1.2.3", "1.2.4-beta", false},
    {"2.0.1-alpha.1", "2.0.1-alpha.1", true},
    {"2.0.1-alpha.1", "2.0.1", false},
    {"<2.0.0", "1.0.0-rc1", false}, {"", "1.0.0", true},
  };
  for (const auto& r : rows) {
    INFO(r.c << " vs " << r.v);
    CHECK(check(r.c, r.v) == r.ok);
  }
}

TEST_CASE("invalid constraints are errors") {
  for (const char* bad : {"invalid", "~", ">=a", "1.2.3.4", "foo || 1"}) {
    INFO(bad);
    CHECK_THROWS_AS(semver::constraints(bad), semver::constraint_error);
  }
}
