#include "tests/kube_emulator/controller.hpp"

#include <cstdio>

#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

namespace {

std::int64_t int_at(const json::object* o, std::string_view key,
                    std::int64_t fallback) {
  auto* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_int64() ? v->as_int64() : fallback;
}

std::int64_t generation_of(const json::object& obj) {
  return int_at(child(obj, "metadata"), "generation", 1);
}

const json::object* pod_spec(const json::object& obj) {
  auto* spec = child(obj, "spec");
  auto* tmpl = spec ? child(*spec, "template") : nullptr;
  return tmpl ? child(*tmpl, "spec") : nullptr;
}

/// True when a container image's tag contains "crashloop".
bool crashes(const json::object& obj) {
  auto* ps = pod_spec(obj);
  if (!ps)
    return false;
  for (const char* list : {"containers", "initContainers"}) {
    auto* cs = ps->if_contains(list);
    if (!cs || !cs->is_array())
      continue;
    for (auto& c : cs->as_array()) {
      if (!c.is_object())
        continue;
      auto image = str(c.as_object(), "image");
      auto slash = image.rfind('/');
      auto colon = image.rfind(':');
      if (colon != std::string::npos
          && (slash == std::string::npos || colon > slash)
          && image.find("crashloop", colon) != std::string::npos)
        return true;
    }
  }
  return false;
}

std::string revision(const json::object& obj) {
  auto* spec = child(obj, "spec");
  auto* tmpl = spec ? spec->if_contains("template") : nullptr;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08zx",
                std::hash<std::string>{}(tmpl ? json::serialize(*tmpl) : "")
                    & 0xffffffffu);
  return meta_str(obj, "name") + "-" + buf;
}

json::object condition(const char* type, bool ok, const char* reason,
                       const std::string& message) {
  auto now = now_rfc3339();
  return {{"type", type},          {"status", ok ? "True" : "False"},
          {"lastUpdateTime", now}, {"lastTransitionTime", now},
          {"reason", reason},      {"message", message}};
}

std::string hex_hash(const std::string& text, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016zx", std::hash<std::string>{}(text));
  return std::string(buf).substr(16 - digits);
}

json::object owner_ref(const char* api_version, const char* kind,
                       const json::object& owner) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"name", meta_str(owner, "name")},
          {"uid", meta_str(owner, "uid")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

/// A running (or crash-looping) pod of `tmpl` on the one simulated node.
/// No timestamps in its status, so an unchanged pod is not rewritten.
json::object make_pod(const std::string& name, const std::string& ns,
                      const json::object& tmpl, json::object labels,
                      json::object ref, bool crash) {
  json::object spec;
  if (auto* s = child(tmpl, "spec"))
    spec = *s;
  spec["nodeName"] = "emulator-node";
  json::array statuses;
  if (auto* cs = spec.if_contains("containers"); cs && cs->is_array())
    for (auto& c : cs->as_array()) {
      if (!c.is_object())
        continue;
      json::object state =
          crash ? json::object{{"waiting",
                                {{"reason", "CrashLoopBackOff"},
                                 {"message", "back-off restarting failed "
                                             "container"}}}}
                : json::object{{"running", json::object{}}};
      statuses.push_back(json::object{{"name", str(c.as_object(), "name")},
                                      {"image", str(c.as_object(), "image")},
                                      {"imageID", ""},
                                      {"ready", !crash},
                                      {"started", !crash},
                                      {"restartCount", crash ? 5 : 0},
                                      {"state", std::move(state)}});
    }
  auto cond = [](const char* type, bool ok) {
    return json::object{{"type", type}, {"status", ok ? "True" : "False"}};
  };
  auto h = std::hash<std::string>{}(ns + "/" + name);
  json::object status{
      {"phase", "Running"},
      {"conditions",
       {cond("Initialized", true), cond("Ready", !crash),
        cond("ContainersReady", !crash), cond("PodScheduled", true)}},
      {"containerStatuses", std::move(statuses)},
      {"hostIP", "10.0.0.1"},
      {"podIP", "10.244." + std::to_string((h >> 8) % 254 + 1) + "."
                    + std::to_string(h % 254 + 1)},
      {"qosClass", "BestEffort"}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"labels", std::move(labels)},
            {"ownerReferences", json::array{std::move(ref)}}}},
          {"spec", std::move(spec)},
          {"status", std::move(status)}};
}

} // namespace

rollout_controller::rollout_controller(store& objects,
                                       std::chrono::milliseconds delay,
                                       bool pods)
    : store_(objects), delay_(delay), pods_(pods) {}

rollout_controller::~rollout_controller() {
  stop();
}

void rollout_controller::start() {
  store_.on_workload_change(
      [this](const resource_type& type, const json::object& obj) {
        schedule(type, obj);
      });
  for (const char* plural : {"deployments", "statefulsets", "daemonsets"}) {
    auto type = store_.find("apps", "v1", plural);
    std::uint64_t rv = 0;
    for (auto& obj : store_.snapshot(*type, "", rv)) {
      auto observed = int_at(child(*obj, "status"), "observedGeneration", 0);
      if (observed < generation_of(*obj))
        schedule(*type, *obj);
    }
  }
  worker_ = std::thread([this] { run(); });
}

void rollout_controller::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

void rollout_controller::schedule(const resource_type& type,
                                  const json::object& obj) {
  job j{type.group_resource(),
        meta_str(obj, "namespace") + "/" + meta_str(obj, "name"),
        meta_str(obj, "uid"), generation_of(obj), step::observe};
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> guard{mutex_};
  if (delay_.count() > 0)
    queue_.emplace(now, j);
  j.what = step::complete;
  queue_.emplace(now + delay_, j);
  wake_.notify_all();
}

void rollout_controller::run() {
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto due = queue_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto j = queue_.begin()->second;
    queue_.erase(queue_.begin());
    lock.unlock();
    try {
      perform(j);
    } catch (const std::exception&) {
      // An object the simulation cannot read stays as it is.
    }
    lock.lock();
  }
}

void rollout_controller::perform(const job& j) {
  bool crash = false;
  std::int64_t deadline_s = 0;
  auto owner = store_.update_status(j.resource, j.key, j.uid, [&](
                                                  json::object& obj) {
    if (generation_of(obj) != j.generation)
      return false; // a newer change has its own jobs
    crash = crashes(obj);
    auto* spec = child(obj, "spec");
    auto replicas = int_at(spec, "replicas", 1);
    deadline_s = int_at(spec, "progressDeadlineSeconds", 600);
    static const json::object no_status;
    // Read while st is built; obj["status"] is replaced only at the end.
    auto* current = child(obj, "status");
    const json::object& old = current ? *current : no_status;
    json::object st = old;
    st["observedGeneration"] = j.generation;
    bool done = j.what != step::observe;
    std::int64_t ready = done && !crash ? replicas : 0;
    auto name = meta_str(obj, "name");
    if (j.resource == "deployments.apps") {
      if (j.what == step::deadline) {
        if (!crash)
          return false;
        st["conditions"] = json::array{
            condition("Available", false, "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability."),
            condition("Progressing", false, "ProgressDeadlineExceeded",
                      "ReplicaSet \"" + revision(obj)
                          + "\" has timed out progressing.")};
      } else {
        st["replicas"] = done ? replicas : int_at(&old, "replicas", 0);
        st["updatedReplicas"] = done ? replicas : 0;
        st["readyReplicas"] = done ? ready : int_at(&old, "readyReplicas", 0);
        st["availableReplicas"] =
            done ? ready : int_at(&old, "availableReplicas", 0);
        if (done && replicas - ready > 0)
          st["unavailableReplicas"] = replicas - ready;
        else
          st.erase("unavailableReplicas");
        bool available = ready >= replicas;
        st["conditions"] = json::array{
            condition("Available", available,
                      available ? "MinimumReplicasAvailable"
                                : "MinimumReplicasUnavailable",
                      available ? "Deployment has minimum availability."
                                : "Deployment does not have minimum "
                                  "availability."),
            condition("Progressing", true,
                      done && !crash ? "NewReplicaSetAvailable"
                                     : "ReplicaSetUpdated",
                      "ReplicaSet \"" + revision(obj) + "\" "
                          + (done && !crash ? "has successfully progressed."
                                            : "is progressing."))};
      }
    } else if (j.resource == "statefulsets.apps") {
      if (j.what == step::deadline)
        return false;
      auto rev = revision(obj);
      st["replicas"] = replicas;
      st["updatedReplicas"] = done ? replicas : 0;
      st["currentReplicas"] =
          done ? replicas : int_at(&old, "currentReplicas", 0);
      st["readyReplicas"] = done ? ready : int_at(&old, "readyReplicas", 0);
      st["availableReplicas"] =
          done ? ready : int_at(&old, "availableReplicas", 0);
      st["updateRevision"] = rev;
      if (done || str(old, "currentRevision").empty())
        st["currentRevision"] = rev;
    } else {
      if (j.what == step::deadline)
        return false;
      // One simulated node: a DaemonSet runs one pod.
      st["desiredNumberScheduled"] = 1;
      st["currentNumberScheduled"] = 1;
      st["numberMisscheduled"] = 0;
      st["updatedNumberScheduled"] = done ? 1 : 0;
      st["numberReady"] = done && !crash ? 1 : 0;
      st["numberAvailable"] = done && !crash ? 1 : 0;
      if (done && crash)
        st["numberUnavailable"] = 1;
      else
        st.erase("numberUnavailable");
    }
    obj["status"] = std::move(st);
    return true;
  });
  // The spec sync_pods reads is the one this step saw (the status write
  // keeps it).
  if (pods_ && owner && j.what == step::complete)
    sync_pods(j.resource, *owner, crash);
  if (j.what == step::complete && crash && j.resource == "deployments.apps") {
    job d = j;
    d.what = step::deadline;
    std::lock_guard<std::mutex> guard{mutex_};
    queue_.emplace(
        std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s), d);
  }
}

void rollout_controller::sync_pods(const std::string& resource,
                                   const json::object& owner, bool crash) {
  auto* spec = child(owner, "spec");
  auto* tmpl = spec ? child(*spec, "template") : nullptr;
  if (!tmpl)
    return;
  auto name = meta_str(owner, "name");
  auto ns = meta_str(owner, "namespace");
  auto replicas = int_at(spec, "replicas", 1);
  json::object labels;
  if (auto* md = child(*tmpl, "metadata"))
    if (auto* l = child(*md, "labels"))
      labels = *l;
  auto hash = hex_hash(json::serialize(*tmpl), 10);
  std::vector<json::object> pods;
  if (resource == "deployments.apps") {
    // One ReplicaSet per template, as the Deployment controller names it;
    // the old one goes (with its pods) once the new one is complete.
    labels["pod-template-hash"] = hash;
    auto rs_name = name + "-" + hash;
    json::object rs_tmpl = *tmpl;
    child_or_create(rs_tmpl, "metadata")["labels"] = labels;
    json::object selector;
    if (auto* sel = child(*spec, "selector"))
      selector = *sel;
    child_or_create(selector, "matchLabels")["pod-template-hash"] = hash;
    auto ready = crash ? 0 : replicas;
    json::object rs{
        {"apiVersion", "apps/v1"},
        {"kind", "ReplicaSet"},
        {"metadata",
         {{"name", rs_name},
          {"namespace", ns},
          {"labels", labels},
          {"ownerReferences",
           json::array{owner_ref("apps/v1", "Deployment", owner)}}}},
        {"spec",
         {{"replicas", replicas},
          {"selector", std::move(selector)},
          {"template", std::move(rs_tmpl)}}},
        {"status",
         {{"replicas", replicas},
          {"fullyLabeledReplicas", replicas},
          {"readyReplicas", ready},
          {"availableReplicas", ready},
          {"observedGeneration", 1}}}};
    std::vector<json::object> want; // not {rs}: a braced list copies
    want.push_back(std::move(rs));
    auto sets = store_.sync_children("replicasets.apps", meta_str(owner, "uid"),
                                     std::move(want));
    if (sets.empty())
      return;
    for (std::int64_t i = 0; i < replicas; ++i)
      pods.push_back(make_pod(
          rs_name + "-" + hex_hash(rs_name + std::to_string(i), 5), ns, *tmpl,
          labels, owner_ref("apps/v1", "ReplicaSet", *sets.front()), crash));
    store_.sync_children("pods", meta_str(*sets.front(), "uid"),
                         std::move(pods));
    return;
  }
  if (resource == "statefulsets.apps") {
    labels["controller-revision-hash"] = name + "-" + hash;
    for (std::int64_t i = 0; i < replicas; ++i) {
      auto pod_labels = labels;
      pod_labels["statefulset.kubernetes.io/pod-name"] =
          name + "-" + std::to_string(i);
      pods.push_back(make_pod(
          name + "-" + std::to_string(i), ns, *tmpl, std::move(pod_labels),
          owner_ref("apps/v1", "StatefulSet", owner), crash));
    }
  } else {
    labels["controller-revision-hash"] = hash;
    pods.push_back(make_pod(name + "-" + hex_hash(name, 5), ns, *tmpl, labels,
                            owner_ref("apps/v1", "DaemonSet", owner), crash));
  }
  store_.sync_children("pods", meta_str(owner, "uid"), std::move(pods));
}

} // namespace kube_emulator
