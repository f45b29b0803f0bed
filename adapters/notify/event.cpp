#include "adapters/notify/event.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "adapters/api/go_json.hpp"
#include "adapters/release/commit.hpp"
#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

namespace fluxd::notify {

namespace json = boost::json;

namespace {

/// Fields an emitter may put beside the metadata; they are the event's.
const char* const envelope_fields[] = {"serviceIDs", "logLevel", "message",
                                       "startedAt", "endedAt"};

[[noreturn]] void bad(const std::string& type, const std::string& what) {
  throw notify_error("event " + type + ": " + what);
}

std::string text_field(const json::object& o, const char* key,
                       const std::string& type) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null())
    return {};
  if (!v->is_string())
    bad(type, std::string{"\""} + key + "\" must be a string");
  return std::string(v->as_string());
}

int64_t time_field(const json::object& o, const char* key,
                   const std::string& type, int64_t fallback) {
  auto text = text_field(o, key, type);
  if (text.empty())
    return fallback;
  try {
    return api::parse_rfc3339(text, key);
  } catch (const std::exception& e) {
    bad(type, e.what());
  }
}

std::vector<std::string> ids_field(const json::object& o,
                                   const std::string& type) {
  std::vector<std::string> out;
  auto* v = o.if_contains("serviceIDs");
  if (!v || v->is_null())
    return out;
  if (!v->is_array())
    bad(type, "\"serviceIDs\" must be an array");
  for (auto& x : v->as_array()) {
    if (!x.is_string())
      bad(type, "\"serviceIDs\" must hold strings");
    out.emplace_back(x.as_string());
  }
  return out;
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

void read_sync(event& e, const json::object& m) {
  auto list = [&](const char* key) -> const json::array* {
    auto* v = m.if_contains(key);
    if (!v || v->is_null())
      return nullptr;
    if (!v->is_array())
      bad(e.type, std::string{"\""} + key + "\" must be an array");
    return &v->as_array();
  };
  if (auto* commits = list("commits")) {
    for (auto& c : *commits) {
      if (!c.is_object())
        bad(e.type, "\"commits\" must hold objects");
      e.commits.push_back({text_field(c.as_object(), "revision", e.type),
                           text_field(c.as_object(), "message", e.type)});
    }
  } else if (auto* revs = list("revisions")) { // Flux v1's older form
    for (auto& r : *revs)
      if (r.is_string())
        e.commits.push_back({std::string(r.as_string()), {}});
  }
  if (auto* errors = list("errors")) {
    for (auto& x : *errors) {
      if (!x.is_object())
        bad(e.type, "\"errors\" must hold objects");
      auto& xo = x.as_object();
      e.errors.push_back({text_field(xo, "ID", e.type),
                          text_field(xo, "Path", e.type),
                          text_field(xo, "Error", e.type)});
    }
  }
  e.revision = text_field(m, "revision", e.type);
  if (e.revision.empty() && !e.commits.empty())
    e.revision = e.commits.front().revision;
}

/// Flux v1's metadata of a job event: CommitEventMetadata for commits,
/// ReleaseEventMetadata / AutoReleaseEventMetadata for releases.
json::value flux_job_metadata(const event& e, const json::object& m,
                              const json::value* spec) {
  auto result = m.if_contains("result");
  json::value r = result ? *result : json::value{};
  if (!spec || !spec->is_object() || !spec->as_object().contains("type"))
    return m; // already Flux v1's shape, or unknown: as it came
  auto& so = spec->as_object();
  json::value inner = so.contains("spec") ? so.at("spec") : json::value{};
  json::value cause = so.contains("cause") ? so.at("cause") : json::value{};
  json::object out;
  if (e.type == "release" || e.type == "autorelease") {
    out["Revision"] = e.revision;
    out["result"] = r;
    if (!e.error.empty())
      out["error"] = e.error;
    if (e.type == "autorelease") {
      out["spec"] = inner;
    } else {
      bool containers = so.at("type") == "containers";
      out["spec"] = json::object{
          {"Type",
           containers ? "releaseContainersSpecType" : "releaseImageSpecType"},
          {"ReleaseImageSpec", containers ? json::value{} : inner},
          {"ReleaseContainersSpec", containers ? inner : json::value{}}};
      out["cause"] = cause;
    }
  } else {
    if (!e.revision.empty())
      out["revision"] = e.revision;
    out["spec"] = *spec;
    out["result"] = r;
  }
  if (auto* job = m.if_contains("jobID"))
    out["jobID"] = *job;
  return out;
}

void read_job(event& e, const json::object& m) {
  e.revision = text_field(m, "revision", e.type);
  if (e.revision.empty())
    e.revision = text_field(m, "Revision", e.type);
  e.error = text_field(m, "error", e.type);
  release::result outcome;
  try {
    if (auto* r = m.if_contains("result"))
      outcome = release::result_from_json(*r);
  } catch (const release::spec_error& err) {
    bad(e.type, std::string{"result: "} + err.what());
  }
  e.images = release::changed_images(outcome);
  if (e.error.empty())
    e.error = release::error_summary(outcome);
  if (e.service_ids.empty())
    e.service_ids = release::affected(outcome);
  const json::value* spec = m.if_contains("spec");
  if (spec && spec->is_object() && spec->as_object().contains("type")) {
    try {
      auto s = release::spec_from_json(*spec);
      e.summary = first_line(release::commit_message(s, outcome));
      e.user = s.why.user;
      e.cause = s.why.message;
      if (auto* i = std::get_if<release::image_spec>(&s.spec))
        e.all_workloads = i->all();
    } catch (const release::spec_error&) {
      // An unknown spec still makes an event; it only lacks a summary.
    }
  }
  e.metadata = flux_job_metadata(e, m, spec);
}

} // namespace

event parse_event(const std::string& type, std::string_view text,
                  int64_t at_nanos) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    bad(type, "body is not JSON: " + ec.message());
  if (!v.is_object())
    bad(type, "body is not a JSON object");
  auto& o = v.as_object();
  event e;
  e.type = type;
  const json::object* meta = &o;
  json::object stripped;
  if (auto* m = o.if_contains("metadata")) {
    auto t = text_field(o, "type", type);
    if (!t.empty())
      e.type = t;
    if (auto* id = o.if_contains("id"); id && id->is_int64())
      e.id = id->as_int64();
    stripped = m->is_object() ? m->as_object() : json::object{};
    meta = &stripped;
  } else {
    stripped = o;
    for (auto* f : envelope_fields)
      stripped.erase(f);
    meta = &stripped;
  }
  if (e.type.empty())
    throw notify_error("event without a type");
  e.service_ids = ids_field(o, e.type);
  e.log_level = text_field(o, "logLevel", e.type);
  e.message = text_field(o, "message", e.type);
  e.started_at = time_field(o, "startedAt", e.type, at_nanos);
  e.ended_at = time_field(o, "endedAt", e.type, e.started_at);
  if (e.type == "sync") {
    read_sync(e, *meta);
    e.metadata = *meta;
  } else {
    read_job(e, *meta);
  }
  if (e.log_level.empty())
    e.log_level = e.error.empty() ? "info" : "error";
  std::sort(e.service_ids.begin(), e.service_ids.end());
  return e;
}

} // namespace fluxd::notify
