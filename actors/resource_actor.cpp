#include "actors/resource_actor.hpp"

#include <algorithm>

#include <boost/json/monotonic_resource.hpp>

#include "caf/send.hpp"

#include "actors/handlers.hpp"
#include "adapters/sync/desired.hpp"

namespace fluxd {

namespace {

using self_ptr = resource_impl::stateful_pointer<resource_state>;

void reconcile(self_ptr self);

/// Tells the coordinator, once, that this actor is no longer in sync.
void unsettle(self_ptr self) {
  auto& st = self->state;
  if (!st.settled)
    return;
  st.settled = false;
  if (st.config.coordinator)
    caf::anon_send(st.config.coordinator, unsettled_atom_v, st.config.id);
}

void answer(self_ptr self, const std::string& status,
            const std::string& error = {}, bool unreachable = false) {
  auto& st = self->state;
  // Only an answer to a request settles: the coordinator learns of it.
  if (!st.waiting.empty() && (status == "applied" || status == "unchanged"))
    st.settled = true;
  apply_outcome out{st.config.id, status, error, unreachable};
  for (auto& p : st.waiting)
    p.deliver(out);
  st.waiting.clear();
}

/// The live object summarised against the current desired state.
live_summary summarise(const resource_state& st, const boost::json::value& v) {
  live_summary out;
  out.known = true;
  out.absent = v.is_null();
  if (out.absent)
    return out;
  out.resource_version = sync::resource_version(v);
  auto ann = sync::annotations(v);
  out.checksum = ann[sync::checksum_annotation];
  out.ignore = sync::ignore_value(ann);
  if (st.desired) {
    // A throwaway tree: parsed into a stack arena, no malloc per node.
    unsigned char buffer[16384];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    auto desired = sync::parse_json(st.desired->object, &arena);
    out.taken_for = st.desired->checksum;
    out.digest = sync::digest_on(desired, v);
    out.subset = sync::subset_equal(desired, v);
  }
  return out;
}

/// Keeps the newer of the known and the reported object: an event or an
/// answer that was overtaken must not undo what came later. The same
/// resourceVersion is the same object: the watch's echo of our own apply
/// is not summarised a second time.
void set_live(self_ptr self, const boost::json::value& v) {
  auto& st = self->state;
  if (st.live.known && !v.is_null() && !st.live.absent) {
    auto now = st.live.resource_version;
    auto then = sync::resource_version(v);
    const auto& for_checksum = st.desired ? st.desired->checksum : "";
    if (now && then
        && (*then < *now
            || (*then == *now && st.live.taken_for == for_checksum)))
      return;
  }
  st.live = summarise(st, v);
}

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  auto delay = st.config.retry_initial;
  for (uint32_t i = 1; i < st.failures && delay < st.config.retry_max; ++i)
    delay *= 2;
  delay = std::min(delay, st.config.retry_max);
  self->delayed_send(self, delay, res_retry_atom_v, ++st.retry_generation);
}

void fail(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  st.busy = false;
  unsettle(self);
  bool unreachable = is_unreachable(err);
  auto text = error_text(err);
  if (unreachable)
    st.live.known = false; // read it again once the server is back
  if (text != st.last_error)
    st.log.warn("apply failed; will retry",
                {{"resource", st.config.id}, {"err", text}});
  st.last_error = text;
  ++st.failures;
  answer(self, "failed", text, unreachable);
  schedule_retry(self);
}

void succeeded(self_ptr self) {
  auto& st = self->state;
  if (st.failures > 0)
    st.log.info("resource recovered", {{"resource", st.config.id}});
  st.failures = 0;
  st.last_error.clear();
  ++st.retry_generation; // cancels a pending retry
}

/// Every read or write means the actor is not (known to be) in sync.
void fetch(self_ptr self) {
  unsettle(self);
  auto& st = self->state;
  const auto& d = *st.desired;
  st.busy = true;
  self
    ->request(st.config.worker, st.config.request_timeout, kube_get_atom_v,
              d.api_version, d.kind, d.ns, d.name)
    .then(
      [=](const std::string& object) {
        self->state.busy = false;
        set_live(self, sync::parse_json(object));
        reconcile(self);
      },
      [=](caf::error& err) { fail(self, err); });
}

/// Whether the desired state is still the one an attempt started with: a
/// newer one must get the answer of its own attempt, not of this one.
bool current(const resource_state& st, const std::string& checksum) {
  return st.desired && st.desired->checksum == checksum;
}

void apply(self_ptr self) {
  unsettle(self);
  auto& st = self->state;
  const auto& d = *st.desired;
  bool drift = st.waiting.empty() && !st.baseline.empty();
  auto checksum = d.checksum;
  st.busy = true;
  self
    ->request(st.config.worker, st.config.request_timeout, kube_apply_atom_v,
              d.api_version, d.kind, d.ns, d.name, d.object)
    .then(
      [=](const std::string& stored) {
        auto& st = self->state;
        st.busy = false;
        unsigned char buffer[16384];
        boost::json::monotonic_resource arena(buffer, sizeof buffer);
        auto v = sync::parse_json(stored, &arena);
        set_live(self, v);
        if (!current(st, checksum)) {
          reconcile(self); // superseded while in flight: apply the new one
          return;
        }
        // The summary is of this very object unless a newer one came first.
        auto rv = sync::resource_version(v);
        bool same = st.live.taken_for == checksum && rv
                    && st.live.resource_version == rv;
        st.baseline =
          same ? st.live.digest
               : sync::digest_on(sync::parse_json(st.desired->object), v);
        succeeded(self);
        if (drift)
          st.log.info("drift corrected", {{"resource", st.config.id}});
        else
          st.log.debug("applied", {{"resource", st.config.id}});
        answer(self, "applied");
        if (st.again)
          reconcile(self);
      },
      [=](caf::error& err) {
        if (!current(self->state, checksum)) {
          self->state.busy = false;
          reconcile(self);
          return;
        }
        fail(self, err);
      });
}

/// Whether the live object needs no write. Its digests were taken for an
/// earlier desired state when that changed since: the checksum annotation
/// then tells it is out of date (the desired object sets it), and only
/// when it matches must the object be read again.
enum class verdict { in_sync, differs, read_again };

verdict compare(const resource_state& st) {
  const auto& live = st.live;
  if (live.absent)
    return verdict::differs;
  if (live.taken_for != st.desired->checksum)
    return live.checksum == st.desired->checksum ? verdict::read_again
                                                  : verdict::differs;
  if (!st.baseline.empty())
    return live.checksum == st.desired->checksum && live.digest == st.baseline
             ? verdict::in_sync
             : verdict::differs;
  return live.subset ? verdict::in_sync : verdict::differs;
}

void reconcile(self_ptr self) {
  auto& st = self->state;
  if (!st.desired)
    return;
  if (st.busy) {
    st.again = true;
    return;
  }
  st.again = false;
  if (st.desired->ignore_in_file) {
    answer(self, "ignored");
    return;
  }
  if (!st.live.known) {
    fetch(self);
    return;
  }
  if (!st.live.absent && st.live.ignore == "true") {
    unsettle(self);
    answer(self, "ignored");
    return;
  }
  switch (compare(st)) {
  case verdict::in_sync:
    succeeded(self);
    answer(self, "unchanged");
    return;
  case verdict::read_again:
    fetch(self);
    return;
  case verdict::differs:
    apply(self);
    return;
  }
}

} // namespace

resource_impl::behavior_type
resource(resource_impl::stateful_pointer<resource_state> self,
         resource_config config) {
  install_handlers(self, self->state.log);
  self->state.config = std::move(config);
  return {
    [=](desired_atom, desired_state& d) {
      auto& st = self->state;
      auto rp = self->make_response_promise<apply_outcome>();
      if (!st.waiting.empty())
        answer(self, "superseded");
      if (!st.desired || st.desired->checksum != d.checksum) {
        st.baseline.clear();
        st.failures = 0;
      }
      st.desired = std::move(d);
      st.settled = false; // asked, so the coordinator does not count on it
      st.waiting.push_back(rp);
      reconcile(self);
      return rp;
    },
    [=](const live_event& e) {
      auto& live = self->state.live;
      switch (e.what) {
      case live_event::state::not_listed:
        if (!live.known) {
          live.known = true; // nothing known yet: it does not exist
          live.absent = true;
        } else if (!live.absent) {
          live.known = false; // it was there: read it again
        }
        break;
      case live_event::state::deleted:
        set_live(self, nullptr);
        break;
      case live_event::state::present:
        set_live(self, e.object ? *e.object : boost::json::value{});
        break;
      }
      reconcile(self);
    },
    [=](res_retry_atom, uint64_t generation) {
      if (generation == self->state.retry_generation)
        reconcile(self);
    },
  };
}

} // namespace fluxd
