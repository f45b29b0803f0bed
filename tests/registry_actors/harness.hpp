#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "actors/image_repo.hpp"
#include "actors/registry_host.hpp"
#include "tests/adapters/registry/live_fixture.hpp"

/// A live actor system for the registry actors, with helpers to spawn,
/// ask and wait; everything spawned is stopped on scope exit.
namespace fluxd::test {

using namespace std::chrono_literals;

/// Collects the snapshots an image_repo pushes.
struct inbox {
  std::mutex mtx;
  std::vector<repo_snapshot> got;
  size_t size() {
    std::lock_guard<std::mutex> g{mtx};
    return got.size();
  }
};

inline repo_listener_actor::behavior_type
listener(repo_listener_actor::pointer, std::shared_ptr<inbox> box) {
  return {[=](const repo_snapshot& s) {
    std::lock_guard<std::mutex> g{box->mtx};
    box->got.push_back(s);
  }};
}

struct harness {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<caf::actor> spawned;

  harness() {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  ~harness() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    spawned.clear();
    sys.reset();
  }

  registry_host_actor host(const std::string& host_port, double rps = 50) {
    registry_host_config hc;
    hc.client = loopback(host_port);
    hc.rps = rps;
    hc.burst = 10;
    hc.concurrency = 2;
    auto h = sys->spawn(registry_host, hc);
    spawned.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  image_repo_actor repo(registry_host_actor h, const std::string& host_port,
                        const std::string& path,
                        std::shared_ptr<registry::metadata_cache> cache) {
    image_repo_config rc;
    rc.repository = host_port + "/" + path;
    rc.path = path;
    rc.host = h;
    rc.cache = std::move(cache);
    rc.poll_interval = 1h;
    auto r = sys->spawn(image_repo, rc);
    spawned.push_back(caf::actor_cast<caf::actor>(r));
    return r;
  }

  repo_listener_actor listen(std::shared_ptr<inbox> box) {
    auto l = sys->spawn(listener, box);
    spawned.push_back(caf::actor_cast<caf::actor>(l));
    return l;
  }

  template <class Actor, class T, class... Ts>
  T ask(Actor who, Ts... xs) {
    caf::scoped_actor self{*sys};
    T out;
    self->request(who, 10s, xs...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& e) { FAIL(sys->render(e)); });
    return out;
  }

  repo_snapshot snapshot(image_repo_actor r) {
    return ask<image_repo_actor, repo_snapshot>(r, caf::get_atom_v);
  }

  host_status status(registry_host_actor h) {
    return ask<registry_host_actor, host_status>(h, caf::get_atom_v);
  }

  /// Polls until `pred(snapshot)` holds (or 20 s pass: a failure).
  template <class Pred>
  repo_snapshot wait_for(image_repo_actor r, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      auto s = snapshot(r);
      if (pred(s) || std::chrono::steady_clock::now() > deadline)
        return s;
      std::this_thread::sleep_for(20ms);
    }
  }
};

inline const image_meta* find_meta(const repo_snapshot& s, const std::string& tag) {
  for (auto& m : s.images)
    if (m.tag == tag)
      return &m;
  return nullptr;
}

inline std::string created_text(const image_meta& m) {
  return registry::format_rfc3339(registry::time_point{
    std::chrono::duration_cast<registry::time_point::duration>(
      m.created.time_since_epoch())});
}

} // namespace fluxd::test
