#include "tests/adapters/api/fixture_daemon.hpp"

#include <algorithm>

namespace fluxd::test {

int64_t at(const std::string& rfc3339) {
  return api::parse_rfc3339(rfc3339, "fixture");
}

namespace {

api::container running(std::string name, std::string image) {
  api::container c;
  c.name = std::move(name);
  c.current.id = std::move(image);
  return c;
}

api::image_info info(std::string id, const std::string& created) {
  api::image_info i;
  i.id = std::move(id);
  i.created_at = at(created);
  return i;
}

api::controller_status workload(std::string id,
                                std::vector<api::container> cs,
                                std::string status, api::string_map policies) {
  api::controller_status w;
  w.id = std::move(id);
  w.containers = std::move(cs);
  w.status = std::move(status);
  w.policies = std::move(policies);
  w.automated = w.policies.count("automated") > 0;
  w.locked = w.policies.count("locked") > 0;
  w.labels = api::string_map{};
  return w;
}

} // namespace

fixture_daemon::fixture_daemon() {
  auto podinfo = workload(
    "demo:deployment/podinfo",
    {running("podinfod", "stefanprodan/podinfo:3.1.0"),
     running("init", "alpine:3.10.1")},
    "ready",
    {{"automated", "true"}, {"locked", "true"},
     {"tag.init", "regex:^3.10.*"}, {"tag.podinfod", "semver:~3.1"}});
  podinfo.rollout = {1, 1, 1, 1, 0, std::nullopt};
  podinfo.labels = api::string_map{{"app", "podinfo"}};
  workloads = {
    podinfo,
    workload("demo:helmrelease/ghost",
             {running("chart-image", "bitnami/ghost:3.1.1-debian-9-r0")}, "",
             {}),
    workload("demo:helmrelease/mongodb",
             {running("chart-image", "bitnami/mongodb:4.0.13")}, "", {}),
    workload("demo:helmrelease/redis",
             {running("chart-image", "bitnami/redis:5.0.7")}, "",
             {{"automated", "true"}, {"locked", "true"}}),
  };

  api::image_status pi{"demo:deployment/podinfo", std::vector<api::container>{}};
  api::container podinfod;
  podinfod.name = "podinfod";
  podinfod.current
    = info("stefanprodan/podinfo:3.1.0", "2020-03-20T13:53:05.47178071Z");
  podinfod.latest_filtered = podinfod.current;
  podinfod.available
    = {podinfod.current,
       info("stefanprodan/podinfo:3.0.5", "2020-04-20T13:53:00Z")};
  podinfod.available_images_count = 2;
  podinfod.filtered_images_count = 2;
  api::container init;
  init.name = "init";
  init.available_error = "";
  pi.containers->push_back(podinfod);
  pi.containers->push_back(init);

  api::image_status ghost{"demo:helmrelease/ghost",
                          std::vector<api::container>{}};
  api::container gc;
  gc.name = "chart-image";
  gc.current
    = info("bitnami/ghost:3.1.1-debian-9-r0", "2020-02-20T13:53:00Z");
  gc.latest_filtered = gc.current;
  gc.available = {gc.current, info("bitnami/ghost:3.0.2-debian-9-r3",
                                   "2020-01-20T13:53:00Z")};
  gc.available_images_count = 2;
  gc.filtered_images_count = 2;
  ghost.containers->push_back(gc);

  auto bare = [](std::string id) {
    api::image_status s{std::move(id), std::vector<api::container>{}};
    api::container c;
    c.name = "chart-image";
    s.containers->push_back(c);
    return s;
  };
  images = {pi, ghost, bare("demo:helmrelease/mongodb"),
            bare("demo:helmrelease/redis")};
}

std::vector<api::controller_status>
fixture_daemon::list_services(const std::string& ns,
                              const std::vector<std::string>& services) {
  std::vector<api::controller_status> out;
  for (auto& w : workloads) {
    if (!ns.empty() && w.id.rfind(ns + ":", 0) != 0)
      continue;
    if (!services.empty()
        && std::find(services.begin(), services.end(), w.id)
             == services.end())
      continue;
    out.push_back(w);
  }
  return out;
}

std::vector<api::image_status>
fixture_daemon::list_images(const std::string& spec, const std::string& ns,
                            const std::vector<std::string>& fields) {
  std::vector<api::image_status> out;
  for (auto s : images) {
    if (spec != "<all>" && s.id != spec)
      continue;
    if (!ns.empty() && s.id.rfind(ns + ":", 0) != 0)
      continue;
    if (!fields.empty()) {
      auto keep = [&](const char* f) {
        return std::find(fields.begin(), fields.end(), f) != fields.end();
      };
      for (auto& c : *s.containers) {
        api::container k;
        if (keep("Name"))
          k.name = c.name;
        if (keep("Current"))
          k.current = c.current;
        if (keep("Available"))
          k.available = c.available;
        if (keep("AvailableImagesCount"))
          k.available_images_count = c.available_images_count;
        c = k;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string fixture_daemon::update_manifests(const api::update_spec& spec) {
  std::lock_guard<std::mutex> g{mtx_};
  specs_.push_back(spec);
  char id[64];
  std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012zu",
                specs_.size());
  return id;
}

api::job_status fixture_daemon::job_status(const std::string& id) {
  std::lock_guard<std::mutex> g{mtx_};
  size_t n = 0;
  if (std::sscanf(id.c_str(), "00000000-0000-0000-0000-%zu", &n) != 1 || n == 0
      || n > specs_.size())
    throw api::unknown_job(id);
  auto& spec = specs_[n - 1];
  api::job_status s;
  s.status_string = "succeeded";
  s.result.spec = spec;
  bool plan = false;
  api::update_result result;
  if (auto* r = std::get_if<api::release_image_spec>(&spec.spec)) {
    plan = r->kind == "plan";
    result["demo:deployment/podinfo"]
      = {"success", "",
         std::vector<api::container_update>{
           {"podinfod", "stefanprodan/podinfo:3.1.0",
            "stefanprodan/podinfo:3.1.1"}}};
    result["demo:helmrelease/ghost"] = {"skipped", "locked", std::nullopt};
    result["demo:helmrelease/redis"]
      = {"ignored", "not included", std::nullopt};
  } else if (auto* p = std::get_if<api::policy_updates>(&spec.spec)) {
    for (auto& [wid, _] : *p)
      result[wid] = {"success", "", std::nullopt};
  } else if (std::holds_alternative<api::release_containers_spec>(spec.spec)) {
    result["demo:deployment/podinfo"]
      = {"success", "",
         std::vector<api::container_update>{
           {"podinfod", "stefanprodan/podinfo:3.1.0",
            "stefanprodan/podinfo:3.1.1"}}};
  }
  if (!result.empty())
    s.result.result = result;
  if (!plan)
    s.result.revision = "9f1c2d3e4f5061728394a5b6c7d8e9f001122334";
  return s;
}

std::vector<std::string> fixture_daemon::sync_status(const std::string& ref) {
  std::lock_guard<std::mutex> g{mtx_};
  if (pending_syncs_ > 0) {
    --pending_syncs_;
    return {ref};
  }
  return {};
}

std::string fixture_daemon::export_cluster() {
  return "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n";
}

api::git_config fixture_daemon::git_repo_config(bool regenerate) {
  std::lock_guard<std::mutex> g{mtx_};
  if (regenerate)
    ++regenerations_;
  api::git_config c;
  c.url = "ssh://git@gitsrv/git-server/repos/cluster.git";
  c.branch = "master";
  c.path = "workloads";
  c.public_ssh_key.key = "ssh-ed25519 AAAAC3Nz fixture\n";
  c.public_ssh_key.fingerprints = std::map<std::string, api::fingerprint>{
    {"md5", {"7c:8e:aa:bb", "+---[ED25519 256]--+\n|  art  |\n+----[MD5]-----+"}},
    {"sha256", {"SHA256:Xx1", "art"}}};
  c.status = "ready";
  return c;
}

void fixture_daemon::ping() {
  std::lock_guard<std::mutex> g{mtx_};
  if (!ping_error_.empty())
    throw std::runtime_error(ping_error_);
}

void fixture_daemon::notify_change(const api::change& c) {
  std::lock_guard<std::mutex> g{mtx_};
  changes_.push_back(c);
}

std::vector<api::update_spec> fixture_daemon::specs() const {
  std::lock_guard<std::mutex> g{mtx_};
  return specs_;
}

std::vector<api::change> fixture_daemon::changes() const {
  std::lock_guard<std::mutex> g{mtx_};
  return changes_;
}

int fixture_daemon::regenerations() const {
  std::lock_guard<std::mutex> g{mtx_};
  return regenerations_;
}

void fixture_daemon::set_pending_syncs(int n) {
  std::lock_guard<std::mutex> g{mtx_};
  pending_syncs_ = n;
}

void fixture_daemon::set_ping_error(std::string e) {
  std::lock_guard<std::mutex> g{mtx_};
  ping_error_ = std::move(e);
}

} // namespace fluxd::test
