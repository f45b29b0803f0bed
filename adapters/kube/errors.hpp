#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// Failures of the Kubernetes client. Every message names what was at fault
/// (the kubeconfig file and field, or the request's method and path) and
/// never carries a credential.
namespace fluxd::kube {

/// Base of every error thrown by adapters/kube.
class kube_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A kubeconfig, in-cluster file or credential plugin that cannot be used.
class config_error : public kube_error {
public:
  using kube_error::kube_error;
};

/// The request never got an HTTP answer: connect, TLS, read or write failed,
/// or the call timed out.
class transport_error : public kube_error {
public:
  transport_error(std::string method, std::string path, std::string what,
                  bool timed_out = false);
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }
  bool timed_out() const { return timed_out_; }

private:
  std::string method_;
  std::string path_;
  bool timed_out_;
};

/// One entry of Status.details.causes (`reason` is the cause type).
struct status_cause {
  std::string reason;
  std::string message;
  std::string field;
};

/// The API's `Status` object (meta/v1), as far as a caller needs it.
struct api_status {
  int code = 0;
  std::string status;  ///< Success | Failure
  std::string reason;  ///< NotFound, Conflict, Expired, …
  std::string message;
  std::string details_name;
  std::string details_group;
  std::string details_kind; ///< the resource (plural) for NotFound
  int retry_after_seconds = 0;
  std::vector<status_cause> causes;
};

/// Decodes an error response into a Status. A body that is not a Status
/// (a proxy's HTML, plain text) gets the reason the API would use for that
/// HTTP code and the start of the body as message.
api_status decode_status(int http_code, std::string_view content_type,
                         std::string_view body);

/// The reason the API server uses for an HTTP code without a Status body.
std::string reason_for_code(int http_code);

/// The API answered with an error Status.
class api_error : public kube_error {
public:
  api_error(std::string method, std::string path, api_status status);
  const api_status& status() const { return status_; }
  int code() const { return status_.code; }
  const std::string& reason() const { return status_.reason; }
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }

  bool not_found() const { return status_.code == 404; }
  bool conflict() const { return status_.code == 409; }
  bool gone() const { return status_.code == 410; }

private:
  std::string method_;
  std::string path_;
  api_status status_;
};

/// Discovery does not know this apiVersion/kind (yet): fluxd drops such a
/// resource with a warning until its CRD is served.
class unknown_kind_error : public kube_error {
public:
  unknown_kind_error(std::string api_version, std::string kind);
  const std::string& api_version() const { return api_version_; }
  const std::string& kind() const { return kind_; }

private:
  std::string api_version_;
  std::string kind_;
};

} // namespace fluxd::kube
