#include "adapters/manifests/store.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "adapters/manifests/editor.hpp"
#include "adapters/manifests/patch.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::manifests {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    throw manifest_error("cannot read \"" + p.string() + "\"");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Rewrites in place (keeping the file's mode, as Flux v1 does).
void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw manifest_error("cannot write \"" + p.string() + "\"");
}

std::string clean(const std::string& p) {
  auto s = fs::path(p).lexically_normal().generic_string();
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s == "." ? "" : s;
}

/// The patch file of a patchUpdated config, relative to its working dir.
fs::path patch_path(const std::string& root, const origin& o) {
  auto p = fs::path(root) / o.where.working_dir / o.config.patch_file;
  if (!fs::is_directory(p.parent_path()))
    throw manifest_error("base directory (" + p.parent_path().string()
                         + ") of patchFile (" + o.config.patch_file
                         + ") does not exist");
  return p;
}

std::string read_patch(const fs::path& p) {
  return fs::exists(p) ? read_text(p) : std::string();
}

std::vector<std::string> container_names(const resource& r) {
  std::vector<std::string> names;
  for (const auto& c : containers_of(r.node).containers)
    names.push_back(c.name);
  return names;
}

} // namespace

manifest_store::manifest_store(std::string root, store_options opts)
  : root_(std::move(root)), opts_(std::move(opts)) {
  opts_.commands.root = root_;
}

store_contents manifest_store::load() const {
  store_contents out;
  std::vector<std::string> paths = opts_.git_paths;
  if (paths.empty())
    paths.push_back("");
  std::vector<std::string> raw_paths;
  file_map files;
  std::map<std::string, origin> generated; // by source name
  for (const auto& path : paths) {
    std::optional<config_location> where;
    flux_config cfg;
    try {
      if (opts_.manifest_generation) {
        where = find_flux_config(root_, path);
        if (where)
          cfg = parse_flux_config(
            read_text(fs::path(root_) / where->config_file),
            where->config_file);
      }
      if (!where || cfg.mode == flux_config::kind::scan_for_files) {
        raw_paths.push_back(clean(path));
        continue;
      }
      origin o;
      o.how = cfg.mode == flux_config::kind::command_updated
                ? origin::kind::command_updated
                : origin::kind::patch_updated;
      o.file = where->source;
      o.where = *where;
      o.config = cfg;
      auto stream = run_generators(cfg, *where, opts_.commands);
      if (o.how == origin::kind::patch_updated)
        stream = apply_patch_file(stream, read_patch(patch_path(root_, o)),
                                  opts_.load);
      files[o.file] = stream;
      generated[o.file] = o;
    } catch (const std::exception& e) {
      out.generation_errors.push_back(
        {where ? where->config_file : path, 0, e.what()});
    }
  }
  if (!raw_paths.empty()) {
    try {
      for (auto& [name, text] : read_tree(root_, raw_paths, opts_.load.lim))
        files.emplace(name, std::move(text));
    } catch (const manifest_error& e) {
      out.generation_errors.push_back({"", 0, e.what()});
    }
  }
  auto lopts = opts_.load;
  lopts.paths = raw_paths;
  for (const auto& [source, _] : generated)
    lopts.paths.push_back(source);
  out.loaded = manifests::load(files, lopts);
  for (const auto& [id, res] : out.loaded.resources) {
    auto g = generated.find(res.source);
    if (g != generated.end()) {
      out.origins[id] = g->second;
    } else {
      origin o;
      o.file = res.source;
      out.origins[id] = o;
    }
  }
  return out;
}

bool manifest_store::set_image(const std::string& id,
                               const std::string& container,
                               const image::ref& new_ref) const {
  auto contents = load();
  auto it = contents.loaded.resources.find(id);
  if (it == contents.loaded.resources.end())
    throw manifest_error("resource " + id + " not found in manifests");
  const auto& res = it->second;
  const auto& o = contents.origins.at(id);
  auto target = target_of(res);
  switch (o.how) {
    case origin::kind::file: {
      auto path = fs::path(root_) / o.file;
      auto before = read_text(path);
      auto after = set_container_image(before, target, container, new_ref,
                                       opts_.load.lim);
      if (after == before)
        return false;
      write_text(path, after);
      return true;
    }
    case origin::kind::command_updated:
      run_image_updaters(o.config, o.where, opts_.commands, id, container,
                         new_ref);
      return true;
    case origin::kind::patch_updated: {
      auto patch_file = patch_path(root_, o);
      auto generated = run_generators(o.config, o.where, opts_.commands);
      auto effective =
        apply_patch_file(generated, read_patch(patch_file), opts_.load);
      auto edited = set_container_image(effective, target, container, new_ref,
                                        opts_.load.lim);
      if (edited == effective)
        return false;
      write_text(patch_file, make_patch_file(generated, edited, opts_.load));
      ::chmod(patch_file.c_str(), 0600);
      return true;
    }
  }
  return false;
}

bool manifest_store::update_policies(const std::string& id,
                                     const policy_update& update) const {
  auto contents = load();
  auto it = contents.loaded.resources.find(id);
  if (it == contents.loaded.resources.end())
    throw manifest_error("resource " + id + " not found in manifests");
  const auto& res = it->second;
  const auto& o = contents.origins.at(id);
  auto target = target_of(res);
  switch (o.how) {
    case origin::kind::file: {
      auto path = fs::path(root_) / o.file;
      auto before = read_text(path);
      auto after = manifests::update_policies(before, target, update,
                                              opts_.load.lim);
      if (after == before)
        return false;
      write_text(path, after);
      return true;
    }
    case origin::kind::command_updated: {
      auto names = container_names(res);
      bool workload = is_workload_kind(res.kind);
      for (const auto& [policy, value] :
           expand_policy_update(update, workload ? &names : nullptr, id))
        run_policy_updaters(o.config, o.where, opts_.commands, id, policy,
                            value);
      return true;
    }
    case origin::kind::patch_updated: {
      auto patch_file = patch_path(root_, o);
      auto generated = run_generators(o.config, o.where, opts_.commands);
      auto effective =
        apply_patch_file(generated, read_patch(patch_file), opts_.load);
      auto edited = manifests::update_policies(effective, target, update,
                                               opts_.load.lim);
      if (edited == effective)
        return false;
      write_text(patch_file, make_patch_file(generated, edited, opts_.load));
      ::chmod(patch_file.c_str(), 0600);
      return true;
    }
  }
  return false;
}

} // namespace fluxd::manifests
