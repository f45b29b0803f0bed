#pragma once

#include "adapters/kube/config.hpp"
#include "adapters/kube/discovery.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/transport.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

/// A Kubernetes API client: discovery-driven paths, get/list/apply/delete,
/// watch (watch.hpp). Thread-safe and blocking: call it from detached
/// actors or worker threads; JSON stays boost::json at the edges.
namespace fluxd::kube {

/// Names one object. Namespace is ignored for cluster-scoped kinds.
struct object_ref {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  /// From an object's apiVersion, kind, metadata.namespace/name.
  /// Throws kube_error naming the missing field.
  static object_ref of(const boost::json::value& object);
  std::string id() const; ///< ns:kind/name, for messages
};

struct list_options {
  std::string label_selector;
  std::string field_selector;
  int limit = 0; ///< page size; 0: everything at once
  std::string continue_token;
  std::string resource_version;       ///< "", "0", or a version
  std::string resource_version_match; ///< NotOlderThan | Exact
  std::chrono::milliseconds timeout{0};
};

struct list_page {
  /// Items with kind and apiVersion filled in from the list.
  boost::json::array items;
  std::string resource_version;
  std::string continue_token;
  std::optional<std::int64_t> remaining_item_count;
};

struct apply_options {
  std::string field_manager = "fluxd";
  bool force = false;
  bool dry_run = false;
  std::string field_validation; ///< Strict | Warn | Ignore; "" = server's
  std::chrono::milliseconds timeout{0};
};

struct delete_options {
  std::string propagation_policy; ///< Background | Foreground | Orphan
  bool dry_run = false;
  std::optional<std::int64_t> grace_period_seconds;
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::chrono::milliseconds timeout{0};
};

class client {
public:
  explicit client(rest_config cfg, client_options opts = {});

  /// GET one object. Throws api_error (404 → not_found()).
  boost::json::value get(const object_ref& ref,
                         std::chrono::milliseconds timeout = {});

  /// One page of a collection; `ns` empty lists across all namespaces.
  list_page list(const resource_info& res, std::string_view ns,
                 const list_options& opts = {});
  list_page list(std::string_view api_version, std::string_view kind,
                 std::string_view ns, const list_options& opts = {});
  /// Every page (following `continue`); restarts once without paging if
  /// the continue token expires (410).
  list_page list_all(const resource_info& res, std::string_view ns,
                     const list_options& opts = {});

  /// Server-side apply of the whole object (PATCH apply-patch+yaml).
  /// Namespaced objects without a namespace go to the config's default.
  /// Returns the object as stored (or as it would be, with dry_run).
  boost::json::value apply(const boost::json::value& object,
                           const apply_options& opts = {});
  /// The same for an object already printed as JSON (`ref` names it):
  /// the stored object comes back as the server's text, unparsed, so a
  /// caller that parses it elsewhere does not pay twice.
  std::string apply_text(const object_ref& ref, std::string object,
                         const apply_options& opts = {});

  /// Other patches (merge-patch+json, strategic-merge-patch+json, …).
  boost::json::value patch(const object_ref& ref, std::string_view type,
                           const boost::json::value& body,
                           std::string_view field_manager = "fluxd");

  /// DELETE; returns the server's answer (a Status or the object).
  boost::json::value remove(const object_ref& ref,
                            const delete_options& opts = {});

  /// Any request, Status errors turned into api_error, JSON parsed.
  boost::json::value request(const http_request& req);
  /// The same with the body as the server sent it.
  std::string request_text(const http_request& req);

  kube::discovery& discovery() { return discovery_; }
  kube::transport& transport() { return transport_; }
  const rest_config& config() const { return transport_.config(); }

  /// Path of the object, resolved through discovery.
  std::string object_path(const object_ref& ref);

private:
  /// The namespace to use for a resource: none for cluster-scoped ones.
  std::string namespace_for(const resource_info& res, std::string_view ns);

  kube::transport transport_;
  kube::discovery discovery_;
};

/// The outcome of one object of a batch.
struct apply_result {
  boost::json::value object;  ///< stored object on success
  std::exception_ptr error;   ///< rethrow for the typed error
  std::string message;        ///< error text, empty on success
  bool ok() const { return !error; }
};

/// Applies many objects from `threads` worker threads sharing the client's
/// connection pool and rate limit; results are in input order.
std::vector<apply_result> apply_all(client& c,
                                    const std::vector<boost::json::value>& objs,
                                    const apply_options& opts,
                                    int threads = 4);

} // namespace fluxd::kube
