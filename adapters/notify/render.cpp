#include <boost/json.hpp>

#include "adapters/api/go_json.hpp"
#include "adapters/notify/event.hpp"

namespace fluxd::notify {

namespace json = boost::json;

namespace {

std::string join(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : sep) + x;
  return out;
}

/// Flux v1's shortRevision: 12 characters once longer than 7.
std::string flux_short(const std::string& rev) {
  return rev.size() <= 7 ? rev : rev.substr(0, 12);
}

/// Go's %q of a plain string.
std::string quoted(const std::string& s) {
  return api::go_quote(s);
}

/// Slack's mrkdwn wants &, < and > escaped; nothing else.
std::string slack_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

/// Long lists are cut so that a message stays readable.
constexpr size_t max_listed = 10;

void add_list(std::string& out, const char* title,
              const std::vector<std::string>& items) {
  if (items.empty())
    return;
  out += std::string{"*"} + title + "*\n";
  for (size_t i = 0; i < items.size() && i < max_listed; ++i)
    out += "\u2022 " + items[i] + "\n";
  if (items.size() > max_listed)
    out += "\u2022 \u2026 and " + std::to_string(items.size() - max_listed)
           + " more\n";
}

bool failed(const event& e) {
  return !e.errors.empty() || !e.error.empty();
}

} // namespace

std::string short_revision(const std::string& rev) {
  return rev.substr(0, 7);
}

std::string event_string(const event& e) {
  if (!e.message.empty())
    return e.message;
  auto ids = join(e.service_ids, ", ");
  auto images =
      e.images.empty() ? std::string{"no image changes"} : join(e.images, ", ");
  if (e.type == "release") {
    std::string to = e.all_workloads ? "all workloads"
                     : ids.empty()   ? "no workloads"
                                     : ids;
    std::string by = e.user.empty() ? "" : ", by " + e.user;
    std::string with =
        e.cause.empty() ? "" : ", with message " + quoted(e.cause);
    return "Released: " + images + " to " + to + by + with;
  }
  if (e.type == "autorelease")
    return "Automated release of " + images;
  if (e.type == "commit")
    return "Commit: " + flux_short(e.revision) + ", "
           + (ids.empty() ? "<no changes>" : ids);
  if (e.type == "sync") {
    std::string rev = "<no revision>";
    auto n = e.commits.size();
    if (n > 0 && n <= 2)
      rev = flux_short(e.commits.front().revision);
    else if (n > 2)
      rev = flux_short(e.commits.back().revision) + ".."
            + flux_short(e.commits.front().revision);
    return "Sync: " + rev + ", " + (ids.empty() ? "no workloads changed" : ids);
  }
  if (e.type == "automate")
    return "Automated: " + ids;
  if (e.type == "deautomate")
    return "Deautomated: " + ids;
  if (e.type == "lock")
    return "Locked: " + ids;
  if (e.type == "unlock")
    return "Unlocked: " + ids;
  if (e.type == "update_policy")
    return "Updated policies: " + ids;
  return "Unknown event: " + e.type;
}

std::string headline(const event& e) {
  if (!e.message.empty())
    return first_line(e.message);
  if (e.type == "sync") {
    std::string rev =
        e.revision.empty() ? std::string{} : " " + short_revision(e.revision);
    std::string out = "Synced" + rev + " to the cluster";
    if (!e.errors.empty())
      out += " (" + std::to_string(e.errors.size()) + " resource"
             + (e.errors.size() == 1 ? "" : "s") + " failed)";
    return out;
  }
  if (e.type == "commit" && !e.summary.empty()) {
    std::string rev =
        e.revision.empty() ? std::string{} : " " + short_revision(e.revision);
    return "Commit" + rev + ": " + e.summary;
  }
  return event_string(e);
}

std::string generic_body(const event& e) {
  json::array ids;
  for (auto& id : e.service_ids)
    ids.emplace_back(id);
  json::object o;
  o["id"] = e.id;
  o["serviceIDs"] = std::move(ids);
  o["type"] = e.type;
  o["startedAt"] = api::format_rfc3339_nano(e.started_at);
  o["endedAt"] = api::format_rfc3339_nano(e.ended_at);
  o["logLevel"] = e.log_level;
  if (!e.message.empty())
    o["message"] = e.message;
  if (!e.metadata.is_null())
    o["metadata"] = e.metadata;
  return json::serialize(o);
}

std::string slack_body(const event& e) {
  std::string details;
  if (e.type == "sync") {
    std::vector<std::string> commits;
    for (auto& c : e.commits)
      commits.push_back("`" + short_revision(c.revision) + "` "
                        + slack_escape(first_line(c.message)));
    add_list(details, "Commits", commits);
  }
  std::vector<std::string> ids;
  for (auto& id : e.service_ids)
    ids.push_back(slack_escape(id));
  add_list(details, e.type == "sync" ? "Workloads changed" : "Workloads", ids);
  std::vector<std::string> images;
  for (auto& i : e.images)
    images.push_back(slack_escape(i));
  add_list(details, "Images", images);
  std::vector<std::string> errors;
  for (auto& x : e.errors)
    errors.push_back(slack_escape(x.id)
                     + (x.path.empty() ? "" : " (" + slack_escape(x.path) + ")")
                     + ": " + slack_escape(x.error));
  if (!e.error.empty())
    errors.push_back(slack_escape(e.error));
  add_list(details, "Errors", errors);

  auto title = slack_escape(headline(e));
  json::object o;
  o["text"] = title;
  if (!details.empty()) {
    details.pop_back(); // the last newline
    o["attachments"] =
        json::array{json::object{{"fallback", title},
                                 {"color", failed(e) ? "danger" : "good"},
                                 {"text", details},
                                 {"mrkdwn_in", json::array{"text"}},
                                 {"footer", "fluxd " + e.type},
                                 {"ts", e.ended_at / 1000000000}}};
  }
  return json::serialize(o);
}

} // namespace fluxd::notify
