#pragma once

#include <optional>
#include <string>

#include "adapters/registry/client.hpp"
#include "tests/support/registry/local_registry.hpp"

namespace fluxd::test {

/// Creation times of the images `push_demo` pushes.
inline constexpr const char* demo_v090 = "2023-12-01T00:00:00Z";
inline constexpr const char* demo_v100 = "2024-01-01T10:00:00Z";
inline constexpr const char* demo_v110 = "2024-02-01T00:00:00Z";
inline constexpr const char* demo_multi_amd64 = "2024-03-01T00:00:00Z";
inline constexpr const char* demo_multi_arm64 = "2024-04-01T00:00:00Z";
inline constexpr const char* demo_label_time = "2020-05-05T05:05:05Z";

/// Pushes to host/repo: v0.9.0, v1.0.0 (OCI), v1.1.0 (Docker schema 2),
/// and `multi` (OCI index, linux/amd64 + linux/arm64/v8). v1.0.0 carries an
/// `org.opencontainers.image.created` label of demo_label_time.
inline void push_demo(const std::string& host, const std::string& repo,
                      const std::string& creds = "", bool with_multi = true) {
  temp_dir layout{"fluxd-oci"};
  write_oci_layout(
    layout.path(),
    {{"v0.9.0", demo_v090, {}},
     {"v1.0.0",
      demo_v100,
      {{"org.opencontainers.image.created", demo_label_time}}},
     {"v1.1.0", demo_v110, {}}},
    {{"multi",
      {{"linux/amd64", {"multi", demo_multi_amd64, {}}},
       {"linux/arm64/v8", {"multi", demo_multi_arm64, {}}}}}});
  skopeo_push(layout.path(), "v0.9.0", host, repo, false, false, creds);
  skopeo_push(layout.path(), "v1.0.0", host, repo, false, false, creds);
  skopeo_push(layout.path(), "v1.1.0", host, repo, false, true, creds);
  if (with_multi)
    skopeo_push(layout.path(), "multi", host, repo, true, false, creds);
}

/// One small image, for tests that need just something there.
inline void push_one(const std::string& host, const std::string& repo,
                     const std::string& tag = "v1") {
  temp_dir layout{"fluxd-oci"};
  write_oci_layout(layout.path(), {{tag, demo_v100, {}}});
  skopeo_push(layout.path(), tag, host, repo);
}

/// The registry_error `f` throws, or nullopt when it throws none.
template <class F>
std::optional<registry::registry_error> error_of(F f) {
  try {
    f();
  } catch (const registry::registry_error& e) {
    return e;
  }
  return std::nullopt;
}

inline bool mentions(const registry::registry_error& e,
                     const std::string& text) {
  return std::string{e.what()}.find(text) != std::string::npos;
}

inline registry::client_options loopback(const std::string& host) {
  registry::client_options o;
  o.host = host;
  o.plain_http = true;
  o.timeout = std::chrono::seconds(10);
  o.connect_timeout = std::chrono::seconds(2);
  return o;
}

} // namespace fluxd::test
