#include "adapters/sync/event.hpp"

#include <cstdio>
#include <ctime>

#include <boost/json.hpp>

namespace fluxd::sync {

namespace json = boost::json;

std::string note_kind(const std::string& note) {
  boost::system::error_code ec;
  auto v = json::parse(note, ec);
  if (ec || !v.is_object())
    return "other";
  auto* spec = v.as_object().if_contains("spec");
  if (!spec || !spec->is_object())
    return "other";
  auto* type = spec->as_object().if_contains("type");
  if (!type || !type->is_string())
    return "other";
  auto t = std::string(type->as_string());
  if (t == "image" || t == "containers")
    return "release";
  if (t == "auto")
    return "autorelease";
  if (t == "policy")
    return "update_policy";
  return "other";
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              t.time_since_epoch())
              .count()
            % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string event_json(const sync_event& e) {
  json::array ids;
  for (const auto& id : e.changed)
    ids.emplace_back(id);
  json::array commits;
  json::object includes;
  for (const auto& c : e.commits) {
    commits.push_back(
      json::object{{"revision", c.revision}, {"message", c.message}});
    if (!e.initial)
      includes[note_kind(c.note)] = true;
  }
  json::object metadata{{"commits", std::move(commits)}};
  if (!includes.empty())
    metadata["includes"] = std::move(includes);
  if (e.initial)
    metadata["initialSync"] = true;
  if (!e.errors.empty()) {
    json::array errors;
    for (const auto& x : e.errors)
      errors.push_back(
        json::object{{"ID", x.id}, {"Path", x.path}, {"Error", x.error}});
    metadata["errors"] = std::move(errors);
  }
  return json::serialize(json::object{
    {"serviceIDs", std::move(ids)},
    {"type", "sync"},
    {"startedAt", rfc3339(e.started)},
    {"endedAt", rfc3339(e.ended)},
    {"logLevel", "info"},
    {"metadata", std::move(metadata)}});
}

} // namespace fluxd::sync
