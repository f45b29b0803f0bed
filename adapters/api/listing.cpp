#include "adapters/api/listing.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "adapters/image/ref.hpp"
#include "adapters/image/tag_filter.hpp"

namespace fluxd::api {

namespace {

std::string read_only_reason(const git_view& git, bool in_git) {
  switch (git.repo) {
    case git_view::repo_state::no_repo:
      return "NoRepo";
    case git_view::repo_state::not_ready:
      return "NotReady";
    case git_view::repo_state::ready:
      break;
  }
  if (!in_git)
    return "NotInRepo";
  return git.readonly ? "ReadOnlyMode" : "";
}

bool policy_true(const string_map& p, const char* name) {
  auto it = p.find(name);
  return it != p.end() && it->second == "true";
}

std::string namespace_of(const std::string& id) {
  auto colon = id.find(':');
  return colon == std::string::npos ? "" : id.substr(0, colon);
}

image::candidate to_candidate(const image::ref& spelling, const tag_row& t) {
  image::candidate c{spelling.with_tag(t.tag), {}};
  c.created = std::chrono::system_clock::time_point{
    std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::nanoseconds{t.created})};
  return c;
}

image_info to_info(const image::candidate& c) {
  image_info info;
  info.id = c.image.to_string();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
              c.created.time_since_epoch())
              .count();
  if (ns != 0)
    info.created_at = ns;
  return info;
}

/// Leading entries strictly newer than the running image.
int count_newer(const std::vector<image::candidate>& sorted,
                const image::candidate* current,
                const image::tag_filter& order) {
  int n = 0;
  for (auto& c : sorted) {
    if (current && !order.newer(c, *current))
      break;
    if (current && c.image.tag == current->image.tag)
      break;
    ++n;
  }
  return n;
}

container image_container(const image_row& row,
                          const std::set<std::string>& want) {
  auto wanted = [&](const char* f) { return want.empty() || want.count(f); };
  container out;
  if (wanted("Name"))
    out.name = row.container;
  image::ref spelling;
  try {
    spelling = image::parse_ref(row.current);
  } catch (const image::ref_error& e) {
    if (wanted("AvailableError"))
      out.available_error = e.what();
    return out;
  }
  image::tag_filter filter(row.pattern.empty() ? "glob:*" : row.pattern);
  std::vector<image::candidate> all;
  std::optional<image::candidate> current;
  for (auto& t : row.available) {
    all.push_back(to_candidate(spelling, t));
    if (t.tag == spelling.tag)
      current = all.back();
  }
  // Available keeps `latest` but follows the pattern's ordering.
  std::stable_sort(all.begin(), all.end(), [&](auto& a, auto& b) {
    return filter.newer(a, b);
  });
  auto filtered = filter.filter_and_sort(all);
  if (wanted("Current") && current) {
    out.current = to_info(*current);
    out.current.id = row.current;
  }
  if (wanted("LatestFiltered") && !filtered.empty())
    out.latest_filtered = to_info(filtered.front());
  if (wanted("Available"))
    for (auto& c : all)
      out.available.push_back(to_info(c));
  if (wanted("AvailableError") && !row.have_data)
    out.available_error = "image data not available";
  const image::candidate* cur = current ? &*current : nullptr;
  if (wanted("AvailableImagesCount"))
    out.available_images_count = static_cast<int>(all.size());
  if (wanted("NewAvailableImagesCount"))
    out.new_available_images_count = count_newer(all, cur, filter);
  if (wanted("FilteredImagesCount"))
    out.filtered_images_count = static_cast<int>(filtered.size());
  if (wanted("NewFilteredImagesCount"))
    out.new_filtered_images_count = count_newer(filtered, cur, filter);
  return out;
}

} // namespace

std::vector<controller_status>
workload_statuses(const std::vector<live_workload_row>& live,
                  const git_view& git,
                  const std::map<std::string, std::string>& sync_errors,
                  const std::vector<std::string>& only) {
  std::set<std::string> filter(only.begin(), only.end());
  std::vector<controller_status> out;
  for (auto& w : live) {
    if (!filter.empty() && !filter.count(w.id))
      continue;
    controller_status s;
    s.id = w.id;
    if (!w.containers.empty()) {
      s.containers.emplace();
      for (auto& [name, image] : w.containers) {
        container c;
        c.name = name;
        c.current.id = image;
        s.containers->push_back(std::move(c));
      }
    }
    auto pol = git.policies.find(w.id);
    bool in_git = pol != git.policies.end();
    s.read_only = read_only_reason(git, in_git);
    s.status = w.status;
    s.rollout = w.rollout;
    if (auto e = sync_errors.find(w.id); e != sync_errors.end())
      s.sync_error = e->second;
    s.antecedent = w.antecedent;
    if (!w.labels.empty())
      s.labels = w.labels;
    if (in_git) {
      s.policies = pol->second;
      s.automated = policy_true(s.policies, "automated");
      s.locked = policy_true(s.policies, "locked");
      s.ignore = policy_true(s.policies, "ignore");
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

std::vector<image_status>
image_statuses(const std::vector<image_row>& rows, const std::string& spec,
               const std::string& ns, const std::vector<std::string>& fields) {
  std::set<std::string> want(fields.begin(), fields.end());
  std::map<std::string, image_status> by_id;
  for (auto& row : rows) {
    if (spec != "<all>" && !spec.empty() && row.workload != spec)
      continue;
    if (!ns.empty() && namespace_of(row.workload) != ns)
      continue;
    auto& st = by_id[row.workload];
    st.id = row.workload;
    if (!st.containers)
      st.containers.emplace();
    st.containers->push_back(image_container(row, want));
  }
  std::vector<image_status> out;
  for (auto& [id, st] : by_id)
    out.push_back(std::move(st));
  return out;
}

} // namespace fluxd::api
