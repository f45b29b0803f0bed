#pragma once

#include <cstddef>
#include <string>

#include "adapters/api/daemon_api.hpp"
#include "adapters/http/server.hpp"

namespace fluxd::api {

struct webhook_options {
  /// From --webhook-secret-file. Empty: no receivers are installed (an
  /// unauthenticated hook would let anyone make fluxd fetch in a loop).
  std::string secret;
  /// Larger bodies are refused with 413 before any parsing.
  size_t max_body = 1024 * 1024;
  /// Delivery IDs remembered per receiver to refuse replays (409).
  size_t remembered_deliveries = 4096;
};

/// Receivers that turn pushes into daemon_api::notify_change (a git fetch
/// or an image scan now); they never carry state themselves.
///
///   POST /hook/github     X-Hub-Signature-256 (HMAC-SHA256 of the body),
///                         X-GitHub-Event push|ping, X-GitHub-Delivery
///   POST /hook/gitlab     X-Gitlab-Token (the secret), X-Gitlab-Event
///                         "Push Hook", X-Gitlab-Event-UUID
///   POST /hook/bitbucket  X-Hub-Signature (sha256=HMAC), X-Event-Key
///                         repo:push (Cloud) | repo:refs_changed (Server),
///                         X-Request-UUID
///   POST /hook/dockerhub  ?secret=<secret> (Docker Hub cannot sign)
///   POST /hook/harbor     Authorization: <secret> or Bearer <secret>;
///                         PUSH_ARTIFACT events
///   POST /hook/registry   Distribution notifications, Authorization:
///                         Bearer <secret>; push events, deduplicated by
///                         event id
///
/// Answers: 202 when a change was notified, 200 for known events that need
/// nothing (ping, tag pushes, pulls), 400 malformed body or unknown event
/// type, 401 missing or wrong signature/secret, 409 replayed delivery,
/// 413 body over max_body. Only 202 calls the daemon.
void install_webhooks(http::server& srv, daemon_api& daemon,
                      const webhook_options& opts);

/// Lower-case hex HMAC-SHA256 of `body` under `key`.
std::string hmac_sha256_hex(const std::string& key, const std::string& body);

} // namespace fluxd::api
