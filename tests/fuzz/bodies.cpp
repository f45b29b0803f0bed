#include "tests/fuzz/bodies.hpp"

#include <string>

#include <re2/re2.h>

#include "adapters/image/ref.hpp"
#include "adapters/image/semver.hpp"
#include "adapters/image/tag_filter.hpp"
#include "adapters/manifests/editor.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::fuzz {

namespace m = fluxd::manifests;

namespace {

void require(bool ok, const std::string& what) {
  if (!ok)
    throw violation(what);
}

/// Small limits keep every run fast; they are part of what is tested.
m::limits fuzz_limits() {
  m::limits lim;
  lim.max_file_bytes = 64u << 10;
  lim.max_nodes = 20'000;
  return lim;
}

/// Only the project's typed errors may escape an adapter call.
template <class F>
bool expected_failure(F&& f) {
  try {
    f();
    return false;
  } catch (const m::manifest_error&) {
  } catch (const image::ref_error&) {
  } catch (const image::pattern_error&) {
  } catch (const image::semver::constraint_error&) {
  } catch (const violation&) {
    throw;
  } catch (const std::exception& e) {
    throw violation(std::string("unexpected exception: ") + e.what());
  }
  return true;
}

std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

} // namespace

void image_ref(const std::uint8_t* data, std::size_t size) {
  auto text = text_of(data, size);
  // Flux v1's grammar is loose (it takes `a//b:c:d`-like oddities apart in
  // ways that do not round-trip), so the exact properties are checked on
  // references Docker itself would accept; the rest must merely not crash.
  static const RE2 docker_ref(
    "((localhost|[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?"
    "(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+)(:[0-9]+)?/)?"
    "[a-z0-9._-]+(/[a-z0-9._-]+)*"
    "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})?");
  bool sane = RE2::FullMatch(text, docker_ref);
  bool failed = expected_failure([&] {
    auto r = image::parse_ref(text);
    (void)r.canonical_ref();
    if (!sane)
      return;
    require(r.to_string() == text, "spelling not kept: " + text);
    require(image::parse_ref(r.to_string()) == r, "no round trip: " + text);
    require(r.canonical_name().find("index.docker.io/index.docker.io") != 0,
            "double registry: " + text);
    auto moved = r.with_tag("v1");
    require(image::parse_ref(moved.to_string()).tag == "v1",
            "with_tag does not round-trip: " + text);
  });
  require(!(sane && failed), "a valid reference was refused: " + text);
  image::tag_filter f(text);
  (void)f.admits(text);
  (void)f.to_string();
  image::semver::parse_version(text);
  expected_failure([&] {
    image::semver::constraints c(text);
    if (auto v = image::semver::parse_version("1.2.3"))
      (void)c.check(*v);
  });
  std::vector<image::candidate> cs;
  for (const char* t : {"1.0", "latest", "v2", "abc", "10"})
    cs.push_back({image::parse_ref(std::string("img:") + t), {}});
  auto sorted = f.filter_and_sort(cs);
  for (std::size_t i = 1; i < sorted.size(); ++i)
    require(!f.newer(sorted[i], sorted[i - 1]), "sort is not ordered");
}

void loader(const std::uint8_t* data, std::size_t size) {
  auto text = text_of(data, size);
  m::load_options opts;
  opts.lim = fuzz_limits();
  m::load_result r;
  expected_failure([&] { r = m::load({{"fuzz.yaml", text}}, opts); });
  for (const auto& entry : r.resources) {
    const auto& res = entry.second;
    require(!entry.first.empty() && res.source == "fuzz.yaml",
            "bad resource " + entry.first);
    expected_failure([&] { (void)m::containers_of(res.node); });
  }
}

void editor(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return;
  int op = data[0] % 4;
  auto text = text_of(data + 1, size - 1);
  m::load_options opts;
  opts.lim = fuzz_limits();
  m::load_result before;
  if (expected_failure([&] { before = m::load({{"f.yaml", text}}, opts); })
      || !before.errors.empty() || before.resources.empty())
    return;
  const auto& target = before.resources.begin()->second;
  auto t = m::target_of(target);
  std::string after;
  std::string container;
  bool edited = !expected_failure([&] {
    switch (op) {
      case 0: {
        auto w = m::containers_of(target.node);
        if (w.containers.empty())
          throw m::manifest_error("no containers");
        container = w.containers.front().name;
        after = m::set_container_image(text, t, container,
                                       image::parse_ref("fuzz/img:1"));
        break;
      }
      case 1:
        after = m::set_annotations(text, t, {{"fluxcd.io/automated", "true"}},
                                   opts.lim);
        break;
      case 2:
        after = m::set_annotations(text, t,
                                   {{"fluxcd.io/automated", std::nullopt}},
                                   opts.lim);
        break;
      default:
        after = m::update_policies(text, t,
                                   {{{"locked", "true"},
                                     {"locked_msg", "a: 'b' # c\n\"d\""}},
                                    {}},
                                   opts.lim);
    }
  });
  if (!edited)
    return;
  m::load_result reloaded;
  require(!expected_failure([&] {
            reloaded = m::load({{"f.yaml", after}}, opts);
          }) && reloaded.errors.empty(),
          "edited file does not load");
  require(reloaded.resources.size() == before.resources.size(),
          "edit changed the set of resources");
  for (const auto& [id, res] : before.resources) {
    auto it = reloaded.resources.find(id);
    require(it != reloaded.resources.end(), "edit lost " + id);
    if (id != target.id)
      require(YAML::Dump(res.node) == YAML::Dump(it->second.node),
              "edit changed another resource: " + id);
  }
  if (op == 0) {
    bool found = false;
    for (const auto& c :
         m::containers_of(reloaded.resources.at(target.id).node).containers)
      if (c.name == container && c.image.to_string() == "fuzz/img:1")
        found = true;
    require(found, "image edit did not land");
  }
}

} // namespace fluxd::fuzz
