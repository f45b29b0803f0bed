#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/timestamp.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/ids.hpp"

/// The registry protocol: registry_host (one per registry host) fetches tag
/// lists and per-tag metadata politely; image_repo (one per canonical
/// repository) keeps a repository's tags and metadata and tells its
/// subscribers when they change.
namespace fluxd {

/// Errors of the registry domain (the adapter's error_kind, 1-based).
enum class registry_errc : uint8_t {
  unreachable = 1,
  unauthorized,
  not_found,
  rate_limited,
  server_error,
  bad_response,
  too_large,
  digest_mismatch,
  config,
  storage,
  busy, ///< the host's queue is full
};

std::string to_string(registry_errc code);

/// Renders a `registry` category error for `add_error_category`.
std::string render_registry_error(uint8_t code, caf::atom_value category,
                                  const caf::message& context);

/// What scanning keeps about one tag.
struct image_meta {
  std::string tag;
  std::string digest;
  std::string config_digest;
  caf::timestamp created{}; ///< epoch: unknown
  std::map<std::string, std::string> labels;
  std::string excluded_reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_meta& x) {
  return f(caf::meta::type_name("image_meta"), x.tag, x.digest,
           x.config_digest, x.created, x.labels, x.excluded_reason);
}

/// A repository as image_repo knows it. `images` holds only tags whose
/// metadata was fetched (all tags only when a subscriber needs times).
struct repo_snapshot {
  std::string repository; ///< canonical: index.docker.io/library/alpine
  std::vector<std::string> tags;
  std::vector<image_meta> images;
  caf::timestamp last_update{};
  std::string last_error;
  uint64_t version = 0; ///< grows with every change
  uint64_t scans = 0;   ///< completed scans since the actor started
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, repo_snapshot& x) {
  return f(caf::meta::type_name("repo_snapshot"), x.repository, x.tags,
           x.images, x.last_update, x.last_error, x.version, x.scans);
}

/// A registry_host's view of itself (tests, metrics, fluxctl debugging).
struct host_status {
  std::string host;
  double rate = 0;           ///< current requests/second
  bool paused = false;       ///< backing off right now
  uint64_t queued = 0;
  uint64_t in_flight = 0;
  uint64_t requests = 0;     ///< HTTP requests made
  uint64_t throttled = 0;    ///< 429 responses seen
  uint64_t backoffs = 0;     ///< times the host paused
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, host_status& x) {
  return f(caf::meta::type_name("host_status"), x.host, x.rate, x.paused,
           x.queued, x.in_flight, x.requests, x.throttled, x.backoffs);
}

/// A registry host for the status page and `fluxctl` debugging: what the
/// scanner's host actor knows about its traffic and its back-off. Times are
/// wall-clock; the epoch means "never" / "not paused".
struct registry_host_info {
  std::string host;
  bool answered = true; ///< false: the host actor did not answer in time
  uint64_t requests_last_minute = 0;
  double rate = 0; ///< requests/second allowed right now
  uint64_t in_flight = 0;
  uint64_t queued = 0;
  bool backing_off = false;
  caf::timestamp backoff_until{};
  std::string last_error;
  caf::timestamp last_error_at{};
  int64_t ratelimit_remaining = -1; ///< -1: the registry never sent it
  uint64_t repositories = 0;        ///< image repositories on this host
  uint64_t requests = 0;            ///< since the actor started
  uint64_t throttled = 0;           ///< 429 answers since then
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registry_host_info& x) {
  return f(caf::meta::type_name("registry_host_info"), x.host, x.answered,
           x.requests_last_minute, x.rate, x.in_flight, x.queued,
           x.backing_off, x.backoff_until, x.last_error, x.last_error_at,
           x.ratelimit_remaining, x.repositories, x.requests, x.throttled);
}

/// One HTTP answer a fetcher saw, for the host's back-off.
struct response_signal {
  int32_t status = 0;          ///< 0: no answer
  int64_t remaining = -1;      ///< ratelimit-remaining, -1 when absent
  int64_t window_s = -1;
  int64_t retry_after_s = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, response_signal& x) {
  return f(caf::meta::type_name("response_signal"), x.status, x.remaining,
           x.window_s, x.retry_after_s);
}

/// A fetcher's answer: the value or an error, plus what the registry said.
struct fetch_result {
  std::vector<std::string> tags;
  image_meta meta;
  caf::error error;
  std::vector<response_signal> signals;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_result& x) {
  return f(caf::meta::type_name("fetch_result"), x.tags, x.meta, x.error,
           x.signals);
}

} // namespace fluxd

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_registry, fluxd::type_id_range::registry)
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::image_meta))
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::repo_snapshot))
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::host_status))
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::response_signal))
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::fetch_result))
  CAF_ADD_TYPE_ID(fluxd_registry, (fluxd::registry_host_info))
  CAF_ADD_TYPE_ID(fluxd_registry, (std::vector<fluxd::registry_host_info>))
  CAF_ADD_ATOM(fluxd_registry, fluxd, list_tags_atom, "list_tags")
  CAF_ADD_ATOM(fluxd_registry, fluxd, fetch_meta_atom, "fetch_meta")
  CAF_ADD_ATOM(fluxd_registry, fluxd, watch_repo_atom, "watch_repo")
  CAF_ADD_ATOM(fluxd_registry, fluxd, unwatch_atom, "unwatch")
  CAF_ADD_ATOM(fluxd_registry, fluxd, rescan_atom, "rescan")
  CAF_ADD_ATOM(fluxd_registry, fluxd, scan_tick_atom, "scan_tick")
  CAF_ADD_ATOM(fluxd_registry, fluxd, host_tick_atom, "host_tick")
  CAF_ADD_ATOM(fluxd_registry, fluxd, store_meta_atom, "store_meta")
  CAF_ADD_ATOM(fluxd_registry, fluxd, host_info_atom, "host_info")
  CAF_ADD_ATOM(fluxd_registry, fluxd, registry_hosts_atom, "reg_hosts")
  CAF_ADD_ATOM(fluxd_registry, fluxd, docker_config_atom, "dockercfg")
CAF_END_TYPE_ID_BLOCK(fluxd_registry)

CAF_ERROR_CODE_ENUM(fluxd::registry_errc, "registry")

namespace fluxd {

/// Does the blocking HTTP for a registry_host (detached, one per slot).
using registry_fetcher_actor = caf::typed_actor<
  caf::replies_to<list_tags_atom, std::string>::with<fetch_result>,
  caf::replies_to<fetch_meta_atom, std::string, std::string>::with<
    fetch_result>>;

/// One per registry host. `bool priority`: the release lane, served before
/// background scans. Errors are `registry_errc` with the adapter's message.
/// `host_info` answers without `repositories` (the scanner knows those).
using registry_host_actor = caf::typed_actor<
  caf::replies_to<list_tags_atom, std::string, bool>::with<
    std::vector<std::string>>,
  caf::replies_to<fetch_meta_atom, std::string, std::string, bool>::with<
    image_meta>,
  caf::replies_to<caf::get_atom>::with<host_status>,
  caf::replies_to<host_info_atom>::with<registry_host_info>>;

/// Writes metadata cache files off the cooperative scheduler (detached):
/// `store_meta(path, content)` replaces the file crash-safely.
using metadata_writer_actor = caf::typed_actor<
  caf::reacts_to<store_meta_atom, std::string, std::string>>;

/// Whoever subscribes to an image_repo gets every changed snapshot.
using repo_listener_actor =
  caf::typed_actor<caf::reacts_to<repo_snapshot>>;

/// One per canonical repository. `watch_repo(listener, needs_created)`:
/// subscribe; `needs_created` when a policy orders by time (glob, regexp),
/// so per-tag metadata is fetched; semver/alphabetical/numerical need none.
/// `rescan(priority)`: refresh now (priority: a user is releasing).
using image_repo_actor = caf::typed_actor<
  caf::replies_to<watch_repo_atom, repo_listener_actor, bool>::with<
    repo_snapshot>,
  caf::reacts_to<unwatch_atom, repo_listener_actor>,
  caf::replies_to<caf::get_atom>::with<repo_snapshot>,
  caf::reacts_to<rescan_atom, bool>>;

/// Owns every registry_host and image_repo: resolves any spelling of an
/// image to its canonical repository, applies the include/exclude globs and
/// starts actors on first use. `watch_repo(image, listener, needs_created)`;
/// `get(image)` a snapshot; `rescan(image, priority)` for releases;
/// `registry_hosts` every host it talks to, sorted by name (a host actor
/// that does not answer in time is listed with `answered` false).
using registry_scanner_actor = caf::typed_actor<
  caf::replies_to<watch_repo_atom, std::string, repo_listener_actor,
                  bool>::with<repo_snapshot>,
  caf::replies_to<caf::get_atom, std::string>::with<repo_snapshot>,
  caf::reacts_to<rescan_atom, std::string, bool>,
  caf::replies_to<registry_hosts_atom>::with<
    std::vector<registry_host_info>>>;

} // namespace fluxd
