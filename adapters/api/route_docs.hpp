#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/api/types.hpp"
#include "adapters/http/server.hpp"

/// What docs/http-api.md says about each route, checked against the routes
/// fluxd really registers: a route added without a line here, or a line
/// left after its route went, fails the generator (and so docs_test).
namespace fluxd::api {

class route_docs_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct route_doc {
  std::string method;
  std::string pattern; ///< exactly as registered (a regex)
  std::string query;   ///< query parameters
  std::string body;    ///< request body
  std::string answer;  ///< status and response body
  std::string about;
};

/// Every route fluxd serves, in the order of the reference.
const std::vector<route_doc>& route_docs();

/// The route table as Markdown, joined with `registered` by method and
/// pattern (its metric name comes from there). Throws route_docs_error
/// naming each route that is registered but undocumented, or documented
/// but not registered.
std::string
routes_markdown(const std::vector<http::server::route_info>& registered);

/// Sample values the examples are made of (also fluxctl's, docs/fluxctl.md).
std::vector<controller_status> sample_workloads();
std::vector<image_status> sample_image_statuses();
job_status sample_job_status();

/// Request and response bodies: responses produced by the real encoder
/// from sample values, request examples checked by the real decoder.
std::string examples_markdown();

} // namespace fluxd::api
