#include "adapters/release/job.hpp"

#include <cstdio>
#include <random>

#include <boost/json.hpp>

namespace fluxd::release {

namespace json = boost::json;

namespace {
const char* const state_names[] = {"queued", "running", "succeeded",
                                   "failed"};
}

std::string to_string(job_state s) {
  return state_names[static_cast<int>(s)];
}

job_state job_state_from_string(const std::string& s) {
  for (int i = 0; i < 4; ++i)
    if (s == state_names[i])
      return static_cast<job_state>(i);
  throw spec_error("unknown job status \"" + s + "\"");
}

std::string new_job_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<unsigned> byte(0, 255);
  std::string out;
  char buf[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    std::snprintf(buf, sizeof buf, "%02x", byte(rng));
    out += buf;
  }
  return out;
}

std::string status_json(const job_status& s) {
  json::object res;
  if (!s.revision.empty())
    res["revision"] = s.revision;
  if (s.has_spec)
    res["spec"] = to_json(s.spec);
  if (!s.outcome.empty())
    res["result"] = to_json(s.outcome);
  return json::serialize(json::object{{"Result", std::move(res)},
                                      {"Err", s.error},
                                      {"StatusString", to_string(s.state)}});
}

job_status status_from_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object())
    throw spec_error("job status: invalid JSON");
  auto& o = v.as_object();
  job_status s;
  if (auto* st = o.if_contains("StatusString"); st && st->is_string())
    s.state = job_state_from_string(std::string(st->as_string()));
  if (auto* e = o.if_contains("Err"); e && e->is_string())
    s.error = std::string(e->as_string());
  if (auto* r = o.if_contains("Result"); r && r->is_object()) {
    auto& ro = r->as_object();
    if (auto* rev = ro.if_contains("revision"); rev && rev->is_string())
      s.revision = std::string(rev->as_string());
    if (auto* sp = ro.if_contains("spec"); sp && sp->is_object()) {
      s.spec = spec_from_json(*sp);
      s.has_spec = true;
    }
    if (auto* rr = ro.if_contains("result"))
      s.outcome = result_from_json(*rr);
  }
  return s;
}

std::string note_json(const std::string& job_id, const update_spec& spec,
                      const result& r) {
  return json::serialize(json::object{
    {"jobID", job_id}, {"spec", to_json(spec)}, {"result", to_json(r)}});
}

std::string commit_event_json(const std::string& job_id,
                              const update_spec& spec, const result& r,
                              const std::string& revision) {
  return json::serialize(json::object{{"jobID", job_id},
                                      {"spec", to_json(spec)},
                                      {"result", to_json(r)},
                                      {"revision", revision}});
}

job_note parse_note(std::string_view text) {
  job_note n;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object())
    return n;
  auto& o = v.as_object();
  auto* id = o.if_contains("jobID");
  if (!id || !id->is_string())
    return n;
  try {
    n.job_id = std::string(id->as_string());
    if (auto* sp = o.if_contains("spec"))
      n.spec = spec_from_json(*sp);
    if (auto* r = o.if_contains("result"))
      n.outcome = result_from_json(*r);
    n.ok = true;
  } catch (const spec_error&) {
    n.ok = false;
  }
  return n;
}

} // namespace fluxd::release
