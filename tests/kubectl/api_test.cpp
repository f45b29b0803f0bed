/// The emulator's API semantics over plain HTTPS: status codes and Status
/// bodies, bad input, paging, watch, deletion, persistence, concurrency.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <sstream>
#include <thread>

#include "tests/kubectl/api_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd::test;
namespace json = boost::json;

namespace {

kube_emulator::options opts(std::vector<std::string> extra = {}) {
  kube_emulator::options o;
  o.extra_args = std::move(extra);
  return o;
}

const std::string cms = "/api/v1/namespaces/default/configmaps";

std::string configmap(const std::string& name, const std::string& labels = "",
                      const std::string& extra_meta = "") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name
         + "\"" + (labels.empty() ? "" : ",\"labels\":" + labels) + extra_meta
         + R"(},"data":{"a":"1"}})";
}

std::string meta(const api_client::reply& r, const char* key) {
  return std::string(r.json().at("metadata").at(key).as_string());
}

/// Reads a watch stream until `done(text so far)` or the stream ends.
std::string read_watch(api_client& c, const std::string& path,
                       const std::function<bool(const std::string&)>& done) {
  std::string text;
  c.raw().Get(path.c_str(), [&](const char* data, size_t n) {
    text.append(data, n);
    return !done(text);
  });
  return text;
}

} // namespace

TEST_CASE("bad input gets Status errors and never a crash") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};

  auto r = c.post(cms, "{\"apiVersion\":\"v1\",");
  CHECK(r.status == 400);
  CHECK(r.reason() == "BadRequest");
  CHECK(r.json().at("kind") == "Status");

  r = c.post(cms, "[1,2]");
  CHECK(r.status == 400);
  r = c.post(cms, "", "application/json");
  CHECK(r.status == 400);

  r = c.patch(cms + "/x?fieldManager=t", "apiVersion: v1\nkind: [unclosed\n",
              "application/apply-patch+yaml");
  CHECK(r.status == 400);
  r = c.patch(cms + "/x?fieldManager=t",
              "{\"a\":", "application/merge-patch+json");
  CHECK(r.status == 400);

  r = c.patch(cms + "/x", configmap("x"), "application/apply-patch+yaml");
  CHECK(r.status == 422); // apply needs a field manager

  r = c.patch(cms + "/x?fieldManager=t", configmap("x"), "text/plain");
  CHECK(r.status == 415);
  r = c.post(cms, "\x0a\x0b\x0c", "application/vnd.kubernetes.protobuf");
  CHECK(r.status == 415);

  r = c.get("/apis/example.com/v1/namespaces/default/widgets");
  CHECK(r.status == 404);
  CHECK(r.reason() == "NotFound");
  r = c.post(cms, R"({"apiVersion":"apps/v1","kind":"Deployment",
                      "metadata":{"name":"x"}})");
  CHECK(r.status == 400);
  r = c.post("/api/v1/namespaces/nope/configmaps", configmap("x"));
  CHECK(r.status == 404);
  CHECK(r.json().at("message") == "namespaces \"nope\" not found");
  r = c.post(cms, configmap("Not_Valid"));
  CHECK(r.status == 422);
  CHECK(r.reason() == "Invalid");
  CHECK(r.json().at("details").at("causes").as_array().size() == 1);
  r = c.post("/apis/apps/v1/namespaces/default/deployments",
             R"({"apiVersion":"apps/v1","kind":"Deployment",
                 "metadata":{"name":"d"},"spec":{"selector":{}}})");
  CHECK(r.status == 422);
  r = c.get(cms + "?labelSelector=a%20in%20(b");
  CHECK(r.status == 400);
  r = c.get(cms + "?continue=%21%21garbage");
  CHECK(r.status == 400);

  // Absurd nesting is refused, not recursed into.
  r = c.post(cms, std::string(5000, '[') + std::string(5000, ']'));
  CHECK(r.status == 400);
  r = c.patch(cms + "/x?fieldManager=t", "a: " + std::string(5000, '['),
              "application/apply-patch+yaml");
  CHECK(r.status == 400);

  // Still serving, and nothing of the above was stored.
  CHECK(c.get("/version").status == 200);
  r = c.get(cms);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("items").as_array().empty());
  CHECK(emu.process().running());
}

TEST_CASE("authentication: token required, /version open") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client anonymous{emu, false};
  CHECK(anonymous.get("/version").status == 200);
  auto r = anonymous.get("/api/v1/namespaces");
  CHECK(r.status == 401);
  CHECK(r.reason() == "Unauthorized");
  auto v = api_client{emu}.get("/version").json();
  CHECK(v.at("major") == "1");
  CHECK(v.at("minor") == "32");
}

TEST_CASE("create, conflict, update, generation and dry run") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  const std::string deploys = "/apis/apps/v1/namespaces/default/deployments";
  std::string d = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":1,
    "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":
    {"labels":{"app":"web"}},"spec":{"containers":[{"name":"web",
    "image":"web:1"}]}}}})";
  auto r = c.post(deploys, d);
  REQUIRE(r.status == 201);
  CHECK(r.json().at("metadata").at("generation") == 1);
  auto uid = meta(r, "uid");
  auto rv1 = meta(r, "resourceVersion");
  CHECK(c.post(deploys, d).reason() == "AlreadyExists");

  // PUT with a stale resourceVersion conflicts.
  auto stale = r.json();
  stale.at("metadata").as_object()["resourceVersion"] = "1";
  r = c.put(deploys + "/web", json::serialize(stale));
  CHECK(r.status == 409);
  CHECK(r.reason() == "Conflict");

  // A label is not a spec change; an image is.
  r = c.patch(deploys + "/web", R"({"metadata":{"labels":{"x":"y"}}})",
              "application/merge-patch+json");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("metadata").at("generation") == 1);
  CHECK(meta(r, "resourceVersion") != rv1);
  r = c.patch(deploys + "/web",
              R"({"spec":{"template":{"spec":{"containers":
                 [{"name":"web","image":"web:2"}]}}}})",
              "application/strategic-merge-patch+json");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("metadata").at("generation") == 2);
  CHECK(meta(r, "uid") == uid);
  r = c.patch(deploys + "/web",
              R"([{"op":"replace","path":"/spec/replicas","value":3}])",
              "application/json-patch+json");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("spec").at("replicas") == 3);
  r = c.get(deploys + "/web/scale");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("kind") == "Scale");
  CHECK(r.json().at("spec").at("replicas") == 3);

  // Dry run: a full answer, nothing stored.
  r = c.post(cms + "?dryRun=All", configmap("dry"));
  CHECK(r.status == 201);
  CHECK(c.get(cms + "/dry").status == 404);
  r = c.del(deploys + "/web?dryRun=All");
  CHECK(r.status == 200);
  CHECK(c.get(deploys + "/web").status == 200);
}

TEST_CASE("list paging and selectors") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  for (int i = 0; i < 5; ++i)
    REQUIRE(
        c.post(cms, configmap("cm" + std::to_string(i),
                              i % 2 ? R"({"odd":"yes"})" : R"({"odd":"no"})"))
            .status
        == 201);
  std::set<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    auto r =
        c.get(cms + "?limit=2" + (next.empty() ? "" : "&continue=" + next));
    REQUIRE(r.status == 200);
    auto list = r.json().as_object();
    CHECK(list.at("kind") == "ConfigMapList");
    for (auto& item : list.at("items").as_array())
      seen.insert(std::string(item.at("metadata").at("name").as_string()));
    auto& md = list.at("metadata").as_object();
    auto* cont = md.if_contains("continue");
    next = cont ? std::string(cont->as_string()) : "";
    if (pages == 0)
      CHECK(md.at("remainingItemCount") == 3);
    ++pages;
  } while (!next.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen.size() == 5);

  auto r = c.get(cms + "?labelSelector=odd%3Dyes");
  CHECK(r.json().at("items").as_array().size() == 2);
  r = c.get(cms + "?labelSelector=odd%20notin%20(yes),odd");
  CHECK(r.json().at("items").as_array().size() == 3);
  r = c.get(cms + "?fieldSelector=metadata.name%3Dcm3");
  CHECK(r.json().at("items").as_array().size() == 1);
  r = c.get("/api/v1/configmaps?labelSelector=%21odd");
  CHECK(r.json().at("items").as_array().empty());
}

TEST_CASE("watch: events after a resourceVersion, bookmarks, 410 Gone") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts({"--watch-cache-size", "5",
                                          "--bookmark-interval", "200ms"})};
  api_client c{emu};
  auto r = c.post(cms, configmap("w"));
  REQUIRE(r.status == 201);
  auto rv = meta(r, "resourceVersion");

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    api_client w{emu};
    w.patch(cms + "/w", R"({"data":{"a":"2"}})",
            "application/merge-patch+json");
  });
  auto text = read_watch(c,
                         cms
                             + "?watch=true&allowWatchBookmarks=true"
                               "&timeoutSeconds=20&resourceVersion="
                             + rv,
                         [](const std::string& t) {
                           return t.find("MODIFIED") != std::string::npos
                                  && t.find("BOOKMARK") != std::string::npos;
                         });
  writer.join();
  CHECK(text.find("\"type\":\"MODIFIED\"") != std::string::npos);
  CHECK(text.find("\"type\":\"BOOKMARK\"") != std::string::npos);
  CHECK(text.find("\"type\":\"ADDED\"") == std::string::npos);

  // From "0": the current objects first, as ADDED.
  text = read_watch(
      c, cms + "?watch=1&timeoutSeconds=5",
      [](const std::string& t) { return t.find('\n') != std::string::npos; });
  CHECK(text.find("\"type\":\"ADDED\"") != std::string::npos);

  // The event log keeps 5 events: an old resourceVersion is gone.
  for (int i = 0; i < 8; ++i)
    c.patch(cms + "/w", "{\"data\":{\"a\":\"" + std::to_string(i) + "\"}}",
            "application/merge-patch+json");
  text =
      read_watch(c, cms + "?watch=true&timeoutSeconds=5&resourceVersion=" + rv,
                 [](const std::string&) { return false; });
  CHECK(text.find("\"type\":\"ERROR\"") != std::string::npos);
  CHECK(text.find("\"code\":410") != std::string::npos);
  CHECK(text.find("\"reason\":\"Expired\"") != std::string::npos);

  // A resourceVersion the server has not reached yet.
  text = read_watch(c,
                    cms
                        + "?watch=true&timeoutSeconds=5&resourceVersion="
                          "999999",
                    [](const std::string&) { return false; });
  CHECK(text.find("\"code\":504") != std::string::npos);
  CHECK(text.find("ResourceVersionTooLarge") != std::string::npos);
}

TEST_CASE("watch: one event reaches every watcher of its kind, no other") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  auto rv = meta(c.get(cms), "resourceVersion");
  const std::string secrets = "/api/v1/namespaces/default/secrets";
  auto from = "?watch=true&timeoutSeconds=20&resourceVersion=" + rv;
  // Three configmap watches (one with a selector that never matches) and
  // a secret watch, all open before the writes.
  std::vector<std::string> paths = {cms + from, cms + from, secrets + from,
                                    cms + from + "&labelSelector=app%3Dnone"};
  std::vector<long> want = {2, 2, 2, 1}; // events each one waits for
  std::vector<std::string> texts(paths.size());
  std::atomic<int> open{0};
  std::vector<std::thread> watchers;
  for (size_t i = 0; i < paths.size(); ++i)
    watchers.emplace_back([&, i] {
      api_client w{emu};
      bool counted = false;
      w.raw().Get(
          paths[i].c_str(),
          [&](const httplib::Response&) {
            ++open;
            counted = true;
            return true;
          },
          [&](const char* data, size_t n) {
            texts[i].append(data, n);
            return std::count(texts[i].begin(), texts[i].end(), '\n')
                   < want[i];
          });
      if (!counted)
        ++open;
    });
  for (int i = 0; i < 500 && open < static_cast<int>(paths.size()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto cm = c.post(cms, configmap("one"));
  auto secret = c.post(secrets, R"({"apiVersion":"v1","kind":"Secret",)"
                                R"("metadata":{"name":"s"}})");
  auto cm2 = c.patch(cms + "/one", R"({"data":{"a":"2"}})",
                     "application/merge-patch+json");
  REQUIRE(cm.status == 201);
  REQUIRE(secret.status == 201);
  REQUIRE(cm2.status == 200);
  // The selector watch would wait for its timeout: end it by a write
  // that it does match.
  c.post(cms, configmap("late", R"({"app":"none"})"));
  c.post(secrets, R"({"apiVersion":"v1","kind":"Secret",)"
                  R"("metadata":{"name":"s2"}})");
  for (auto& t : watchers)
    t.join();
  // The first `n` events: a chunk that ends a watch may already carry the
  // next one (the "late" ConfigMap also reaches the unselected watches).
  auto events = [](const std::string& text, long n) {
    std::vector<json::object> out;
    std::istringstream in{text};
    for (std::string line;
         static_cast<long>(out.size()) < n && std::getline(in, line);)
      out.push_back(json::parse(line).as_object());
    return out;
  };
  auto rv_of = [](const json::object& e) {
    return e.at("object").at("metadata").at("resourceVersion");
  };
  for (int i : {0, 1}) {
    auto e = events(texts[i], want[i]);
    REQUIRE(e.size() == 2);
    CHECK(e[0].at("type") == "ADDED");
    CHECK(rv_of(e[0]) == meta(cm, "resourceVersion").c_str());
    CHECK(e[1].at("type") == "MODIFIED");
    CHECK(rv_of(e[1]) == meta(cm2, "resourceVersion").c_str());
    CHECK(e[1].at("object").at("data").at("a") == "2");
  }
  auto s = events(texts[2], want[2]);
  REQUIRE(s.size() == 2);
  CHECK(s[0].at("object").at("kind") == "Secret");
  CHECK(rv_of(s[0]) == meta(secret, "resourceVersion").c_str());
  CHECK(s[1].at("object").at("metadata").at("name") == "s2");
  auto late = events(texts[3], want[3]);
  REQUIRE(late.size() == 1);
  CHECK(late[0].at("type") == "ADDED");
  CHECK(late[0].at("object").at("metadata").at("name") == "late");
}

TEST_CASE("deletion: propagation, finalizers, namespaces") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  auto owner = c.post(cms, configmap("owner"));
  REQUIRE(owner.status == 201);
  auto ref = ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":"
             "\"ConfigMap\",\"name\":\"owner\",\"uid\":\""
             + meta(owner, "uid") + "\"}]";
  REQUIRE(c.post(cms, configmap("child", "", ref)).status == 201);
  REQUIRE(c.post(cms, configmap("orphan", "", ref)).status == 201);

  // Orphan keeps dependents, without the owner reference.
  auto r = c.del(cms + "/owner", R"({"propagationPolicy":"Orphan"})");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("status") == "Success");
  r = c.get(cms + "/orphan");
  REQUIRE(r.status == 200);
  CHECK(!r.json().at("metadata").as_object().contains("ownerReferences"));

  // Background deletes dependents.
  owner = c.post(cms, configmap("owner"));
  ref = ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":"
        "\"ConfigMap\",\"name\":\"owner\",\"uid\":\""
        + meta(owner, "uid") + "\"}]";
  c.del(cms + "/child");
  REQUIRE(c.post(cms, configmap("child", "", ref)).status == 201);
  REQUIRE(c.del(cms + "/owner", R"({"propagationPolicy":"Background"})").status
          == 200);
  CHECK(c.get(cms + "/child").status == 404);

  // A finalizer holds the object until it is removed.
  REQUIRE(c.post(cms, configmap("held", "",
                                ",\"finalizers\":[\"example.com/keep\"]"))
              .status
          == 201);
  r = c.del(cms + "/held");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("metadata").as_object().contains("deletionTimestamp"));
  CHECK(c.get(cms + "/held").status == 200);
  r = c.patch(cms + "/held", R"({"metadata":{"finalizers":null}})",
              "application/merge-patch+json");
  CHECK(r.status == 200);
  CHECK(c.get(cms + "/held").status == 404);

  // A namespace goes Terminating, refuses new content, then goes with all.
  REQUIRE(c.post("/api/v1/namespaces",
                 R"({"apiVersion":"v1","kind":"Namespace",
                     "metadata":{"name":"tmp"}})")
              .status
          == 201);
  REQUIRE(c.post("/api/v1/namespaces/tmp/configmaps", configmap("x")).status
          == 201);
  r = c.del("/api/v1/namespaces/tmp");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("status").at("phase") == "Terminating");
  CHECK(c.post("/api/v1/namespaces/tmp/configmaps", configmap("y")).status
        == 403);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = c.get("/api/v1/namespaces/tmp").status == 404;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(gone);
  CHECK(c.get("/api/v1/namespaces/tmp/configmaps/x").status == 404);
}

TEST_CASE("a restart with --state keeps objects and credentials") {
  temp_dir dir{"emu-api"};
  auto o = opts();
  o.state_dir = dir.file("state");
  kube_emulator emu{dir.file("kc"), o};
  // This client keeps its connection open across the stop: SIGTERM must
  // not wait for idle keep-alive connections (exit status 0, not a kill).
  api_client idle{emu};
  idle.raw().set_keep_alive(true);
  auto r = idle.post(cms, configmap("kept"));
  REQUIRE(r.status == 201);
  auto uid = meta(r, "uid");
  auto rv = meta(r, "resourceVersion");
  auto token = emu.token();
  CHECK(emu.stop() == 0);
  emu.restart();
  CHECK(emu.token() == token);
  api_client c{emu};
  r = c.get(cms + "/kept");
  REQUIRE(r.status == 200);
  CHECK(meta(r, "uid") == uid);
  CHECK(meta(r, "resourceVersion") == rv);
  r = c.patch(cms + "/kept", R"({"data":{"a":"2"}})",
              "application/merge-patch+json");
  CHECK(std::stoull(meta(r, "resourceVersion")) > std::stoull(rv));
}

TEST_CASE("many open watches do not starve ordinary requests") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  constexpr int watches = 64;
  std::atomic<int> started{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> watchers;
  for (int i = 0; i < watches; ++i)
    watchers.emplace_back([&] {
      api_client w{emu};
      bool counted = false;
      w.raw().Get((cms + "?watch=true&timeoutSeconds=30").c_str(),
                  [&](const char*, size_t) {
                    if (!counted)
                      ++started;
                    counted = true;
                    return !stop;
                  });
    });
  api_client c{emu};
  // Each watch sees the ADDED event of this object, so all are streaming.
  REQUIRE(c.post(cms, configmap("ping")).status == 201);
  for (int i = 0; i < 600 && started < watches; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(started == watches);
  int ok = 0;
  for (int i = 0; i < 100; ++i)
    ok += c.get(cms + "/ping").status == 200;
  CHECK(ok == 100);
  stop = true;
  // One more event ends every receiver.
  c.patch(cms + "/ping", R"({"data":{"a":"2"}})",
          "application/merge-patch+json");
  for (auto& t : watchers)
    t.join();
}

TEST_CASE("server-side apply: ownership, removal, sharing, conflicts") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  const std::string deploys = "/apis/apps/v1/namespaces/default/deployments";
  auto apply = [&](const std::string& manager, const std::string& labels,
                   const std::string& containers, bool force = false) {
    std::string body = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","labels":)"
                       + labels + R"(},"spec":{
      "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":
      {"labels":{"app":"web"}},"spec":{"containers":)"
                       + containers + "}}}}";
    return c.patch(deploys + "/web?fieldManager=" + manager
                       + (force ? "&force=true" : ""),
                   body, "application/apply-patch+yaml");
  };
  const std::string two = R"([{"name":"a","image":"a:1"},
                              {"name":"b","image":"b:1"}])";
  const std::string one = R"([{"name":"a","image":"a:1"}])";
  auto r = apply("gitops", R"({"app":"web","tier":"x"})", two);
  REQUIRE(r.status == 201);
  CHECK(r.json().at("metadata").at("managedFields").as_array().size() == 1);
  // The same apply again is a no-op: no new resourceVersion.
  // (After the simulated rollout, which writes status; and a second later,
  // so a new timestamp would show.)
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto rv = meta(c.get(deploys + "/web"), "resourceVersion");
  r = apply("gitops", R"({"app":"web","tier":"x"})", two);
  REQUIRE(r.status == 200);
  CHECK(meta(r, "resourceVersion") == rv);

  // Another writer adds a label with an Update; it is theirs.
  r = c.patch(deploys + "/web?fieldManager=ops",
              R"({"metadata":{"labels":{"owner":"ops"}}})",
              "application/merge-patch+json");
  REQUIRE(r.status == 200);

  // Dropping a label and a container from the applied config removes them;
  // the label another manager owns stays.
  r = apply("gitops", R"({"app":"web"})", one);
  REQUIRE(r.status == 200);
  auto labels = r.json().at("metadata").at("labels").as_object();
  CHECK(labels.contains("app"));
  CHECK(!labels.contains("tier"));
  CHECK(labels.contains("owner"));
  auto containers =
      r.json().at("spec").at("template").at("spec").at("containers").as_array();
  REQUIRE(containers.size() == 1);
  CHECK(containers[0].at("name") == "a");
  CHECK(r.json().at("metadata").at("generation") == 2);

  // Same value from a second applier: shared, no conflict.
  r = apply("other", R"({"app":"web"})", one);
  CHECK(r.status == 200);
  // A different value conflicts, naming the owner; force takes it over.
  r = apply("other", R"({"app":"web"})", R"([{"name":"a","image":"a:2"}])");
  REQUIRE(r.status == 409);
  CHECK(r.reason() == "Conflict");
  CHECK(std::string(r.json().at("message").as_string())
            .find("conflict with \"gitops\"")
        != std::string::npos);
  auto causes = r.json().at("details").at("causes").as_array();
  REQUIRE(causes.size() == 1);
  CHECK(causes[0].at("reason") == "FieldManagerConflict");
  CHECK(causes[0].at("field")
        == ".spec.template.spec.containers[name=\"a\"].image");
  r = apply("other", R"({"app":"web"})", R"([{"name":"a","image":"a:2"}])",
            true);
  REQUIRE(r.status == 200);
  auto forced = r.json();
  for (auto& e : forced.at("metadata").at("managedFields").as_array()) {
    auto text = json::serialize(e.at("fieldsV1"));
    bool has_image = text.find("f:image") != std::string::npos;
    CHECK(has_image == (e.at("manager") == "other"));
  }
  // An Update by someone else never conflicts.
  r = c.patch(deploys + "/web?fieldManager=ops",
              R"({"spec":{"template":{"spec":{"containers":
                 [{"name":"a","image":"a:3"}]}}}})",
              "application/strategic-merge-patch+json");
  CHECK(r.status == 200);
  r = apply("gitops", R"({"app":"web"})", one);
  CHECK(r.status == 409);
  CHECK(std::string(r.json().at("message").as_string())
            .find("\"ops\" using apps/v1")
        != std::string::npos);
}

TEST_CASE("odd bodies on every verb leave the server standing") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  const std::string deploys = "/apis/apps/v1/namespaces/default/deployments";
  REQUIRE(c.post(cms, configmap("target")).status == 201);
  REQUIRE(c.post(deploys, R"({"metadata":{"name":"target"},"spec":{
    "selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":
    {"a":"b"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}}})")
              .status
          == 201);
  const std::vector<std::string> bodies = {
      "null",
      "1",
      "\"s\"",
      "[]",
      "{}",
      "true",
      "{\"metadata\":null}",
      R"({"metadata":"x"})",
      R"({"metadata":{"name":5}})",
      R"({"metadata":{"labels":{"a":null}}})",
      R"({"metadata":{"labels":"x","annotations":[1]}})",
      R"({"metadata":{"managedFields":"x"}})",
      R"({"metadata":{"managedFields":[{"manager":1,"fieldsV1":{"k:{":{}}}]}})",
      R"({"metadata":{"ownerReferences":"x","finalizers":{}}})",
      R"({"metadata":{"resourceVersion":7,"generation":"x"}})",
      R"({"spec":null,"status":[]})",
      R"({"spec":{"replicas":"many","template":null}})",
      R"({"spec":{"template":{"spec":{"containers":[1,null,{"name":{}}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"c",
       "image":"i:crashloop","$patch":"delete"}]}}}})",
      R"({"$patch":"replace"})",
      R"({"$patch":"delete"})",
      R"({"$setElementOrder/containers":[{"name":"c"}]})",
      R"({"$deleteFromPrimitiveList/finalizers":["x"]})",
      R"([{"op":"remove","path":"/metadata"}])",
      R"([{"op":"replace","path":"","value":3}])",
      R"([{"op":"add","path":"/spec/x/y/z","value":1}])",
      R"([{"op":"move","from":"/spec","path":"/spec/child"}])",
      R"([{"op":"test","path":"/nope","value":1}, 5])",
      R"([{"op":"copy","from":"/metadata/labels/~2","path":"/a"}])",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: target}\ndata: [1]\n",
      "key: &a [*a]\n",
      "- - - -\n",
      ": :\n",
      "\t\x01\x02",
      ",\n",
      "a: b\n,\n",
      "a: &x [*x, *x]\nb: &y [*x, *x]\nc: &z [*y, *y]\n",
  };
  const std::vector<std::string> types = {
      "application/json-patch+json", "application/merge-patch+json",
      "application/strategic-merge-patch+json", "application/apply-patch+yaml"};
  for (const auto& base : {cms, deploys}) {
    for (auto& body : bodies) {
      INFO(base << " " << body);
      auto check = [&](const api_client::reply& r) {
        CHECK(r.status > 0);
        CHECK(r.status != 500);
        if (r.status >= 400)
          CHECK(r.json().at("kind") == "Status");
      };
      check(c.post(base, body));
      check(c.put(base + "/target", body));
      for (auto& t : types)
        check(c.patch(base + "/target?fieldManager=fuzz", body, t));
      check(c.patch(base + "/target/status", body,
                    "application/merge-patch+json"));
      check(c.del(base + "/other", body));
    }
  }
  CHECK(c.get("/version").status == 200);
  CHECK(emu.process().running());
}

TEST_CASE("Secrets encode stringData; immutable fields stay put") {
  temp_dir dir{"emu-api"};
  kube_emulator emu{dir.file("kc"), opts()};
  api_client c{emu};
  auto r = c.post("/api/v1/namespaces/default/secrets",
                  R"({"metadata":{"name":"s"},"stringData":{"k":"hello"}})");
  REQUIRE(r.status == 201);
  CHECK(r.json().at("data").at("k") == "aGVsbG8=");
  CHECK(r.json().at("type") == "Opaque");
  CHECK(!r.json().as_object().contains("stringData"));
  r = c.post("/api/v1/namespaces/default/secrets",
             R"({"metadata":{"name":"t"},"data":{"k":"not base64!"}})");
  CHECK(r.status == 422);

  const std::string deploys = "/apis/apps/v1/namespaces/default/deployments";
  REQUIRE(c.post(deploys, R"({"metadata":{"name":"d"},"spec":{
    "selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":
    {"a":"b","c":"d"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}}})")
              .status
          == 201);
  r = c.patch(deploys + "/d",
              R"({"spec":{"selector":{"matchLabels":{"c":"d"}}}})",
              "application/merge-patch+json");
  CHECK(r.status == 422);
  CHECK(
      std::string(r.json().at("message").as_string()).find("field is immutable")
      != std::string::npos);
}
