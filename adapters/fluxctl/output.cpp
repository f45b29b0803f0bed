#include "adapters/fluxctl/output.hpp"

#include <algorithm>

#include "adapters/fluxctl/tabwriter.hpp"

namespace fluxd::fluxctl {

ref_parts split_ref(const std::string& ref) {
  ref_parts p;
  std::string rest = ref;
  if (auto at = rest.find('@'); at != std::string::npos)
    rest = rest.substr(0, at);
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    auto first = rest.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos
        || first == "localhost") {
      p.domain = first;
      rest = rest.substr(slash + 1);
    }
  }
  auto colon = rest.rfind(':');
  if (colon != std::string::npos
      && rest.find('/', colon) == std::string::npos) {
    p.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  p.image = rest;
  return p;
}

namespace {

std::string policies(const api::controller_status& w) {
  std::vector<std::string> ps;
  if (w.automated)
    ps.push_back("automated");
  if (w.locked)
    ps.push_back("locked");
  if (w.ignore)
    ps.push_back("ignore");
  std::sort(ps.begin(), ps.end());
  std::string out;
  for (auto& p : ps)
    out += (out.empty() ? "" : ",") + p;
  return out;
}

template <class T>
void sort_by_id(std::vector<T>& xs) {
  std::stable_sort(xs.begin(), xs.end(),
                   [](const T& a, const T& b) { return a.id < b.id; });
}

} // namespace

std::string list_workloads_table(std::vector<api::controller_status> ws,
                                 bool headers) {
  sort_by_id(ws);
  std::string t;
  if (headers)
    t += "WORKLOAD\tCONTAINER\tIMAGE\tRELEASE\tPOLICY\n";
  for (auto& w : ws) {
    auto cs = w.containers.value_or(std::vector<api::container>{});
    if (cs.empty()) {
      t += w.id + "\t\t\t" + w.status + "\t" + policies(w) + "\n";
      continue;
    }
    t += w.id + "\t" + cs[0].name + "\t" + cs[0].current.id + "\t" + w.status
         + "\t" + policies(w) + "\n";
    for (size_t i = 1; i < cs.size(); ++i)
      t += "\t" + cs[i].name + "\t" + cs[i].current.id + "\t\t\n";
  }
  return tabwrite(t);
}

std::string list_images_table(std::vector<api::image_status> images, int limit,
                              bool headers) {
  sort_by_id(images);
  std::string t;
  if (headers)
    t += "WORKLOAD\tCONTAINER\tIMAGE\tCREATED\n";
  for (auto& w : images) {
    auto cs = w.containers.value_or(std::vector<api::container>{});
    if (cs.empty()) {
      t += w.id + "\t\t\t\n";
      continue;
    }
    std::string name = w.id;
    for (auto& c : cs) {
      auto current = split_ref(c.current.id);
      auto repo =
          (current.domain.empty() ? "" : current.domain + "/") + current.image;
      if (c.available.empty()) {
        auto err = c.available_error.empty() ? "image data not available"
                                             : c.available_error;
        t += name + "\t" + c.name + "\t" + repo + "\t" + err + "\n";
      } else {
        t += name + "\t" + c.name + "\t" + repo + "\t\n";
      }
      bool found_running = false;
      int count = 0;
      for (auto& img : c.available) {
        auto tag = split_ref(img.id).tag;
        std::string marker = "|  ";
        bool is_running = false;
        if (!found_running && tag == current.tag) {
          marker = "'->";
          found_running = is_running = true;
        } else if (found_running) {
          marker = "   ";
        }
        ++count;
        bool print = limit <= 0 || count <= limit;
        if (!print && is_running) {
          if (count > limit + 1)
            t += "\t\t: (" + std::to_string(count - limit - 1)
                 + " image(s) omitted)\t\n";
          print = true;
        }
        if (!print && found_running && !is_running)
          break; // past the limit and the running image is shown
        if (print) {
          auto created =
              img.created_at ? api::format_rfc822(*img.created_at) : "";
          t += "\t\t" + marker + " " + tag + "\t" + created + "\n";
        }
      }
      if (!found_running) {
        auto tag = current.tag.empty() ? "(untagged)" : current.tag;
        t += "\t\t'-> " + tag + "\t?\n";
      }
      name.clear();
    }
  }
  return tabwrite(t);
}

std::string result_table(const api::update_result& result, int verbosity) {
  std::string t = "WORKLOAD\tSTATUS\tUPDATES\n";
  for (auto& [id, r] : result) { // std::map: sorted by ID string
    if (r.status == "ignored" && verbosity < 2)
      continue;
    if (r.status == "skipped" && verbosity < 1)
      continue;
    std::vector<std::string> lines;
    if (!r.error.empty())
      lines.push_back(r.error);
    if (r.per_container)
      for (auto& u : *r.per_container)
        lines.push_back(u.container + ": " + u.current + " -> "
                        + split_ref(u.target).tag);
    t += id + "\t" + r.status + "\t" + (lines.empty() ? "" : lines[0]) + "\n";
    for (size_t i = 1; i < lines.size(); ++i)
      t += "\t\t" + lines[i] + "\n";
  }
  return tabwrite(t);
}

std::string rollout_table(const std::vector<api::controller_status>& ws,
                          bool verbose) {
  std::string t = "WORKLOAD\tCONTAINER\tIMAGE\tRELEASE\tREPLICAS\n";
  for (auto& w : ws) {
    auto replicas = std::to_string(w.rollout.updated) + "/"
                    + std::to_string(w.rollout.desired);
    if (verbose)
      replicas += " (" + std::to_string(w.rollout.outdated) + " outdated, "
                  + std::to_string(w.rollout.ready) + " ready)";
    auto cs = w.containers.value_or(std::vector<api::container>{});
    if (cs.empty()) {
      t += w.id + "\t\t\t" + w.status + "\t" + replicas + "\n";
      continue;
    }
    t += w.id + "\t" + cs[0].name + "\t" + cs[0].current.id + "\t" + w.status
         + "\t" + replicas + "\n";
    for (size_t i = 1; i < cs.size(); ++i)
      t += "\t" + cs[i].name + "\t" + cs[i].current.id + "\t\t\n";
  }
  return tabwrite(t);
}

} // namespace fluxd::fluxctl
