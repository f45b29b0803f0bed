#include "actors/registry_fetcher.hpp"

#include <chrono>

#include "actors/handlers.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"
#include "adapters/registry/metrics.hpp"

namespace fluxd {

caf::error to_error(const registry::registry_error& e) {
  auto code = static_cast<uint8_t>(static_cast<int>(e.kind()) + 1);
  return caf::error{code, caf::atom("registry"),
                    caf::make_message(std::string{e.what()})};
}

image_meta to_meta(const std::string& tag, const registry::image_info& info) {
  image_meta m;
  m.tag = tag;
  m.digest = info.digest;
  m.config_digest = info.config_digest;
  m.created = caf::timestamp{std::chrono::duration_cast<caf::timespan>(
    info.created.time_since_epoch())};
  m.labels = registry::created_labels(info.labels);
  m.excluded_reason = info.excluded_reason;
  return m;
}

namespace {

/// Runs one job, timing it into Flux v1's flux_client_fetch_duration_seconds
/// (`kind` tags or metadata).
template <class F>
fetch_result run(registry_fetcher_state& st, const char* kind, F fn) {
  fetch_result r;
  st.signals.clear();
  auto started = std::chrono::steady_clock::now();
  try {
    fn(r);
  } catch (const registry::registry_error& e) {
    r.error = to_error(e);
  } catch (const std::exception& e) {
    r.error = caf::error{static_cast<uint8_t>(registry_errc::bad_response),
                         caf::atom("registry"),
                         caf::make_message(std::string{e.what()})};
  }
  r.signals = std::move(st.signals);
  std::chrono::duration<double> took = std::chrono::steady_clock::now()
                                       - started;
  metrics::standard()
    .client_fetch_duration.with({kind, r.error ? "false" : "true"})
    .observe(took.count());
  return r;
}

} // namespace

registry_fetcher_actor::behavior_type
registry_fetcher(registry_fetcher_actor::stateful_pointer<registry_fetcher_state>
                   self,
                 registry::client_options opts) {
  auto outer = opts.observer;
  auto* st = &self->state;
  opts.observer = [st, outer](const registry::request_event& ev) {
    response_signal s;
    s.status = ev.status;
    if (ev.limits.remaining)
      s.remaining = *ev.limits.remaining;
    if (ev.limits.window)
      s.window_s = ev.limits.window->count();
    if (ev.limits.retry_after)
      s.retry_after_s = ev.limits.retry_after->count();
    st->signals.push_back(s);
    registry::count_request(ev);
    if (outer)
      outer(ev);
  };
  install_handlers(self, log::logger{"registry_fetcher",
                                     {{"host", opts.host}}});
  self->state.client = std::make_unique<registry::client>(std::move(opts));
  return {
    [=](list_tags_atom, const std::string& repo) {
      return run(self->state, "tags", [&](fetch_result& r) {
        r.tags = self->state.client->list_tags(repo);
      });
    },
    [=](fetch_meta_atom, const std::string& repo, const std::string& tag) {
      return run(self->state, "metadata", [&](fetch_result& r) {
        r.meta = to_meta(tag, self->state.client->fetch_image_info(repo, tag));
      });
    },
  };
}

} // namespace fluxd
