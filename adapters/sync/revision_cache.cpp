#include "adapters/sync/revision_cache.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <system_error>
#include <thread>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "adapters/kube/json.hpp"
#include "adapters/manifests/json.hpp"
#include "adapters/manifests/sync.hpp"
#include "adapters/manifests/workload.hpp"

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

} // namespace

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


// -- the cache ---------------------------------------------------------------

namespace {

/// Roughly what a cached file holds, for cache_stats::bytes.
std::size_t size_of(const cached_file& e) {
  const auto& f = e.file;
  std::size_t n = sizeof e + f.path.size();
  for (const auto& o : f.objects) {
    n += sizeof o + o.api_version.size() + o.kind.size() + o.name.size()
         + o.written_ns.size() + o.source.size();
    for (const auto& [k, v] : o.annotations)
      n += k.size() + v.size() + 64;
  }
  for (const auto& m : e.forms)
    n += sizeof m + m.ns.size() + m.object.size() + m.checksum.size()
         + m.error.size();
  for (const auto& cs : e.containers)
    for (const auto& c : cs)
      n += sizeof c + c.name.size() + c.image.domain.size()
           + c.image.path.size() + c.image.tag.size() + c.image.sha.size();
  return n;
}

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

/// A call's scope for its threads: asked one at a time (a scope_fn need
/// not be thread-safe), each kind once. It only guesses the namespace a
/// form is made for (resolve() decides), so a throw reads as unknown:
/// resolve() asks again and throws it where a full load would.
class serial_scope {
public:
  explicit serial_scope(manifests::scope_fn fn) : fn_(std::move(fn)) {}

  std::optional<bool> operator()(const std::string& api_version,
                                 const std::string& kind) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = known_.try_emplace({api_version, kind});
    if (fresh) {
      try {
        it->second = fn_(api_version, kind);
      } catch (...) {
        it->second = std::nullopt;
      }
    }
    return it->second;
  }

private:
  manifests::scope_fn fn_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::optional<bool>> known_;
};

unsigned thread_count(unsigned wanted) {
  if (wanted == 0)
    wanted = std::thread::hardware_concurrency();
  return std::clamp(wanted, 1u, 4u);
}

} // namespace

/// A file some call is parsing: the others wait for it instead.
struct revision_cache::flight {
  digest sum{};
  manifests::limits lim;
  bool done = false; ///< under the cache's mutex
  std::shared_ptr<const cached_file> file;
  std::exception_ptr error;
};

/// One prepare() or files() call: its files and what it found of them.
struct revision_cache::call {
  call(const manifests::file_map& f, const manifests::limits& l)
    : files(f), lim(l) {}

  const manifests::file_map& files;
  manifests::limits lim;
  /// Forms to premake while a tree lives; `scope` says which objects are
  /// namespaced, `default_namespace` what those without one get.
  bool make_forms = false;
  manifests::scope_fn scope;
  std::string default_namespace;
  /// prepare(): keep the nodes of objects without a form for resolve().
  bool hold_nodes = false;

  std::vector<std::string> paths;
  std::vector<digest> sums;
  cached_files found;                          ///< by path index
  std::vector<std::shared_ptr<flight>> mine;   ///< claimed by this call
  std::vector<std::shared_ptr<flight>> theirs; ///< another call's
  /// By path index, then object: nodes kept for resolve() (IsMap()).
  std::vector<std::vector<YAML::Node>> held;
  std::atomic<std::size_t> parsed{0};
  std::size_t waited = 0;
};

revision_cache::revision_cache(std::string set_name, unsigned threads)
  : set_name_(std::move(set_name)), threads_(thread_count(threads)) {}

cache_stats revision_cache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void revision_cache::premake_for(std::string default_namespace) {
  std::lock_guard lock(mutex_);
  premake_ns_ = std::move(default_namespace);
}

/// Parses file `i` into `f` and publishes it: the containers of its
/// workloads and, when the call makes them, its objects' forms are taken
/// while the tree lives; then the tree goes (but for held nodes).
void revision_cache::work(call& c, std::size_t i,
                          const std::shared_ptr<flight>& f) {
  std::shared_ptr<cached_file> e;
  std::exception_ptr error;
  try {
    const auto& path = c.paths[i];
    e = std::make_shared<cached_file>();
    e->sum = c.sums[i];
    e->file = manifests::parse_file(path, c.files.at(path), c.lim);
    ++c.parsed;
    auto& objects = e->file.objects;
    e->forms.resize(objects.size());
    e->containers.resize(objects.size());
    std::vector<YAML::Node> held(c.hold_nodes ? objects.size() : 0);
    bool holding = false;
    for (std::size_t oi = 0; oi < objects.size(); ++oi) {
      auto& o = objects[oi];
      if (manifests::is_workload_kind(o.kind)) {
        for (auto& ct : manifests::containers_of(o.node).containers)
          e->containers[oi].push_back({ct.name, ct.image});
        e->containers[oi].shrink_to_fit();
      }
      // Made for the namespace the scope predicts: resolve() has the last
      // word, and a wrong guess parses the file again.
      auto namespaced = c.make_forms ? c.scope(o.api_version, o.kind)
                                     : std::nullopt;
      if (namespaced) { // else a CRD in the set may tell: left to resolve()
        auto r = o;
        r.ns = *namespaced ? (r.written_ns.empty() ? c.default_namespace
                                                    : r.written_ns)
                           : "";
        r.id = manifests::make_id(r.ns, r.kind, r.name);
        make_form(r, set_name_, e->forms[oi]);
      } else if (c.hold_nodes) {
        held[oi].reset(o.node);
        holding = true;
      }
      o.node.reset(); // rebinds to an empty node (operator= writes through)
    }
    e->bytes = size_of(*e);
    if (holding)
      c.held[i] = std::move(held);
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  f->done = true;
  f->error = error;
  f->file = e;
  auto it = in_flight_.find(c.paths[i]);
  if (it != in_flight_.end() && it->second == f)
    in_flight_.erase(it);
  if (!error && same_limits(limits_, f->lim))
    entries_[c.paths[i]] = e; // for a call that starts now
  landed_.notify_all();
}

/// Fills c.found: from the cache, from the files this call claims and
/// parses (on up to threads_ threads), then from those another call was
/// parsing. Rethrows what parsing a file threw, the first file's first.
void revision_cache::gather(call& c,
                            const std::vector<std::string>& paths) {
  c.paths = manifests::manifest_paths(c.files, paths);
  c.sums.resize(c.paths.size());
  for (std::size_t i = 0; i < c.paths.size(); ++i) {
    const auto& text = c.files.at(c.paths[i]);
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), c.sums[i].data(), &len,
               EVP_sha256(), nullptr);
  }
  const auto n = c.paths.size();
  c.found.resize(n);
  c.mine.resize(n);
  c.theirs.resize(n);
  c.held.resize(n);
  std::vector<std::size_t> claimed;
  {
    std::lock_guard lock(mutex_);
    if (!same_limits(limits_, c.lim)) {
      entries_.clear();
      limits_ = c.lim;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto& path = c.paths[i];
      auto it = entries_.find(path);
      if (it != entries_.end() && it->second->sum == c.sums[i]) {
        c.found[i] = it->second;
        continue;
      }
      auto& slot = in_flight_[path];
      if (slot && slot->sum == c.sums[i] && same_limits(slot->lim, c.lim)) {
        c.theirs[i] = slot;
        continue;
      }
      slot = std::make_shared<flight>();
      slot->sum = c.sums[i];
      slot->lim = c.lim;
      c.mine[i] = slot;
      claimed.push_back(i);
    }
  }

  // Claimed files first, on this thread and up to threads_ - 1 more: they
  // never wait, so every flight lands.
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (auto k = next++; k < claimed.size(); k = next++)
      work(c, claimed[k], c.mine[claimed[k]]);
  };
  std::vector<std::thread> helpers;
  auto extra = std::min<std::size_t>(threads_, claimed.size());
  for (std::size_t t = 1; t < extra; ++t) {
    try {
      helpers.emplace_back(run);
    } catch (const std::system_error&) {
      break; // fewer threads: this one still parses every claim
    }
  }
  run();
  for (auto& t : helpers)
    t.join();

  std::unique_lock lock(mutex_);
  for (std::size_t i = 0; i < n; ++i) {
    auto f = c.mine[i] ? c.mine[i] : c.theirs[i];
    if (!f)
      continue;
    if (c.theirs[i]) {
      ++stats_.waiting;
      landed_.wait(lock, [&] { return f->done; });
      --stats_.waiting;
      if (f->error) { // the other call's failure: try it here
        f = c.mine[i] = std::make_shared<flight>();
        f->sum = c.sums[i];
        f->lim = c.lim;
        lock.unlock();
        work(c, i, f);
        lock.lock();
      } else {
        ++c.waited;
      }
    }
    if (f->error)
      std::rethrow_exception(f->error);
    c.found[i] = f->file;
  }
}

/// The cache holds the files of this call now, and counts them.
void revision_cache::install(call& c) {
  std::lock_guard lock(mutex_);
  if (same_limits(limits_, c.lim)) {
    entries_.clear();
    stats_.bytes = 0;
    for (std::size_t i = 0; i < c.paths.size(); ++i) {
      stats_.bytes += c.found[i]->bytes;
      entries_.emplace(c.paths[i], c.found[i]);
    }
    stats_.files = entries_.size();
  }
  stats_.parsed += c.parsed;
  stats_.reused += c.paths.size() - c.parsed;
  stats_.waited += c.waited;
}

cached_files revision_cache::files(const manifests::file_map& files,
                                   const manifests::load_options& opts) {
  call c(files, opts.lim);
  {
    std::lock_guard lock(mutex_);
    c.make_forms = premake_ns_.has_value();
    c.default_namespace = premake_ns_.value_or("");
  }
  c.scope = manifests::default_scope;
  gather(c, opts.paths);
  install(c);
  return std::move(c.found);
}

prepared revision_cache::prepare(const manifests::file_map& files,
                                 const manifests::load_options& opts) {
  call c(files, opts.lim);
  serial_scope scope(opts.scope);
  c.make_forms = bool(opts.scope);
  c.scope = std::ref(scope);
  c.default_namespace = opts.default_namespace;
  c.hold_nodes = true;
  gather(c, opts.paths);

  std::vector<const manifests::parsed_file*> parts;
  for (const auto& e : c.found)
    parts.push_back(&e->file);
  std::map<std::string, manifests::object_origin> origins;
  auto loaded = manifests::resolve(parts, opts, &origins);

  // Forms made now go to copies: a cached file is never written once
  // another call may read it.
  std::vector<std::shared_ptr<cached_file>> fresh(c.paths.size());
  prepared out;
  copy_problems(loaded, out);
  out.resources.reserve(loaded.resources.size());
  for (const auto& [id, r] : loaded.resources) {
    auto [fi, oi] = origins.at(id);
    const auto* form = &c.found[fi]->forms[oi];
    if (!form->made || form->ns != r.ns) {
      auto& held = c.held[fi];
      if (held.size() <= oi || !held[oi].IsMap()) {
        // Dropped with its tree: the same text again, every node kept.
        auto again = manifests::parse_file(c.paths[fi],
                                           files.at(c.paths[fi]), c.lim);
        ++c.parsed;
        // A new vector: assigning to a held node would write through.
        held = std::vector<YAML::Node>(again.objects.size());
        for (std::size_t k = 0; k < held.size(); ++k)
          held[k].reset(again.objects[k].node);
      }
      if (!fresh[fi]) {
        fresh[fi] = std::make_shared<cached_file>(*c.found[fi]);
        c.found[fi] = fresh[fi];
      }
      auto with_node = r;
      with_node.node.reset(held[oi]);
      make_form(with_node, set_name_, fresh[fi]->forms[oi]);
      form = &fresh[fi]->forms[oi];
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
  for (auto& e : fresh)
    if (e)
      e->bytes = size_of(*e);
  install(c);
  return out;
}

} // namespace fluxd::sync
