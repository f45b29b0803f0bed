#include "actors/resource_actor.hpp"

#include <algorithm>

#include "actors/handlers.hpp"
#include "adapters/sync/desired.hpp"

namespace fluxd {

namespace {

using self_ptr = resource_impl::stateful_pointer<resource_state>;

void reconcile(self_ptr self);

void answer(self_ptr self, const std::string& status,
            const std::string& error = {}, bool unreachable = false) {
  auto& st = self->state;
  apply_outcome out{st.config.id, status, error, unreachable};
  for (auto& p : st.waiting)
    p.deliver(out);
  st.waiting.clear();
}

/// Keeps the newer of the known and the reported object: an event or an
/// answer that was overtaken must not undo what came later.
void set_live(self_ptr self, boost::json::value v) {
  auto& st = self->state;
  if (st.live_known && !v.is_null() && !st.live.is_null()) {
    auto now = sync::resource_version(st.live);
    auto then = sync::resource_version(v);
    if (now && then && *then < *now)
      return;
  }
  st.live = std::move(v);
  st.live_known = true;
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
  bool unreachable = is_unreachable(err);
  auto text = error_text(err);
  if (unreachable)
    st.live_known = false; // read it again once the server is back
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

void fetch(self_ptr self) {
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
  auto& st = self->state;
  const auto& d = *st.desired;
  bool drift = st.waiting.empty() && !st.baseline.is_null();
  auto checksum = d.checksum;
  st.busy = true;
  self
    ->request(st.config.worker, st.config.request_timeout, kube_apply_atom_v,
              d.object)
    .then(
      [=](const std::string& stored) {
        auto& st = self->state;
        st.busy = false;
        auto v = sync::parse_json(stored);
        set_live(self, v);
        if (!current(st, checksum)) {
          reconcile(self); // superseded while in flight: apply the new one
          return;
        }
        st.baseline = std::move(v);
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

bool in_sync(const resource_state& st) {
  if (st.live.is_null())
    return false;
  if (!st.baseline.is_null())
    return sync::annotations(st.live)[sync::checksum_annotation]
             == st.desired->checksum
           && sync::same_on(st.desired_object, st.baseline, st.live);
  return sync::subset_equal(st.desired_object, st.live);
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
  if (!st.live_known) {
    fetch(self);
    return;
  }
  if (!st.live.is_null()
      && sync::ignore_value(sync::annotations(st.live)) == "true") {
    answer(self, "ignored");
    return;
  }
  if (in_sync(st)) {
    succeeded(self);
    answer(self, "unchanged");
    return;
  }
  apply(self);
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
        st.baseline = nullptr;
        st.failures = 0;
      }
      st.desired_object = sync::parse_json(d.object);
      st.desired = std::move(d);
      st.waiting.push_back(rp);
      reconcile(self);
      return rp;
    },
    [=](const live_event& e) {
      if (e.object == "?") // not in the kind's listing: read it again
        self->state.live_known = false;
      else
        set_live(self, sync::parse_json(e.object));
      reconcile(self);
    },
    [=](res_retry_atom, uint64_t generation) {
      if (generation == self->state.retry_generation)
        reconcile(self);
    },
  };
}

} // namespace fluxd
