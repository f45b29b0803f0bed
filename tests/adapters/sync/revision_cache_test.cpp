#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "adapters/sync/revision_cache.hpp"

using namespace fluxd;
namespace json = boost::json;

namespace {

const std::string set_name = "test-set";

/// Everything a prepare returns, as text: equal texts, equal results.
std::string render(const sync::prepared& p) {
  std::ostringstream out;
  for (const auto& d : p.resources)
    out << "resource " << d.id << " | " << d.api_version << " | " << d.kind
        << " | " << d.ns << " | " << d.name << " | " << d.source << " | "
        << d.checksum << " | " << d.rank << " | " << d.ignore_in_file
        << " | " << d.object << "\n";
  for (const auto& e : p.errors)
    out << "error " << e.to_string() << "\n";
  for (const auto& w : p.warnings)
    out << "warning " << w << "\n";
  for (const auto& x : p.excluded)
    out << "excluded " << x << "\n";
  return out.str();
}

/// What API discovery knows, changed between loads as a CRD would.
struct discovery {
  std::map<std::string, std::optional<bool>> kinds;
  manifests::scope_fn fn() const {
    return [this](const std::string&,
                  const std::string& kind) -> std::optional<bool> {
      auto it = kinds.find(kind);
      if (it != kinds.end())
        return it->second;
      return manifests::default_scope("", kind);
    };
  }
};

std::string workload(int shape, const std::string& name,
                     const std::string& ns) {
  std::string meta = "metadata:\n  name: " + name + "\n"
                     + (ns.empty() ? "" : "  namespace: " + ns + "\n");
  switch (shape % 4) {
  case 0:
    return "apiVersion: apps/v1\nkind: Deployment\n" + meta
           + "spec:\n  replicas: 1\n  template:\n    spec:\n"
             "      containers:\n      - name: app\n"
             "        image: registry.example.com/web:1.0\n";
  case 1:
    return "apiVersion: v1\nkind: ConfigMap\n" + meta
           + "data:\n  key: value\n";
  case 2:
    return "apiVersion: v1\nkind: Service\n" + meta
           + "spec:\n  ports:\n  - port: 80\n    targetPort: 8080\n";
  default:
    return "apiVersion: example.com/v1\nkind: Widget\n" + meta
           + "spec:\n  size: 3\n";
  }
}

/// A random file of one of the shapes the cross-file rules care about.
/// Names come from a small pool so IDs collide across files.
std::string random_file(std::mt19937& g) {
  auto pick = [&](int n) { return static_cast<int>(g() % n); };
  auto name = [&] { return "n" + std::to_string(pick(8)); };
  auto ns = [&] {
    static const char* pool[] = {"", "", "bench", "team"};
    return std::string(pool[pick(4)]);
  };
  switch (pick(16)) {
  case 0: case 1: case 2: case 3:
    return workload(pick(4), name(), ns());
  case 4:
    return workload(pick(4), name(), ns()) + "---\n"
           + workload(pick(4), name(), ns());
  case 5:
    return "apiVersion: v1\nkind: List\nitems:\n"
           "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: "
           + name() + "\n- apiVersion: v1\n  kind: Secret\n"
           "  metadata: {name: " + name() + ", namespace: team}\n";
  case 6: {
    static const char* broken[] = {
      "apiVersion: v1\nkind: Service\nmetadata:\n\tname: tabbed\n",
      "--- just a string\n", "kind: [\n", "kind: List\nitems: 3\n"};
    return broken[pick(4)];
  }
  case 7:
    return "apiVersion: apiextensions.k8s.io/v1\n"
           "kind: CustomResourceDefinition\nmetadata:\n"
           "  name: widgets.example.com\nspec:\n  group: example.com\n"
           "  scope: " + std::string(pick(2) ? "Cluster" : "Namespaced")
           + "\n  names:\n    kind: Widget\n";
  case 8:
    return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "
           + std::string(pick(2) ? "team" : "bench")
           + "\n---\napiVersion: rbac.authorization.k8s.io/v1\n"
             "kind: ClusterRole\nmetadata:\n  name: " + name() + "\n";
  case 9:
    return "apiVersion: other.io/v1\nkind: Mystery\nmetadata:\n  name: "
           + name() + "\n";
  case 10: // JSON cannot hold it: an error of prepare, not of the file
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name()
           + "\ndata:\n  x: .inf\n";
  case 11: // over the size limit of the test's load options
    return workload(0, name(), "") + "# " + std::string(3000, 'x') + "\n";
  case 12:
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: "
           + name() + "\n  annotations:\n    fluxcd.io/ignore: \""
           + (pick(2) ? "true" : "sync_only") + "\"\nspec: {}\n";
  case 13:
    return pick(2) ? "# only a comment\n" : "---\nfoo: bar\n";
  case 14:
    return "base: &b {replicas: 2, paused: no}\n---\napiVersion: apps/v1\n"
           "kind: Deployment\nmetadata: {name: " + name()
           + "}\nspec:\n  <<: *b\n  replicas: 1\n";
  default:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name()
           + "\ndata: {a: 1.5, b: 0755, c: yes, d: 1e3, e: -0.0,"
             " f: 18446744073709551615, g: \"\\u00e9\", h: ~, i: 1_000}\n";
  }
}

std::string random_path(std::mt19937& g) {
  static const char* dirs[] = {"", "apps/", "apps/sub/", "base/"};
  auto path = std::string(dirs[g() % 4]) + "f" + std::to_string(g() % 12);
  return path + (g() % 5 ? ".yaml" : ".yml");
}

} // namespace

TEST_CASE("every revision loaded through the cache equals a full load") {
  const std::vector<std::string> rules = {
    "resource", "error", "duplicate definition", "warning", "excluded",
    "larger than", "<cluster>:widget", "team:widget", "cannot be represented"};
  std::map<std::string, int> seen; // which rules the revisions exercised
  for (unsigned seed = 1; seed <= 8; ++seed) {
    // Odd seeds on one thread, even ones on three; every other one has
    // the automation's files() parse some revisions first, making forms
    // for a guessed namespace.
    const unsigned threads = seed % 2 ? 1 : 3;
    const bool automation = seed % 4 >= 2;
    INFO("seed " << seed << ", " << threads << " threads, automation "
                 << automation);
    std::mt19937 g(seed);
    auto pick = [&](int n) { return static_cast<int>(g() % n); };
    discovery disco;
    manifests::load_options opts;
    opts.scope = disco.fn();
    opts.lim.max_file_bytes = 2048;
    sync::revision_cache cache(set_name, threads);
    if (automation)
      cache.premake_for("team");

    manifests::file_map files = {{"README.md", "not yaml: {{{\n"}};
    for (int i = 0; i < 15; ++i)
      files[random_path(g)] = random_file(g);
    for (int rev = 0; rev < 40; ++rev) {
      INFO("revision " << rev);
      for (int changes = pick(5); changes > 0; --changes) {
        auto at = std::next(files.begin(), pick(int(files.size())));
        switch (pick(6)) {
        case 0: case 1: // a new file, or new content for a path
          files[random_path(g)] = random_file(g);
          break;
        case 2:
          at->second = random_file(g);
          break;
        case 3:
          files.erase(at);
          break;
        case 4: { // a rename: same content, another path
          auto text = at->second;
          files.erase(at);
          files[random_path(g)] = text;
          break;
        }
        default: // a Helm chart appears or goes; its files never load
          if (files.count("apps/chart/Chart.yaml")) {
            files.erase("apps/chart/Chart.yaml");
          } else {
            files["apps/chart/Chart.yaml"] = "name: chart\n";
            files["apps/chart/values.yaml"] = "replicas: 1\n";
            files["apps/chart/templates/d.yaml"] = workload(0, "chart", "");
          }
        }
      }
      if (pick(4) == 0) { // the flags or discovery differ on this load
        static const char* namespaces[] = {"default", "team"};
        opts.default_namespace = namespaces[pick(2)];
        static const std::vector<std::vector<std::string>> allowed = {
          {}, {}, {"bench", "default"}, {"team"}};
        opts.allow_namespaces = allowed[pick(4)];
        static const std::vector<std::vector<std::string>> paths = {
          {}, {}, {"apps"}, {"apps/sub", "base"}};
        opts.paths = paths[pick(4)];
        static const std::optional<bool> scopes[] = {std::nullopt, true,
                                                     false};
        disco.kinds["Widget"] = scopes[pick(3)];
        disco.kinds["Mystery"] = scopes[pick(3)];
      }
      if (automation && pick(2))
        cache.files(files, opts);
      auto cached = render(cache.prepare(files, opts));
      auto full = render(sync::prepare_all(files, opts, set_name));
      REQUIRE(cached == full);
      for (const auto& what : rules)
        if (full.find(what) != std::string::npos)
          ++seen[what];
    }
  }
  // The generator reached every rule the cache must keep.
  for (const auto& what : rules) {
    INFO(what);
    CHECK(seen[what] > 0);
  }
}

TEST_CASE("only files whose content changed are parsed again") {
  manifests::file_map files;
  for (int i = 0; i < 5; ++i)
    files["f" + std::to_string(i) + ".yaml"] =
      workload(0, "w" + std::to_string(i), "");
  files["notes.txt"] = "not a manifest\n";
  sync::revision_cache cache(set_name);
  manifests::load_options opts;

  cache.prepare(files, opts);
  auto s = cache.stats();
  CHECK(s.parsed == 5);
  CHECK(s.reused == 0);
  CHECK(s.files == 5);
  CHECK(s.bytes > 0);

  cache.prepare(files, opts); // a resync of the same revision
  s = cache.stats();
  CHECK(s.parsed == 5);
  CHECK(s.reused == 5);

  files["f1.yaml"] = workload(0, "w1", "team"); // changed
  files.erase("f2.yaml");                        // removed
  files["f9.yaml"] = workload(1, "w9", "");      // added
  auto p = cache.prepare(files, opts);
  s = cache.stats();
  CHECK(s.parsed == 7);  // f1 and f9
  CHECK(s.reused == 8);  // f0, f3, f4
  CHECK(s.files == 5);   // f2 dropped
  CHECK(render(p) == render(sync::prepare_all(files, opts, set_name)));

  // A file that comes back is parsed again: its entry was dropped.
  files["f2.yaml"] = workload(0, "w2", "");
  cache.prepare(files, opts);
  CHECK(cache.stats().parsed == 8);

  // Same content under another path is another file (errors name paths).
  files["moved.yaml"] = files["f3.yaml"];
  files.erase("f3.yaml");
  cache.prepare(files, opts);
  CHECK(cache.stats().parsed == 9);

  // Other limits parse differently: everything again.
  opts.lim.max_nodes = 100;
  cache.prepare(files, opts);
  CHECK(cache.stats().parsed == 15);
}

TEST_CASE("a scope that discovery learns or changes applies on the next load") {
  manifests::file_map files = {
    {"w.yaml", workload(3, "w", "team")},
    {"d.yaml", workload(0, "d", "")},
  };
  discovery disco;
  manifests::load_options opts;
  opts.scope = disco.fn();
  sync::revision_cache cache(set_name);

  auto before = cache.prepare(files, opts);
  CHECK(before.warnings
        == std::vector<std::string>{
          "w.yaml:1: cannot find scope of resource Widget/w"});
  CHECK(before.resources.size() == 1);

  disco.kinds["Widget"] = true; // its CRD was applied
  auto after = cache.prepare(files, opts);
  CHECK(after.warnings.empty());
  REQUIRE(after.resources.size() == 2);
  CHECK(after.resources[1].id == "team:widget/w");

  disco.kinds["Widget"] = false; // and replaced by a cluster-scoped one
  auto cluster = cache.prepare(files, opts);
  REQUIRE(cluster.resources.size() == 2);
  CHECK(cluster.resources[1].id == "<cluster>:widget/w");
  auto object = json::parse(cluster.resources[1].object);
  CHECK(!object.at("metadata").as_object().contains("namespace"));
  CHECK(render(cluster) == render(sync::prepare_all(files, opts, set_name)));
  // An object is kept as prepared for one namespace: w.yaml was parsed
  // again when its object was first prepared, and when its scope changed.
  CHECK(cache.stats().parsed == 4);
  cache.prepare(files, opts);
  CHECK(cache.stats().parsed == 4);
}

TEST_CASE("threads sharing a cache each get their revision") {
  manifests::file_map a, b;
  std::mt19937 g(7);
  for (int i = 0; i < 20; ++i) {
    auto path = "f" + std::to_string(i) + ".yaml";
    a[path] = workload(i, "a" + std::to_string(i), "");
    b[path] = i % 3 ? a[path] : random_file(g);
  }
  manifests::load_options opts;
  auto want_a = render(sync::prepare_all(a, opts, set_name));
  auto want_b = render(sync::prepare_all(b, opts, set_name));
  sync::revision_cache cache(set_name);
  std::atomic<int> wrong{0};
  auto run = [&](const manifests::file_map& files, const std::string& want) {
    for (int i = 0; i < 25; ++i)
      if (render(cache.prepare(files, opts)) != want)
        ++wrong;
  };
  std::thread t1(run, std::cref(a), std::cref(want_a));
  std::thread t2(run, std::cref(b), std::cref(want_b));
  t1.join();
  t2.join();
  CHECK(wrong == 0);
  CHECK(cache.stats().parsed + cache.stats().reused == 20 * 50);
}

namespace {

/// sync_bench's shapes, many files: enough for every thread to take some.
manifests::file_map many_files(int n) {
  manifests::file_map files;
  for (int i = 0; i < n; ++i)
    files["r" + std::to_string(i) + ".yaml"] =
      workload(i % 3, "r" + std::to_string(i), i % 2 ? "bench" : "");
  files["broken.yaml"] = "kind: [\n";
  return files;
}

} // namespace

TEST_CASE("files parsed on threads give a full load's results, in order") {
  auto files = many_files(300);
  std::mt19937 g(11);
  for (int i = 0; i < 40; ++i) // errors and duplicates among them
    files["x" + std::to_string(i) + ".yaml"] = random_file(g);
  discovery disco;
  manifests::load_options opts;
  opts.scope = disco.fn();
  auto want = render(sync::prepare_all(files, opts, set_name));
  for (unsigned threads : {2u, 4u}) {
    sync::revision_cache cache(set_name, threads);
    CHECK(render(cache.prepare(files, opts)) == want);
    CHECK(cache.stats().parsed == 341);
  }
}

TEST_CASE("the automation's parse serves the sync, which parses nothing") {
  auto files = many_files(200);
  discovery disco;
  manifests::load_options opts;
  opts.scope = disco.fn();
  opts.default_namespace = "team";
  sync::revision_cache cache(set_name, 2);
  cache.premake_for("team");
  auto cached = cache.files(files, opts);
  REQUIRE(cached.size() == 201);
  CHECK(cached[0]->file.path == "broken.yaml");
  CHECK(cache.stats().parsed == 201);
  CHECK(render(cache.prepare(files, opts))
        == render(sync::prepare_all(files, opts, set_name)));
  CHECK(cache.stats().parsed == 201);

  // Another default namespace than the automation guessed: the files whose
  // objects have none are parsed again for the sync, the others are not.
  sync::revision_cache other(set_name, 2);
  other.premake_for("default");
  other.files(files, opts);
  CHECK(render(other.prepare(files, opts))
        == render(sync::prepare_all(files, opts, set_name)));
  CHECK(other.stats().parsed == 201 + 100);
}

TEST_CASE("a file another call is parsing is waited for, not parsed again") {
  auto files = many_files(200);
  manifests::load_options opts;
  opts.scope = manifests::default_scope;
  auto want = render(sync::prepare_all(files, opts, set_name));
  std::mutex mutex;
  std::condition_variable cv;
  bool entered = false, released = false;
  // The sync's scope holds its call while it has claimed every file.
  opts.scope = [&](const std::string&, const std::string& kind) {
    std::unique_lock lock(mutex);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    return manifests::default_scope("", kind);
  };
  sync::revision_cache cache(set_name, 2);
  cache.premake_for(opts.default_namespace);
  std::string got;
  std::thread sync([&] { got = render(cache.prepare(files, opts)); });
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return entered; });
  }
  sync::cached_files automation;
  std::thread waiter([&] { automation = cache.files(files, opts); });
  // Until the automation found the files in flight (bounded: if it never
  // waits, the checks below fail instead of the test hanging).
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (cache.stats().waiting == 0
         && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  cv.notify_all();
  sync.join();
  waiter.join();
  CHECK(got == want);
  auto s = cache.stats();
  CHECK(s.parsed == 201); // once each, for both
  // All but broken.yaml (no object, so no scope asked) may have landed.
  CHECK(s.waited >= 200);
  CHECK(s.reused == 201);
  CHECK(s.waiting == 0);
  REQUIRE(automation.size() == 201);
  CHECK(automation[1]->file.objects.at(0).name == "r0");
  CHECK(automation[1]->containers.at(0).at(0).image.tag == "1.0");
}

TEST_CASE("a scope that throws fails the cache's load as a full load") {
  auto files = many_files(20);
  files["w.yaml"] = workload(3, "w", "team");
  manifests::load_options opts;
  opts.scope = [](const std::string&,
                  const std::string& kind) -> std::optional<bool> {
    if (kind == "Widget")
      throw std::runtime_error("discovery failed");
    return manifests::default_scope("", kind);
  };
  CHECK_THROWS_WITH(sync::prepare_all(files, opts, set_name),
                    "discovery failed");
  sync::revision_cache cache(set_name, 3);
  CHECK_THROWS_WITH(cache.prepare(files, opts), "discovery failed");
}
