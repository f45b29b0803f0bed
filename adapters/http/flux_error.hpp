#pragma once

#include <string>

namespace fluxd::http {

/// Flux v1's structured API error (`pkg/errors.Error`): a type that selects
/// the status code, a short error and a long help text for people.
struct flux_error {
  std::string type; ///< "missing" (404), "user" (422), "server" (500)
  std::string help;
  std::string error;

  int status() const;
};

flux_error api_not_found(const std::string& path);
flux_error api_deprecated();
flux_error unauthorized();
/// Wraps an unstructured error as Flux v1 does: type user, generic help.
flux_error from_message(const std::string& error);

/// What to send back: status, Content-Type and body.
struct error_response {
  int status;
  std::string content_type;
  std::string body;
};

/// Renders `err` as Flux v1's WriteError does, choosing JSON or plain text
/// from the request's Accept header.
error_response render_error(const flux_error& err, const std::string& accept,
                            int status_override = 0);

/// Quality-weighted Accept negotiation between application/json and
/// text/plain (ties go to JSON); empty when neither is acceptable.
std::string negotiate_error_type(const std::string& accept);

} // namespace fluxd::http
