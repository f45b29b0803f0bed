#include "adapters/kube/errors.hpp"
#include "adapters/kube/json.hpp"

#include <boost/json.hpp>

namespace fluxd::kube {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& obj, std::string_view key) {
  if (auto* v = obj.if_contains(key); v && v->is_string())
    return std::string(v->get_string());
  return {};
}

std::string api_message(int code, std::string_view method,
                        std::string_view path, const api_status& st) {
  std::string msg = std::string(method) + " " + std::string(path) + ": ";
  msg += std::to_string(code);
  if (!st.reason.empty())
    msg += " " + st.reason;
  if (!st.message.empty())
    msg += ": " + st.message;
  return msg;
}

/// Keeps an error body short and on one line.
std::string excerpt(std::string_view body) {
  constexpr std::size_t max_len = 200;
  std::string out;
  for (char c : body.substr(0, max_len))
    out += (c == '\n' || c == '\r') ? ' ' : c;
  if (body.size() > max_len)
    out += "…";
  return out;
}

} // namespace

transport_error::transport_error(std::string method, std::string path,
                                 std::string what, bool timed_out)
  : kube_error(method + " " + path + ": " + what),
    method_(std::move(method)),
    path_(std::move(path)),
    timed_out_(timed_out) {
}

std::string reason_for_code(int http_code) {
  switch (http_code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return http_code >= 500 ? "InternalError" : "Unknown";
  }
}

api_status decode_status(int http_code, std::string_view content_type,
                         std::string_view body) {
  api_status st;
  st.code = http_code;
  if (content_type.find("json") != std::string_view::npos) {
    json::error_code ec;
    auto v = parse_json(body, ec);
    auto* obj = ec ? nullptr : v.if_object();
    if (obj && string_at(*obj, "kind") == "Status") {
      st.status = string_at(*obj, "status");
      st.reason = string_at(*obj, "reason");
      st.message = string_at(*obj, "message");
      if (auto* c = obj->if_contains("code"); c && c->is_int64())
        st.code = static_cast<int>(c->get_int64());
      if (auto* d = obj->if_contains("details"); d && d->is_object()) {
        auto& details = d->get_object();
        st.details_name = string_at(details, "name");
        st.details_group = string_at(details, "group");
        st.details_kind = string_at(details, "kind");
        if (auto* r = details.if_contains("retryAfterSeconds");
            r && r->is_int64())
          st.retry_after_seconds = static_cast<int>(r->get_int64());
        if (auto* cs = details.if_contains("causes"); cs && cs->is_array()) {
          for (auto& c : cs->get_array()) {
            if (!c.is_object())
              continue;
            auto& co = c.get_object();
            st.causes.push_back({string_at(co, "reason"),
                                 string_at(co, "message"),
                                 string_at(co, "field")});
          }
        }
      }
      if (st.reason.empty())
        st.reason = reason_for_code(st.code);
      return st;
    }
  }
  st.status = "Failure";
  st.reason = reason_for_code(http_code);
  st.message = body.empty() ? "the server returned no body" : excerpt(body);
  return st;
}

json::value parse_json(std::string_view text, json::error_code& ec,
                       json::storage_ptr sp) {
  return json::parse(json::string_view(text.data(), text.size()), ec,
                     std::move(sp), json_options());
}

api_error::api_error(std::string method, std::string path, api_status status)
  : kube_error(api_message(status.code, method, path, status)),
    method_(std::move(method)),
    path_(std::move(path)),
    status_(std::move(status)) {
}

unknown_kind_error::unknown_kind_error(std::string api_version,
                                       std::string kind)
  : kube_error("no resource of kind " + kind + " in " + api_version
               + " is served by the API (discovery)"),
    api_version_(std::move(api_version)),
    kind_(std::move(kind)) {
}

} // namespace fluxd::kube
