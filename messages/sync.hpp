#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/git.hpp"
#include "messages/ids.hpp"

/// The sync protocol (git → cluster): the `sync_coordinator` of a
/// repository (what the API asks: errors per resource, the last synced
/// revision, "sync now"), the resource actors it owns (one per resource ID),
/// and the detached kube workers and watchers that do the blocking calls.
namespace fluxd {

/// A resource that failed to apply (Flux v1's `SyncError`), or a file that
/// failed to load (then `id` is empty).
struct resource_error {
  std::string id; ///< namespace:kind/name
  std::string source; ///< file relative to the repository root
  std::string error;
};

/// The outcome of syncing one revision.
struct sync_result {
  std::string revision;
  bool success = false;  ///< false: a whole-sync failure, marker not moved
  std::string error;     ///< the whole-sync failure
  int32_t applied = 0;   ///< written
  int32_t unchanged = 0; ///< live object already as in git: no write
  int32_t ignored = 0;
  int32_t failed = 0;
  int32_t deleted = 0;   ///< garbage collected (or would be, with -dry)
  std::vector<resource_error> errors; ///< per resource and per file
  double duration_seconds = 0;
  int64_t finished_unix_ms = 0;
};

/// Where a repository's sync stands.
struct sync_status {
  std::string head;        ///< newest revision heard from git
  std::string synced;      ///< last revision whose sync succeeded (marker)
  std::string in_progress; ///< revision being synced, "" when idle
  int32_t resources = 0;   ///< resource actors alive
  int32_t restarts = 0;    ///< resource actors restarted after a crash
  std::vector<resource_error> errors; ///< of the newest finished sync
};

/// A resource's desired state from one revision (the object as JSON text).
struct desired_state {
  std::string revision;
  std::string id;
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string source;
  std::string checksum;
  int32_t rank = 4;
  bool ignore_in_file = false;
  std::string object; ///< JSON, with namespace, gc mark and checksum
};

/// What became of a desired state: "applied", "unchanged", "ignored",
/// "failed", "superseded" (a newer desired state came first).
struct apply_outcome {
  std::string id;
  std::string status;
  std::string error;
  bool unreachable = false; ///< the API server did not answer
};

/// The live object of an ID as a watch saw it. Local only: the watcher's
/// parsed tree is shared with the resource actor, not printed and parsed
/// again (two of the five JSON passes per event a sync of 10,000 paid).
struct live_event {
  enum class state : uint8_t {
    present,   ///< `object` holds it
    deleted,   ///< a watch saw it deleted
    not_listed ///< absent from its kind's first listing
  };
  std::string id;
  state what = state::present;
  std::shared_ptr<const boost::json::value> object;
};

/// Everything the workers return after loading a revision's files.
struct prepared_set {
  std::vector<desired_state> resources;
  std::vector<resource_error> errors;   ///< files that did not load
  std::vector<std::string> warnings;
  std::vector<std::string> excluded;    ///< outside --k8s-allow-namespace
};

/// An object carrying a gc mark, as listed for garbage collection.
struct marked_ref {
  std::string id;
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string mark;
  std::string checksum;
  std::string ignore;
  bool owned = false;
};

/// Error codes of the sync actors (category "sync").
enum class sync_errc : uint8_t {
  unreachable = 1, ///< transport failure: the API server is away
  api,             ///< the API refused (context: its Status message)
  manifests,       ///< files could not be loaded
  other,
};

std::string to_string(sync_errc x);

std::string render_sync_error(uint8_t code, caf::atom_value category,
                              const caf::message& context);

/// The detail of a sync error (its context text), else its rendering.
std::string error_text(const caf::error& err);

/// Whether an error says the API server did not answer.
bool is_unreachable(const caf::error& err);

// -- inspect -----------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource_error& x) {
  return f(caf::meta::type_name("resource_error"), x.id, x.source, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_result& x) {
  return f(caf::meta::type_name("sync_result"), x.revision, x.success,
           x.error, x.applied, x.unchanged, x.ignored, x.failed, x.deleted,
           x.errors, x.duration_seconds, x.finished_unix_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_status& x) {
  return f(caf::meta::type_name("sync_status"), x.head, x.synced,
           x.in_progress, x.resources, x.restarts, x.errors);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, desired_state& x) {
  return f(caf::meta::type_name("desired_state"), x.revision, x.id,
           x.api_version, x.kind, x.ns, x.name, x.source, x.checksum, x.rank,
           x.ignore_in_file, x.object);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_outcome& x) {
  return f(caf::meta::type_name("apply_outcome"), x.id, x.status, x.error,
           x.unreachable);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepared_set& x) {
  return f(caf::meta::type_name("prepared_set"), x.resources, x.errors,
           x.warnings, x.excluded);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, marked_ref& x) {
  return f(caf::meta::type_name("marked_ref"), x.id, x.api_version, x.kind,
           x.ns, x.name, x.mark, x.checksum, x.ignore, x.owned);
}

} // namespace fluxd

CAF_ERROR_CODE_ENUM(fluxd::sync_errc, "sync")

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fluxd::live_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<fluxd::live_event>)

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_sync, fluxd::type_id_range::sync)
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::resource_error))
  CAF_ADD_TYPE_ID(fluxd_sync, (std::vector<fluxd::resource_error>))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::sync_result))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::sync_status))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::desired_state))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::apply_outcome))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::prepared_set))
  CAF_ADD_TYPE_ID(fluxd_sync, (fluxd::marked_ref))
  CAF_ADD_TYPE_ID(fluxd_sync, (std::vector<fluxd::marked_ref>))
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_now_atom, "syncnow")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_status_atom, "syncstat")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_result_atom, "syncres")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_errors_atom, "syncerrs")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_tick_atom, "synctick")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_retry_atom, "syncretry")
  CAF_ADD_ATOM(fluxd_sync, fluxd, resource_atom, "resource")
  CAF_ADD_ATOM(fluxd_sync, fluxd, desired_atom, "desired")
  CAF_ADD_ATOM(fluxd_sync, fluxd, res_retry_atom, "resretry")
  CAF_ADD_ATOM(fluxd_sync, fluxd, watch_synced_atom, "watchsync")
  CAF_ADD_ATOM(fluxd_sync, fluxd, kube_get_atom, "kubeget")
  CAF_ADD_ATOM(fluxd_sync, fluxd, kube_apply_atom, "kubeapply")
  CAF_ADD_ATOM(fluxd_sync, fluxd, kube_delete_atom, "kubedel")
  CAF_ADD_ATOM(fluxd_sync, fluxd, kube_prepare_atom, "kubeprep")
  CAF_ADD_ATOM(fluxd_sync, fluxd, gc_scan_atom, "gcscan")
  CAF_ADD_ATOM(fluxd_sync, fluxd, secret_marker_atom, "secretmark")
  CAF_ADD_ATOM(fluxd_sync, fluxd, watch_kind_atom, "watchkind")
  CAF_ADD_ATOM(fluxd_sync, fluxd, sync_deadline_atom, "syncdead")
  CAF_ADD_ATOM(fluxd_sync, fluxd, watchers_atom, "watchers")
  CAF_ADD_ATOM(fluxd_sync, fluxd, watch_restart_atom, "watchagain")
  CAF_ADD_ATOM(fluxd_sync, fluxd, watch_ended_atom, "watchended")
  CAF_ADD_ATOM(fluxd_sync, fluxd, stage_wait_atom, "stagewait")
  CAF_ADD_ATOM(fluxd_sync, fluxd, unsettled_atom, "unsettled")
CAF_END_TYPE_ID_BLOCK(fluxd_sync)

namespace fluxd {

/// A repository's sync coordinator: what the API and git talk to.
using sync_actor = caf::typed_actor<
  /// New branch heads from git_mirror (it is a git listener).
  caf::reacts_to<git_revision>,
  /// `fluxctl sync`: fetch, then sync the head; answers that head.
  caf::replies_to<sync_now_atom>::with<std::string>,
  /// Head, last synced revision, current errors.
  caf::replies_to<sync_status_atom>::with<sync_status>,
  /// The result of a revision's latest sync ("" for the newest sync);
  /// error sync_errc::other when that revision was never synced.
  caf::replies_to<sync_result_atom, std::string>::with<sync_result>,
  /// Per-resource errors of the newest sync (SyncError by workload ID).
  caf::replies_to<sync_errors_atom>::with<std::vector<resource_error>>,
  /// The actor owning a resource ID (tests, diagnostics); error when none.
  caf::replies_to<resource_atom, std::string>::with<caf::actor>>;

/// One resource: applies its desired state and puts back drift.
using resource_actor = caf::typed_actor<
  /// Answers once the first attempt for this state is done.
  caf::replies_to<desired_atom, desired_state>::with<apply_outcome>,
  caf::reacts_to<live_event>>;

/// Blocking Kubernetes calls (detached; a few of them form the pool).
using kube_worker_actor = caf::typed_actor<
  /// apiVersion, kind, ns, name → the object as JSON, "" when absent.
  caf::replies_to<kube_get_atom, std::string, std::string, std::string,
                  std::string>::with<std::string>,
  /// apiVersion, kind, ns, name, the object as JSON text → the stored
  /// object as the server sent it (text: the caller parses it once).
  caf::replies_to<kube_apply_atom, std::string, std::string, std::string,
                  std::string, std::string>::with<std::string>,
  /// Delete (dry: only check it exists); answers whether it was there.
  caf::replies_to<kube_delete_atom, marked_ref, bool>::with<bool>,
  /// Load a revision's files into desired states.
  caf::replies_to<kube_prepare_atom, git_files>::with<prepared_set>,
  /// Every object carrying a gc mark, in the allowed namespaces.
  caf::replies_to<gc_scan_atom>::with<std::vector<marked_ref>>,
  /// --sync-state=secret: read ("" to read only) / write the revision.
  caf::replies_to<secret_marker_atom, std::string>::with<std::string>>;

/// One watch of one kind (detached): started by a single watch_kind
/// message, it then runs until its stream_cancel is triggered.
using kube_watcher_actor = caf::typed_actor<caf::reacts_to<watch_kind_atom>>;

} // namespace fluxd
