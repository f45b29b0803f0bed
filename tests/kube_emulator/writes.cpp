/// The write half of the store: create, update, patch (including
/// server-side apply) and delete with the API server's rules.
#include "tests/kube_emulator/store.hpp"

#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/patch.hpp"
#include "tests/kube_emulator/ssa.hpp"

namespace kube_emulator {

namespace {

api_error not_found(const resource_type& type, const std::string& name) {
  return api_error(
      404, "NotFound", type.group_resource() + " \"" + name + "\" not found",
      json::object{
          {"name", name}, {"group", type.group}, {"kind", type.plural}});
}

api_error conflict(const resource_type& type, const std::string& name,
                   const std::string& why) {
  return api_error(409, "Conflict",
                   "Operation cannot be fulfilled on " + type.group_resource()
                       + " \"" + name + "\": " + why,
                   json::object{{"name", name},
                                {"group", type.group},
                                {"kind", type.plural}});
}

/// kind/apiVersion in a body must name the URL's kind when present.
void check_kind(const resource_type& type, json::object& body, bool required) {
  auto kind = str(body, "kind");
  auto api_version = str(body, "apiVersion");
  if (required && (kind.empty() || api_version.empty()))
    throw bad_request("apiVersion and kind are required for apply");
  if (!kind.empty() && kind != type.kind)
    throw bad_request("the kind in the body (" + kind
                      + ") does not match the kind of the URL (" + type.kind
                      + ")");
  if (!api_version.empty() && api_version != type.group_version())
    throw bad_request("the API version in the data (" + api_version
                      + ") does not match the expected API version ("
                      + type.group_version() + ")");
  body["kind"] = type.kind;
  body["apiVersion"] = type.group_version();
}

bool has_finalizers(const json::object& obj) {
  auto* md = child(obj, "metadata");
  auto* f = md ? md->if_contains("finalizers") : nullptr;
  return f && f->is_array() && !f->as_array().empty();
}

} // namespace

object_ptr store::create_locked(const resource_type& type,
                                const std::string& ns, json::object body,
                                const write_options& opts, bool record_fields,
                                json::value* managed_fields) {
  check_kind(type, body, false);
  if (type.has_status)
    body.erase("status");
  // Taken after the last insertion into body: Boost.JSON may relocate.
  auto& md = child_or_create(body, "metadata");
  if (str(md, "name").empty() && !str(md, "generateName").empty())
    md["name"] = str(md, "generateName") + random_suffix();
  std::string name = str(md, "name");
  if (type.namespaced) {
    auto body_ns = str(md, "namespace");
    if (!body_ns.empty() && !ns.empty() && body_ns != ns)
      throw bad_request("the namespace of the provided object does not match "
                        "the namespace sent on the request");
    md["namespace"] = ns.empty() ? body_ns : ns;
    if (str(md, "namespace").empty())
      throw bad_request("the namespace of the object is missing");
    require_namespace(type, str(md, "namespace"));
  } else {
    md.erase("namespace");
  }
  if (name.empty())
    validate(type, body); // reports the missing name
  if (find_locked(type, str(md, "namespace"), name))
    throw api_error(409, "AlreadyExists",
                    type.group_resource() + " \"" + name + "\" already exists",
                    json::object{{"name", name},
                                 {"group", type.group},
                                 {"kind", type.plural}});

  for (const char* k : {"uid", "resourceVersion", "creationTimestamp",
                        "deletionTimestamp", "generation", "managedFields"})
    md.erase(k);
  md["uid"] = new_uid();
  md["creationTimestamp"] = now_rfc3339();
  if (type.has_generation)
    md["generation"] = 1;
  if (managed_fields)
    md["managedFields"] = std::move(*managed_fields);
  apply_defaults(type, body);
  validate(type, body);
  std::vector<resource_type> crd_kinds;
  if (type.kind == "CustomResourceDefinition") {
    crd_kinds = resource_registry::from_crd(body);
    auto& status = child_or_create(body, "status");
    status["conditions"] = json::array{{{"type", "NamesAccepted"},
                                        {"status", "True"},
                                        {"reason", "NoConflicts"},
                                        {"lastTransitionTime", now_rfc3339()}},
                                       {{"type", "Established"},
                                        {"status", "True"},
                                        {"reason", "InitialNamesAccepted"},
                                        {"lastTransitionTime", now_rfc3339()}}};
    if (auto* spec = child(body, "spec"))
      if (auto* names = spec->if_contains("names"))
        status["acceptedNames"] = *names;
  }
  if (record_fields && !opts.field_manager.empty())
    ssa::record_update(nullptr, body,
                       {opts.field_manager, type.group_version()});
  auto obj = commit(type, std::move(body), "ADDED", nullptr, opts.dry_run);
  if (opts.dry_run)
    return obj;
  if (!crd_kinds.empty())
    registry_.set_custom(name, std::move(crd_kinds));
  if (type.kind == "Namespace" && type.group.empty()) {
    auto sa = registry_.find("", "v1", "serviceaccounts");
    json::object body_sa{{"metadata", {{"name", "default"}}}};
    create_locked(*sa, name, std::move(body_sa), {}, false);
  }
  if (is_workload(type) && on_workload_)
    on_workload_(type, *obj);
  return obj;
}

write_result store::create(const resource_type& type, const std::string& ns,
                           json::object body, const write_options& opts) {
  std::lock_guard<std::mutex> guard{mutex_};
  return {create_locked(type, ns, std::move(body), opts, true), 201};
}

object_ptr store::finish_write(const resource_type& type, object_ptr old,
                               json::object next, const write_options& opts,
                               const std::string& subresource) {
  next["kind"] = type.kind;
  next["apiVersion"] = type.group_version();
  // Re-fetched after insertions into next: Boost.JSON may relocate.
  auto meta = [&]() -> json::object& {
    return child_or_create(next, "metadata");
  };
  auto& old_md = *child(*old, "metadata");
  for (const char* k :
       {"name", "namespace", "uid", "creationTimestamp", "generation",
        "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    if (auto* v = old_md.if_contains(k))
      meta()[k] = *v;
    else
      meta().erase(k);
  }
  meta()["resourceVersion"] = old_md.at("resourceVersion");
  apply_defaults(type, next);
  validate(type, next);
  validate_update(type, *old, next);
  bool spec_change = spec_changed(*old, next);
  if (type.has_generation && spec_change) {
    auto* g = old_md.if_contains("generation");
    std::int64_t gen = g && g->is_int64() ? g->as_int64() : 1;
    meta()["generation"] = gen + 1;
  }
  std::vector<resource_type> crd_kinds;
  if (type.kind == "CustomResourceDefinition") {
    crd_kinds = resource_registry::from_crd(next);
    if (auto* spec = child(next, "spec"))
      if (auto* names = spec->if_contains("names"))
        child_or_create(next, "status")["acceptedNames"] = *names;
  }
  if (subresource.empty() && !opts.field_manager.empty()
      && opts.field_manager != "\x01apply")
    ssa::record_update(old.get(), next,
                       {opts.field_manager, type.group_version()});
  // An object marked for deletion goes once its last finalizer is gone.
  bool release = meta().contains("deletionTimestamp") && !has_finalizers(next);
  if (release) {
    auto obj = commit(type, std::move(next), "DELETED", old, opts.dry_run);
    if (!opts.dry_run)
      cascade_locked(meta_str(*obj, "uid"), {});
    return obj;
  }
  if (next == *old)
    return old; // a no-op write keeps its resourceVersion
  auto obj = commit(type, std::move(next), "MODIFIED", old, opts.dry_run);
  if (opts.dry_run)
    return obj;
  if (!crd_kinds.empty())
    registry_.set_custom(meta_str(*obj, "name"), std::move(crd_kinds));
  if (is_workload(type) && spec_change && on_workload_)
    on_workload_(type, *obj);
  return obj;
}

write_result store::update(const resource_type& type, const std::string& ns,
                           const std::string& name, json::object body,
                           const std::string& subresource,
                           const write_options& opts) {
  std::lock_guard<std::mutex> guard{mutex_};
  check_kind(type, body, false);
  auto old = find_locked(type, ns, name);
  if (!old)
    throw not_found(type, name);
  auto body_name = meta_str(body, "name");
  if (!body_name.empty() && body_name != name)
    throw bad_request("the name of the object (" + body_name
                      + ") does not match the name on the URL (" + name + ")");
  auto rv = meta_str(body, "resourceVersion");
  if (!rv.empty() && rv != meta_str(*old, "resourceVersion"))
    throw conflict(type, name,
                   "the object has been modified; please apply your changes "
                   "to the latest version and try again");
  json::object next;
  if (subresource == "status") {
    next = *old;
    if (auto* s = body.if_contains("status"))
      next["status"] = *s;
    else
      next.erase("status");
  } else {
    next = std::move(body);
    if (type.has_status) {
      if (auto* s = old->if_contains("status"))
        next["status"] = *s;
      else
        next.erase("status");
    }
  }
  return {finish_write(type, old, std::move(next), opts, subresource), 200};
}

write_result store::patch(const resource_type& type, const std::string& ns,
                          const std::string& name,
                          const std::string& patch_type,
                          json::value body,
                          const std::string& subresource,
                          const write_options& opts) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto old = find_locked(type, ns, name);
  if (patch_type == "apply-patch") {
    if (opts.field_manager.empty())
      throw invalid("PatchOptions", "", "fieldManager",
                    "Required value: is required for apply patch");
    if (!body.is_object())
      throw bad_request("apply patch: the body must be an object");
    json::object applied = std::move(body.as_object());
    check_kind(type, applied, true);
    auto applied_name = meta_str(applied, "name");
    if (applied_name != name)
      throw bad_request("the name of the object (" + applied_name
                        + ") does not match the name on the URL (" + name
                        + ")");
    auto applied_ns = meta_str(applied, "namespace");
    if (type.namespaced && !applied_ns.empty() && applied_ns != ns)
      throw bad_request("the namespace of the provided object does not match "
                        "the namespace sent on the request");
    if (subresource.empty() && type.has_status)
      applied.erase("status");
    ssa::identity who{opts.field_manager, type.group_version()};
    if (!old) {
      auto merged = ssa::apply(nullptr, std::move(applied), who, opts.force);
      json::value managed =
          std::move(child_or_create(merged, "metadata")["managedFields"]);
      return {create_locked(type, ns, std::move(merged), opts, false, &managed),
              201};
    }
    auto rv = meta_str(applied, "resourceVersion");
    if (!rv.empty() && rv != meta_str(*old, "resourceVersion"))
      throw conflict(type, name,
                     "the object has been modified; please apply your "
                     "changes to the latest version and try again");
    auto merged = ssa::apply(old.get(), std::move(applied), who, opts.force);
    write_options apply_opts = opts;
    apply_opts.field_manager = "\x01apply"; // fields already recorded
    return {finish_write(type, old, std::move(merged), apply_opts, subresource),
            200};
  }
  if (!old)
    throw not_found(type, name);
  json::value patched;
  if (patch_type == "json-patch")
    patched = json_patch(json::value(*old), body);
  else if (patch_type == "merge-patch")
    patched = merge_patch(json::value(*old), body);
  else if (patch_type == "strategic-merge-patch") {
    if (!type.crd_name.empty())
      throw api_error(415, "UnsupportedMediaType",
                      "strategic merge patch is not supported for custom "
                      "resources; use a merge patch");
    patched = strategic_merge_patch(json::value(*old), body);
  } else
    throw api_error(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    "accepted media types include: "
                    "application/json-patch+json, "
                    "application/merge-patch+json, "
                    "application/apply-patch+yaml");
  if (!patched.is_object())
    throw bad_request("the patch did not produce an object");
  auto& next = patched.as_object();
  if (subresource == "status") {
    json::object keep = *old;
    if (auto* s = next.if_contains("status"))
      keep["status"] = *s;
    next = std::move(keep);
  } else if (type.has_status) {
    if (auto* s = old->if_contains("status"))
      next["status"] = *s;
    else
      next.erase("status");
  }
  return {finish_write(type, old, std::move(next), opts, subresource), 200};
}

void store::cascade_locked(const std::string& uid, const delete_options& opts) {
  if (uid.empty() || opts.propagation == "Orphan")
    return;
  auto dependents = owned_locked(uid, "");
  for (auto& [resource, obj] : dependents) {
    auto* type = type_of(*obj);
    bool gone = false;
    if (type
        && find_locked(*type, meta_str(*obj, "namespace"),
                       meta_str(*obj, "name"))
               == obj)
      remove_locked(*type, obj, opts, gone);
  }
}

write_result store::remove_locked(const resource_type& type, object_ptr old,
                                  const delete_options& opts, bool& gone) {
  auto name = meta_str(*old, "name");
  if (!opts.precondition_uid.empty()
      && opts.precondition_uid != meta_str(*old, "uid"))
    throw conflict(type, name,
                   "Precondition failed: UID in precondition: "
                       + opts.precondition_uid
                       + ", UID in object meta: " + meta_str(*old, "uid"));
  if (!opts.precondition_rv.empty()
      && opts.precondition_rv != meta_str(*old, "resourceVersion"))
    throw conflict(type, name,
                   "Precondition failed: ResourceVersion in precondition: "
                       + opts.precondition_rv
                       + ", ResourceVersion in object "
                         "meta: "
                       + meta_str(*old, "resourceVersion"));
  if (has_finalizers(*old)) {
    gone = false;
    if (!meta_str(*old, "deletionTimestamp").empty())
      return {old, 200};
    json::object next = *old;
    auto& md = child_or_create(next, "metadata");
    md["deletionTimestamp"] = now_rfc3339();
    md["deletionGracePeriodSeconds"] = 0;
    return {commit(type, std::move(next), "MODIFIED", old, opts.dry_run), 200};
  }
  if (type.kind == "Namespace" && type.group.empty()) {
    // As in the API server: the namespace turns Terminating and goes, with
    // everything in it, a moment later (reap_namespaces).
    gone = false;
    if (opts.dry_run || !meta_str(*old, "deletionTimestamp").empty())
      return {old, 200};
    json::object next = *old;
    child_or_create(next, "status")["phase"] = "Terminating";
    child_or_create(next, "metadata")["deletionTimestamp"] = now_rfc3339();
    return {commit(type, std::move(next), "MODIFIED", old, false), 200};
  }
  gone = true;
  if (opts.dry_run)
    return {old, 200};
  auto uid = meta_str(*old, "uid");
  if (opts.propagation == "Foreground")
    cascade_locked(uid, opts);
  auto deleted = commit(type, json::object(*old), "DELETED", old, false);
  if (type.kind == "CustomResourceDefinition") {
    // Its custom resources go, then the kind stops being served.
    for (auto& r : resource_registry::from_crd(*old))
      objects_.erase(r.group_resource());
    registry_.set_custom(name, {});
  }
  if (opts.propagation == "Background")
    cascade_locked(uid, opts);
  if (opts.propagation == "Orphan") {
    for (auto& [resource, obj] : owned_locked(uid, "")) {
      json::object next = *obj;
      auto& md = child_or_create(next, "metadata");
      json::array kept;
      for (auto& r : md["ownerReferences"].as_array())
        if (!r.is_object() || str(r.as_object(), "uid") != uid)
          kept.push_back(r);
      if (kept.empty())
        md.erase("ownerReferences");
      else
        md["ownerReferences"] = std::move(kept);
      if (auto* t = type_of(next))
        commit(*t, std::move(next), "MODIFIED", obj, false);
    }
  }
  return {deleted, 200};
}

write_result store::remove(const resource_type& type, const std::string& ns,
                           const std::string& name, const delete_options& opts,
                           bool& gone) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto old = find_locked(type, ns, name);
  if (!old)
    throw not_found(type, name);
  return remove_locked(type, old, opts, gone);
}

void store::reap_namespaces() {
  std::lock_guard<std::mutex> guard{mutex_};
  auto nb = objects_.find("namespaces");
  if (nb == objects_.end())
    return;
  // Like the namespace controller, take a moment: clients deleting a
  // namespace and its content in one go see the content still there.
  auto now = std::chrono::steady_clock::now();
  std::vector<object_ptr> terminating;
  for (auto& [key, ns] : nb->second)
    if (!meta_str(*ns, "deletionTimestamp").empty()) {
      auto since = terminating_since_.emplace(key, now).first->second;
      if (now - since >= std::chrono::seconds(1))
        terminating.push_back(ns);
    }
  if (terminating.empty())
    return;
  auto ns_type = *registry_.find("", "v1", "namespaces");
  delete_options opts;
  for (auto& ns : terminating) {
    auto name = meta_str(*ns, "name");
    std::vector<object_ptr> inside;
    for (auto& [resource, b] : objects_)
      for (auto& [key, obj] : b)
        if (key.compare(0, name.size() + 1, name + "/") == 0)
          inside.push_back(obj);
    for (auto& obj : inside) {
      auto* t = type_of(*obj);
      if (!t || find_locked(*t, name, meta_str(*obj, "name")) != obj)
        continue;
      // Finalizers of the content do not hold the namespace up here.
      commit(*t, json::object(*obj), "DELETED", obj, false);
    }
    commit(ns_type, json::object(*ns), "DELETED", ns, false);
    terminating_since_.erase(key_of("", name));
  }
}

std::vector<object_ptr> store::remove_collection(const resource_type& type,
                                                 const std::string& ns,
                                                 const selector& labels,
                                                 const delete_options& opts) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<object_ptr> victims, out;
  auto b = objects_.find(type.group_resource());
  if (b == objects_.end())
    return out;
  for (auto& [key, obj] : b->second)
    if ((!type.namespaced || ns.empty()
         || key.compare(0, ns.size() + 1, ns + "/") == 0)
        && labels.matches(*obj))
      victims.push_back(obj);
  for (auto& obj : victims) {
    bool gone = false;
    if (find_locked(type, meta_str(*obj, "namespace"), meta_str(*obj, "name"))
        == obj)
      out.push_back(remove_locked(type, obj, opts, gone).object);
  }
  return out;
}

} // namespace kube_emulator
