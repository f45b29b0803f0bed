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

#include "messages/git.hpp"
#include "messages/ids.hpp"
#include "messages/registry.hpp"

/// The automation protocol: `job_queue` (one per repository) runs update
/// jobs (releases, policy changes, automated updates, syncs) one after the
/// other and keeps their status; `automation` watches the image
/// repositories of the workloads in git and queues `auto` jobs; an event
/// sink receives every commit, release and sync as a structured event.
namespace fluxd {

/// A job's status (Flux v1's job.Status, §3.4.6).
struct job_info {
  std::string id;
  std::string state; ///< queued, running, succeeded, failed
  std::string error;
  std::string revision; ///< the pushed commit (or synced head)
  /// The whole job.Status as Flux v1 serves it on /v6/jobs?id=…
  std::string json;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_info& x) {
  return f(caf::meta::type_name("job_info"), x.id, x.state, x.error,
           x.revision, x.json);
}

/// One tag of an image repository as list-images shows it.
struct image_tag {
  std::string tag;
  caf::timestamp created{}; ///< epoch: unknown
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_tag& x) {
  return f(caf::meta::type_name("image_tag"), x.tag, x.created);
}

/// A container of a workload in git and the images it could run.
struct container_images {
  std::string workload;   ///< ns:kind/name
  std::string container;
  std::string current;    ///< image as git spells it
  std::string repository; ///< canonical
  std::string pattern;    ///< the container's tag filter (`glob:*`)
  std::string newest;     ///< newest allowed ref; "" when none
  std::vector<image_tag> available; ///< every tag, newest first by time
  std::vector<image_tag> filtered;  ///< allowed tags, the filter's order
  bool automated = false;
  bool locked = false;
  std::string problem; ///< why `newest` is empty, when known
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, container_images& x) {
  return f(caf::meta::type_name("container_images"), x.workload, x.container,
           x.current, x.repository, x.pattern, x.newest, x.available,
           x.filtered, x.automated, x.locked, x.problem);
}

/// A workload at the branch head and its policies (names without prefix),
/// as list-workloads shows them.
struct git_workload {
  std::string id;
  std::map<std::string, std::string> policies;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_workload& x) {
  return f(caf::meta::type_name("git_workload"), x.id, x.policies);
}

/// The workloads of one revision ("" before the first was loaded).
struct git_workloads {
  std::string revision;
  std::vector<git_workload> workloads;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_workloads& x) {
  return f(caf::meta::type_name("git_workloads"), x.revision, x.workloads);
}

/// A structured event (sync, commit, release, autorelease, policy).
struct fluxd_event {
  std::string type;
  std::string json; ///< the event body (adapters/notify renders it)
  caf::timestamp at{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fluxd_event& x) {
  return f(caf::meta::type_name("fluxd_event"), x.type, x.json, x.at);
}

/// Errors of jobs (category "job").
enum class job_errc : uint8_t {
  bad_spec = 1,   ///< the update.Spec cannot be decoded (HTTP 400)
  unknown_job,    ///< `unknown job "<id>"` (HTTP 404)
  release_failed, ///< a plan that cannot be made (text in the context)
  readonly,       ///< --git-readonly: no commits
  unavailable,    ///< git or the registry did not answer
};

std::string to_string(job_errc x);
std::string render_job_error(uint8_t code, caf::atom_value category,
                             const caf::message& context);

} // namespace fluxd

CAF_ERROR_CODE_ENUM(fluxd::job_errc, "job")

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_auto, fluxd::type_id_range::automation)
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::job_info))
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::image_tag))
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::container_images))
  CAF_ADD_TYPE_ID(fluxd_auto, (std::vector<fluxd::container_images>))
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::fluxd_event))
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::git_workload))
  CAF_ADD_TYPE_ID(fluxd_auto, (std::vector<fluxd::git_workload>))
  CAF_ADD_TYPE_ID(fluxd_auto, (fluxd::git_workloads))
  CAF_ADD_ATOM(fluxd_auto, fluxd, job_submit_atom, "jobsubmit")
  CAF_ADD_ATOM(fluxd_auto, fluxd, job_status_atom, "jobstatus")
  CAF_ADD_ATOM(fluxd_auto, fluxd, job_wait_atom, "jobwait")
  CAF_ADD_ATOM(fluxd_auto, fluxd, job_next_atom, "jobnext")
  CAF_ADD_ATOM(fluxd_auto, fluxd, list_images_atom, "listimages")
  CAF_ADD_ATOM(fluxd_auto, fluxd, auto_check_atom, "autocheck")
  CAF_ADD_ATOM(fluxd_auto, fluxd, auto_tick_atom, "autotick")
  CAF_ADD_ATOM(fluxd_auto, fluxd, auto_sub_atom, "autosub")
  CAF_ADD_ATOM(fluxd_auto, fluxd, git_workloads_atom, "gitwloads")
CAF_END_TYPE_ID_BLOCK(fluxd_auto)

namespace fluxd {

/// Receives events (the notifier; tests).
using event_sink_actor = caf::typed_actor<caf::reacts_to<fluxd_event>>;

/// Asked to check for image updates now (a policy job added `automated`).
using auto_check_actor = caf::typed_actor<caf::reacts_to<auto_check_atom>>;

/// One per repository (branch). Jobs run one at a time in arrival order;
/// their commits go through the repository's one git_writer.
using job_queue_actor = caf::typed_actor<
  /// Submit an update.Spec (Flux v1 JSON, §3.4.5); answers the job ID.
  /// Plans run at once: the answer comes when their status is final.
  caf::replies_to<job_submit_atom, std::string>::with<std::string>,
  /// A job's status; after a restart found from the notes in git.
  caf::replies_to<job_status_atom, std::string>::with<job_info>,
  /// Answers when the job has succeeded or failed.
  caf::replies_to<job_wait_atom, std::string>::with<job_info>,
  /// Who to ask for an automation check after a policy job.
  caf::reacts_to<auto_sub_atom, auto_check_actor>>;

/// Watches the image repositories of the workloads in git and queues
/// `auto` jobs for automated workloads (batched, one commit per batch).
using automation_actor = caf::typed_actor<
  caf::reacts_to<git_revision>, caf::reacts_to<repo_snapshot>,
  caf::reacts_to<auto_check_atom>,
  /// Every container of the workload with this ID ("": of every workload)
  /// in git, with its newest allowed tag.
  caf::replies_to<list_images_atom, std::string>::with<
    std::vector<container_images>>,
  /// The workloads at the branch head with their policies.
  caf::replies_to<git_workloads_atom>::with<git_workloads>>;

} // namespace fluxd
