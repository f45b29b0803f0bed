#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/api/types.hpp"
#include "adapters/http/flux_error.hpp"

namespace fluxd::fluxctl {

/// A failed API call. `structured` is set when the daemon answered with
/// Flux's JSON error (fluxctl then prints `== Error ==` and its help).
class client_error : public std::runtime_error {
public:
  explicit client_error(const std::string& msg) : std::runtime_error(msg) {}
  explicit client_error(http::flux_error e)
      : std::runtime_error(e.error), structured(std::move(e)) {}
  std::optional<http::flux_error> structured;
};

/// Flux v1's API client (pkg/http/client) for one base URL such as
/// `http://127.0.0.1:3030/api/flux`.
class api_client {
public:
  api_client(const std::string& base_url, std::string token,
             std::chrono::seconds request_timeout = std::chrono::seconds(60));

  std::vector<api::controller_status>
  list_services(const std::string& ns,
                const std::vector<std::string>& services = {});
  std::vector<api::image_status> list_images(const std::string& spec,
                                             const std::string& ns);
  std::string update_manifests(const api::update_spec& spec);
  api::job_status job_status(const std::string& id);
  std::vector<std::string> sync_status(const std::string& ref);
  std::string export_cluster();
  api::git_config git_repo_config(bool regenerate);

  const std::string& url() const { return base_; }

private:
  std::string call(const std::string& method, const std::string& path,
                   const std::string& body = {});

  std::string base_;
  std::string scheme_host_;
  std::string prefix_;
  std::string token_;
  std::chrono::seconds timeout_;
};

/// URL query escaping (Go's url.QueryEscape).
std::string query_escape(const std::string& s);

} // namespace fluxd::fluxctl
