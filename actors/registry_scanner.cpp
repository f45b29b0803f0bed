#include "actors/registry_scanner.hpp"

#include <algorithm>

#include "caf/event_based_actor.hpp"

#include "actors/handlers.hpp"
#include "actors/image_repo.hpp"
#include "actors/metadata_writer.hpp"
#include "actors/registry_fetcher.hpp"
#include "actors/registry_host.hpp"
#include "adapters/registry/names.hpp"

namespace fluxd {

namespace {

using self_ptr =
  registry_scanner_impl::stateful_pointer<registry_scanner_state>;

bool listed(const std::vector<std::string>& hosts, const std::string& host) {
  return std::any_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
    return registry::normalize_host(h) == host;
  });
}

registry_host_actor host_for(self_ptr self, const std::string& host) {
  auto& st = self->state;
  if (auto it = st.hosts.find(host); it != st.hosts.end())
    return it->second;
  registry_host_config hc;
  hc.client.host = host;
  hc.client.insecure = listed(st.cfg.insecure_hosts, host);
  hc.client.plain_http = listed(st.cfg.plain_http_hosts, host);
  hc.client.credentials = st.cfg.credentials;
  hc.client.want_platform = st.cfg.want_platform;
  hc.client.observer = st.cfg.observer;
  if (st.cfg.trace) {
    auto outer = st.cfg.observer;
    hc.client.observer = [outer](const registry::request_event& ev) {
      static const log::logger trace{"registry_trace"};
      trace.info("registry request",
                 {{"host", ev.host},
                  {"method", ev.method},
                  {"target", ev.target},
                  {"status", ev.status}});
      if (outer)
        outer(ev);
    };
  }
  hc.rps = st.cfg.rps;
  hc.burst = st.cfg.burst;
  hc.concurrency = st.cfg.concurrency;
  auto h = self->spawn<caf::linked>(registry_host, hc);
  st.hosts.emplace(host, h);
  return h;
}

/// The repository actor for `image`, started on first use; an error for
/// malformed or excluded images.
caf::expected<image_repo_actor> repo_for(self_ptr self,
                                         const std::string& image) {
  auto& st = self->state;
  registry::repository_name name;
  try {
    name = registry::repository_name::parse(image);
  } catch (const registry::registry_error& e) {
    return to_error(e);
  }
  auto canonical = name.canonical();
  if (auto it = st.repos.find(canonical); it != st.repos.end())
    return it->second;
  if (!registry::scan_allowed(canonical, st.cfg.include, st.cfg.exclude))
    return caf::error{static_cast<uint8_t>(registry_errc::config),
                      caf::atom("registry"),
                      caf::make_message("image " + canonical
                                        + " is excluded from scanning")};
  image_repo_config rc;
  rc.repository = canonical;
  rc.path = name.path;
  rc.host = host_for(self, name.host);
  rc.cache = st.cache;
  rc.writer = st.writer;
  rc.poll_interval = st.cfg.poll_interval;
  rc.use_labels = registry::glob_any(st.cfg.use_labels, canonical);
  auto r = self->spawn<caf::linked>(image_repo, rc);
  st.repos.emplace(canonical, r);
  st.log.debug("scanning repository", {{"repository", canonical}});
  return image_repo_actor{r};
}

/// Collects the hosts' answers to one `registry_hosts` request.
struct hosts_reply {
  caf::typed_response_promise<std::vector<registry_host_info>> rp;
  std::vector<registry_host_info> hosts;
  size_t pending = 0;

  void add(registry_host_info info) {
    hosts.push_back(std::move(info));
    if (--pending > 0)
      return;
    std::sort(hosts.begin(), hosts.end(),
              [](auto& a, auto& b) { return a.host < b.host; });
    rp.deliver(std::move(hosts));
  }
};

/// Asks every host actor for its info, each with a timeout; a host that
/// does not answer is listed as such rather than holding up the rest.
caf::result<std::vector<registry_host_info>> list_hosts(self_ptr self) {
  auto& st = self->state;
  if (st.hosts.empty())
    return std::vector<registry_host_info>{};
  auto reply = std::make_shared<hosts_reply>();
  reply->rp = self->make_response_promise<std::vector<registry_host_info>>();
  reply->pending = st.hosts.size();
  for (auto& [name, actor] : st.hosts) {
    uint64_t repos = 0;
    for (auto& kv : st.repos)
      if (kv.first.compare(0, name.size() + 1, name + "/") == 0)
        ++repos;
    auto host = name;
    self->request(actor, st.cfg.host_info_timeout, host_info_atom_v)
      .then(
        [=](registry_host_info& info) {
          info.repositories = repos;
          reply->add(std::move(info));
        },
        [=](caf::error& err) {
          registry_host_info info;
          info.host = host;
          info.answered = false;
          info.repositories = repos;
          info.last_error = "host actor did not answer: "
                            + self->system().render(err);
          reply->add(std::move(info));
        });
  }
  return reply->rp;
}

} // namespace

registry_scanner_config
scanner_config(const config::daemon_config& flags,
               std::shared_ptr<const registry::credentials_provider>
                 pull_secrets) {
  registry_scanner_config sc;
  sc.state_dir = flags.state_dir;
  sc.rps = flags.registry_rps;
  sc.burst = flags.registry_burst;
  sc.concurrency = static_cast<size_t>(std::max(1, flags.registry_concurrency));
  sc.poll_interval = std::max(
    std::chrono::seconds(1),
    std::chrono::duration_cast<std::chrono::seconds>(
      flags.registry_poll_interval));
  sc.include = flags.registry_include_image;
  sc.exclude = flags.registry_exclude_image;
  sc.use_labels = flags.registry_use_labels;
  sc.insecure_hosts = flags.registry_insecure_host;
  sc.trace = flags.registry_trace;
  sc.want_platform = registry::platform::parse(flags.registry_platform);
  auto layers = std::make_shared<registry::layered_credentials>();
  if (pull_secrets)
    layers->push_back(pull_secrets);
  if (!flags.docker_config.empty()) {
    auto docker = std::make_shared<registry::swappable_credentials>();
    layers->push_back(docker);
    sc.docker_config = std::make_shared<registry::docker_config_watch>(
      flags.docker_config, docker);
    try {
      sc.docker_config->reload();
    } catch (const registry::registry_error& e) {
      log::logger{"registry_scanner"}.warn(
        "ignoring --docker-config until it changes", {{"err", e.what()}});
    }
  }
  sc.credentials = layers;
  return sc;
}

/// Re-reads --docker-config when it changed; the clients see the new
/// credentials on their next request.
void reload_docker_config(self_ptr self) {
  auto& st = self->state;
  auto& watch = *st.cfg.docker_config;
  try {
    using outcome = registry::docker_config_watch::outcome;
    switch (watch.reload()) {
      case outcome::unchanged:
        break;
      case outcome::reloaded: {
        std::string hosts;
        for (auto& h : watch.hosts())
          hosts += (hosts.empty() ? "" : ",") + h;
        st.log.info("re-read --docker-config",
                    {{"path", watch.path()}, {"hosts", hosts}});
        break;
      }
      case outcome::removed:
        st.log.warn("--docker-config is gone; its credentials are dropped",
                    {{"path", watch.path()}});
        break;
    }
  } catch (const registry::registry_error& e) {
    st.log.warn("cannot re-read --docker-config; keeping the previous one",
                {{"err", e.what()}});
  }
}

registry_scanner_impl::behavior_type registry_scanner(
  registry_scanner_impl::stateful_pointer<registry_scanner_state> self,
  registry_scanner_config cfg) {
  auto& st = self->state;
  install_handlers(self, st.log);
  if (!cfg.state_dir.empty()) {
    try {
      st.cache = std::make_shared<registry::metadata_cache>(cfg.state_dir);
      st.writer = self->spawn<caf::linked + caf::detached>(metadata_writer);
    } catch (const registry::registry_error& e) {
      st.log.error("image metadata will not persist", {{"err", e.what()}});
    }
  }
  st.cfg = std::move(cfg);
  if (st.cfg.docker_config)
    self->delayed_send(self, st.cfg.docker_config_poll, docker_config_atom_v);
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    auto forget = [&](auto& map) {
      for (auto it = map.begin(); it != map.end(); ++it)
        if (it->second.address() == msg.source) {
          st.log.warn("registry actor stopped, will restart on next use",
                      {{"name", it->first},
                       {"reason", self->system().render(msg.reason)}});
          map.erase(it);
          return true;
        }
      return false;
    };
    if (forget(st.repos))
      return;
    if (st.writer && msg.source == st.writer.address()) {
      st.log.warn("metadata writer stopped, restarting",
                  {{"reason", self->system().render(msg.reason)}});
      st.writer = self->spawn<caf::linked + caf::detached>(metadata_writer);
      // Running repositories keep the old handle: restart them.
      for (auto& kv : st.repos)
        self->send_exit(kv.second, caf::exit_reason::user_shutdown);
      return;
    }
    if (forget(st.hosts)) {
      // Repositories of that host hold its old handle: restart them too.
      for (auto& kv : st.repos)
        self->send_exit(kv.second, caf::exit_reason::user_shutdown);
      return;
    }
    self->quit(msg.reason);
  });
  return {
    [=](watch_repo_atom, const std::string& image, repo_listener_actor l,
        bool needs_created) -> caf::result<repo_snapshot> {
      auto r = repo_for(self, image);
      if (!r)
        return r.error();
      return self->delegate(*r, watch_repo_atom_v, l, needs_created);
    },
    [=](caf::get_atom, const std::string& image) -> caf::result<repo_snapshot> {
      auto r = repo_for(self, image);
      if (!r)
        return r.error();
      return self->delegate(*r, caf::get_atom_v);
    },
    [=](rescan_atom, const std::string& image, bool priority) {
      if (auto r = repo_for(self, image))
        self->send(*r, rescan_atom_v, priority);
    },
    [=](registry_hosts_atom) { return list_hosts(self); },
    [=](docker_config_atom) {
      reload_docker_config(self);
      self->delayed_send(self, self->state.cfg.docker_config_poll,
                         docker_config_atom_v);
    },
  };
}

} // namespace fluxd
