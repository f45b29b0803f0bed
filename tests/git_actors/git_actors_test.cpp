#include <catch2/catch.hpp>

#include <filesystem>
#include <mutex>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/deep_to_string.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/git_children.hpp"
#include "adapters/git/error.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"
#include "actors/git_mirror.hpp"
#include "actors/supervisor.hpp"
#include "actors/git_writer.hpp"
#include "tests/adapters/git/fixtures.hpp"

using namespace fluxd;
namespace fx = fluxd::test::gitfx;
using namespace std::chrono_literals;

namespace {

struct seen_revisions {
  std::mutex mtx;
  std::vector<std::string> revisions;
  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> lock{mtx};
    return revisions;
  }
};

git_listener_actor::behavior_type
recorder(git_listener_actor::pointer, std::shared_ptr<seen_revisions> seen) {
  return {
      [=](const git_revision& r) {
        std::lock_guard<std::mutex> lock{seen->mtx};
        seen->revisions.push_back(r.revision);
      },
  };
}

/// An actor system driven by hand: time moves only when the test says so.
struct deterministic {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::unique_ptr<caf::scoped_actor> self;

  deterministic() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.add_message_types<caf::id_block::fluxd_git>();
    cfg.add_error_category(caf::atom("git"), render_git_error);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    self = std::make_unique<caf::scoped_actor>(*sys, true);
  }

  ~deterministic() {
    self.reset();
    sched->run();
  }

  template <class Handle, class... Ts>
  auto ask(Handle h, Ts... xs) {
    auto rh = (*self)->request(h, caf::infinite, xs...);
    sched->run();
    return rh;
  }
};

git_mirror_config mirror_config(const fx::upstream& up,
                                const std::string& dir) {
  git_mirror_config c;
  c.remote.url = up.file_url();
  c.branch = "master";
  c.mirror_dir = dir + "/mirror";
  c.poll_interval = 1min;
  c.retry_interval = 10s;
  return c;
}

git_writer_config writer_config(const fx::upstream& up,
                                const std::string& dir) {
  git_writer_config c;
  c.remote.url = up.file_url();
  c.work_dir = dir + "/writer";
  c.identity.user = "Flux";
  c.identity.email = "flux@example.com";
  c.retry = {3, 100ms, 1s};
  return c;
}

git_write_request add_file(const std::string& path) {
  git_write_request req;
  req.message = "add " + path;
  req.changes.push_back({path, false, path + "\n"});
  return req;
}

} // namespace

TEST_CASE("git_mirror: new → ready, polls on its interval, publishes heads") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"deploy/a.yaml", "a\n"}}};
  deterministic d;
  auto seen = std::make_shared<seen_revisions>();
  auto listener = d.sys->spawn(recorder, seen);
  auto mirror = d.sys->spawn(git_mirror, mirror_config(up, dir.path()));
  d.sched->run();
  d.ask(mirror, git_status_atom_v)
      .receive(
          [&](const git_status& st) {
            CHECK(st.status == "ready");
            CHECK(st.error.empty());
            CHECK(st.revision == up.head());
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  CHECK(metrics::standard().git_ready.with({}).value() == 1);
  d.ask(mirror, git_sub_atom_v, listener)
      .receive([](const git_status&) {}, [](caf::error&) {});
  d.sched->run();
  CHECK(seen->snapshot() == std::vector<std::string>{up.head()});

  auto second = up.commit({{"deploy/b.yaml", "b\n"}}, "b");
  d.sched->advance_time(30s); // not yet
  d.sched->run();
  CHECK(seen->snapshot().size() == 1);
  d.sched->advance_time(30s); // the poll interval is over
  d.sched->run();
  CHECK(seen->snapshot().back() == second);

  d.ask(mirror, git_read_atom_v, std::string{}, std::vector<std::string>{})
      .receive(
          [&](const git_files& f) {
            CHECK(f.revision == second);
            CHECK(f.files.size() == 2);
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });

  // Fetch on demand, without waiting for the interval.
  auto third = up.commit({{"deploy/c.yaml", "c\n"}}, "c");
  d.ask(mirror, git_fetch_atom_v)
      .receive([&](const git_status& st) { CHECK(st.revision == third); },
               [&](caf::error& e) { FAIL(d.sys->render(e)); });
  d.sched->run();
  CHECK(seen->snapshot().back() == third);
  d.ask(mirror, git_log_atom_v, second, std::string{}, false)
      .receive(
          [&](const git_log& l) {
            REQUIRE(l.commits.size() == 1);
            CHECK(l.commits[0].subject == "c");
            CHECK(l.commits[0].signature_status == "N");
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("git_mirror: unreachable, then ready once the server is up") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  deterministic d;
  auto cfg = mirror_config(up, dir.path());
  int port = fluxd::test::free_port();
  cfg.remote.url = "git://127.0.0.1:" + std::to_string(port) + "/cfg.git";
  auto mirror = d.sys->spawn(git_mirror, cfg);
  d.sched->run();
  d.ask(mirror, git_status_atom_v)
      .receive(
          [&](const git_status& st) {
            CHECK(st.status == "unreachable");
            CHECK(metrics::standard().git_ready.with({}).value() == 0);
            CHECK(st.error.find("127.0.0.1") != std::string::npos);
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  d.ask(mirror, git_read_atom_v, std::string{}, std::vector<std::string>{})
      .receive([&](const git_files&) { FAIL("read while not ready"); },
               [&](caf::error& e) {
                 CHECK(e == caf::make_error(git_errc::not_ready));
                 CHECK(d.sys->render(e).find("git repo not ready")
                       != std::string::npos);
               });

  fluxd::test::child_process daemon{
      {"git", "daemon", "--reuseaddr", "--base-path=" + up.root + "/srv",
       "--export-all", "--enable=receive-pack", "--listen=127.0.0.1",
       "--port=" + std::to_string(port), up.root + "/srv"}};
  REQUIRE(fluxd::test::wait_for_port(port, 10s));
  d.sched->advance_time(10s); // Flux v1's retry period
  d.sched->run();
  d.ask(mirror, git_status_atom_v)
      .receive([&](const git_status& st) { CHECK(st.status == "ready"); },
               [&](caf::error& e) { FAIL(d.sys->render(e)); });
  caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("git_mirror: missing branch keeps it cloned with Flux v1's error") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  deterministic d;
  auto cfg = mirror_config(up, dir.path());
  cfg.branch = "prod";
  auto mirror = d.sys->spawn(git_mirror, cfg);
  d.sched->run();
  d.ask(mirror, git_status_atom_v)
      .receive(
          [&](const git_status& st) {
            CHECK(st.status == "cloned");
            CHECK(st.error == "configured branch 'prod' does not exist");
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  fx::git({"push", "-q", "origin", "HEAD:refs/heads/prod"}, up.work);
  d.sched->advance_time(10s);
  d.sched->run();
  d.ask(mirror, git_status_atom_v)
      .receive([&](const git_status& st) { CHECK(st.status == "ready"); },
               [&](caf::error& e) { FAIL(d.sys->render(e)); });
  caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("git_mirror: a damaged mirror is noticed and cloned again") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  deterministic d;
  auto cfg = mirror_config(up, dir.path());
  auto mirror = d.sys->spawn(git_mirror, cfg);
  d.sched->run();
  // Garble the packs (their indexes stay): fetching cannot repair that.
  int garbled = 0;
  for (auto& f : std::filesystem::recursive_directory_iterator(cfg.mirror_dir
                                                               + "/objects")) {
    if (!f.is_regular_file() || f.path().extension() == ".idx")
      continue;
    std::filesystem::permissions(f.path(), std::filesystem::perms::owner_all);
    fluxd::test::write_file(f.path().string(), std::string(f.file_size(), 'x'));
    ++garbled;
  }
  REQUIRE(garbled > 0);
  d.ask(mirror, git_fetch_atom_v)
      .receive(
          [&](const git_status& st) {
            CHECK(st.status == "new");
            CHECK(st.error.find("damaged") != std::string::npos);
          },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  d.sched->advance_time(10s);
  d.sched->run();
  d.ask(mirror, git_read_atom_v, std::string{}, std::vector<std::string>{})
      .receive(
          [&](const git_files& f) { CHECK(f.files.at("a.yaml") == "a\n"); },
          [&](caf::error& e) { FAIL(d.sys->render(e)); });
  caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("git_writer: a lost race is retried on the new head after back-off") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  deterministic d;
  auto writer = d.sys->spawn(git_writer, writer_config(up, dir.path()));
  d.sched->run();
  // The edit function itself loses the race once: while fluxd computes
  // its change, someone else pushes.
  auto raced = std::make_shared<int>(0);
  git_write_request req;
  req.message = "image update";
  req.edit = std::make_shared<const git_edit_fn>(
      [raced, &up](const git_tree_reader& tree) {
        if ((*raced)++ == 0)
          up.commit({{"theirs.yaml", "t\n"}}, "theirs");
        auto a = tree.read("a.yaml");
        return std::vector<git_file_change>{
            {"a.yaml", false, (a ? *a : std::string{}) + "ours\n"}};
      });
  caf::scoped_actor self{*d.sys, true};
  auto rh = self->request(writer, caf::infinite, git_write_atom_v, req);
  d.sched->run();
  CHECK(*raced == 1); // first attempt failed, retry waits for the back-off
  d.sched->advance_time(100ms);
  d.sched->run();
  CHECK(*raced == 2);
  rh.receive(
      [&](const git_write_result& r) {
        CHECK(r.changed);
        CHECK(r.attempts == 2);
        CHECK(r.revision == up.head());
      },
      [&](caf::error& e) { FAIL(d.sys->render(e)); });
  CHECK(fx::git({"--git-dir", up.bare, "show", "master:a.yaml"}) == "a\nours");
  CHECK(fx::git({"--git-dir", up.bare, "show", "master:theirs.yaml"}) == "t");
  CHECK(fx::git({"--git-dir", up.bare, "rev-list", "--merges", "master"})
            .empty());
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("git_writer: gives up after the attempts, refuses when read-only") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  deterministic d;
  auto writer = d.sys->spawn(git_writer, writer_config(up, dir.path()));
  auto n = std::make_shared<int>(0);
  git_write_request req;
  req.message = "never lands";
  req.edit =
      std::make_shared<const git_edit_fn>([n, &up](const git_tree_reader&) {
        up.commit({{"t" + std::to_string((*n)++), "t\n"}}, "theirs");
        return std::vector<git_file_change>{{"ours.yaml", false, "o\n"}};
      });
  caf::scoped_actor self{*d.sys, true};
  auto rh = self->request(writer, caf::infinite, git_write_atom_v, req);
  d.sched->run();
  d.sched->advance_time(100ms);
  d.sched->run();
  d.sched->advance_time(200ms);
  d.sched->run();
  rh.receive([&](const git_write_result&) { FAIL("pushed"); },
             [&](caf::error& e) {
               CHECK(e == caf::make_error(git_errc::non_fast_forward));
               CHECK(d.sys->render(e).find("gave up after 3 attempts")
                     != std::string::npos);
             });
  CHECK(*n == 3);

  auto cfg = writer_config(up, dir.path());
  cfg.readonly = true;
  cfg.work_dir += "-ro";
  auto ro = d.sys->spawn(git_writer, cfg);
  d.ask(ro, git_write_atom_v, add_file("x"))
      .receive([&](const git_write_result&) { FAIL("wrote read-only"); },
               [&](caf::error& e) {
                 CHECK(e == caf::make_error(git_errc::readonly));
               });
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ro, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("live: detached mirror and writer over git daemon, with a racer") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"seed", "s\n"}}};
  fx::git_daemon daemon{up.root + "/srv"};
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::fluxd_git>();
  cfg.add_error_category(caf::atom("git"), render_git_error);
  caf::actor_system sys{cfg};
  auto mcfg = mirror_config(up, dir.path());
  mcfg.remote.url = daemon.url("cfg.git");
  auto wcfg = writer_config(up, dir.path());
  wcfg.remote.url = mcfg.remote.url;
  wcfg.retry = {20, 10ms, 200ms};
  auto seen = std::make_shared<seen_revisions>();
  auto listener = sys.spawn(recorder, seen);
  auto mirror = sys.spawn<caf::detached>(git_mirror, mcfg);
  auto writer = sys.spawn<caf::detached>(git_writer, wcfg);
  {
    caf::scoped_actor self{sys};
    self->request(mirror, 20s, git_sub_atom_v, listener)
        .receive([](const git_status&) {},
                 [&](caf::error& e) { FAIL(sys.render(e)); });

    std::thread racer{[&] {
      fx::git({"config", "pull.rebase", "true"}, up.work);
      for (int i = 0; i < 5; ++i) {
        fluxd::test::write_file(up.work + "/r" + std::to_string(i), "r\n");
        fx::git({"add", "-A"}, up.work);
        fx::git({"commit", "-q", "-m", "racer"}, up.work);
        for (int attempt = 0; attempt < 30; ++attempt) {
          try {
            fx::git({"push", "-q", "origin", "HEAD:refs/heads/master"},
                    up.work);
            break;
          } catch (const std::exception&) {
            fx::git({"pull", "-q", "origin", "master"}, up.work);
          }
        }
      }
    }};
    std::string last;
    for (int i = 0; i < 5; ++i)
      self->request(writer, 30s, git_write_atom_v,
                    add_file("w" + std::to_string(i)))
          .receive([&](const git_write_result& r) { last = r.revision; },
                   [&](caf::error& e) { FAIL(sys.render(e)); });
    racer.join();
    self->request(mirror, 20s, git_fetch_atom_v)
        .receive([&](const git_status& st) { CHECK(st.status == "ready"); },
                 [&](caf::error& e) { FAIL(sys.render(e)); });
    auto files =
        fx::git({"--git-dir", up.bare, "ls-tree", "--name-only", "master"});
    for (int i = 0; i < 5; ++i) {
      CHECK(files.find("w" + std::to_string(i)) != std::string::npos);
      CHECK(files.find("r" + std::to_string(i)) != std::string::npos);
    }
    CHECK(fx::git({"--git-dir", up.bare, "rev-list", "--merges", "master"})
              .empty());
    for (int i = 0; i < 100 && seen->snapshot().back() != up.head(); ++i)
      std::this_thread::sleep_for(10ms);
    CHECK(seen->snapshot().back() == up.head());

    self->request(writer, 20s, git_tag_atom_v, last)
        .receive([&](const std::string& rev) { CHECK(rev == last); },
                 [&](caf::error& e) { FAIL(sys.render(e)); });
    self->request(mirror, 20s, git_fetch_atom_v)
        .receive([](const git_status&) {}, [](caf::error&) {});
    self->request(mirror, 20s, git_marker_atom_v)
        .receive([&](const std::string& rev) { CHECK(rev == last); },
                 [&](caf::error& e) { FAIL(sys.render(e)); });
  }
  caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
}

TEST_CASE("git messages survive serialization and errors render") {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::fluxd_git>();
  cfg.add_error_category(caf::atom("git"), render_git_error);
  caf::actor_system sys{cfg};
  git_status st{"ready", "", "abc"};
  git_revision rev{"ssh://git@h/r", "master", "abc"};
  git_files files{"abc", {{"a.yaml", "a: 1\n"}, {"b/c.yaml", ""}}};
  git_log log{{{"abc", "subject", "0123456789ABCDEF", "G"}}};
  git_verified ver{"h", "v", "i", "k"};
  git_commit_note note{true, "{\"jobID\":\"1\"}"};
  git_file_change change{"x.yaml", true, ""};
  git_write_result res{"abc", true, 3};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(st, rev, files, log, ver, note, change, res));
  git_status st2;
  git_revision rev2;
  git_files files2;
  git_log log2;
  git_verified ver2;
  git_commit_note note2;
  git_file_change change2;
  git_write_result res2;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(st2, rev2, files2, log2, ver2, note2, change2, res2));
  CHECK(caf::deep_to_string(st2) == caf::deep_to_string(st));
  CHECK(caf::deep_to_string(rev2) == caf::deep_to_string(rev));
  CHECK(files2.files == files.files);
  CHECK(caf::deep_to_string(log2) == caf::deep_to_string(log));
  CHECK(caf::deep_to_string(ver2) == caf::deep_to_string(ver));
  CHECK(note2.text == note.text);
  CHECK(change2.remove);
  CHECK(res2.attempts == 3);
  CHECK(sys.render(
            caf::make_error(git_errc::host_key, std::string{"unknown host h"}))
        == "git: host_key (unknown host h)");
}

TEST_CASE("flags map to the git actors' settings") {
  config::daemon_config flags;
  CHECK(git_children(flags).empty()); // no --git-url: unconfigured
  flags.git_url = "ssh://git@example.com/org/repo";
  flags.state_dir = "/state";
  flags.git_path = {"deploy", "base"};
  flags.git_timeout = 7s;
  flags.git_label = "cluster-a";
  flags.git_verify_signatures = true;
  flags.git_user = "Flux";
  flags.git_ci_skip = true;
  auto m = mirror_config(flags);
  CHECK(m.remote.ssh_key_path == "/etc/fluxd/ssh/identity");
  CHECK(m.remote.timeout == 7s);
  CHECK(m.sync_tag == "cluster-a");
  CHECK(m.notes_ref == "cluster-a");
  CHECK(m.verify == git::verify_mode::all);
  CHECK(m.mirror_dir == "/state/git/mirror");
  CHECK(m.paths == std::vector<std::string>{"deploy", "base"});
  auto w = writer_config(flags);
  CHECK(w.identity.user == "Flux");
  CHECK(w.identity.ci_skip);
  CHECK(w.work_dir == "/state/git/writer");
  CHECK(git_children(flags).size() == 2);
  flags.git_readonly = true;
  auto ro = git_children(flags);
  REQUIRE(ro.size() == 1);
  CHECK(ro[0].name == "git-mirror");
  flags.git_verify_signatures_mode = "sometimes";
  CHECK_THROWS_AS(mirror_config(flags), git::git_failure);
}

TEST_CASE("live: git children under a supervisor, restarted after a crash") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  caf::actor_system_config cfg;
  cfg.add_error_category(caf::atom("fluxd"), render_errc);
  cfg.add_error_category(caf::atom("git"), render_git_error);
  caf::actor_system sys{cfg};
  config::daemon_config flags;
  flags.git_url = up.file_url();
  flags.state_dir = dir.file("state");
  supervisor_config sc;
  sc.name = "repositories";
  auto statuses = std::make_shared<seen_revisions>(); // reused: a log
  sc.children = git_children(flags, [statuses](const git_status& st) {
    std::lock_guard<std::mutex> lock{statuses->mtx};
    statuses->revisions.push_back(st.status);
  });
  auto sup = sys.spawn(supervisor, sc);
  {
    caf::scoped_actor self{sys};
    auto lookup = [&](const std::string& name) {
      caf::actor h;
      for (int i = 0; i < 100 && !h; ++i) {
        self->request(sup, 5s, caf::get_atom_v, name)
            .receive([&](const caf::actor& a) { h = a; },
                     [&](caf::error&) { std::this_thread::sleep_for(20ms); });
      }
      REQUIRE(h);
      return h;
    };
    auto mirror = caf::actor_cast<git_mirror_actor>(lookup("git-mirror"));
    self->request(mirror, 20s, git_fetch_atom_v)
        .receive([&](const git_status& st) { CHECK(st.status == "ready"); },
                 [&](caf::error& e) { FAIL(sys.render(e)); });
    CHECK(statuses->snapshot() == std::vector<std::string>{"cloned", "ready"});
    auto writer = caf::actor_cast<git_writer_actor>(lookup("git-writer"));
    // A crash (exit_reason::kill would also take this supervisor down in
    // CAF 0.17: reported to the lead).
    caf::anon_send_exit(writer, caf::exit_reason::unhandled_exception);
    // The supervisor starts a new writer; the old handle is dead.
    git_writer_actor fresh;
    for (int i = 0; i < 200; ++i) {
      fresh = caf::actor_cast<git_writer_actor>(lookup("git-writer"));
      if (fresh != writer)
        break;
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(fresh != writer);
    self->request(fresh, 20s, git_write_atom_v, add_file("b.yaml"))
        .receive(
            [&](const git_write_result& r) {
              CHECK(r.changed);
              CHECK(r.revision == up.head());
            },
            [&](caf::error& e) { FAIL(sys.render(e)); });
  }
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}
