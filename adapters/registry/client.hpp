#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/registry/credentials.hpp"
#include "adapters/registry/errors.hpp"
#include "adapters/registry/manifest.hpp"
#include "adapters/registry/rate.hpp"

/// The Docker Registry v2 / OCI distribution client for one registry host.
/// Blocking (cpp-httplib): use it from one thread (a detached actor).
namespace fluxd::registry {

enum class request_kind { ping, token, tags, manifest, blob };
const char* to_string(request_kind kind);

/// Reported for every HTTP exchange, answered or not: metrics, request
/// counting in tests, and the host actor's back-off all feed on it.
struct request_event {
  request_kind kind;
  std::string method;
  std::string host;       ///< canonical registry host
  std::string repository; ///< the one asked about; empty for a bare ping
  std::string target;     ///< path and query as sent (no credentials)
  int status = 0;         ///< 0: no HTTP answer (refused, timeout, cut off)
  rate_limit_info limits;
};

/// What clients of one host can share: the ping's scheme and challenge and
/// the bearer tokens, so N concurrent fetchers make one ping and ask the
/// token server once per scope. Thread-safe.
class session;
std::shared_ptr<session> make_session();

/// How to reach the host. `insecure` follows --registry-insecure-host:
/// TLS without verification, and plain HTTP when TLS fails to connect.
/// `plain_http` skips TLS altogether (loopback registries in tests).
struct client_options {
  std::string host; ///< canonical, e.g. index.docker.io or 127.0.0.1:5000
  bool insecure = false;
  bool plain_http = false;
  std::shared_ptr<const credentials_provider> credentials;
  platform want_platform;
  std::chrono::seconds timeout{60};
  std::chrono::seconds connect_timeout{10};
  size_t max_manifest_bytes = 4u << 20;
  size_t max_config_bytes = 8u << 20;
  size_t max_tag_page_bytes = 16u << 20;
  size_t max_token_bytes = 1u << 20;
  size_t max_tags = 100000;
  int tag_page_size = 1000; ///< `n=`; 0 sends none
  std::function<void(const request_event&)> observer;
  /// Shared with other clients of the same host; null: a private one.
  std::shared_ptr<session> shared;
};

struct manifest_ref {
  std::string digest;
  std::string media_type;
};

struct manifest_body {
  std::string digest; ///< verified against the bytes
  std::string media_type;
  std::string body;
};

/// What scanning keeps per tag.
struct image_info {
  std::string digest;        ///< the tag's manifest (or index) digest
  std::string config_digest; ///< the image ID
  time_point created{};      ///< from the config; epoch = unknown
  std::map<std::string, std::string> labels;
  std::string excluded_reason; ///< e.g. no manifest for the platform
  bool excluded() const { return !excluded_reason.empty(); }
};

/// Creation time honouring --registry-use-labels: when `use_labels`, the
/// `org.opencontainers.image.created` label, else `org.label-schema.build-
/// date`, else the config's `created`.
time_point effective_created(const image_info& info, bool use_labels);

/// The labels effective_created reads, and no others: images carry many
/// (source, revision, description, ...) that nothing in fluxd uses (Flux
/// v1's image.Labels holds only these two), so scanning keeps just these.
std::map<std::string, std::string>
created_labels(const std::map<std::string, std::string>& labels);

class client {
public:
  explicit client(client_options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// `GET /v2/`: learns the scheme and the auth challenge. Done lazily by
  /// every other call; call it to check reachability up front.
  void ping();

  /// All tags, following `Link` pages, sorted and de-duplicated.
  std::vector<std::string> list_tags(const std::string& repository);

  /// `HEAD` a manifest: its digest without counting as a Docker Hub pull.
  manifest_ref head_manifest(const std::string& repository,
                             const std::string& reference);

  /// `GET` a manifest and verify its digest (header and, for a digest
  /// reference, the reference itself).
  manifest_body get_manifest(const std::string& repository,
                             const std::string& reference);

  /// `GET` a blob (following redirects) and verify its digest.
  std::string get_blob(const std::string& repository,
                       const std::string& digest, size_t max_bytes);

  /// Manifest → (platform entry) → config blob: digest, created, labels.
  image_info fetch_image_info(const std::string& repository,
                              const std::string& tag);

  const std::string& host() const;
  /// What the last response said about rate limits.
  const rate_limit_info& last_limits() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace fluxd::registry
