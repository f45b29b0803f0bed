/// Objects the simulated controllers own (ReplicaSets, Pods).
#include "tests/kube_emulator/store.hpp"

#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

namespace {

/// What a controller sets: labels, ownerReferences, spec, status.
bool same_content(const json::object& have, const json::object& want) {
  for (const char* k : {"spec", "status"}) {
    auto* a = have.if_contains(k);
    auto* b = want.if_contains(k);
    if ((a == nullptr) != (b == nullptr) || (a && *a != *b))
      return false;
  }
  for (const char* k : {"labels", "ownerReferences"}) {
    auto* ma = child(have, "metadata");
    auto* mb = child(want, "metadata");
    auto* a = ma ? ma->if_contains(k) : nullptr;
    auto* b = mb ? mb->if_contains(k) : nullptr;
    if ((a == nullptr) != (b == nullptr) || (a && *a != *b))
      return false;
  }
  return true;
}

} // namespace

std::vector<object_ptr> store::sync_children(const std::string& child_kind,
                                             const std::string& owner_uid,
                                             std::vector<json::object> want) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<object_ptr> out;
  auto slash = child_kind.find('.');
  std::string plural = child_kind.substr(0, slash);
  std::string group =
      slash == std::string::npos ? "" : child_kind.substr(slash + 1);
  auto* found = registry_.find(group, "v1", plural);
  if (!found)
    return out;
  auto type = *found;
  std::map<std::string, object_ptr> have;
  for (auto& [resource, obj] : owned_locked(owner_uid, type.group_resource()))
    have[key_of(meta_str(*obj, "namespace"), meta_str(*obj, "name"))] = obj;
  for (auto& w : want) {
    auto ns = meta_str(w, "namespace");
    auto key = key_of(ns, meta_str(w, "name"));
    auto it = have.find(key);
    if (it == have.end()) {
      if (auto other = find_locked(type, ns, meta_str(w, "name"))) {
        out.push_back(other); // a stranger's object of that name
        continue;
      }
      json::value status;
      if (auto* s = w.if_contains("status")) {
        status = std::move(*s); // created without it, as the API server does
        w.erase("status");
      }
      auto created = create_locked(type, ns, std::move(w), {}, false);
      if (!status.is_null()) {
        json::object next = *created;
        next["status"] = std::move(status);
        created = commit(type, std::move(next), "MODIFIED", created, false);
      }
      out.push_back(created);
      continue;
    }
    auto old = it->second;
    have.erase(it);
    if (same_content(*old, w)) {
      out.push_back(old);
      continue;
    }
    json::object next = *old;
    for (const char* k : {"spec", "status"})
      if (auto* v = w.if_contains(k))
        next[k] = *v;
    auto& md = child_or_create(next, "metadata");
    if (auto* wm = child(w, "metadata"))
      for (const char* k : {"labels", "ownerReferences"})
        if (auto* v = wm->if_contains(k))
          md[k] = *v;
    out.push_back(commit(type, std::move(next), "MODIFIED", old, false));
  }
  for (auto& [key, obj] : have) {
    bool gone = false;
    if (find_locked(type, meta_str(*obj, "namespace"), meta_str(*obj, "name"))
        == obj)
      remove_locked(type, obj, {}, gone);
  }
  return out;
}

} // namespace kube_emulator
