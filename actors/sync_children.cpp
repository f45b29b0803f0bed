#include "actors/sync_children.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/child_handles.hpp"
#include "actors/git_children.hpp"
#include "actors/sync_coordinator.hpp"
#include "adapters/git/url.hpp"
#include "adapters/kube/config.hpp"
#include "adapters/log/log.hpp"
#include "adapters/sync/desired.hpp"

namespace fluxd {

namespace {

std::string sanitized(const std::string& url) {
  try {
    return git::remote_url::parse(url).sanitized();
  } catch (const std::exception&) {
    return url;
  }
}

/// fluxd's own namespace (the Secret of --sync-state=secret lives there).
std::string own_namespace(const kube::rest_config& rc) {
  std::ifstream in{"/var/run/secrets/kubernetes.io/serviceaccount/namespace"};
  std::string ns;
  if (in && std::getline(in, ns) && !ns.empty())
    return ns;
  return rc.default_namespace();
}

caf::timespan span(config::duration d) {
  return std::chrono::duration_cast<caf::timespan>(d);
}

std::string set_name_of(const config::daemon_config& flags) {
  return sync::sync_set_name(sanitized(flags.git_url), flags.git_branch,
                             flags.git_path);
}

} // namespace

std::shared_ptr<sync::revision_cache>
shared_revision_cache(const config::daemon_config& flags) {
  // Weak: a cache lives as long as the children that use it.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<sync::revision_cache>> caches;
  auto name = set_name_of(flags);
  std::lock_guard lock(mutex);
  auto& weak = caches[name];
  auto cache = weak.lock();
  if (!cache) {
    cache = std::make_shared<sync::revision_cache>(name);
    weak = cache;
  }
  return cache;
}

std::vector<child_spec>
repository_children(const config::daemon_config& flags,
                    std::function<void(const git_status&)> on_git_status,
                    health::readiness* readiness,
                    std::function<event_sink_actor()> events) {
  log::logger log{"sync"};
  // The git actors' current handles, so the sync finds the new ones after a
  // restart.
  auto handles = std::make_shared<child_handles>();
  auto out = recorded(git_children(flags, std::move(on_git_status)), handles);
  if (flags.git_url.empty())
    return out;
  kube::rest_config rc;
  try {
    kube::config_options where;
    where.kubeconfig = flags.kube_config;
    rc = kube::load_config(where);
  } catch (const std::exception& e) {
    log.warn("no Kubernetes configuration; not syncing", {{"err", e.what()}});
    return out;
  }
  sync_coordinator_config sc;
  sc.mirror = [handles] {
    return caf::actor_cast<git_mirror_actor>(handles->get("git-mirror"));
  };
  if (!flags.git_readonly)
    sc.writer = [handles] {
      return caf::actor_cast<git_writer_actor>(handles->get("git-writer"));
    };
  sc.cluster.set_name = set_name_of(flags);
  sc.cluster.cache = shared_revision_cache(flags);
  sc.cluster.paths = flags.git_path;
  sc.cluster.default_namespace = flags.k8s_default_namespace;
  // Parsing has merged --k8s-namespace-whitelist into it.
  sc.cluster.allow_namespaces = flags.k8s_allow_namespace;
  sc.cluster.secret_namespace = own_namespace(rc);
  sc.cluster.secret_name = flags.k8s_secret_name;
  sc.cluster.exclude_resources = flags.k8s_unsafe_exclude_resource;
  sc.gc = flags.sync_garbage_collection;
  sc.gc_dry = flags.sync_garbage_collection_dry;
  // --git-readonly keeps the sync state in the Secret (§7.11).
  sc.secret_state = flags.sync_state == "secret" || flags.git_readonly;
  sc.interval = span(flags.sync_interval);
  sc.timeout = span(flags.sync_timeout);
  sc.readiness = readiness;
  sc.events = std::move(events);
  kube::client_options co;
  co.qps = flags.k8s_qps;
  co.burst = flags.k8s_burst;
  child_spec s;
  s.name = "sync";
  s.mode = restart_mode::permanent;
  s.start = [sc, rc, co](caf::local_actor* parent) {
    auto cfg = sc;
    cfg.client = std::make_shared<kube::client>(rc, co);
    return caf::actor_cast<caf::actor>(parent->spawn(sync_coordinator, cfg));
  };
  out.push_back(std::move(s));
  return out;
}

} // namespace fluxd
