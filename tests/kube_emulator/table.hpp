#pragma once

#include <string>
#include <vector>

#include "tests/kube_emulator/types.hpp"

namespace kube_emulator {

/// Server-side printing: the `meta.k8s.io` Table that `kubectl get` asks
/// for, with the columns the API server prints for the common kinds (or a
/// CRD's additionalPrinterColumns).
struct table_request {
  std::string api_version; ///< "meta.k8s.io/v1" or "meta.k8s.io/v1beta1"
  std::string include_object = "Metadata"; ///< None, Metadata, Object
  bool headers = true;                     ///< columnDefinitions
};

/// The Table version asked for in an Accept header, or "" for none.
std::string table_version(const std::string& accept);

json::object make_table(const resource_type& type,
                        const std::vector<object_ptr>& items,
                        const table_request& req);

/// "5s", "3m10s", "2d": kubectl's way of showing an age.
std::string human_age(const std::string& rfc3339_timestamp);

} // namespace kube_emulator
