#include "adapters/release/commit.hpp"

#include <map>
#include <set>

namespace fluxd::release {

namespace {

std::string trim_angles(std::string s) {
  if (!s.empty() && s.front() == '<')
    s.erase(0, 1);
  if (!s.empty() && s.back() == '>')
    s.pop_back();
  return s;
}

std::string join(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < xs.size(); ++i)
    out += (i ? sep : "") + xs[i];
  return out;
}

std::string image_message(const image_spec& s) {
  std::vector<std::string> ws;
  for (auto& w : s.workloads)
    ws.push_back(trim_angles(w));
  return "Release " + trim_angles(s.image) + " to " + join(ws, ", ");
}

std::string containers_message(const result& r) {
  auto ids = affected(r);
  std::string body;
  for (auto& id : ids) {
    body += "\n" + id;
    for (auto& c : r.at(id).per_container)
      body += "\n- " + c.target;
    body += "\n";
  }
  if (auto e = error_summary(r); !e.empty())
    body += "\n" + e;
  return "Update image refs in " + join(ids, ", ") + "\n" + body;
}

std::string auto_message(const result& r) {
  auto images = changed_images(r);
  if (images.empty())
    return "Auto-release (no images)\n";
  if (images.size() == 1)
    return "Auto-release " + images[0];
  // Flux v1 lists at most ten to keep the message bounded.
  const std::size_t limit = 10;
  std::string out = "Auto-release multiple (" +
                    std::to_string(images.size()) + ") images\n\n";
  for (std::size_t i = 0; i < images.size() && i < limit; ++i)
    out += " - " + images[i] + "\n";
  if (images.size() > limit)
    out += " ...\n";
  return out;
}

} // namespace

std::vector<std::string> policy_events(const policy_spec& s,
                                       const result& r) {
  // Event type → sorted IDs; only workloads whose files changed count.
  std::map<std::string, std::set<std::string>> events;
  namespace p = manifests::policy;
  for (auto& [id, u] : s) {
    auto it = r.find(id);
    if (it == r.end() || it->second.status != workload_status::success)
      continue;
    bool other = false;
    for (auto& [k, v] : u.add) {
      if (k == p::automated)
        events["Automated"].insert(id);
      else if (k == p::locked)
        events["Locked"].insert(id);
      else
        other = true;
    }
    for (auto& [k, v] : u.remove) {
      if (k == p::automated)
        events["Deautomated"].insert(id);
      else if (k == p::locked)
        events["Unlocked"].insert(id);
      else
        other = true;
    }
    if (other)
      events["Updated policies"].insert(id);
  }
  // A stable order (Flux v1's is map iteration, i.e. unspecified).
  static const char* order[] = {"Automated", "Deautomated", "Locked",
                                "Unlocked", "Updated policies"};
  std::vector<std::string> out;
  for (auto* kind : order)
    if (auto it = events.find(kind); it != events.end())
      out.push_back(std::string(kind) + ": " +
                    join({it->second.begin(), it->second.end()}, ", "));
  return out;
}

std::string commit_message(const update_spec& s, const result& r) {
  if (auto* i = std::get_if<image_spec>(&s.spec))
    return s.why.message.empty() ? image_message(*i) : s.why.message;
  if (std::holds_alternative<containers_spec>(s.spec))
    return s.why.message.empty() ? containers_message(r) : s.why.message;
  if (std::holds_alternative<auto_spec>(s.spec))
    return auto_message(r);
  if (auto* p = std::get_if<policy_spec>(&s.spec)) {
    auto events = policy_events(*p, r);
    std::string lines;
    for (auto& e : events)
      lines += "- " + e + "\n";
    if (!s.why.message.empty())
      return s.why.message + "\n\n" + lines;
    if (events.size() > 1)
      return "Updated workload policies\n\n" + lines;
    return events.empty() ? "Updated workload policies\n" : events[0] + "\n";
  }
  return s.why.message;
}

} // namespace fluxd::release
