#include "adapters/release/policy_job.hpp"

#include "adapters/manifests/editor.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::release {

policy_outcome apply_policies(const policy_spec& s,
                              const manifests::file_map& files,
                              const manifests::load_options& opts) {
  policy_outcome out;
  auto loaded = manifests::load(files, opts);
  manifests::file_map edited;
  for (auto& [id, update] : s) {
    if (update.add.count(manifests::policy::automated))
      out.added_automated = true;
    auto it = loaded.resources.find(id);
    if (it == loaded.resources.end()) {
      out.outcome[id] = {workload_status::skipped, {}, {}};
      continue;
    }
    const std::string& file = it->second.source;
    const std::string& before = edited.count(file) ? edited[file]
                                                   : files.at(file);
    auto after = manifests::update_policies(
      before, manifests::target_of(it->second), update, opts.lim);
    bool changed = after != before;
    edited[file] = std::move(after);
    out.outcome[id] = {changed ? workload_status::success
                               : workload_status::skipped,
                       {}, {}};
  }
  for (auto& [f, text] : edited)
    if (text != files.at(f))
      out.changed[f] = text;
  return out;
}

} // namespace fluxd::release
