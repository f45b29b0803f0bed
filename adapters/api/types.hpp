#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adapters/api/go_json.hpp"

/// Flux v1's HTTP API wire types (pkg/api/v6, v9, v10, v11, pkg/update,
/// pkg/job, pkg/image). Field order and names follow the Go structs so that
/// encode() is byte-identical with Go's encoding/json. Resource IDs and image
/// refs stay strings: the API carries them as strings and the daemon has
/// already parsed them. std::optional<vector/map> is a Go slice/map that may
/// be nil (encoded `null`), a plain vector/map is always encoded.
namespace fluxd::api {

using string_map = std::map<std::string, std::string>;

/// image.Labels: only the two timestamp labels Flux reads.
struct image_labels {
  go_time build_date; ///< org.label-schema.build-date
  go_time created;    ///< org.opencontainers.image.created
};

/// image.Info.
struct image_info {
  std::string id; ///< image ref, "" when unknown
  std::string digest;
  std::string image_id;
  image_labels labels;
  go_time created_at;
  go_time last_fetched;
};

/// cluster.RolloutStatus.
struct rollout_status {
  int32_t desired = 0;
  int32_t updated = 0;
  int32_t ready = 0;
  int32_t available = 0;
  int32_t outdated = 0;
  std::optional<std::vector<std::string>> messages;
};

/// v6.Container. Every field but Current/LatestFiltered is omitempty.
struct container {
  std::string name;
  image_info current;
  image_info latest_filtered;
  std::vector<image_info> available;
  std::string available_error;
  int available_images_count = 0;
  int new_available_images_count = 0;
  int filtered_images_count = 0;
  int new_filtered_images_count = 0;
};

/// v6.ControllerStatus (one row of list-workloads).
struct controller_status {
  std::string id;
  std::optional<std::vector<container>> containers;
  std::string read_only; ///< "", NotInRepo, System, NoRepo, NotReady, ...
  std::string status;
  rollout_status rollout;
  std::string sync_error;
  std::string antecedent;
  std::optional<string_map> labels;
  bool automated = false;
  bool locked = false;
  bool ignore = false;
  string_map policies;
};

/// v6.ImageStatus (one row of list-images).
struct image_status {
  std::string id;
  std::optional<std::vector<container>> containers;
};

struct fingerprint {
  std::string hash;
  std::string randomart;
};

/// ssh.PublicKey.
struct public_key {
  std::string key;
  std::optional<std::map<std::string, fingerprint>> fingerprints;
};

/// v6.GitConfig.
struct git_config {
  std::string url; ///< sanitised: no password
  std::string branch;
  std::string path; ///< --git-path values joined by ","
  public_key public_ssh_key;
  std::string status; ///< unconfigured|new|cloned|ready|unreachable
  std::string errors;
};

/// update.Cause.
struct cause {
  std::string message;
  std::string user;
};

/// update.ReleaseImageSpec (type "image").
struct release_image_spec {
  std::optional<std::vector<std::string>> service_specs; ///< IDs or "<all>"
  std::string image_spec; ///< ref with tag, or "<all latest>"
  std::string kind;       ///< plan | execute
  std::optional<std::vector<std::string>> excludes;
  bool force = false;
};

/// update.ContainerUpdate.
struct container_update {
  std::string container;
  std::string current;
  std::string target;
};

using container_specs =
    std::map<std::string, std::optional<std::vector<container_update>>>;

/// update.ReleaseContainersSpec (type "containers").
struct release_containers_spec {
  std::string kind;
  std::optional<container_specs> specs;
  bool skip_mismatches = false;
  bool force = false;
};

/// resource.PolicyUpdate; sets are name → value ("true" for booleans).
struct policy_update {
  string_map add;
  string_map remove;
};

/// resource.PolicyUpdates (type "policy"), keyed by workload ID.
using policy_updates = std::map<std::string, policy_update>;

/// update.Change inside an `auto` spec.
struct auto_change {
  std::string workload_id;
  std::string container_name;
  std::string container_image;
  std::string image_id;
};

/// update.Automated (type "auto").
struct automated_spec {
  std::optional<std::vector<auto_change>> changes;
};

/// update.ManualSync (type "sync").
struct manual_sync {};

/// update.Spec: the body of POST /v9/update-manifests.
struct update_spec {
  std::string type; ///< image | containers | policy | auto | sync
  api::cause cause;
  std::variant<release_image_spec, release_containers_spec, policy_updates,
               automated_spec, manual_sync>
      spec;
};

/// update.WorkloadResult.
struct workload_result {
  std::string status; ///< success | failed | skipped | ignored | unknown
  std::string error;
  std::optional<std::vector<container_update>> per_container;
};

/// update.Result, keyed by workload ID.
using update_result = std::map<std::string, workload_result>;

/// job.Result: every member omitempty.
struct job_result {
  std::string revision;
  std::optional<update_spec> spec;
  std::optional<update_result> result; ///< nullopt or empty: omitted
};

/// job.Status.
struct job_status {
  job_result result;
  std::string err;
  std::string status_string; ///< queued | running | failed | succeeded
};

/// v9.Change (body of notify). Git changes carry URL and branch, image
/// changes a repository name split into domain and image path.
struct change {
  std::string kind; ///< git | image
  std::string git_url;
  std::string git_branch;
  std::string image_domain;
  std::string image_name;
};

// -- encoding ---------------------------------------------------------------

void encode(go_json_writer& w, const image_info& x);
void encode(go_json_writer& w, const container& x);
void encode(go_json_writer& w, const controller_status& x);
void encode(go_json_writer& w, const image_status& x);
void encode(go_json_writer& w, const public_key& x);
void encode(go_json_writer& w, const git_config& x);
void encode(go_json_writer& w, const update_spec& x);
void encode(go_json_writer& w, const update_result& x);
void encode(go_json_writer& w, const job_status& x);
void encode(go_json_writer& w, const change& x);

/// encode() into a fresh string.
template <class T>
std::string to_json(const T& x) {
  go_json_writer w;
  encode(w, x);
  return w.take();
}
std::string to_json(const std::vector<controller_status>& xs);
std::string to_json(const std::vector<image_status>& xs);
std::string to_json(const std::vector<std::string>& xs);

// -- decoding (throw decode_error naming the field) --------------------------

update_spec decode_update_spec(const std::string& json);
policy_updates decode_policy_updates(const std::string& json);
change decode_change(const std::string& json);
job_status decode_job_status(const std::string& json);
git_config decode_git_config(const std::string& json);
public_key decode_public_key(const std::string& json);
std::vector<controller_status>
decode_controller_statuses(const std::string& json);
std::vector<image_status> decode_image_statuses(const std::string& json);
std::vector<std::string> decode_string_list(const std::string& json);
std::string decode_string(const std::string& json);
bool decode_bool(const std::string& json);

} // namespace fluxd::api
