#include "adapters/release/automation.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace fluxd;
using namespace fluxd::release;
using std::chrono::hours;

namespace {

std::string deployment(const std::string& name, const std::string& ann,
                       const std::string& image) {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " +
         name + "\n  namespace: default\n  annotations:\n" + ann +
         "spec:\n  template:\n    spec:\n      containers:\n"
         "      - name: app\n        image: " + image + "\n";
}

const std::string automated = "    fluxcd.io/automated: \"true\"\n";

manifests::load_result git(const manifests::file_map& f) {
  return manifests::load(f, {});
}

std::chrono::system_clock::time_point at(int h) {
  return std::chrono::system_clock::time_point{} + hours(1000 + h);
}

} // namespace

TEST_CASE("only automated, unlocked, not ignored workloads are candidates") {
  manifests::file_map f;
  f["a.yaml"] = deployment("auto", automated, "repo/app:1");
  f["b.yaml"] = deployment(
    "locked", automated + "    fluxcd.io/locked: \"true\"\n", "repo/app:1");
  f["c.yaml"] = deployment(
    "ignored", automated + "    fluxcd.io/ignore: \"true\"\n", "repo/app:1");
  f["d.yaml"] = deployment("manual", "    x: y\n", "repo/app:1");
  f["e.yaml"] = deployment("off", "    fluxcd.io/automated: \"false\"\n",
                           "repo/app:1");
  f["f.yaml"] = deployment(
    "filtered", automated + "    fluxcd.io/tag.app: semver:~1\n",
    "repo/app:1");
  auto cs = automated_containers(git(f));
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].workload == "default:deployment/auto");
  CHECK(cs[0].pattern == "glob:*");
  CHECK(cs[1].workload == "default:deployment/filtered");
  CHECK(cs[1].pattern == "semver:~1");
  CHECK(automated_repositories(cs) ==
        std::set<std::string>{"index.docker.io/repo/app"});

  image_index images;
  images["index.docker.io/repo/app"] = {
    {"1", "1.1", "2.0"}, {{"1", at(0)}, {"1.1", at(1)}, {"2.0", at(2)}}};
  auto check = calculate_changes(cs, images);
  REQUIRE(check.changes.changes.size() == 2);
  CHECK(check.changes.changes[0].image == "repo/app:2.0");
  CHECK(check.changes.changes[0].current == "repo/app:1");
  CHECK(check.changes.changes[1].image == "repo/app:1.1");
}

TEST_CASE("calculateChanges rules (§9.2, §14.5)") {
  auto one = [](std::string pattern, std::string current) {
    return std::vector<automated_container>{
      {"default:deployment/w", "app", image::parse_ref(current), pattern}};
  };
  image_index images;
  auto& repo = images["index.docker.io/repo/app"];
  repo.tags = {"1", "2", "3"};
  repo.created = {{"1", at(0)}, {"2", at(2)}, {"3", at(1)}};

  // Newest by time, not by name.
  auto c = calculate_changes(one("glob:*", "repo/app:1"), images);
  REQUIRE(c.changes.changes.size() == 1);
  CHECK(c.changes.changes[0].image == "repo/app:2");
  // Already there: nothing.
  CHECK(calculate_changes(one("glob:*", "repo/app:2"), images)
          .changes.changes.empty());
  // Semver: highest version although oldest.
  c = calculate_changes(one("semver:*", "repo/app:1"), images);
  REQUIRE(c.changes.changes.size() == 1);
  CHECK(c.changes.changes[0].image == "repo/app:3");
  // A repository nobody has scanned: nothing, no noise.
  auto none = calculate_changes(one("glob:*", "other/x:1"), images);
  CHECK(none.changes.changes.empty());
  CHECK(none.warnings.empty());

  // A filtered tag without metadata stops time orderings only.
  auto partial = images;
  partial["index.docker.io/repo/app"].created.erase("3");
  auto w = calculate_changes(one("glob:*", "repo/app:1"), partial);
  CHECK(w.changes.changes.empty());
  REQUIRE(w.warnings.size() == 1);
  CHECK(w.warnings[0].find("missing metadata for image tag \"3\"") !=
        std::string::npos);
  CHECK(calculate_changes(one("semver:*", "repo/app:1"), partial)
          .changes.changes.size() == 1);
  // Excluded tags may lack metadata harmlessly.
  CHECK(calculate_changes(one("glob:1*", "repo/app:2"), partial)
          .changes.changes.size() == 1);

  // Zero timestamps skip time orderings, not semver.
  auto zero = images;
  zero["index.docker.io/repo/app"].created["1"] = {};
  auto z = calculate_changes(one("glob:*", "repo/app:1"), zero);
  CHECK(z.changes.changes.empty());
  CHECK(z.warnings.at(0).find("zero created timestamp") != std::string::npos);
  CHECK(calculate_changes(one("semver:*", "repo/app:1"), zero)
          .changes.changes.size() == 1);

  // A current tag outside the filter moves to the newest matching one.
  c = calculate_changes(one("glob:3", "repo/app:1"), images);
  REQUIRE(c.changes.changes.size() == 1);
  CHECK(c.changes.changes[0].image == "repo/app:3");
}

TEST_CASE("a kept newest_cache serves repositories that did not change and "
          "works out again the ones forgotten") {
  std::vector<automated_container> cs{
    {"default:deployment/a", "app", image::parse_ref("repo/app:1"),
     "semver:*"},
    {"default:deployment/b", "app", image::parse_ref("repo/other:1"),
     "semver:*"}};
  image_index images;
  images["index.docker.io/repo/app"] = {{"1", "2"}, {}};
  images["index.docker.io/repo/other"] = {{"1"}, {}};
  newest_cache known;
  auto c = calculate_changes(cs, images, known);
  REQUIRE(c.changes.changes.size() == 1);
  CHECK(c.changes.changes[0].image == "repo/app:2");
  CHECK(known.by_filter.size() == 2);

  // New tags in both; only `other` is said to have changed: `app` keeps
  // what was worked out (the check trusts the cache), `other` moves on.
  images["index.docker.io/repo/app"].tags.push_back("3");
  images["index.docker.io/repo/other"].tags.push_back("4");
  known.forget("index.docker.io/repo/other");
  CHECK(known.by_filter.size() == 1);
  c = calculate_changes(cs, images, known);
  REQUIRE(c.changes.changes.size() == 2);
  CHECK(c.changes.changes[0].image == "repo/app:2");
  CHECK(c.changes.changes[1].image == "repo/other:4");
  known.forget("index.docker.io/repo/app");
  c = calculate_changes(cs, images, known);
  REQUIRE(c.changes.changes.size() == 2);
  CHECK(c.changes.changes[0].image == "repo/app:3");
}

TEST_CASE("a summary keeps workloads, their policies and containers only") {
  manifests::file_map f;
  f["a.yaml"] = deployment("auto", automated + "    other: x\n",
                           "repo/app:1");
  f["s.yaml"] = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
                "  namespace: default\n";
  auto s = summarize(git(f));
  CHECK(s.resources == 2);
  REQUIRE(s.workloads.size() == 1);
  auto& w = s.workloads[0];
  CHECK(w.id == "default:deployment/auto");
  CHECK(w.policies == manifests::policy_set{{"automated", "true"}});
  REQUIRE(w.containers.size() == 1);
  CHECK(w.containers[0].name == "app");
  CHECK(w.containers[0].image == image::parse_ref("repo/app:1"));
  // The same candidates from the summary as from the load.
  auto cs = automated_containers(s.workloads);
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].current.to_string() == "repo/app:1");
}

TEST_CASE("a summary from the files equals the one from a load") {
  manifests::file_map f;
  f["a.yaml"] = deployment("auto", automated, "repo/app:1") +
                deployment("two", "    x: y\n", "repo/other:2");
  // A duplicate: the later file's definition is dropped.
  f["b.yaml"] = deployment("auto", automated, "repo/app:9");
  f["broken.yaml"] = "kind: [\n";
  f["chart/Chart.yaml"] = "name: c\n";
  f["chart/values.yaml"] = "image: repo/c:1\n";
  f["chart/templates/d.yaml"] = deployment("in-chart", "", "repo/c:1");
  f["other/ns.yaml"] = deployment("elsewhere", "", "repo/e:1");
  manifests::load_options opts;
  opts.allow_namespaces = {"default"};
  auto from_load = summarize(manifests::load(f, opts));
  auto from_files = summarize(f, opts);
  CHECK(from_files.resources == from_load.resources);
  REQUIRE(from_files.workloads.size() == from_load.workloads.size());
  CHECK(from_files.workloads.size() == 3);
  for (std::size_t i = 0; i < from_load.workloads.size(); ++i) {
    auto& a = from_files.workloads[i];
    auto& b = from_load.workloads[i];
    CHECK(a.id == b.id);
    CHECK(a.policies == b.policies);
    REQUIRE(a.containers.size() == b.containers.size());
    for (std::size_t c = 0; c < a.containers.size(); ++c) {
      CHECK(a.containers[c].name == b.containers[c].name);
      CHECK(a.containers[c].image == b.containers[c].image);
    }
  }
  CHECK(from_files.workloads[0].containers[0].image.tag == "1");
}

namespace {

/// Everything a summary holds, as text: equal texts, equal summaries.
std::string render(const git_summary& s) {
  std::string out = "resources " + std::to_string(s.resources) + "\n";
  for (auto& w : s.workloads) {
    out += w.id + " |";
    for (auto& [k, v] : w.policies)
      out += " " + k + "=" + v;
    for (auto& c : w.containers)
      out += " | " + c.name + " " + c.image.to_string() + " "
             + c.image.domain + " " + c.image.path;
    out += "\n";
  }
  return out;
}

/// A random file among the shapes a summary cares about; names from a
/// small pool so IDs collide across files.
std::string random_file(std::mt19937& g) {
  auto pick = [&](int n) { return static_cast<int>(g() % n); };
  auto name = [&] { return "w" + std::to_string(pick(6)); };
  auto image = [&] {
    static const char* images[] = {"repo/app:1", "repo/app@sha256:" \
      "0000000000000000000000000000000000000000000000000000000000000000",
      "registry.example.com:5000/team/web:2.1", "alpine", ":bad:"};
    return std::string(images[pick(5)]);
  };
  auto ann = [&] {
    static const char* anns[] = {
      "    x: y\n", "    fluxcd.io/automated: \"true\"\n",
      "    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.app: semver:~1\n",
      "    fluxcd.io/locked: \"true\"\n"};
    return std::string(anns[pick(4)]);
  };
  switch (pick(9)) {
  case 0: case 1: case 2:
    return deployment(name(), ann(), image());
  case 3:
    return deployment(name(), ann(), image())
           + deployment(name(), ann(), image());
  case 4:
    return "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: "
           + name() + "\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
           "        spec:\n          initContainers:\n          - name: i\n"
           "            image: " + image() + "\n          containers:\n"
           "          - name: c\n            image: " + image() + "\n";
  case 5:
    return "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n"
           "  kind: DaemonSet\n  metadata: {name: " + name()
           + ", namespace: team}\n  spec: {template: {spec: {containers: "
             "[{name: d, image: '" + image() + "'}]}}}\n";
  case 6:
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name()
           + "\n";
  case 7:
    return pick(2) ? "kind: [\n" : "# nothing\n";
  default:
    return "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: "
           + name() + "\n";
  }
}

} // namespace

TEST_CASE("a summary from a shared cache equals one from the files") {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    std::mt19937 g(seed);
    auto pick = [&](int n) { return static_cast<int>(g() % n); };
    // The sync shares the cache on even seeds, with its own options.
    const bool with_sync = seed % 2 == 0;
    sync::revision_cache cache("set", seed % 3 + 1);
    manifests::load_options sync_opts;
    sync_opts.scope = manifests::default_scope;
    sync_opts.default_namespace = seed % 4 ? "default" : "team";
    if (with_sync)
      cache.premake_for(sync_opts.default_namespace);
    manifests::load_options opts;
    manifests::file_map files = {{"README.md", "no yaml\n"}};
    for (int i = 0; i < 12; ++i)
      files["f" + std::to_string(pick(16)) + ".yaml"] = random_file(g);
    for (int rev = 0; rev < 30; ++rev) {
      INFO("revision " << rev);
      for (int changes = pick(4); changes > 0; --changes) {
        auto path = "f" + std::to_string(pick(16)) + ".yaml";
        if (pick(4) == 0)
          files.erase(path);
        else
          files[path] = random_file(g);
      }
      if (pick(5) == 0) {
        static const std::vector<std::vector<std::string>> allowed = {
          {}, {"team"}};
        opts.allow_namespaces = allowed[pick(2)];
        opts.default_namespace = pick(2) ? "default" : "team";
      }
      if (with_sync && pick(2))
        cache.prepare(files, sync_opts);
      auto want = render(summarize(files, opts));
      CHECK(render(summarize(cache, files, opts)) == want);
      if (with_sync && pick(2))
        cache.prepare(files, sync_opts);
    }
    CHECK(cache.stats().reused > 0);
  }
}
