#include "actors/kube_worker.hpp"

#include <boost/json.hpp>

#include "actors/handlers.hpp"

namespace fluxd {

namespace json = boost::json;

namespace {

sync::marked_object from_ref(const marked_ref& r) {
  return {r.id, r.api_version, r.kind, r.ns, r.name,
          r.mark, r.checksum, r.ignore, r.owned};
}

marked_ref to_ref(const sync::marked_object& o) {
  return {o.id, o.api_version, o.kind, o.ns, o.name,
          o.mark, o.checksum, o.ignore, o.owned};
}

desired_state to_message(sync::prepared_object&& d) {
  desired_state s;
  s.id = std::move(d.id);
  s.api_version = std::move(d.api_version);
  s.kind = std::move(d.kind);
  s.ns = std::move(d.ns);
  s.name = std::move(d.name);
  s.source = std::move(d.source);
  s.checksum = std::move(d.checksum);
  s.rank = d.rank;
  s.ignore_in_file = d.ignore_in_file;
  s.object = std::move(d.object); // already JSON text
  return s;
}

} // namespace

caf::error current_sync_error() {
  try {
    throw;
  } catch (const kube::transport_error& e) {
    return caf::make_error(sync_errc::unreachable, std::string{e.what()});
  } catch (const kube::api_error& e) {
    return caf::make_error(sync_errc::api, std::string{e.what()});
  } catch (const std::exception& e) {
    return caf::make_error(sync_errc::other, std::string{e.what()});
  }
}

kube_worker_actor::behavior_type
kube_worker(kube_worker_actor::stateful_pointer<kube_worker_state> self,
            std::shared_ptr<sync::cluster_ops> ops) {
  install_handlers(self, self->state.log);
  self->state.ops = std::move(ops);
  return {
    [=](kube_get_atom, const std::string& api_version, const std::string& kind,
        const std::string& ns,
        const std::string& name) -> caf::result<std::string> {
      try {
        auto live = self->state.ops->get(api_version, kind, ns, name);
        return live ? json::serialize(*live) : std::string();
      } catch (...) {
        return current_sync_error();
      }
    },
    [=](kube_apply_atom, const std::string& api_version,
        const std::string& kind, const std::string& ns,
        const std::string& name,
        std::string& object) -> caf::result<std::string> {
      try {
        return self->state.ops->apply_text({api_version, kind, ns, name},
                                           std::move(object));
      } catch (...) {
        return current_sync_error();
      }
    },
    [=](kube_delete_atom, const marked_ref& ref, bool dry) -> caf::result<bool> {
      try {
        return self->state.ops->remove(from_ref(ref), dry);
      } catch (...) {
        return current_sync_error();
      }
    },
    [=](kube_prepare_atom,
        const git_files& files) -> caf::result<prepared_set> {
      try {
        auto p = self->state.ops->prepare(files.files);
        prepared_set out;
        out.resources.reserve(p.resources.size());
        for (auto& d : p.resources) {
          out.resources.push_back(to_message(std::move(d)));
          out.resources.back().revision = files.revision;
        }
        for (const auto& e : p.errors)
          out.errors.push_back({"", e.file, e.to_string()});
        out.warnings = p.warnings;
        out.excluded = p.excluded;
        return out;
      } catch (...) {
        return current_sync_error();
      }
    },
    [=](gc_scan_atom) -> caf::result<std::vector<marked_ref>> {
      try {
        std::vector<marked_ref> out;
        for (const auto& o : self->state.ops->scan_marked())
          out.push_back(to_ref(o));
        return out;
      } catch (...) {
        return current_sync_error();
      }
    },
    [=](secret_marker_atom,
        const std::string& revision) -> caf::result<std::string> {
      try {
        return self->state.ops->secret_marker(revision);
      } catch (...) {
        return current_sync_error();
      }
    },
  };
}

} // namespace fluxd
