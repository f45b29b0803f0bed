#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/manifests/loader.hpp"
#include "adapters/sync/cluster.hpp"
#include "adapters/sync/event.hpp"
#include "adapters/sync/desired.hpp"

using namespace fluxd;
namespace json = boost::json;

namespace {

manifests::resource one(const std::string& yaml) {
  auto loaded = manifests::load({{"a.yaml", yaml}}, {});
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.resources.size() == 1);
  return loaded.resources.begin()->second;
}

sync::marked_object marked(const std::string& set, const std::string& id,
                           const std::string& kind,
                           const std::string& checksum = "c") {
  sync::marked_object o;
  o.id = id;
  o.kind = kind;
  o.name = id.substr(id.find('/') + 1);
  o.mark = sync::gc_mark(set, id);
  o.checksum = checksum;
  return o;
}

} // namespace

TEST_CASE("prepare adds namespace - gc mark and checksum (§7.3)") {
  auto r = one("kind: Deployment\napiVersion: apps/v1\n"
               "metadata: {name: web}\nspec: {replicas: 2}\n");
  auto d = sync::prepare(r, "set");
  CHECK(d.id == "default:deployment/web");
  CHECK(d.checksum.size() == 40);
  CHECK(d.rank == 3);
  CHECK(d.object.at("metadata").at("namespace") == json::value("default"));
  CHECK(sync::labels(d.object)[sync::gc_mark_label]
        == sync::gc_mark("set", d.id));
  CHECK(sync::annotations(d.object)[sync::checksum_annotation] == d.checksum);
  // The checksum is of the normalised document: formatting does not count.
  auto same = one("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                  "  name: web   # a comment\nspec:\n  replicas: 2\n");
  CHECK(sync::prepare(same, "set").checksum == d.checksum);
  auto other = one("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                   "  name: web\nspec:\n  replicas: 3\n");
  CHECK(sync::prepare(other, "set").checksum != d.checksum);

  auto ns = sync::prepare(
    one("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), "set");
  CHECK(ns.id == "<cluster>:namespace/x");
  CHECK(!ns.object.at("metadata").as_object().contains("namespace"));
  CHECK(ns.rank == 0);

  auto ignored = sync::prepare(
    one("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "  annotations: {flux.weave.works/ignore: 'true'}\n"),
    "set");
  CHECK(ignored.ignore_in_file);
}

TEST_CASE("kind order: namespace - secret - deployment (§7.5)") {
  CHECK(sync::kind_rank("Namespace") < sync::kind_rank("Secret"));
  CHECK(sync::kind_rank("Secret") < sync::kind_rank("Deployment"));
  CHECK(sync::kind_rank("CustomResourceDefinition") == 1);
  CHECK(sync::kind_rank("HelmRelease") == 4);
}

TEST_CASE("gc marks: sha256. + base64url - different per set and ID") {
  auto m = sync::gc_mark("set", "ns:deployment/a");
  CHECK(m.rfind("sha256.", 0) == 0);
  CHECK(m.size() == 7 + 43);
  CHECK(m.find_first_of("+/=") == std::string::npos);
  CHECK(m != sync::gc_mark("set", "ns:deployment/b"));
  CHECK(m != sync::gc_mark("other", "ns:deployment/a"));
  auto set = sync::sync_set_name("git://h/r.git", "master", {"a", "b"});
  CHECK(set.size() == 43);
  CHECK(set != sync::sync_set_name("git://h/r.git", "master", {"a"}));
}

TEST_CASE("drift: only fields git sets count") {
  auto desired = json::parse(R"({"spec":{"replicas":2,"x":[{"a":1}]}})");
  auto live = json::parse(
    R"({"spec":{"replicas":2,"x":[{"a":1,"b":2}],"extra":1},"status":{}})");
  CHECK(sync::subset_equal(desired, live));
  auto scaled = json::parse(R"({"spec":{"replicas":5,"x":[{"a":1}]}})");
  CHECK(!sync::subset_equal(desired, scaled));
  auto longer = json::parse(R"({"spec":{"replicas":2,"x":[{"a":1},{}]}})");
  CHECK(!sync::subset_equal(desired, longer));
  CHECK(sync::subset_equal(json::parse("1"), json::parse("1.0")));
  // Against the stored object: a server-normalised value is not drift.
  auto stored = json::parse(R"({"spec":{"replicas":"2","x":[{"a":1}]}})");
  CHECK(sync::same_on(desired, stored, stored));
  CHECK(!sync::same_on(desired, stored, live));
}

TEST_CASE("digest_on: equal digests exactly where same_on holds") {
  auto desired = json::parse(R"({"spec":{"replicas":2,"x":[{"a":1}]}})");
  auto stored = json::parse(
    R"({"spec":{"replicas":2,"x":[{"a":1,"b":2}],"extra":1},"status":{}})");
  auto d = [&](const char* text) {
    return sync::digest_on(desired, json::parse(text));
  };
  auto base = sync::digest_on(desired, stored);
  CHECK(base.size() == 32);
  // Fields git does not set, and key order, do not count.
  CHECK(base == d(R"({"status":{"x":1},"spec":{"x":[{"b":3,"a":1}],"replicas":2}})"));
  CHECK(base == d(R"({"spec":{"replicas":2.0,"x":[{"a":1}]}})"));
  CHECK(base != d(R"({"spec":{"replicas":3,"x":[{"a":1}]}})"));
  CHECK(base != d(R"({"spec":{"replicas":"2","x":[{"a":1}]}})"));
  CHECK(base != d(R"({"spec":{"x":[{"a":1}]}})"));
  CHECK(base != d(R"({"spec":{"replicas":2,"x":[{"a":1},{"a":1}]}})"));
  CHECK(base != d(R"({"spec":{"replicas":2,"x":{"a":1}}})"));
  CHECK(base != d(R"({"spec":null})"));

  // Over many pairs of variants, digests agree with same_on.
  std::vector<json::value> variants;
  for (const char* r : {"2", "2.0", "3", "\"2\"", "null"})
    for (const char* x : {R"([{"a":1}])", R"([{"a":1,"b":2}])", R"([{"a":2}])",
                          R"([{"a":1},{"c":1}])", R"([{"a":1},{"c":2}])",
                          R"([])", R"({"a":1})"})
      for (const char* extra : {"", R"(,"extra":true)"})
        variants.push_back(json::parse(std::string(R"({"spec":{"replicas":)")
                                       + r + R"(,"x":)" + x + extra + "}}"));
  variants.push_back(json::parse(R"({"spec":{"x":[{"a":1}]}})"));
  variants.push_back(json::parse(R"({"other":1})"));
  int pairs = 0;
  for (const auto& a : variants)
    for (const auto& b : variants) {
      ++pairs;
      INFO(json::serialize(a) << " vs " << json::serialize(b));
      CHECK((sync::digest_on(desired, a) == sync::digest_on(desired, b))
            == sync::same_on(desired, a, b));
    }
  CHECK(pairs > 1000);
}

TEST_CASE("GC: deletes only its own marked objects that git no longer "
          "holds - in reverse kind order (§7.8 - §14.2)") {
  std::vector<sync::marked_object> live = {
    marked("set", "<cluster>:namespace/ns1", "Namespace"),
    marked("set", "ns1:deployment/dep1", "Deployment"),
    marked("set", "ns1:deployment/dep2", "Deployment"),
  };
  // A copy carrying dep1's label value under another name survives.
  auto copy = marked("set", "ns1:deployment/dep1", "Deployment");
  copy.id = "ns1:deployment/copy";
  copy.name = "copy";
  live.push_back(copy);
  // Another fluxd's object and an owned one are never touched.
  live.push_back(marked("other", "ns1:deployment/theirs", "Deployment"));
  auto owned = marked("set", "ns1:replicaset/rs", "ReplicaSet");
  owned.owned = true;
  live.push_back(owned);
  auto ignored = marked("set", "ns1:configmap/keep", "ConfigMap");
  ignored.ignore = "sync_only";
  live.push_back(ignored);

  std::map<std::string, std::string> in_git = {
    {"ns1:deployment/dep2", "other-checksum"}};
  auto plan = sync::gc_plan(live, "set", in_git);
  std::vector<std::string> removed, kept;
  for (const auto& d : plan)
    (d.what == sync::gc_decision::action::remove ? removed : kept)
      .push_back(d.object.id);
  CHECK(removed
        == std::vector<std::string>{"ns1:deployment/dep1",
                                    "<cluster>:namespace/ns1"});
  CHECK(kept
        == std::vector<std::string>{"ns1:deployment/dep2",
                                    "ns1:configmap/keep"});

  // Nothing removed when everything is in git with current checksums.
  std::map<std::string, std::string> all = {
    {"<cluster>:namespace/ns1", "c"},
    {"ns1:deployment/dep1", "c"},
    {"ns1:deployment/dep2", "c"},
    {"ns1:configmap/keep", "c"}};
  CHECK(sync::gc_plan(live, "set", all).empty());
}

TEST_CASE("excluded kinds: Flux v1's globs over <groupVersion>/<Kind>") {
  std::vector<std::string> defaults = {
    "*metrics.k8s.io/*", "webhook.certmanager.k8s.io/*", "v1/Event"};
  CHECK(sync::excluded_kind(defaults, "v1", "Event"));
  CHECK(sync::excluded_kind(defaults, "metrics.k8s.io/v1beta1", "PodMetrics"));
  CHECK(sync::excluded_kind(defaults, "custom.metrics.k8s.io/v1beta1", "X"));
  CHECK(!sync::excluded_kind(defaults, "events.k8s.io/v1", "Event"));
  CHECK(!sync::excluded_kind(defaults, "apps/v1", "Deployment"));
  // Never listed, whatever the flag says.
  CHECK(sync::excluded_kind({}, "v1", "Endpoints"));
  CHECK(sync::excluded_kind({}, "v1", "ComponentStatus"));
  // A whole group-version.
  CHECK(sync::excluded_kind({"example.com/v1/"}, "example.com/v1", "Widget"));
  CHECK(!sync::excluded_kind({"example.com/v1/"}, "example.com/v2", "Widget"));
}

TEST_CASE("sync event: Flux v1's JSON, commit kinds from the job notes") {
  CHECK(sync::note_kind(R"({"jobID":"1","spec":{"type":"image"}})")
        == "release");
  CHECK(sync::note_kind(R"({"jobID":"1","spec":{"type":"auto"}})")
        == "autorelease");
  CHECK(sync::note_kind(R"({"jobID":"1","spec":{"type":"policy"}})")
        == "update_policy");
  CHECK(sync::note_kind("") == "other");
  sync::sync_event e;
  e.commits = {{"b2", "second", R"({"spec":{"type":"policy"}})"},
               {"a1", "first", ""}};
  e.changed = {"demo:deployment/a"};
  e.errors = {{"demo:deployment/b", "b.yaml", "refused"}};
  e.started = e.ended = std::chrono::system_clock::time_point{
    std::chrono::milliseconds(1700000000123)};
  auto v = json::parse(sync::event_json(e));
  CHECK(v.at("type") == "sync");
  CHECK(v.at("startedAt") == "2023-11-14T22:13:20.123Z");
  CHECK(v.at("serviceIDs").at(0) == "demo:deployment/a");
  auto& md = v.at("metadata");
  CHECK(md.at("commits").at(0).at("revision") == "b2");
  CHECK(md.at("includes").at("update_policy") == true);
  CHECK(md.at("includes").at("other") == true);
  CHECK(!md.as_object().contains("initialSync"));
  CHECK(md.at("errors").at(0).at("Path") == "b.yaml");
  e.initial = true;
  auto first = json::parse(sync::event_json(e));
  CHECK(first.at("metadata").at("initialSync") == true);
  CHECK(!first.at("metadata").as_object().contains("includes"));
}
