#include "adapters/manifests/resource.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace fluxd::manifests {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s;
}

std::string make_id(const std::string& ns, const std::string& kind,
                    const std::string& name) {
  return (ns.empty() ? std::string(cluster_scope) : ns) + ":" + lower(kind)
         + "/" + name;
}

parsed_id parse_id(const std::string& id) {
  auto colon = id.find(':');
  auto slash = id.find('/', colon == std::string::npos ? 0 : colon);
  if (colon == std::string::npos || slash == std::string::npos
      || colon == 0 || slash == colon + 1 || slash + 1 == id.size())
    throw manifest_error("invalid resource ID \"" + id
                         + "\": want <namespace>:<kind>/<name>");
  return {id.substr(0, colon), lower(id.substr(colon + 1, slash - colon - 1)),
          id.substr(slash + 1)};
}

resource& resource::operator=(const resource& other) {
  if (this == &other)
    return *this;
  id = other.id;
  api_version = other.api_version;
  kind = other.kind;
  name = other.name;
  ns = other.ns;
  written_ns = other.written_ns;
  source = other.source;
  line = other.line;
  node.reset(other.node);
  annotations = other.annotations;
  return *this;
}

std::optional<bool> default_scope(const std::string&, const std::string& kind) {
  static const std::set<std::string> namespaced = {
    "configmap", "controllerrevision", "cronjob", "daemonset", "deployment",
    "endpoints", "endpointslice", "event", "helmrelease",
    "horizontalpodautoscaler", "ingress", "job", "lease", "limitrange",
    "networkpolicy", "persistentvolumeclaim", "pod", "poddisruptionbudget",
    "podtemplate", "replicaset", "replicationcontroller", "resourcequota",
    "role", "rolebinding", "secret", "service", "serviceaccount",
    "statefulset"};
  static const std::set<std::string> cluster = {
    "apiservice", "certificatesigningrequest", "clusterrole",
    "clusterrolebinding", "componentstatus", "csidriver", "csinode",
    "customresourcedefinition", "ingressclass",
    "mutatingwebhookconfiguration", "namespace", "node", "persistentvolume",
    "podsecuritypolicy", "priorityclass", "runtimeclass", "storageclass",
    "validatingwebhookconfiguration", "volumeattachment"};
  auto k = lower(kind);
  if (namespaced.count(k))
    return true;
  if (cluster.count(k))
    return false;
  return std::nullopt;
}

} // namespace fluxd::manifests
