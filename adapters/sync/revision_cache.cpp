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

void sort_for_apply(std::vector<prepared_object>& v) {
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

prepared_object text_form(desired_object&& d) {
  return {std::move(d.id),     std::move(d.api_version), std::move(d.kind),
          std::move(d.ns),     std::move(d.name),        std::move(d.source),
          std::move(d.checksum), d.rank,                 d.ignore_in_file,
          json::serialize(d.object)};
}

/// One object of a cached file as sync::prepare() made it for `ns` (the
/// rest of a prepared_object is the resource's header).
struct object_form {
  bool made = false; ///< false until the object is first kept by a load
  std::string ns;
  std::string object;   ///< JSON text, when `error` is empty
  std::string checksum;
  int rank = 4;
  bool ignore_in_file = false;
  std::string error; ///< what sync::prepare() threw
};

} // namespace

struct revision_cache::entry {
  digest sum{};
  manifests::parsed_file file;    ///< objects' nodes only while fresh
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
      out.resources.push_back(text_form(sync::prepare(r, set_name)));
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

std::shared_ptr<revision_cache::entry>
revision_cache::parse(const std::string& path, const std::string& text,
                      const digest& sum, const manifests::limits& lim) const {
  auto e = std::make_shared<entry>();
  e->sum = sum;
  e->file = manifests::parse_file(path, text, lim);
  e->forms.resize(e->file.objects.size());
  return e;
}

namespace {

/// Roughly what an entry holds, for cache_stats::bytes.
std::size_t size_of(const manifests::parsed_file& f,
                    const std::vector<object_form>& forms) {
  std::size_t n = sizeof f + f.path.size();
  for (const auto& o : f.objects) {
    n += sizeof o + o.api_version.size() + o.kind.size() + o.name.size()
         + o.written_ns.size() + o.source.size();
    for (const auto& [k, v] : o.annotations)
      n += k.size() + v.size() + 64;
  }
  for (const auto& m : forms)
    n += sizeof m + m.ns.size() + m.object.size() + m.checksum.size()
         + m.error.size();
  return n;
}

} // namespace

namespace {

/// The compact form of one object (`r` with its node, ID and namespace).
void make_form(const manifests::resource& r, const std::string& set_name,
               object_form& form) {
  form = {};
  try {
    auto d = sync::prepare(r, set_name);
    form.object = json::serialize(d.object);
    form.checksum = std::move(d.checksum);
    form.rank = d.rank;
    form.ignore_in_file = d.ignore_in_file;
  } catch (const std::exception& e) {
    form.error = e.what();
  }
  form.made = true;
  form.ns = r.ns;
}

} // namespace

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

  // Entries shared with the cache are never written; `fresh` ones are
  // this load's own until they are installed at the end.
  std::vector<std::shared_ptr<const entry>> found(paths.size());
  std::vector<std::shared_ptr<entry>> fresh(paths.size());
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
  auto parse_again = [&](std::size_t i) {
    fresh[i] = parse(paths[i], files.at(paths[i]), sums[i], opts.lim);
    if (found[i]) // same text, same objects: keep what was made of them
      fresh[i]->forms = found[i]->forms;
    found[i] = fresh[i];
    ++parsed;
  };
  // A file parsed now is made into compact forms at once, for the
  // namespace discovery predicts, and its trees go: a first load of 10,000
  // files never holds every yaml-cpp tree at the same time. resolve()
  // below has the last word; a wrong guess parses that file again.
  auto premake = [&](std::size_t i) {
    auto& e = *fresh[i];
    for (std::size_t oi = 0; oi < e.file.objects.size(); ++oi) {
      auto& o = e.file.objects[oi];
      if (e.forms[oi].made || !opts.scope)
        continue;
      auto namespaced = opts.scope(o.api_version, o.kind);
      if (!namespaced)
        continue; // a CRD in the set may tell: left to resolve()
      auto r = o;
      r.ns = *namespaced ? (r.written_ns.empty() ? opts.default_namespace
                                                  : r.written_ns)
                         : "";
      r.id = manifests::make_id(r.ns, r.kind, r.name);
      make_form(r, set_name_, e.forms[oi]);
      o.node.reset(); // rebinds to an empty node (operator= writes through)
    }
  };
  for (std::size_t i = 0; i < paths.size(); ++i)
    if (!found[i]) {
      parse_again(i);
      premake(i);
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
    auto where = origins.at(id);
    const auto* form = &found[where.file]->forms[where.object];
    if (!form->made || form->ns != r.ns) {
      // Made from the node, which only a fresh entry still has, unless a
      // guess made it into a form already.
      if (!fresh[where.file] || form->made)
        parse_again(where.file);
      auto& mine = fresh[where.file]->forms[where.object];
      auto with_node = r;
      with_node.node.reset(fresh[where.file]->file.objects[where.object].node);
      make_form(with_node, set_name_, mine);
      form = &mine;
    }
    if (!form->error.empty()) {
      out.errors.push_back({r.source, r.line, form->error});
      continue;
    }
    // sync::prepare() copies these from the resource.
    out.resources.push_back({r.id, r.api_version, r.kind, r.ns, r.name,
                             r.source, form->checksum, form->rank,
                             form->ignore_in_file, form->object});
  }
  sort_for_apply(out.resources);

  // The trees go: only the compact form is kept.
  for (auto& e : fresh)
    if (e) {
      for (auto& o : e->file.objects)
        o.node.reset(); // rebinds to an empty node (operator= writes through)
      e->bytes = size_of(e->file, e->forms);
    }

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
