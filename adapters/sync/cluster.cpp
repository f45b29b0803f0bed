#include "adapters/sync/cluster.hpp"

#include <fnmatch.h>

#include <boost/json.hpp>

namespace fluxd::sync {

namespace json = boost::json;

namespace {

bool owned(const json::value& o) {
  auto* md = o.as_object().if_contains("metadata");
  if (!md || !md->is_object())
    return false;
  auto* refs = md->as_object().if_contains("ownerReferences");
  return refs && refs->is_array() && !refs->as_array().empty();
}

std::string text(const json::value& o, const char* key) {
  auto* v = o.as_object().if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

} // namespace

bool excluded_kind(const std::vector<std::string>& globs,
                   const std::string& api_version, const std::string& kind) {
  if (api_version == "v1" && (kind == "ComponentStatus" || kind == "Endpoints"))
    return true;
  auto whole = api_version + "/";
  auto one = whole + kind;
  for (const auto& g : globs)
    if (::fnmatch(g.c_str(), one.c_str(), 0) == 0
        || ::fnmatch(g.c_str(), whole.c_str(), 0) == 0)
      return true;
  return false;
}

cluster_ops::cluster_ops(kube::client& client, cluster_options opts)
  : client_(client), opts_(std::move(opts)), cache_(opts_.cache) {
  if (opts_.default_namespace.empty())
    opts_.default_namespace = client_.config().default_namespace();
  if (!cache_ || cache_->set_name() != opts_.set_name)
    cache_ = std::make_shared<revision_cache>(opts_.set_name);
  // Files the automation parses first are made ready for this sync too.
  cache_->premake_for(opts_.default_namespace);
}

prepared cluster_ops::prepare(const manifests::file_map& files) {
  manifests::load_options lo;
  lo.paths = opts_.paths;
  lo.default_namespace = opts_.default_namespace;
  lo.allow_namespaces = opts_.allow_namespaces;
  lo.scope = [this](const std::string& av,
                    const std::string& kind) -> std::optional<bool> {
    try {
      return client_.discovery().resolve(av, kind).namespaced;
    } catch (const kube::unknown_kind_error&) {
      return std::nullopt; // a CRD in the same set may still tell
    }
  };
  return cache_->prepare(files, lo);
}

std::optional<json::value> cluster_ops::get(const std::string& api_version,
                                            const std::string& kind,
                                            const std::string& ns,
                                            const std::string& name) {
  try {
    return client_.get({api_version, kind, ns, name});
  } catch (const kube::api_error& e) {
    if (e.not_found())
      return std::nullopt;
    throw;
  } catch (const kube::unknown_kind_error&) {
    return std::nullopt; // its CRD is not there (yet)
  }
}

json::value cluster_ops::apply(const json::value& object) {
  kube::apply_options ao;
  ao.field_manager = opts_.field_manager;
  ao.force = true;
  auto stored = client_.apply(object, ao);
  if (text(object, "kind") == "CustomResourceDefinition")
    client_.discovery().invalidate();
  return stored;
}

std::string cluster_ops::apply_text(const kube::object_ref& ref,
                                    std::string object) {
  kube::apply_options ao;
  ao.field_manager = opts_.field_manager;
  ao.force = true;
  auto stored = client_.apply_text(ref, std::move(object), ao);
  if (ref.kind == "CustomResourceDefinition")
    client_.discovery().invalidate();
  return stored;
}

bool cluster_ops::remove(const marked_object& o, bool dry) {
  kube::object_ref ref{o.api_version, o.kind, o.ns, o.name};
  try {
    if (dry) {
      client_.get(ref);
      return true;
    }
    kube::delete_options d;
    d.propagation_policy = "Background";
    client_.remove(ref, d);
    return true;
  } catch (const kube::api_error& e) {
    if (e.not_found())
      return false;
    throw;
  }
}

std::vector<marked_object> cluster_ops::scan_marked() {
  std::vector<marked_object> out;
  kube::list_options lo;
  lo.label_selector = gc_mark_label;
  lo.limit = 500;
  for (const auto& res : client_.discovery().preferred_resources()) {
    if (!res.has_verb("list") || !res.has_verb("delete")
        || excluded_kind(opts_.exclude_resources, res.api_version(), res.kind))
      continue;
    std::vector<std::string> namespaces{""};
    if (res.namespaced && !opts_.allow_namespaces.empty())
      namespaces = opts_.allow_namespaces;
    for (const auto& ns : namespaces) {
      kube::list_page page;
      try {
        page = client_.list_all(res, ns, lo);
      } catch (const kube::api_error& e) {
        if (e.not_found() || e.code() == 403)
          continue; // a namespace we may not see, or a kind that went
        throw;
      }
      for (const auto& item : page.items) {
        if (!item.is_object())
          continue;
        marked_object m;
        m.id = id_of(item);
        m.api_version = res.api_version();
        m.kind = res.kind;
        auto ref = kube::object_ref::of(item);
        m.ns = ref.namespace_name;
        m.name = ref.name;
        m.mark = labels(item)[gc_mark_label];
        auto ann = annotations(item);
        m.checksum = ann[checksum_annotation];
        m.ignore = ignore_value(ann);
        m.owned = owned(item);
        out.push_back(std::move(m));
      }
    }
  }
  return out;
}

std::string cluster_ops::secret_marker(const std::string& revision) {
  kube::object_ref ref{"v1", "Secret", opts_.secret_namespace,
                       opts_.secret_name};
  auto current = annotations(client_.get(ref))[secret_marker_annotation];
  if (revision.empty() || revision == current)
    return current;
  json::object body;
  body["metadata"].emplace_object()["annotations"].emplace_object()
    [secret_marker_annotation] = revision;
  client_.patch(ref, "application/strategic-merge-patch+json", body,
                opts_.field_manager);
  return revision;
}

} // namespace fluxd::sync
