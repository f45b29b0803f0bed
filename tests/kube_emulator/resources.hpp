#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/kube_emulator/types.hpp"

namespace kube_emulator {

/// The kinds the emulator serves: the built-in ones plus those that
/// CustomResourceDefinitions add. Not thread-safe; the store guards it.
class resource_registry {
public:
  resource_registry();

  /// The resource at group/version/plural, or nullptr.
  const resource_type* find(const std::string& group,
                            const std::string& version,
                            const std::string& plural) const;

  /// The resource serving `kind` at `api_version` ("apps/v1"), or nullptr.
  const resource_type* find_kind(const std::string& api_version,
                                 const std::string& kind) const;

  /// Every served version of a group/plural (CRDs may serve several).
  std::vector<const resource_type*>
  versions_of(const std::string& group, const std::string& plural) const;

  /// Serves (or stops serving, with an empty list) what one CRD defines.
  void set_custom(const std::string& crd_name,
                  std::vector<resource_type> resources);

  /// Resources a CRD object defines; throws api_error 422 when invalid.
  static std::vector<resource_type> from_crd(const json::object& crd);

  // -- discovery documents ---------------------------------------------------

  json::object api_versions(const std::string& server_address) const;
  json::object api_group_list() const;
  /// APIGroup for `GET /apis/<group>`; null when the group is unknown.
  json::value api_group(const std::string& group) const;
  /// APIResourceList for one group/version; null when unknown.
  json::value resource_list(const std::string& group,
                            const std::string& version) const;
  /// APIGroupDiscoveryList for `/api` (core) or `/apis`.
  json::object aggregated(bool core, const std::string& api_version) const;

  // -- OpenAPI v3 ------------------------------------------------------------

  json::object openapi_root() const;
  /// The document of one group/version ("api/v1", "apis/apps/v1"); null when
  /// unknown.
  json::value openapi_group_version(const std::string& gv_path) const;

private:
  void reindex();
  /// Groups in discovery order; versions in preferred-first order.
  std::vector<std::pair<std::string, std::vector<std::string>>>
  group_versions() const;
  std::vector<const resource_type*>
  in_group_version(const std::string& group, const std::string& version) const;

  std::vector<resource_type> builtin_;
  std::map<std::string, std::vector<resource_type>> custom_;
  std::vector<const resource_type*> all_;
};

} // namespace kube_emulator
