#include "adapters/manifests/json.hpp"
#include "adapters/manifests/resource.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace fluxd::manifests;

namespace {

std::string js(const char* yaml) {
  return boost::json::serialize(to_json(YAML::Load(yaml)));
}

} // namespace

TEST_CASE("YAML becomes JSON with go-yaml v2 (YAML 1.1) typing") {
  CHECK(js("{a: true, b: yes, c: 'yes', d: off, e: \"on\", f: y}")
        == R"({"a":true,"b":true,"c":"yes","d":false,"e":"on","f":true})");
  CHECK(js("[1, -2, 0x1F, 0755, 1_000, 0b11, 1.5, 1e3, .5, '1']")
        == R"([1,-2,31,493,1000,3,1.5E0,1E3,5E-1,"1"])");
  CHECK(js("{a: ~, b: null, c: , d: !!str 12, e: 2020-01-01, f: 1.2.3}")
        == R"({"a":null,"b":null,"c":null,"d":"12","e":"2020-01-01","f":"1.2.3"})");
  CHECK(js("base: &b {x: 1, y: 2}\nthing: {<<: *b, y: 3}\n")
        == R"({"base":{"x":1,"y":2},"thing":{"y":3,"x":1}})");
  CHECK(js("{8080: port, y: key}") == R"({"8080":"port","y":"key"})");
  CHECK_THROWS_AS(to_json(YAML::Load("a: .inf")), manifest_error);
  CHECK_THROWS_AS(to_json(YAML::Load("a: !!int x")), manifest_error);
  CHECK_THROWS_AS(to_json(YAML::Load("? [a]\n: b\n")), manifest_error);
}

TEST_CASE("checksums ignore formatting and key order, not content") {
  auto a = checksum(YAML::Load("b: 1\na: {x: 'abc'}\n"));
  CHECK(a.size() == 40);
  CHECK(a == checksum(YAML::Load("{a: {x: abc}, b: 1}")));
  CHECK(a != checksum(YAML::Load("{a: {x: abd}, b: 1}")));
  // Quoting that changes the type changes the checksum.
  CHECK(checksum(YAML::Load("a: 'true'")) != checksum(YAML::Load("a: true")));
}
