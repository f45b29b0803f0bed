// Encoders for the wire types: field order, names and omission as the Go
// structs declare them (see types.hpp).

#include "adapters/api/types.hpp"

namespace fluxd::api {

namespace {

void string_list(go_json_writer& w,
                 const std::optional<std::vector<std::string>>& xs) {
  if (!xs) {
    w.null();
    return;
  }
  w.begin_array();
  for (auto& x : *xs)
    w.value(x);
  w.end_array();
}

void map_of_strings(go_json_writer& w, const string_map& m) {
  w.begin_object();
  for (auto& [k, v] : m)
    w.key(k).value(v);
  w.end_object();
}

void labels(go_json_writer& w, const image_labels& l) {
  w.begin_object();
  if (l.build_date)
    w.key("org.label-schema.build-date")
        .value(format_rfc3339_nano(*l.build_date));
  if (l.created)
    w.key("org.opencontainers.image.created")
        .value(format_rfc3339_nano(*l.created));
  w.end_object();
}

void container_updates(go_json_writer& w,
                       const std::optional<std::vector<container_update>>& xs) {
  if (!xs) {
    w.null();
    return;
  }
  w.begin_array();
  for (auto& u : *xs) {
    w.begin_object();
    w.key("Container").value(u.container);
    w.key("Current").value(u.current);
    w.key("Target").value(u.target);
    w.end_object();
  }
  w.end_array();
}

void encode_spec_body(go_json_writer& w, const release_image_spec& s) {
  w.begin_object();
  w.key("ServiceSpecs");
  string_list(w, s.service_specs);
  w.key("ImageSpec").value(s.image_spec);
  w.key("Kind").value(s.kind);
  w.key("Excludes");
  string_list(w, s.excludes);
  w.key("Force").value(s.force);
  w.end_object();
}

void encode_spec_body(go_json_writer& w, const release_containers_spec& s) {
  w.begin_object();
  w.key("Kind").value(s.kind);
  w.key("ContainerSpecs");
  if (!s.specs) {
    w.null();
  } else {
    w.begin_object();
    for (auto& [id, ups] : *s.specs) {
      w.key(id);
      container_updates(w, ups);
    }
    w.end_object();
  }
  w.key("SkipMismatches").value(s.skip_mismatches);
  w.key("Force").value(s.force);
  w.end_object();
}

void encode_spec_body(go_json_writer& w, const policy_updates& p) {
  w.begin_object();
  for (auto& [id, u] : p) {
    w.key(id).begin_object();
    if (!u.add.empty()) {
      w.key("add");
      map_of_strings(w, u.add);
    }
    if (!u.remove.empty()) {
      w.key("remove");
      map_of_strings(w, u.remove);
    }
    w.end_object();
  }
  w.end_object();
}

void encode_spec_body(go_json_writer& w, const automated_spec& a) {
  w.begin_object();
  w.key("Changes");
  if (!a.changes) {
    w.null();
  } else {
    w.begin_array();
    for (auto& c : *a.changes) {
      w.begin_object();
      w.key("WorkloadID").value(c.workload_id);
      w.key("Container").begin_object();
      w.key("Name").value(c.container_name);
      w.key("Image").value(c.container_image);
      w.end_object();
      w.key("ImageID").value(c.image_id);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void encode_spec_body(go_json_writer& w, const manual_sync&) {
  w.begin_object().end_object();
}

} // namespace

void encode(go_json_writer& w, const image_info& x) {
  w.begin_object();
  w.key("ID").value(x.id);
  if (!x.digest.empty())
    w.key("Digest").value(x.digest);
  if (!x.image_id.empty())
    w.key("ImageID").value(x.image_id);
  w.key("Labels");
  labels(w, x.labels);
  if (x.created_at)
    w.key("CreatedAt").value(format_rfc3339_nano(*x.created_at));
  if (x.last_fetched)
    w.key("LastFetched").value(format_rfc3339_nano(*x.last_fetched));
  w.end_object();
}

void encode(go_json_writer& w, const container& x) {
  w.begin_object();
  if (!x.name.empty())
    w.key("Name").value(x.name);
  w.key("Current");
  encode(w, x.current);
  w.key("LatestFiltered");
  encode(w, x.latest_filtered);
  if (!x.available.empty()) {
    w.key("Available").begin_array();
    for (auto& i : x.available)
      encode(w, i);
    w.end_array();
  }
  if (!x.available_error.empty())
    w.key("AvailableError").value(x.available_error);
  if (x.available_images_count)
    w.key("AvailableImagesCount").value(x.available_images_count);
  if (x.new_available_images_count)
    w.key("NewAvailableImagesCount").value(x.new_available_images_count);
  if (x.filtered_images_count)
    w.key("FilteredImagesCount").value(x.filtered_images_count);
  if (x.new_filtered_images_count)
    w.key("NewFilteredImagesCount").value(x.new_filtered_images_count);
  w.end_object();
}

namespace {

void containers(go_json_writer& w,
                const std::optional<std::vector<container>>& xs) {
  if (!xs) {
    w.null();
    return;
  }
  w.begin_array();
  for (auto& c : *xs)
    encode(w, c);
  w.end_array();
}

} // namespace

void encode(go_json_writer& w, const controller_status& x) {
  w.begin_object();
  w.key("ID").value(x.id);
  w.key("Containers");
  containers(w, x.containers);
  w.key("ReadOnly").value(x.read_only);
  w.key("Status").value(x.status);
  w.key("Rollout").begin_object();
  w.key("Desired").value(int64_t{x.rollout.desired});
  w.key("Updated").value(int64_t{x.rollout.updated});
  w.key("Ready").value(int64_t{x.rollout.ready});
  w.key("Available").value(int64_t{x.rollout.available});
  w.key("Outdated").value(int64_t{x.rollout.outdated});
  w.key("Messages");
  string_list(w, x.rollout.messages);
  w.end_object();
  w.key("SyncError").value(x.sync_error);
  w.key("Antecedent").value(x.antecedent);
  w.key("Labels");
  if (x.labels)
    map_of_strings(w, *x.labels);
  else
    w.null();
  w.key("Automated").value(x.automated);
  w.key("Locked").value(x.locked);
  w.key("Ignore").value(x.ignore);
  w.key("Policies");
  map_of_strings(w, x.policies);
  w.end_object();
}

void encode(go_json_writer& w, const image_status& x) {
  w.begin_object();
  w.key("ID").value(x.id);
  w.key("Containers");
  containers(w, x.containers);
  w.end_object();
}

void encode(go_json_writer& w, const public_key& x) {
  w.begin_object();
  w.key("key").value(x.key);
  w.key("fingerprints");
  if (!x.fingerprints) {
    w.null();
  } else {
    w.begin_object();
    for (auto& [name, f] : *x.fingerprints) {
      w.key(name).begin_object();
      w.key("hash").value(f.hash);
      w.key("randomart").value(f.randomart);
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();
}

void encode(go_json_writer& w, const git_config& x) {
  w.begin_object();
  w.key("remote").begin_object();
  w.key("url").value(x.url);
  w.key("branch").value(x.branch);
  w.key("path").value(x.path);
  w.end_object();
  w.key("publicSSHKey");
  encode(w, x.public_ssh_key);
  w.key("status").value(x.status);
  w.key("errors").value(x.errors);
  w.end_object();
}

void encode(go_json_writer& w, const update_spec& x) {
  w.begin_object();
  w.key("type").value(x.type);
  w.key("cause").begin_object();
  w.key("Message").value(x.cause.message);
  w.key("User").value(x.cause.user);
  w.end_object();
  w.key("spec");
  std::visit([&w](auto& s) { encode_spec_body(w, s); }, x.spec);
  w.end_object();
}

void encode(go_json_writer& w, const update_result& x) {
  w.begin_object();
  for (auto& [id, r] : x) {
    w.key(id).begin_object();
    w.key("Status").value(r.status);
    if (!r.error.empty())
      w.key("Error").value(r.error);
    w.key("PerContainer");
    container_updates(w, r.per_container);
    w.end_object();
  }
  w.end_object();
}

void encode(go_json_writer& w, const job_status& x) {
  w.begin_object();
  w.key("Result").begin_object();
  if (!x.result.revision.empty())
    w.key("revision").value(x.result.revision);
  if (x.result.spec) {
    w.key("spec");
    encode(w, *x.result.spec);
  }
  if (x.result.result && !x.result.result->empty()) {
    w.key("result");
    encode(w, *x.result.result);
  }
  w.end_object();
  w.key("Err").value(x.err);
  w.key("StatusString").value(x.status_string);
  w.end_object();
}

void encode(go_json_writer& w, const change& x) {
  w.begin_object();
  w.key("Kind").value(x.kind);
  w.key("Source").begin_object();
  if (x.kind == "image") {
    w.key("Name").begin_object();
    w.key("Domain").value(x.image_domain);
    w.key("Image").value(x.image_name);
    w.end_object();
  } else {
    w.key("URL").value(x.git_url);
    w.key("Branch").value(x.git_branch);
  }
  w.end_object();
  w.end_object();
}

std::string to_json(const std::vector<controller_status>& xs) {
  go_json_writer w;
  w.begin_array();
  for (auto& x : xs)
    encode(w, x);
  w.end_array();
  return w.take();
}

std::string to_json(const std::vector<image_status>& xs) {
  go_json_writer w;
  w.begin_array();
  for (auto& x : xs)
    encode(w, x);
  w.end_array();
  return w.take();
}

std::string to_json(const std::vector<std::string>& xs) {
  go_json_writer w;
  w.begin_array();
  for (auto& x : xs)
    w.value(x);
  w.end_array();
  return w.take();
}

} // namespace fluxd::api
