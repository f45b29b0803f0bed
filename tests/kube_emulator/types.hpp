#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

/// The Kubernetes API emulator: a test tool that speaks enough of the
/// Kubernetes API for the real kubectl and for fluxd's client.
namespace kube_emulator {

namespace json = boost::json;

/// An object as stored: immutable once published, shared by lists and
/// watch events without copying.
using object_ptr = std::shared_ptr<const json::object>;

/// A failed API call; the server renders it as a `Status` object.
class api_error : public std::runtime_error {
public:
  api_error(int code, std::string reason, const std::string& message,
            json::object details = {})
      : std::runtime_error(message), code_(code), reason_(std::move(reason)),
        details_(std::move(details)) {}

  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const json::object& details() const { return details_; }

  /// The `Status` object the API server sends for this error.
  json::object status() const;

private:
  int code_;
  std::string reason_;
  json::object details_;
};

api_error bad_request(const std::string& message);
api_error invalid(const std::string& kind, const std::string& name,
                  const std::string& field, const std::string& message);

/// A column of `kubectl get` output (a CRD's additionalPrinterColumns).
struct printer_column {
  std::string name;
  std::string type;      ///< string, integer, number, boolean, date
  std::string json_path; ///< ".spec.replicas"
  int priority = 0;
};

/// One served resource (a kind at a group/version), built in or from a CRD.
struct resource_type {
  std::string group; ///< "" for the core group
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool has_status = false; ///< a /status subresource
  bool has_scale = false;  ///< a /scale subresource (autoscaling/v1 Scale)
  bool delete_returns_object = false;  ///< pods, serviceaccounts
  bool has_generation = true;          ///< metadata.generation is kept
  std::string crd_name;                ///< set for custom resources
  std::vector<printer_column> columns; ///< extra Table columns of a CRD

  std::string group_version() const {
    return group.empty() ? version : group + "/" + version;
  }
  /// "deployments.apps" or "configmaps": storage key and error wording.
  std::string group_resource() const {
    return group.empty() ? plural : plural + "." + group;
  }
};

/// Query options common to writes.
struct write_options {
  bool dry_run = false;
  std::string field_manager;
  bool force = false;
};

} // namespace kube_emulator
