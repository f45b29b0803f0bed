#include "adapters/manifests/sync.hpp"

#include <algorithm>
#include <map>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "adapters/manifests/json.hpp"
#include "adapters/manifests/policy.hpp"

namespace fluxd::manifests {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  static const char* abc =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += abc[v & 63];
  }
  if (n - i == 1) {
    unsigned v = data[i] << 16;
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
  } else if (n - i == 2) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
  }
  return out;
}

} // namespace

std::string gc_mark(const std::string& sync_set, const std::string& id) {
  std::string input = sync_set + id;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  return "sha256." + base64url(md, len);
}

boost::json::value prepare_for_apply(const resource& r,
                                     const std::string& sync_set) {
  auto obj = to_json(r.node);
  if (!obj.is_object())
    throw manifest_error("resource " + r.id + " in " + r.source
                         + " is not an object");
  return prepare_for_apply(std::move(obj), r, sync_set, checksum(r.node));
}

boost::json::value prepare_for_apply(boost::json::value obj,
                                     const resource& r,
                                     const std::string& sync_set,
                                     const std::string& sum) {
  if (!obj.is_object())
    throw manifest_error("resource " + r.id + " in " + r.source
                         + " is not an object");
  auto& md = obj.as_object()["metadata"];
  if (!md.is_object())
    md = boost::json::object();
  auto& meta = md.as_object();
  if (!r.cluster_scoped())
    meta["namespace"] = r.ns;
  else
    meta.erase("namespace");
  auto& labels = meta["labels"];
  if (!labels.is_object())
    labels = boost::json::object();
  labels.as_object()[gc_mark_label] = gc_mark(sync_set, r.id);
  auto& ann = meta["annotations"];
  if (!ann.is_object())
    ann = boost::json::object();
  ann.as_object()[checksum_annotation] = sum;
  return obj;
}

bool ignored_in_file(const resource& r) {
  return policy_true(policies_of(r.annotations), policy::ignore);
}

bool never_collect(const resource& r) {
  return policies_of(r.annotations).count(policy::ignore) > 0;
}

int kind_rank(const std::string& kind) {
  static const std::map<std::string, int> ranks = {
    {"namespace", 0},
    {"customresourcedefinition", 1}, {"serviceaccount", 1},
    {"clusterrole", 1}, {"role", 1}, {"persistentvolume", 1},
    {"service", 1},
    {"resourcequota", 2}, {"limitrange", 2}, {"secret", 2},
    {"configmap", 2}, {"rolebinding", 2}, {"clusterrolebinding", 2},
    {"persistentvolumeclaim", 2}, {"ingress", 2},
    {"daemonset", 3}, {"deployment", 3}, {"replicationcontroller", 3},
    {"replicaset", 3}, {"job", 3}, {"cronjob", 3}, {"statefulset", 3}};
  auto it = ranks.find(lower(kind));
  return it == ranks.end() ? 4 : it->second;
}

std::vector<std::string> apply_order(std::vector<std::string> ids) {
  std::stable_sort(ids.begin(), ids.end(),
                   [](const std::string& a, const std::string& b) {
                     auto pa = parse_id(a), pb = parse_id(b);
                     int ra = kind_rank(pa.kind), rb = kind_rank(pb.kind);
                     if (ra != rb)
                       return ra < rb;
                     return pa.name < pb.name;
                   });
  return ids;
}

} // namespace fluxd::manifests
