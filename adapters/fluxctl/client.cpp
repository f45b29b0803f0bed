#include "adapters/fluxctl/client.hpp"

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/registry/credentials.hpp"

namespace fluxd::fluxctl {

namespace {

/// Go's http.StatusText for the codes a daemon sends.
std::string reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

} // namespace

std::string query_escape(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

api_client::api_client(const std::string& base_url, std::string token,
                       std::chrono::seconds request_timeout)
    : base_(base_url), token_(std::move(token)), timeout_(request_timeout) {
  auto scheme_end = base_.find("://");
  if (scheme_end == std::string::npos
      || (base_.compare(0, scheme_end, "http") != 0
          && base_.compare(0, scheme_end, "https") != 0))
    throw client_error("invalid --url \"" + base_url
                       + "\": expected http(s)://host:port/api/flux");
  auto path = base_.find('/', scheme_end + 3);
  scheme_host_ = base_.substr(0, path);
  prefix_ = path == std::string::npos ? "" : base_.substr(path);
  while (!prefix_.empty() && prefix_.back() == '/')
    prefix_.pop_back();
}

std::string api_client::call(const std::string& method, const std::string& path,
                             const std::string& body) {
  httplib::Client cli(scheme_host_);
  cli.set_connection_timeout(10, 0);
  cli.set_read_timeout(timeout_.count(), 0);
  httplib::Headers headers{{"Accept", "application/json"}};
  if (!token_.empty())
    headers.emplace("Authorization", "Scope-Probe token=" + token_);
  auto full = prefix_ + path;
  httplib::Result res = method == "GET"
                            ? cli.Get(full, headers)
                            : cli.Post(full, headers, body, "application/json");
  if (!res)
    throw client_error(method + " " + base_ + path + ": "
                       + httplib::to_string(res.error())
                       + " (is fluxd running there? pass --url or FLUX_URL)");
  switch (res->status) {
    case 200:
    case 201:
    case 202:
    case 204:
      return res->body;
    case 401:
      throw client_error(http::unauthorized());
    default:
      break;
  }
  if (res->get_header_value("Content-Type").rfind("application/json", 0) == 0) {
    boost::json::error_code ec;
    auto v = boost::json::parse(res->body, ec);
    if (!ec && v.is_object()) {
      auto& o = v.as_object();
      auto str = [&](const char* k) -> std::string {
        auto it = o.find(k);
        return it != o.end() && it->value().is_string()
                   ? std::string(it->value().as_string())
                   : std::string{};
      };
      if (!str("error").empty())
        throw client_error(
            http::flux_error{str("type"), str("help"), str("error")});
    }
  }
  throw client_error(std::to_string(res->status) + " "
                     + reason_phrase(res->status) + " " + res->body);
}

std::vector<api::controller_status>
api_client::list_services(const std::string& ns,
                          const std::vector<std::string>& services) {
  if (services.empty())
    return api::decode_controller_statuses(
        call("GET", "/v6/services?namespace=" + query_escape(ns)));
  std::string list;
  for (auto& s : services)
    list += (list.empty() ? "" : ",") + s;
  return api::decode_controller_statuses(
      call("GET", "/v11/services?services=" + query_escape(list)));
}

std::vector<api::image_status> api_client::list_images(const std::string& spec,
                                                       const std::string& ns) {
  return api::decode_image_statuses(
      call("GET", "/v10/images?service=" + query_escape(spec)
                      + "&containerFields=&namespace=" + query_escape(ns)));
}

std::string api_client::update_manifests(const api::update_spec& spec) {
  return api::decode_string(
      call("POST", "/v9/update-manifests", api::to_json(spec)));
}

api::job_status api_client::job_status(const std::string& id) {
  return api::decode_job_status(call("GET", "/v6/jobs?id=" + query_escape(id)));
}

std::vector<std::string> api_client::sync_status(const std::string& ref) {
  return api::decode_string_list(
      call("GET", "/v6/sync?ref=" + query_escape(ref)));
}

std::string api_client::export_cluster() {
  return registry::base64_decode(api::decode_string(call("GET", "/v6/export")));
}

api::git_config api_client::git_repo_config(bool regenerate) {
  return api::decode_git_config(
      call("POST", "/v9/git-repo-config", regenerate ? "true" : "false"));
}

} // namespace fluxd::fluxctl
