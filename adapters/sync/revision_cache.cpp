#include "adapters/sync/revision_cache.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "adapters/kube/json.hpp"
#include "adapters/manifests/json.hpp"
#include "adapters/manifests/sync.hpp"

namespace fluxd::sync {

namespace json = boost::json;

namespace {

void sort_for_apply(std::vector<desired_object>& v) {
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (a.rank != b.rank)
      return a.rank < b.rank;
    return a.name < b.name;
  });
}

void copy_problems(const manifests::load_result& loaded, prepared& out) {
  out.errors = loaded.errors;
  out.excluded = loaded.excluded;
  for (const auto& w : loaded.warnings)
    out.warnings.push_back(w.to_string());
}

bool same_limits(const manifests::limits& a, const manifests::limits& b) {
  return a.max_file_bytes == b.max_file_bytes && a.max_nodes == b.max_nodes;
}

/// One object of a cached file: what prepare_for_apply() needs of its node.
struct object_form {
  std::string json;     ///< to_json(node), serialised
  std::string checksum; ///< checksum(node)
  std::string error;    ///< why those failed (then both are empty)
};

} // namespace

struct revision_cache::entry {
  digest sum{};
  manifests::parsed_file file; ///< objects without their nodes
  std::vector<object_form> forms; ///< parallel to file.objects
  std::size_t bytes = 0;
};

prepared prepare_all(const manifests::file_map& files,
                     const manifests::load_options& opts,
                     const std::string& set_name) {
  auto loaded = manifests::load(files, opts);
  prepared out;
  copy_problems(loaded, out);
  for (const auto& [id, r] : loaded.resources) {
    try {
      out.resources.push_back(sync::prepare(r, set_name));
    } catch (const std::exception& e) {
      out.errors.push_back({r.source, r.line, e.what()});
    }
  }
  sort_for_apply(out.resources);
  return out;
}

revision_cache::revision_cache(std::string set_name)
  : set_name_(std::move(set_name)) {}

cache_stats revision_cache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::shared_ptr<const revision_cache::entry>
revision_cache::parse(const std::string& path, const std::string& text,
                      const digest& sum, const manifests::limits& lim) const {
  auto e = std::make_shared<entry>();
  e->sum = sum;
  e->file = manifests::parse_file(path, text, lim);
  for (auto& o : e->file.objects) {
    object_form f;
    try {
      f.json = json::serialize(manifests::to_json(o.node));
      f.checksum = manifests::checksum(o.node);
    } catch (const std::exception& err) {
      f = {{}, {}, err.what()};
    }
    o.node.reset(); // rebinds to an empty node: the tree goes
    e->bytes += sizeof o + o.api_version.size() + o.kind.size()
                + o.name.size() + o.written_ns.size() + o.source.size()
                + f.json.size() + f.checksum.size() + f.error.size();
    for (const auto& [k, v] : o.annotations)
      e->bytes += k.size() + v.size() + 64;
    e->forms.push_back(std::move(f));
  }
  e->bytes += sizeof(entry) + path.size();
  return e;
}

prepared revision_cache::prepare(const manifests::file_map& files,
                                 const manifests::load_options& opts) {
  auto paths = manifests::manifest_paths(files, opts.paths);
  std::vector<digest> sums(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const auto& text = files.at(paths[i]);
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), sums[i].data(), &len, EVP_sha256(),
               nullptr);
  }

  std::vector<std::shared_ptr<const entry>> found(paths.size());
  {
    std::lock_guard lock(mutex_);
    if (!same_limits(limits_, opts.lim)) {
      entries_.clear();
      limits_ = opts.lim;
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
      auto it = entries_.find(paths[i]);
      if (it != entries_.end() && it->second->sum == sums[i])
        found[i] = it->second;
    }
  }
  std::size_t parsed = 0;
  for (std::size_t i = 0; i < paths.size(); ++i)
    if (!found[i]) {
      found[i] = parse(paths[i], files.at(paths[i]), sums[i], opts.lim);
      ++parsed;
    }

  std::vector<const manifests::parsed_file*> parts;
  for (const auto& e : found)
    parts.push_back(&e->file);
  std::map<std::string, manifests::object_origin> origins;
  auto loaded = manifests::resolve(parts, opts, &origins);

  prepared out;
  copy_problems(loaded, out);
  out.resources.reserve(loaded.resources.size());
  for (const auto& [id, r] : loaded.resources) {
    const auto& where = origins.at(id);
    const auto& form = found[where.file]->forms[where.object];
    try {
      if (!form.error.empty())
        throw manifests::manifest_error(form.error);
      json::error_code ec;
      auto object = kube::parse_json(form.json, ec);
      if (ec)
        throw manifests::manifest_error("resource " + id + " in " + r.source
                                        + ": cached JSON: " + ec.message());
      desired_object d;
      d.id = r.id;
      d.api_version = r.api_version;
      d.kind = r.kind;
      d.ns = r.ns;
      d.name = r.name;
      d.source = r.source;
      d.checksum = form.checksum;
      d.rank = kind_rank(r.kind);
      d.ignore_in_file = manifests::ignored_in_file(r);
      d.object = manifests::prepare_for_apply(std::move(object), r, set_name_,
                                              form.checksum);
      out.resources.push_back(std::move(d));
    } catch (const std::exception& e) {
      out.errors.push_back({r.source, r.line, e.what()});
    }
  }
  sort_for_apply(out.resources);

  std::lock_guard lock(mutex_);
  if (same_limits(limits_, opts.lim)) {
    entries_.clear();
    stats_.bytes = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
      stats_.bytes += found[i]->bytes;
      entries_.emplace(paths[i], std::move(found[i]));
    }
    stats_.files = entries_.size();
  }
  stats_.parsed += parsed;
  stats_.reused += paths.size() - parsed;
  return out;
}

} // namespace fluxd::sync
