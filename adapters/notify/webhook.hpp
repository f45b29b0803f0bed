#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/notify/event.hpp"

/// One webhook from --notify-webhook: where it is, which body it wants,
/// and one POST at a time with the signature header.
namespace fluxd::notify {

enum class body_format { generic, slack };

/// A parsed --notify-webhook. `slack+https://…` (the prefix is removed)
/// and any URL on hooks.slack.com get Slack messages; everything else
/// gets Flux v1's event JSON.
struct webhook_target {
  std::string url;    ///< what is POSTed to
  std::string scheme; ///< http or https
  std::string host;   ///< without brackets for IPv6
  int port = 0;
  std::string path; ///< path and query, at least "/"
  std::string user; ///< URL userinfo: sent as basic auth
  std::string password;
  body_format format = body_format::generic;
  /// For logs: userinfo, query and every path segment after the first
  /// are replaced by `***` (Slack and others keep their token there).
  std::string redacted;
};

/// Throws notify_error naming the (redacted) URL when it is not an http(s)
/// URL with a host.
webhook_target parse_target(const std::string& configured);

/// The URL with its secrets replaced (see webhook_target::redacted); for
/// text that is not a URL, `***`.
std::string redact_url(const std::string& url);

/// The body `target` wants for `e`.
std::string render_for(const webhook_target& target, const event& e);

/// `sha256=<hex HMAC-SHA256 of body under secret>`, the X-Signature value.
std::string signature(const std::string& secret, const std::string& body);

/// The secret of --notify-webhook-secret-file: the file's contents without
/// trailing newlines. Throws notify_error naming the file (never the
/// contents) when it cannot be read or is empty.
std::string read_secret(const std::string& path);

struct client_options {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000}; ///< read and write
  /// PEM CA bundle for https; empty: OpenSSL's default paths (the system
  /// bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR), as the rest of fluxd.
  std::string ca_bundle;
  std::string secret;     ///< empty: no X-Signature
  std::string user_agent; ///< empty: fluxd/<version>
};

/// What one POST came to.
struct attempt_result {
  enum class kind { delivered, retry, rejected } outcome = kind::retry;
  int status = 0;    ///< HTTP status; 0 when no answer came
  std::string error; ///< why not delivered (no secrets in it)
  /// From Retry-After (seconds or an HTTP date) on 429 and 5xx.
  std::optional<std::chrono::seconds> retry_after;
};

/// 2xx delivered; 408, 429 and 5xx worth retrying; other answers rejected.
attempt_result::kind classify(int status);

/// What identifies one event to the receiver across retries.
struct delivery {
  std::string id;   ///< X-Fluxd-Delivery: the same on every attempt
  std::string type; ///< X-Fluxd-Event
  std::string body;
};

/// Posts to one webhook, keeping its connection open between events.
/// Blocking: use it from one thread (a detached actor) only.
class webhook_client {
public:
  webhook_client(webhook_target target, client_options opts);
  ~webhook_client();
  webhook_client(const webhook_client&) = delete;
  webhook_client& operator=(const webhook_client&) = delete;

  /// One POST. Network failures and HTTP errors are outcomes, not
  /// exceptions.
  attempt_result post(const delivery& d);

  const webhook_target& target() const { return target_; }

private:
  struct impl;
  webhook_target target_;
  client_options opts_;
  std::unique_ptr<impl> impl_;
};

} // namespace fluxd::notify
