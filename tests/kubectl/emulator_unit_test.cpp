/// The emulator's pure parts: selectors, patches, server-side apply field
/// sets, YAML typing, CRD parsing, discovery documents.
#include <catch2/catch.hpp>

#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/patch.hpp"
#include "tests/kube_emulator/resources.hpp"
#include "tests/kube_emulator/selectors.hpp"
#include "tests/kube_emulator/ssa.hpp"
#include "tests/kube_emulator/table.hpp"

using namespace kube_emulator;

namespace {

json::object obj(const char* text) {
  return json::parse(text).as_object();
}

json::object labelled(const char* labels) {
  return obj(
      (std::string(R"({"metadata":{"labels":)") + labels + "}}").c_str());
}

} // namespace

TEST_CASE("label selectors") {
  auto o = labelled(R"({"app":"web","tier":"front"})");
  CHECK(selector::labels("").matches(o));
  CHECK(selector::labels("app=web").matches(o));
  CHECK(selector::labels("app==web,tier").matches(o));
  CHECK_FALSE(selector::labels("app!=web").matches(o));
  CHECK(selector::labels("app in (db, web)").matches(o));
  CHECK_FALSE(selector::labels("app notin (db,web)").matches(o));
  CHECK(selector::labels("!missing").matches(o));
  CHECK_FALSE(selector::labels("missing").matches(o));
  CHECK(selector::labels("missing notin (x)").matches(o));
  CHECK_THROWS_AS(selector::labels("app in (web"), api_error);
  CHECK_THROWS_AS(selector::labels("a,,b"), api_error);
}

TEST_CASE("field selectors") {
  auto o = obj(R"({"metadata":{"name":"x","namespace":"ns"},
                   "status":{"phase":"Running"},"spec":{"n":3}})");
  CHECK(selector::fields("metadata.name=x").matches(o));
  CHECK(selector::fields("metadata.namespace==ns,status.phase=Running")
            .matches(o));
  CHECK_FALSE(selector::fields("metadata.name!=x").matches(o));
  CHECK(selector::fields("spec.n=3").matches(o));
  CHECK_THROWS_AS(selector::fields("metadata.name"), api_error);
}

TEST_CASE("merge patch (RFC 7386)") {
  auto t = json::parse(R"({"a":"b","c":{"d":"e","f":"g"}})");
  auto r = merge_patch(t, json::parse(R"({"a":"z","c":{"f":null}})"));
  CHECK(r == json::parse(R"({"a":"z","c":{"d":"e"}})"));
  CHECK(merge_patch(json::parse(R"({"a":[1]})"), json::parse(R"({"a":[2]})"))
        == json::parse(R"({"a":[2]})"));
  CHECK(merge_patch(json::parse("{}"), json::parse("[1]"))
        == json::parse("[1]"));
}

TEST_CASE("strategic merge patch merges lists by their keys") {
  auto t = json::parse(R"({"spec":{"containers":[
    {"name":"a","image":"a:1"},{"name":"b","image":"b:1"}],
    "args":["x"]},"metadata":{"finalizers":["f1"]}})");
  auto r = strategic_merge_patch(t, json::parse(R"({"spec":{"containers":[
    {"name":"b","image":"b:2"},{"name":"c","image":"c:1"},
    {"name":"a","$patch":"delete"}],"args":["y"]},
    "metadata":{"finalizers":["f2"]}})"));
  CHECK(r == json::parse(R"({"spec":{"containers":[
    {"name":"b","image":"b:2"},{"name":"c","image":"c:1"}],"args":["y"]},
    "metadata":{"finalizers":["f1","f2"]}})"));
  r = strategic_merge_patch(
      r, json::parse(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":
                   ["f1"]},"spec":{"$patch":"replace","x":1}})"));
  CHECK(r == json::parse(R"({"spec":{"x":1},
                             "metadata":{"finalizers":["f2"]}})"));
}

TEST_CASE("JSON patch (RFC 6902)") {
  auto t = json::parse(R"({"a":{"b":[1,2]},"c":"d"})");
  auto r = json_patch(t, json::parse(R"([
    {"op":"add","path":"/a/b/1","value":9},
    {"op":"add","path":"/a/b/-","value":3},
    {"op":"replace","path":"/c","value":"e"},
    {"op":"copy","from":"/c","path":"/f"},
    {"op":"move","from":"/f","path":"/g~1h"},
    {"op":"remove","path":"/a/b/0"},
    {"op":"test","path":"/a/b","value":[9,2,3]}])"));
  CHECK(r == json::parse(R"({"a":{"b":[9,2,3]},"c":"e","g/h":"e"})"));
  CHECK_THROWS_AS(
      json_patch(t, json::parse(R"([{"op":"test","path":"/c","value":1}])")),
      api_error);
  CHECK_THROWS_AS(
      json_patch(t, json::parse(R"([{"op":"remove","path":"/nope"}])")),
      api_error);
  CHECK_THROWS_AS(json_patch(t, json::parse(R"([{"op":"jump"}])")), api_error);
  CHECK_THROWS_AS(json_patch(t, json::parse(R"({})")), api_error);
}

TEST_CASE("YAML bodies follow Kubernetes' scalar typing") {
  auto v = yaml_to_json("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: web:1.0\n"
                        "g: [x, \"y\"]\nh:\n");
  CHECK(v == json::parse(R"({"a":1,"b":"1","c":true,"d":null,"e":1.5,
                             "f":"web:1.0","g":["x","y"],"h":null})"));
  CHECK_THROWS_AS(parse_body("a: [1", "test"), api_error);
  CHECK_THROWS_AS(parse_body("{\"a\":", "test"), api_error);
  CHECK_THROWS_AS(parse_body("a: &x [*x]\n", "test"), api_error);
  CHECK_THROWS_AS(parse_body("", "test"), api_error);
}

TEST_CASE("field sets in the FieldsV1 format") {
  auto o = obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","labels":{"app":"web"}},
    "spec":{"replicas":2,"template":{"spec":{"containers":
      [{"name":"web","image":"w:1"}]}}},"status":{"replicas":2}})");
  auto fields = ssa::fields_of(o);
  auto v1 = ssa::to_fields_v1(fields);
  CHECK(json::value(v1) == json::parse(R"({
    "f:metadata":{"f:labels":{"f:app":{}}},
    "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{
      "k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}})"));
  CHECK(ssa::from_fields_v1(v1) == fields);
}

TEST_CASE("server-side apply merges, drops and conflicts per manager") {
  ssa::identity me{"me", "v1"}, them{"them", "v1"};
  auto first = ssa::apply(
      nullptr, obj(R"({"metadata":{"name":"c","labels":{"a":"1","b":"1"}},
                     "data":{"x":"1"}})"),
      me, false);
  // Another manager writes a label by update.
  json::object updated = first;
  updated["metadata"].as_object()["labels"].as_object()["c"] = "1";
  ssa::record_update(&first, updated, them);
  // Dropping "b" removes it; "c" belongs to them and stays.
  auto second =
      ssa::apply(&updated, obj(R"({"metadata":{"name":"c","labels":{"a":"1"}},
                      "data":{"x":"1"}})"),
                 me, false);
  auto& labels = second.at("metadata").at("labels").as_object();
  CHECK(labels.contains("a"));
  CHECK_FALSE(labels.contains("b"));
  CHECK(labels.contains("c"));
  // Their field with another value: 409 naming them, unless forced.
  auto change = obj(R"({"metadata":{"name":"c","labels":{"c":"2"}}})");
  try {
    ssa::apply(&second, change, me, false);
    FAIL("no conflict");
  } catch (const api_error& e) {
    CHECK(e.code() == 409);
    CHECK(std::string(e.what())
          == "Apply failed with 1 conflict: conflict with \"them\" using v1: "
             ".metadata.labels.c");
  }
  auto forced = ssa::apply(&second, change, me, true);
  CHECK(forced.at("metadata").at("labels").at("c") == "2");
}

TEST_CASE("CRDs define kinds; bad ones are 422") {
  auto crd = obj(R"({"metadata":{"name":"widgets.example.com"},"spec":{
    "group":"example.com","scope":"Namespaced",
    "names":{"kind":"Widget","plural":"widgets","shortNames":["wd"]},
    "versions":[{"name":"v1","served":true,"storage":true,
      "subresources":{"status":{}},
      "additionalPrinterColumns":[{"name":"Size","type":"integer",
        "jsonPath":".spec.size"}]},
      {"name":"v0","served":false,"storage":false}]}})");
  auto kinds = resource_registry::from_crd(crd);
  REQUIRE(kinds.size() == 1);
  CHECK(kinds[0].singular == "widget");
  CHECK(kinds[0].has_status);
  CHECK(kinds[0].columns.size() == 1);
  resource_registry reg;
  reg.set_custom("widgets.example.com", kinds);
  CHECK(reg.find("example.com", "v1", "widgets"));
  auto root = reg.openapi_root();
  CHECK(root.at("paths").as_object().contains("apis/example.com/v1"));
  auto agg = reg.aggregated(false, "apidiscovery.k8s.io/v2");
  CHECK(json::serialize(agg).find("\"resource\":\"widgets\"")
        != std::string::npos);
  reg.set_custom("widgets.example.com", {});
  CHECK_FALSE(reg.find("example.com", "v1", "widgets"));

  crd["metadata"].as_object()["name"] = "wrong.example.com";
  CHECK_THROWS_AS(resource_registry::from_crd(crd), api_error);
  auto bad = obj(R"({"metadata":{"name":"x.y"},"spec":{"group":"nodot"}})");
  CHECK_THROWS_AS(resource_registry::from_crd(bad), api_error);
}

TEST_CASE("ages print like kubectl") {
  CHECK(human_age("not a time") == "<unknown>");
  CHECK(human_age(now_rfc3339()).back() == 's');
  CHECK(human_age("2000-01-01T00:00:00Z").back() == 'd');
}
