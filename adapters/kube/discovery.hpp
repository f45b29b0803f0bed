#pragma once

#include "adapters/kube/transport.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace fluxd::kube {

/// One served resource type in one group-version, as discovery tells it.
/// Plural and scope always come from here, never from the kind.
struct resource_info {
  std::string group; ///< "" for the core group
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = false;
  bool preferred = false; ///< this version is the group's preferred one
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;

  std::string api_version() const; ///< "v1" or "apps/v1"
  bool has_verb(std::string_view verb) const;
  /// `/api/v1/namespaces/ns/configmaps`; ns empty: all namespaces.
  std::string collection_path(std::string_view ns) const;
  std::string object_path(std::string_view ns, std::string_view name) const;
};

/// "apps/v1" → {"apps", "v1"}; "v1" → {"", "v1"}.
std::pair<std::string, std::string> split_api_version(std::string_view av);

// -- pure parsers of discovery documents -----------------------------------

struct group_version {
  std::string group;
  std::string version;
  bool preferred = false;
};
/// APIVersions (`/api`) or APIGroupList (`/apis`).
std::vector<group_version> parse_group_list(const boost::json::value& doc);
/// APIResourceList of one group-version; subresources are skipped.
std::vector<resource_info> parse_resource_list(const boost::json::value& doc,
                                               const group_version& gv);
/// APIGroupDiscoveryList (apidiscovery.k8s.io v2 or v2beta1).
std::vector<resource_info> parse_aggregated(const boost::json::value& doc);

/// The Accept header that asks for aggregated discovery, falling back to
/// the legacy documents.
extern const char* const aggregated_accept;

/// Cached discovery, shared by all threads. A kind that is not known
/// triggers a refresh (at most one per `min_refresh_interval`, and
/// concurrent misses share one refresh); invalidate() forces the next one
/// (after a CRD change).
class discovery {
public:
  explicit discovery(transport& t, std::chrono::milliseconds
                                     min_refresh_interval =
                                       std::chrono::seconds(1));

  /// Throws unknown_kind_error, or api_error/transport_error when
  /// discovery itself fails.
  resource_info resolve(std::string_view api_version, std::string_view kind);

  /// Cache only, no request.
  std::optional<resource_info> find(std::string_view api_version,
                                    std::string_view kind) const;

  void refresh();
  void invalidate();

  /// Every resource of every served version (refreshes if never loaded).
  std::vector<resource_info> resources();
  /// One version per group: the preferred one.
  std::vector<resource_info> preferred_resources();

  /// Whether the last refresh got aggregated discovery.
  bool aggregated() const;
  /// How many refreshes ran (tests, metrics).
  int refreshes() const;
  /// Group-versions whose documents could not be fetched last time.
  std::vector<std::string> failed_group_versions() const;

private:
  std::vector<resource_info> fetch(bool& aggregated,
                                   std::vector<std::string>& failed);
  void refresh_locked();

  transport& transport_;
  std::chrono::milliseconds min_interval_;
  mutable std::shared_mutex mtx_;
  std::map<std::string, resource_info> by_key_; ///< group/version/kind
  std::vector<resource_info> all_;
  bool loaded_ = false;
  bool stale_ = false;
  bool aggregated_ = false;
  int refreshes_ = 0;
  std::vector<std::string> failed_;
  std::chrono::steady_clock::time_point last_refresh_;
  std::mutex refresh_mtx_; ///< one refresh at a time
};

} // namespace fluxd::kube
