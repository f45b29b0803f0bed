#include "adapters/release/result.hpp"

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "adapters/release/spec.hpp"

namespace fluxd::release {

namespace json = boost::json;

namespace {
const char* const status_names[] = {"success", "failed", "skipped",
                                    "ignored", "unknown"};
}

std::string to_string(workload_status s) {
  return status_names[static_cast<int>(s)];
}

workload_status status_from_string(const std::string& s) {
  for (int i = 0; i < 5; ++i)
    if (s == status_names[i])
      return static_cast<workload_status>(i);
  throw spec_error("unknown workload status \"" + s + "\"");
}

std::string error_summary(const result& r) {
  std::vector<std::string> failed;
  for (auto& [id, w] : r)
    if (w.status == workload_status::failed)
      failed.push_back(id);
  if (failed.empty())
    return {};
  if (failed.size() == 1)
    return failed[0] + " failed: " + r.at(failed[0]).error;
  std::string out = "Multiple workloads failed: ";
  for (std::size_t i = 0; i < failed.size(); ++i)
    out += (i ? ", " : "") + failed[i];
  return out;
}

std::vector<std::string> changed_images(const result& r) {
  std::set<std::string> out;
  for (auto& [id, w] : r)
    if (w.status == workload_status::success)
      for (auto& c : w.per_container)
        out.insert(c.target);
  return {out.begin(), out.end()};
}

std::vector<std::string> affected(const result& r) {
  std::vector<std::string> out;
  for (auto& [id, w] : r)
    if (w.status == workload_status::success)
      out.push_back(id);
  return out;
}

json::value to_json(const result& r) {
  json::object o;
  for (auto& [id, w] : r) {
    json::object wo;
    wo["Status"] = to_string(w.status);
    if (!w.error.empty())
      wo["Error"] = w.error;
    if (w.per_container.empty()) {
      wo["PerContainer"] = nullptr;
    } else {
      json::array a;
      for (auto& c : w.per_container)
        a.emplace_back(json::object{{"Container", c.container},
                                    {"Current", c.current},
                                    {"Target", c.target}});
      wo["PerContainer"] = std::move(a);
    }
    o[id] = std::move(wo);
  }
  return o;
}

result result_from_json(const json::value& v) {
  result out;
  if (v.is_null())
    return out;
  if (!v.is_object())
    throw spec_error("result must be an object");
  auto text = [](const json::object& o, const char* k) {
    auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  for (auto& [id, w] : v.as_object()) {
    if (!w.is_object())
      throw spec_error("result of " + std::string(id) + " must be an object");
    auto& wo = w.as_object();
    workload_result wr;
    wr.status = status_from_string(text(wo, "Status"));
    wr.error = text(wo, "Error");
    if (auto* pc = wo.if_contains("PerContainer"); pc && pc->is_array())
      for (auto& c : pc->as_array())
        if (c.is_object())
          wr.per_container.push_back({text(c.as_object(), "Container"),
                                      text(c.as_object(), "Current"),
                                      text(c.as_object(), "Target")});
    out[std::string(id)] = std::move(wr);
  }
  return out;
}

} // namespace fluxd::release
