#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/automation.hpp"
#include "actors/git_mirror.hpp"
#include "actors/git_writer.hpp"
#include "actors/job_queue.hpp"
#include "actors/registry_scanner.hpp"
#include "adapters/release/job.hpp"
#include "adapters/release/spec.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/registry/local_registry.hpp"

using namespace fluxd;
namespace fx = fluxd::test::gitfx;
using namespace std::chrono_literals;

namespace {

std::string deployment(const std::string& name, const std::string& ann,
                       const std::string& image) {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " +
         name + "\n  namespace: demo\n" +
         (ann.empty() ? "" : "  annotations:\n" + ann) +
         "spec:\n  template:\n    spec:\n      containers:\n"
         "      - name: app\n        image: " + image + " # the app\n";
}

const std::map<std::string, std::string> readme{{"README.md", "demo\n"}};

const std::string automated = "    fluxcd.io/automated: \"true\"\n";

/// Pushes tags of one repository, each created at its given time.
void push(const std::string& host, const std::string& repo,
          const std::vector<std::pair<std::string, std::string>>& tags) {
  fluxd::test::temp_dir layout{"fluxd-oci"};
  std::vector<fluxd::test::test_image> images;
  for (auto& [tag, created] : tags)
    images.push_back({tag, created, {}});
  fluxd::test::write_oci_layout(layout.path(), images);
  for (auto& [tag, created] : tags)
    fluxd::test::skopeo_push(layout.path(), tag, host, repo);
}

/// git, a registry and the actors under test, all real.
struct world {
  fluxd::test::temp_dir dir;
  fluxd::test::local_registry reg;
  std::string image = reg.host() + "/demo/app";
  std::unique_ptr<fx::upstream> up;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::vector<caf::actor> spawned;
  git_mirror_actor mirror;
  git_writer_actor writer;
  registry_scanner_actor scanner;
  job_queue_actor jobs;
  bool leak_system = false;

  explicit world(const std::map<std::string, std::string>& files,
                 bool set_author = false) {
    if (std::getenv("FLUXD_TEST_DEBUG"))
      fluxd::log::configure(fluxd::log::format::logfmt,
                            fluxd::log::level::debug);
    push(reg.host(), "demo/app",
         {{"v1", "2024-01-01T00:00:00Z"}, {"v2", "2024-02-01T00:00:00Z"}});
    up = std::make_unique<fx::upstream>(dir.path(), "cfg", files);
    cfg.set("scheduler.max-threads", 2);
    cfg.add_message_types<caf::id_block::fluxd_git>();
    cfg.add_message_types<caf::id_block::fluxd_registry>();
    cfg.add_message_types<caf::id_block::fluxd_auto>();
    cfg.add_error_category(caf::atom("git"), render_git_error);
    cfg.add_error_category(caf::atom("registry"), render_registry_error);
    cfg.add_error_category(caf::atom("job"), render_job_error);
    sys = std::make_unique<caf::actor_system>(cfg);

    git_mirror_config mc;
    mc.remote.url = up->file_url();
    mc.mirror_dir = dir.path() + "/mirror";
    mc.poll_interval = 1h;
    mirror = keep(sys->spawn<caf::detached>(git_mirror, mc));
    git_writer_config wc;
    wc.remote.url = up->file_url();
    wc.work_dir = dir.path() + "/writer";
    wc.identity.user = "Flux";
    wc.identity.email = "flux@example.com";
    wc.identity.set_author = set_author;
    writer = keep(sys->spawn<caf::detached>(git_writer, wc));
    registry_scanner_config sc;
    sc.plain_http_hosts = {reg.host()};
    sc.state_dir = dir.path() + "/state";
    sc.poll_interval = 1h;
    scanner = keep(sys->spawn(registry_scanner, sc));
    jobs = keep(spawn_jobs());
  }

  job_queue_actor spawn_jobs() {
    job_queue_config jc;
    jc.mirror = mirror;
    jc.writer = writer;
    jc.scanner = scanner;
    jc.job_timeout = 30s;
    return sys->spawn(job_queue, jc);
  }

  automation_actor spawn_automation() {
    automation_config ac;
    ac.mirror = mirror;
    ac.scanner = scanner;
    ac.jobs = jobs;
    ac.interval = 1h;
    ac.batch_window = 300ms;
    return keep(sys->spawn(automation, ac));
  }

  template <class H>
  H keep(H h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  ~world() {
    // Users first (they hold handles to git and the registry), then the
    // rest, each waited for.
    {
      caf::scoped_actor self{*sys};
      for (auto it = spawned.rbegin(); it != spawned.rend(); ++it) {
        self->send_exit(*it, caf::exit_reason::user_shutdown);
        self->wait_for(*it);
      }
    }
    spawned.clear();
    // Detached actors end only once no handle refers to them.
    mirror = git_mirror_actor{};
    writer = git_writer_actor{};
    scanner = registry_scanner_actor{};
    jobs = job_queue_actor{};
    sys.reset();
  }

  std::string git(std::vector<std::string> args) {
    args.insert(args.begin(), {"--git-dir", up->bare});
    return fx::git(args);
  }
  /// A file at the branch head (fx::git drops the final newline).
  std::string file(const std::string& path) {
    return git({"show", "master:" + path}) + "\n";
  }
  int commits() { return std::stoi(git({"rev-list", "--count", "master"})); }

  /// Polls until `pred` holds (at most `limit`).
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 30s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred())
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  std::string submit(const std::string& body, job_queue_actor q = {}) {
    caf::scoped_actor self{*sys};
    std::string id;
    self->request(q ? q : jobs, 60s, job_submit_atom_v, body)
      .receive([&](const std::string& x) { id = x; },
               [&](caf::error& e) { FAIL(sys->render(e)); });
    return id;
  }

  job_info wait(const std::string& id, job_queue_actor q = {}) {
    caf::scoped_actor self{*sys};
    job_info out;
    self->request(q ? q : jobs, 60s, job_wait_atom_v, id)
      .receive([&](const job_info& x) { out = x; },
               [&](caf::error& e) { FAIL(sys->render(e)); });
    return out;
  }

  caf::expected<job_info> status(const std::string& id, job_queue_actor q) {
    caf::scoped_actor self{*sys};
    caf::expected<job_info> out{caf::error{}};
    self->request(q, 60s, job_status_atom_v, id)
      .receive([&](const job_info& x) { out = x; },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  void fetch_mirror() {
    caf::scoped_actor self{*sys};
    self->request(mirror, 60s, git_fetch_atom_v)
      .receive([](const git_status&) {},
               [&](caf::error& e) { FAIL(sys->render(e)); });
  }

  /// Waits until the mirror is ready (its first clone).
  void mirror_ready() {
    REQUIRE(eventually([&] {
      caf::scoped_actor self{*sys};
      bool ready = false;
      self->request(mirror, 60s, git_status_atom_v)
        .receive([&](const git_status& s) { ready = s.status == "ready"; },
                 [](caf::error&) {});
      return ready;
    }));
  }
};

std::string release_body(const std::string& workloads,
                         const std::string& image, const std::string& kind,
                         const std::string& excludes = "null",
                         bool force = false,
                         const std::string& user = "") {
  return R"({"type":"image","cause":{"Message":"","User":")" + user +
         R"("},"spec":{"ServiceSpecs":)" + workloads + R"(,"ImageSpec":")" +
         image + R"(","Kind":")" + kind + R"(","Excludes":)" + excludes +
         R"(,"Force":)" + (force ? "true" : "false") + "}}";
}

fluxd::release::result result_of(const job_info& j) {
  return fluxd::release::status_from_json(j.json).outcome;
}

} // namespace

TEST_CASE("a new tag: automated workloads move in one commit, locked and "
          "filtered ones stay") {
  // The registry's host is known once it runs: the manifests are
  // committed after the world has started.
  world w(readme);
  std::map<std::string, std::string> files;
  for (int i = 0; i < 10; ++i)
    files["apps/app" + std::to_string(i) + ".yaml"] =
      deployment("app" + std::to_string(i), automated, w.image + ":v1");
  files["apps/locked.yaml"] = deployment(
    "locked", automated + "    fluxcd.io/locked: \"true\"\n", w.image + ":v1");
  files["apps/pinned.yaml"] = deployment(
    "pinned", automated + "    fluxcd.io/tag.app: glob:v1*\n",
    w.image + ":v1");
  files["apps/manual.yaml"] = deployment("manual", "", w.image + ":v1");
  w.up->commit(files, "manifests");
  int before = w.commits();
  w.mirror_ready();
  w.fetch_mirror();
  w.spawn_automation();
  w.leak_system = true;

  REQUIRE(w.eventually([&] { return w.commits() == before + 1; }));
  CHECK(w.git({"log", "-1", "--format=%s%n%an <%ae>"}) ==
        "Auto-release " + w.image + ":v2\nFlux <flux@example.com>");
  for (int i = 0; i < 10; ++i)
    CHECK(w.file("apps/app" + std::to_string(i) + ".yaml") ==
          deployment("app" + std::to_string(i), automated, w.image + ":v2"));
  CHECK(w.file("apps/locked.yaml") == files["apps/locked.yaml"]);
  CHECK(w.file("apps/pinned.yaml") == files["apps/pinned.yaml"]);
  CHECK(w.file("apps/manual.yaml") == files["apps/manual.yaml"]);
  auto note = w.git({"notes", "--ref", "flux", "show", "master"});
  auto parsed = fluxd::release::parse_note(note);
  REQUIRE(parsed.ok);
  CHECK(parsed.spec.type() == "auto");
  CHECK(fluxd::release::affected(parsed.outcome).size() == 10);

  // Another tag, announced as a registry webhook would: one more commit.
  push(w.reg.host(), "demo/app", {{"v3", "2024-03-01T00:00:00Z"}});
  caf::anon_send(w.scanner, rescan_atom_v, w.image + ":v1", true);
  REQUIRE(w.eventually([&] { return w.commits() == before + 2; }));
  CHECK(w.git({"log", "-1", "--format=%s"}) ==
        "Auto-release " + w.image + ":v3");
  CHECK(w.file("apps/app7.yaml") ==
        deployment("app7", automated, w.image + ":v3"));
  CHECK(w.file("apps/pinned.yaml") == files["apps/pinned.yaml"]);
  // Nothing else is pending: no duplicate commit follows.
  std::this_thread::sleep_for(1s);
  CHECK(w.commits() == before + 2);
}

TEST_CASE("releases: plan vs execute, excludes, force, missing images, "
          "policies, and job status from notes after a restart") {
  world w(readme, true);
  std::map<std::string, std::string> files;
  for (auto name : {"a", "b", "c"})
    files[std::string("apps/") + name + ".yaml"] =
      deployment(name, "", w.image + ":v1");
  files["apps/locked.yaml"] = deployment(
    "locked",
    "    fluxcd.io/locked: \"true\"\n    fluxcd.io/locked_msg: no\n",
    w.image + ":v1");
  w.up->commit(files, "manifests");
  w.mirror_ready();
  w.fetch_mirror();
  int start = w.commits();

  // Plan: final at once, nothing committed.
  auto plan = w.submit(release_body(R"(["<all>"])", "<all latest>", "plan"));
  auto planned = w.wait(plan);
  CHECK(planned.state == "succeeded");
  CHECK(planned.revision.empty());
  auto pr = result_of(planned);
  CHECK(pr.at("demo:deployment/a").per_container.at(0).target ==
        w.image + ":v2");
  CHECK(pr.at("demo:deployment/locked").error == "locked");
  CHECK(w.commits() == start);

  // Execute with an exclude, as Jane (--git-set-author).
  auto exec = w.submit(release_body(
    R"(["<all>"])", "<all latest>", "execute",
    R"(["demo:deployment/b"])", false, "Jane <jane@example.com>"));
  auto done = w.wait(exec);
  REQUIRE(done.state == "succeeded");
  CHECK(done.revision == w.up->head());
  CHECK(w.git({"log", "-1", "--format=%s%n%an <%ae>%n%cn"}) ==
        "Release all latest to all\nJane <jane@example.com>\nFlux");
  CHECK(w.file("apps/a.yaml") == deployment("a", "", w.image + ":v2"));
  CHECK(w.file("apps/b.yaml") == files["apps/b.yaml"]);
  CHECK(w.file("apps/locked.yaml") == files["apps/locked.yaml"]);
  auto er = result_of(done);
  CHECK(er.at("demo:deployment/b").error == "excluded");

  // --force on a named locked workload.
  auto forced = w.wait(w.submit(release_body(
    R"(["demo:deployment/locked"])", w.image + ":v2", "execute", "null",
    true)));
  CHECK(forced.state == "succeeded");
  CHECK(w.file("apps/locked.yaml").find(w.image + ":v2") !=
        std::string::npos);

  // An image the registry does not have: a clear error.
  auto missing = w.wait(w.submit(release_body(
    R"(["demo:deployment/c"])", w.image + ":nope", "execute")));
  CHECK(missing.state == "failed");
  CHECK(missing.error == "invalid image ID: image \"" + w.image +
                           ":nope\" does not exist");

  // Policies: automate c, lock a with who and why.
  auto pol = w.wait(w.submit(
    R"({"type":"policy","cause":{"Message":"","User":""},"spec":{)"
    R"("demo:deployment/c":{"add":{"automated":"true"}},)"
    R"("demo:deployment/a":{"add":{"locked":"true","locked_msg":"hold",)"
    R"("locked_user":"Jane <jane@example.com>"}}}})"));
  REQUIRE(pol.state == "succeeded");
  CHECK(w.file("apps/c.yaml") ==
        deployment("c", "    fluxcd.io/automated: 'true'\n", w.image + ":v2"));
  CHECK(w.file("apps/a.yaml") ==
        deployment("a",
                   "    fluxcd.io/locked: 'true'\n"
                   "    fluxcd.io/locked_msg: hold\n"
                   "    fluxcd.io/locked_user: Jane <jane@example.com>\n",
                   w.image + ":v2"));
  CHECK(w.git({"log", "-1", "--format=%B"}) ==
        "Updated workload policies\n\n- Automated: demo:deployment/c\n"
        "- Locked: demo:deployment/a\n"
        "- Updated policies: demo:deployment/a");

  // A new job_queue (as after a restart) finds the status in the notes.
  w.fetch_mirror();
  auto fresh = w.keep(w.spawn_jobs());
  auto found = w.status(exec, fresh);
  REQUIRE(found);
  CHECK(found->state == "succeeded");
  CHECK(found->revision == done.revision);
  CHECK(result_of(*found).at("demo:deployment/a").status ==
        fluxd::release::workload_status::success);
  auto unknown = w.status("00000000-0000-0000-0000-000000000000", fresh);
  REQUIRE_FALSE(unknown);
  CHECK(w.sys->render(unknown.error()).find("unknown job") !=
        std::string::npos);
}
