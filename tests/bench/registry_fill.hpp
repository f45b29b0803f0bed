#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "tests/support/registry/local_registry.hpp"
#include "tests/support/temp_dir.hpp"

/// Fills Debian's docker-registry quickly for the registry and memory
/// benchmarks: repositories bench/app<N>, tags 1.<t/10>.<t%10>.
namespace fluxd::bench {

inline constexpr const char* oci_manifest =
  "application/vnd.oci.image.manifest.v1+json";

inline std::string repo_name(int r) {
  return "bench/app" + std::to_string(r);
}

inline std::string tag_name(int t) {
  return "1." + std::to_string(t / 10) + "." + std::to_string(t % 10);
}

/// One image pushed with skopeo; every other repository gets its blobs by
/// cross-repository mount and every tag is a PUT of the same manifest.
inline void fill_registry(const std::string& host, int repos, int tags,
                          std::map<std::string, std::string> labels = {}) {
  test::temp_dir layout{"fluxd-bench-oci"};
  test::write_oci_layout(
    layout.path(), {{tag_name(0), "2024-01-01T10:00:00Z", std::move(labels)}});
  test::skopeo_push(layout.path(), tag_name(0), host, repo_name(0));
  httplib::Client first{"http://" + host};
  auto got = first.Get("/v2/" + repo_name(0) + "/manifests/" + tag_name(0),
                       {{"Accept", oci_manifest}});
  if (!got || got->status != 200)
    throw std::runtime_error("cannot read back the pushed manifest");
  std::string manifest = got->body;
  std::set<std::string> blobs;
  std::regex digest{"sha256:[0-9a-f]{64}"};
  for (std::sregex_iterator it{manifest.begin(), manifest.end(), digest}, end;
       it != end; ++it)
    blobs.insert(it->str());

  std::atomic<int> next{0};
  std::string failure;
  std::mutex failure_mtx;
  auto worker = [&] {
    httplib::Client c{"http://" + host};
    c.set_keep_alive(true);
    for (int r; (r = next++) < repos;) {
      auto name = repo_name(r);
      if (r != 0)
        for (auto& b : blobs) {
          auto res = c.Post("/v2/" + name + "/blobs/uploads/?mount=" + b
                              + "&from=" + repo_name(0),
                            "", "application/octet-stream");
          if (!res || res->status != 201) {
            std::lock_guard<std::mutex> g{failure_mtx};
            failure = "blob mount into " + name + " failed";
            return;
          }
        }
      for (int t = 0; t < tags; ++t) {
        auto res = c.Put("/v2/" + name + "/manifests/" + tag_name(t),
                         manifest, oci_manifest);
        if (!res || res->status != 201) {
          std::lock_guard<std::mutex> g{failure_mtx};
          failure = "manifest PUT " + name + ":" + tag_name(t) + " failed";
          return;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < 4; ++i)
    pool.emplace_back(worker);
  for (auto& t : pool)
    t.join();
  if (!failure.empty())
    throw std::runtime_error(failure);
}

/// For sizes where PUTs are too slow (docker-registry takes ~75 PUT/s
/// here): fills the first `put_repos` repositories with every tag by PUT,
/// then makes every other repository a symlink to app0's storage
/// directory, which the filesystem driver follows (tag lists and manifests
/// are read from the directory; no repository name is stored inside).
/// Returns the PUT fill's seconds.
inline double
fill_registry_linked(const test::local_registry& reg, int repos, int tags,
                     int put_repos,
                     std::map<std::string, std::string> labels = {}) {
  auto t0 = std::chrono::steady_clock::now();
  fill_registry(reg.host(), put_repos, tags, std::move(labels));
  double put_s = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - t0).count();
  namespace fs = std::filesystem;
  auto base = fs::path{reg.dir().file("data")}
              / "docker/registry/v2/repositories";
  auto first = base / repo_name(0);
  if (!fs::is_directory(first / "_manifests/tags"))
    throw std::runtime_error("registry storage not where expected: "
                             + first.string());
  for (int r = put_repos; r < repos; ++r)
    fs::create_directory_symlink(first, base / repo_name(r));
  return put_s;
}

} // namespace fluxd::bench
