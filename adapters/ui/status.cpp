#include "adapters/ui/status.hpp"

#include <ctime>

#include <boost/json.hpp>

#include "adapters/ui/links.hpp"

namespace fluxd::ui {

namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& xs) {
  json::array out;
  for (auto& x : xs)
    out.emplace_back(x);
  return out;
}

json::object encode(const repository_status& r) {
  json::object o;
  o["url"] = strip_credentials(r.url);
  o["branch"] = r.branch;
  o["paths"] = strings(r.paths);
  o["revision"] = r.revision;
  o["sync_marker"] = r.sync_marker;
  o["status"] = r.status;
  o["last_error"] = r.last_error;
  o["last_fetch"] = format_time(r.last_fetch);
  std::string revision_url;
  if (auto web = web_repository_for(r.url))
    revision_url = web->commit_url(r.revision);
  o["revision_url"] = revision_url;
  o["syncing"] = r.syncing;
  json::array errors;
  auto web = web_repository_for(r.url);
  for (auto& e : r.sync_errors) {
    std::string file_url;
    if (web && !e.file.empty() && !r.revision.empty())
      file_url = web->file_url(r.revision, e.file);
    errors.emplace_back(json::object{{"id", e.id},
                                     {"file", e.file},
                                     {"error", e.error},
                                     {"file_url", file_url}});
  }
  o["sync_errors"] = std::move(errors);
  return o;
}

json::object encode(const workload_policy& p) {
  json::object o;
  o["automated"] = p.automated;
  o["locked"] = p.locked;
  o["ignored"] = p.ignored;
  o["locked_user"] = p.locked_user;
  o["locked_message"] = p.locked_message;
  json::object filters;
  for (auto& [container, pattern] : p.tag_filters)
    filters[container] = pattern;
  o["tag_filters"] = std::move(filters);
  return o;
}

/// The repository's branch, for file links when no commit is known.
std::string branch_of(const status_snapshot& snap, const std::string& url) {
  for (auto& r : snap.repositories)
    if (r.url == url)
      return r.branch;
  return {};
}

json::object encode(const workload_status& w, const status_snapshot& snap) {
  json::object o;
  o["id"] = w.id;
  json::array containers;
  for (auto& c : w.containers)
    containers.emplace_back(json::object{{"name", c.name}, {"image", c.image}});
  o["containers"] = std::move(containers);
  o["rollout_status"] = w.rollout_status;
  o["rollout_message"] = w.rollout_message;
  o["policy"] = encode(w.policy);
  o["sync_error"] = w.sync_error;
  o["drift_corrections"] = w.drift_corrections;
  o["repository"] = strip_credentials(w.repository);
  o["file"] = w.file;
  o["revision"] = w.revision;
  std::string file_url;
  std::string commit_url;
  if (auto web = web_repository_for(w.repository)) {
    auto ref = w.revision.empty() ? branch_of(snap, w.repository) : w.revision;
    if (!w.file.empty() && !ref.empty())
      file_url = web->file_url(ref, w.file);
    commit_url = web->commit_url(w.revision);
  }
  o["file_url"] = file_url;
  o["commit_url"] = commit_url;
  return o;
}

json::object encode(const image_status& i) {
  json::object o;
  o["workload"] = i.workload;
  o["container"] = i.container;
  o["repository"] = i.repository;
  o["current_tag"] = i.current_tag;
  o["newest_tag"] = i.newest_tag;
  o["update_pending"] = i.update_pending;
  return o;
}

json::object encode(const event& e) {
  json::object o;
  o["time"] = format_time(e.time);
  o["kind"] = to_string(e.kind);
  o["text"] = e.text;
  return o;
}

json::object encode(const registry_host_status& h) {
  json::object o;
  o["host"] = h.host;
  o["answering"] = h.answering;
  o["request_rate"] = h.request_rate;
  o["requests_last_minute"] = h.requests_last_minute;
  o["in_flight"] = h.in_flight;
  o["queued"] = h.queued;
  o["backing_off"] = h.backing_off;
  o["backoff_until"] = format_time(h.backoff_until);
  o["requests"] = h.requests;
  o["throttled"] = h.throttled;
  o["last_error"] = h.last_error;
  o["last_error_at"] = format_time(h.last_error_at);
  o["ratelimit_remaining"] = h.ratelimit_remaining;
  o["repositories"] = h.repositories;
  return o;
}

json::object encode(const daemon_status& d) {
  json::object o;
  o["version"] = d.version;
  o["started"] = format_time(d.started);
  o["ready"] = d.ready;
  json::object not_ready;
  for (auto& [component, reason] : d.not_ready)
    not_ready[component] = reason;
  o["not_ready"] = std::move(not_ready);
  return o;
}

template <class T>
json::array encode_all(const std::vector<T>& xs) {
  json::array out;
  for (auto& x : xs)
    out.emplace_back(encode(x));
  return out;
}

} // namespace

std::string to_string(event_kind kind) {
  switch (kind) {
    case event_kind::sync:
      return "sync";
    case event_kind::commit:
      return "commit";
    case event_kind::release:
      return "release";
    case event_kind::failure:
      return "failure";
  }
  return "sync";
}

std::string format_time(time_point t) {
  if (t == time_point{})
    return {};
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string strip_credentials(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return url; // scp-like user@host:path carries no password
  auto auth_start = scheme_end + 3;
  auto path_start = url.find_first_of("/?#", auth_start);
  auto authority_end =
      path_start == std::string::npos ? url.size() : path_start;
  auto at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at == std::string::npos || at < auth_start)
    return url;
  auto scheme = url.substr(0, scheme_end);
  if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git") {
    auto userinfo = url.substr(auth_start, at - auth_start);
    auto user = userinfo.substr(0, userinfo.find(':'));
    return url.substr(0, auth_start) + user + url.substr(at);
  }
  return url.substr(0, auth_start) + url.substr(at + 1);
}

std::string to_json(const status_snapshot& snap) {
  json::object o;
  o["generated"] = format_time(snap.generated);
  o["daemon"] = encode(snap.daemon);
  json::array repositories;
  for (auto& r : snap.repositories)
    repositories.emplace_back(encode(r));
  o["repositories"] = std::move(repositories);
  json::array workloads;
  for (auto& w : snap.workloads)
    workloads.emplace_back(encode(w, snap));
  o["workloads"] = std::move(workloads);
  o["images"] = encode_all(snap.images);
  o["events"] = encode_all(snap.events);
  o["registry_hosts"] = encode_all(snap.registry_hosts);
  o["unavailable"] = strings(snap.unavailable);
  return json::serialize(o);
}

} // namespace fluxd::ui
