// fluxd: flags → config → listeners → actor system → wait for shutdown.
// No business logic lives here.

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <malloc.h>
#include <pthread.h>
#include <thread>

#include "caf/all.hpp"

#include "actors/automation_children.hpp"
#include "actors/child_handles.hpp"
#include "actors/cluster_children.hpp"
#include "actors/notifier.hpp"
#include "actors/registry_children.hpp"
#include "actors/sync_children.hpp"
#include "actors/status_collector.hpp"
#include "actors/supervisor.hpp"
#include "actors/api_daemon.hpp"
#include "adapters/api/routes.hpp"
#include "adapters/api/webhooks.hpp"
#include "adapters/config/daemon_config.hpp"
#include "adapters/health/readiness.hpp"
#include "adapters/http/listen_address.hpp"
#include "adapters/http/server.hpp"
#include "adapters/log/log.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"
#include "adapters/ui/routes.hpp"
#include "adapters/ui/sources.hpp"
#include "adapters/ui/store.hpp"
#include "fluxd/version.hpp"
#include "adapters/registry/credentials.hpp"
#include "adapters/ssh/deploy_key.hpp"
#include "messages/automation.hpp"
#include "messages/cluster.hpp"
#include "messages/core.hpp"
#include "messages/git.hpp"
#include "messages/registry.hpp"
#include "messages/sync.hpp"

namespace {

using fluxd::config::daemon_config;

/// One supervisor per area. Children record their handles in `handles`,
/// where the actors of later areas find them.
fluxd::supervisor_config root_supervision(
  const daemon_config& flags, fluxd::health::readiness& ready,
  std::vector<fluxd::child_spec> notifier,
  std::shared_ptr<fluxd::child_handles> handles,
  std::shared_ptr<fluxd::registry::swappable_credentials> pull_secrets) {
  auto area = [](std::string name,
                 std::vector<fluxd::child_spec> children = {}) {
    fluxd::child_spec spec;
    spec.name = name;
    spec.mode = fluxd::restart_mode::permanent;
    spec.start = [name, children](caf::local_actor* parent) {
      fluxd::supervisor_config cfg;
      cfg.name = name;
      cfg.children = children;
      return parent->spawn(fluxd::supervisor, cfg);
    };
    return spec;
  };
  fluxd::supervisor_config root;
  root.name = "root";
  // Started in this order, stopped in reverse.
  auto on_git_status = [&ready](const fluxd::git_status& st) {
    ready.set("git", st.status == "ready", st.error);
  };
  root.children = {
    area("events", fluxd::recorded(std::move(notifier), handles)),
    area("cluster",
         fluxd::recorded(fluxd::cluster_children(flags, pull_secrets),
                         handles)),
    area("registries", fluxd::recorded(fluxd::registry_children(
                                         flags, std::move(pull_secrets)),
                                       handles)),
    area("repositories",
         fluxd::recorded(
           fluxd::repository_children(
             flags, on_git_status, &ready,
             [handles] {
               return caf::actor_cast<fluxd::event_sink_actor>(
                 handles->get("notifier"));
             }),
           handles)),
    area("automation", fluxd::automation_children(flags, handles)),
    area("api")};
  return root;
}

int run(const daemon_config& cfg, const fluxd::log::logger& logger) {
  // Every thread CAF starts inherits this mask; one thread takes the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  fluxd::metrics::standard();
  fluxd::health::readiness readiness;
  readiness.set("api", false, "starting");

  fluxd::http::server::options http_opts;
  http_opts.listen = cfg.listen;
  http_opts.listen_metrics = cfg.listen_metrics;
  http_opts.readiness = &readiness;
  fluxd::http::server http{http_opts};

  std::string api_token;
  if (!cfg.api_token_file.empty()) {
    try {
      api_token = fluxd::api::read_secret_file(cfg.api_token_file,
                                               "api-token-file");
    } catch (const std::exception& e) {
      logger.error("cannot read the API token", {{"err", e.what()}});
      return 1;
    }
  }

  // The Flux API and webhooks; the actors behind them are bound below,
  // once the actor system runs.
  fluxd::api::deferred_daemon api_daemon;
  fluxd::api::install_routes(http, api_daemon,
                             fluxd::api::route_options{api_token});

  // The status page: the daemon's readiness, the repository, its sync,
  // registry hosts and events the status collector writes into `ui_store`,
  // and workloads and images from the Flux API's daemon (sections it cannot
  // answer yet say so).
  auto started = std::chrono::system_clock::now();
  auto ui_store = std::make_shared<fluxd::ui::status_store>();
  fluxd::ui::routes_options ui_opts;
  ui_opts.api_token = api_token;
  ui_opts.provider = fluxd::ui::cached(
    [&readiness, &api_daemon, started, ui_store] {
      auto snap = ui_store->snapshot();
      snap.generated = std::chrono::system_clock::now();
      fluxd::ui::fill_daemon(snap, readiness, fluxd::version, started);
      fluxd::ui::fill_from_api(snap, api_daemon);
      return snap;
    },
    std::chrono::seconds(2));
  fluxd::ui::add_routes(http, std::move(ui_opts));

  // Checked before anything starts: a bad URL or secret file stops fluxd.
  std::vector<fluxd::child_spec> notifier;
  try {
    notifier = fluxd::notifier_children(cfg);
  } catch (const std::exception& e) {
    logger.error("cannot configure notifications", {{"err", e.what()}});
    return 1;
  }

  if (!cfg.webhook_secret_file.empty()) {
    fluxd::api::webhook_options hooks;
    try {
      hooks.secret = fluxd::api::read_secret_file(cfg.webhook_secret_file,
                                                  "webhook-secret-file");
    } catch (const std::exception& e) {
      logger.error("cannot read the webhook secret", {{"err", e.what()}});
      return 1;
    }
    fluxd::api::install_webhooks(http, api_daemon, hooks);
  }

  try {
    http.start();
  } catch (const std::exception& e) {
    logger.error("cannot start HTTP listener", {{"err", e.what()}});
    return 1;
  }
  auto api_addr = fluxd::http::parse_listen_address(cfg.listen, "listen");
  logger.info("listening for HTTP",
              {{"addr", api_addr.host + ":" + std::to_string(http.port())},
               {"metrics_port", http.metrics_port()}});
  if (cfg.api_token_file.empty() && !fluxd::http::is_loopback(api_addr.host))
    logger.warn("the API is reachable from the network without a token; "
                "set --api-token-file or listen on loopback",
                {{"addr", cfg.listen}});
  readiness.set("api", true);

  // The SSH deploy key (ssh git URLs): mounted, from the Secret, or made
  // and stored there, before the git mirror first connects.
  std::shared_ptr<fluxd::ssh::deploy_keyring> keyring;
  try {
    keyring = fluxd::ssh::start_deploy_keyring(cfg);
  } catch (const std::exception& e) {
    logger.error("no SSH deploy key", {{"err", e.what()}});
  }

  caf::actor_system_config sys_cfg;
  sys_cfg.add_message_types<caf::id_block::fluxd_core>();
  sys_cfg.add_error_category(caf::atom("fluxd"), fluxd::render_errc);
  sys_cfg.add_message_types<caf::id_block::fluxd_git>();
  sys_cfg.add_error_category(caf::atom("git"), fluxd::render_git_error);
  sys_cfg.add_message_types<caf::id_block::fluxd_sync>();
  sys_cfg.add_error_category(caf::atom("sync"), fluxd::render_sync_error);
  sys_cfg.add_message_types<caf::id_block::fluxd_registry>();
  sys_cfg.add_error_category(caf::atom("registry"),
                             fluxd::render_registry_error);
  sys_cfg.add_message_types<caf::id_block::fluxd_auto>();
  sys_cfg.add_error_category(caf::atom("job"), fluxd::render_job_error);
  sys_cfg.add_message_types<caf::id_block::fluxd_cluster>();
  sys_cfg.add_error_category(caf::atom("cluster"),
                             fluxd::render_cluster_error);
  // Work sharing parks idle workers on a condition variable; CAF's default
  // work stealing polls with 50 us sleeps, which cost about half of both
  // cores during a large sync and never lets an idle fluxd rest.
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{sys_cfg};
  if (!cfg.git_url.empty())
    readiness.set("git", false, "not cloned yet");
  auto handles = std::make_shared<fluxd::child_handles>();
  auto pull_secrets = std::make_shared<fluxd::registry::swappable_credentials>();
  auto root = sys.spawn(fluxd::supervisor,
                        root_supervision(cfg, readiness, std::move(notifier),
                                         handles, pull_secrets));
  fluxd::api_daemon_config api_cfg;
  api_cfg.root = root;
  api_cfg.git_url = fluxd::ui::strip_credentials(cfg.git_url);
  api_cfg.git_branch = cfg.git_branch;
  api_cfg.git_paths = cfg.git_path;
  api_cfg.git_readonly = cfg.git_readonly;
  if (keyring)
    api_cfg.public_ssh_key = [keyring](bool regenerate) {
      return regenerate ? keyring->regenerate() : keyring->public_key();
    };
  api_cfg.version = fluxd::version;
  fluxd::api_daemon actor_api{sys, api_cfg};
  api_daemon.set(&actor_api);
  // Without --git-url the collector still reports the registry hosts.
  fluxd::status_collector_config collect;
  collect.root = root;
  collect.repository.url = fluxd::ui::strip_credentials(cfg.git_url);
  collect.repository.branch = cfg.git_branch;
  collect.repository.paths = cfg.git_path;
  collect.store = ui_store;
  caf::actor collector = caf::actor_cast<caf::actor>(
    sys.spawn(fluxd::status_collector, collect));

  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!stopping.exchange(true))
      logger.info("shutting down", {{"signal", sig == SIGINT ? "SIGINT"
                                                             : "SIGTERM"}});
    // Stop accepting first, then the actors, last started first.
    http.stop();
    api_daemon.set(nullptr);
    if (collector)
      caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  });

  caf::error reason;
  {
    caf::scoped_actor self{sys};
    self->monitor(root);
    self->receive([&](caf::down_msg& msg) { reason = msg.reason; });
  }
  bool requested = stopping.exchange(true);
  if (!requested)
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  root = nullptr;
  collector = nullptr;
  if (requested && (!reason || reason == caf::exit_reason::user_shutdown)) {
    logger.info("stopped");
    return 0;
  }
  logger.error("actor system stopped unexpectedly",
               {{"err", sys.render(reason)}});
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  // A peer closing a TLS or HTTP connection must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  // glibc gives each thread that allocates its own arena (up to 8 per
  // core), and fluxd has dozens of threads (detached actors): memory freed
  // in one arena is never reused by another. Two arenas cut the peak RSS of
  // a 10,000-resource sync from ~450 to ~370 MB. MALLOC_ARENA_MAX wins.
  if (!std::getenv("MALLOC_ARENA_MAX"))
    mallopt(M_ARENA_MAX, 2);
  std::vector<std::string> args(argv + 1, argv + argc);
  fluxd::config::parse_result parsed;
  try {
    parsed = fluxd::config::parse_daemon_args(args);
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\nRun 'fluxd --help' for usage.\n";
    return 2;
  }
  if (parsed.show_help) {
    std::cout << parsed.usage;
    return 0;
  }
  auto& cfg = parsed.config;
  if (cfg.version) {
    std::cout << fluxd::version << "\n";
    return 0;
  }
  fluxd::log::configure(cfg.log_format == "json" ? fluxd::log::format::json
                                                 : fluxd::log::format::logfmt,
                        fluxd::log::parse_level(cfg.log_level,
                                                fluxd::log::level::info));
  fluxd::log::logger logger{"fluxd"};
  for (auto& w : parsed.warnings)
    logger.warn(w);
  logger.info("started", {{"version", fluxd::version}});
  return run(cfg, logger);
}
