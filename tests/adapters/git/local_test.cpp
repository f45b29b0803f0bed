#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "adapters/git/error.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"

using namespace fluxd::git;
namespace fx = fluxd::test::gitfx;
namespace fs = std::filesystem;

namespace {

remote_options file_remote(const fx::upstream& up) {
  remote_options o;
  o.url = up.file_url();
  o.timeout = std::chrono::seconds(10);
  return o;
}

error_kind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const git_failure& e) {
    return e.kind();
  }
  return error_kind::other;
}

} // namespace

TEST_CASE("file://: clone, read paths at a revision, log limited to paths") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(),
                  "cfg",
                  {{"deploy/a.yaml", "a: 1\n"},
                   {"deploy/sub/b.yaml", "b: 1\n"},
                   {"other/c.yaml", "c: 1\n"}}};
  auto first = up.head();
  auto second = up.commit({{"other/c.yaml", "c: 2\n"}}, "Change other");
  auto third = up.commit({{"deploy/a.yaml", "a: 2\n"}}, "Change deploy");

  auto repo = repository::open_or_clone(dir.file("mirror"), file_remote(up));
  CHECK(repo.branch_head("master") == third);

  auto files = repo.read_files(third, {"deploy"});
  CHECK(files.size() == 2);
  CHECK(files.at("deploy/a.yaml") == "a: 2\n");
  CHECK(files.at("deploy/sub/b.yaml") == "b: 1\n");
  CHECK(repo.read_files(first, {"deploy/a.yaml"}).at("deploy/a.yaml")
        == "a: 1\n");
  CHECK(repo.read_files(third, {}).size() == 3);
  CHECK(kind_of([&] { repo.read_files(third, {"nope"}); })
        == error_kind::path_missing);
  CHECK_FALSE(repo.read_file(third, "deploy/zz.yaml"));

  auto log = repo.log(first, third, {"deploy"}, false);
  REQUIRE(log.size() == 1);
  CHECK(log[0].revision == third);
  CHECK(log[0].subject == "Change deploy");
  auto all = repo.log("", third, {}, false);
  REQUIRE(all.size() == 3);
  CHECK(all[2].revision == first);
  CHECK(repo.log(first, third, {"other", "deploy/sub"}, false).at(0).revision
        == second);
}

TEST_CASE("file://: a missing branch is reported, then found after a push") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  auto repo = repository::open_or_clone(dir.file("mirror"), file_remote(up));
  try {
    repo.branch_head("prod");
    FAIL("missing branch accepted");
  } catch (const git_failure& e) {
    CHECK(e.kind() == error_kind::branch_missing);
    CHECK(std::string{e.what()} == "configured branch 'prod' does not exist");
  }
  fx::git({"push", "-q", "origin", "HEAD:refs/heads/prod"}, up.work);
  repo.fetch();
  CHECK(repo.branch_head("prod") == up.head());
}

TEST_CASE("file://: commit, note, push, sync tag, write check") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"deploy/a.yaml", "image: a:1\n"}}};
  auto repo = repository::open_or_clone(dir.file("mirror"), file_remote(up));
  commit_identity id;
  id.user = "Flux";
  id.email = "flux@example.com";
  id.ci_skip = true;
  write_request req;
  req.branch = "master";
  req.message = "Auto-release a:2";
  req.note = R"({"jobID":"j1"})";
  req.notes_ref = "flux";
  req.edits = [](const tree_view& view) {
    auto text = view.read("deploy/a.yaml").value();
    if (auto pos = text.find("a:1"); pos != std::string::npos)
      text.replace(pos, 3, "a:2");
    return std::vector<file_change>{{"deploy/a.yaml", text},
                                    {"deploy/new.yaml", "n: 1\n"}};
  };
  auto result = write_once(repo, req, id);
  REQUIRE(result.changed);
  CHECK(up.head() == result.revision);
  CHECK(fx::git({"--git-dir", up.bare, "show", "master:deploy/a.yaml"})
        == "image: a:2");
  CHECK(fx::git({"--git-dir", up.bare, "log", "-1", "--format=%cn <%ce>|%B"})
        == "Flux <flux@example.com>|Auto-release a:2\n\n[ci skip]");
  CHECK(fx::git({"--git-dir", up.bare, "notes", "--ref", "flux", "show",
                 result.revision})
        == req.note);
  auto note = repo.read_note("flux", result.revision).value();
  CHECK(note.rfind(req.note, 0) == 0);

  // Same edits again: nothing to change, no commit.
  auto again = write_once(repo, req, id);
  CHECK_FALSE(again.changed);
  CHECK(again.revision == result.revision);

  repo.move_tag("flux-sync", result.revision, id);
  CHECK(fx::git({"--git-dir", up.bare, "rev-parse", "flux-sync^{commit}"})
        == result.revision);
  CHECK(fx::git({"--git-dir", up.bare, "cat-file", "-t", "flux-sync"})
        == "tag");
  // Force-moved backwards is fine for the marker.
  auto parent = fx::git({"--git-dir", up.bare, "rev-parse", "master~1"});
  repo.move_tag("flux-sync", parent, id);
  repo.fetch();
  CHECK(repo.tag_revision("flux-sync").value() == parent);
  CHECK_FALSE(repo.tag_revision("no-such-tag"));

  repo.write_check("master");
  CHECK(fx::git({"--git-dir", up.bare, "tag", "-l", "flux-write-check-*"})
            .empty());
}

TEST_CASE("file://: a stale push is rejected as non-fast-forward") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  auto repo = repository::open_or_clone(dir.file("mirror"), file_remote(up));
  auto head = repo.branch_head("master");
  up.commit({{"b.yaml", "b\n"}}, "Someone else");
  auto mine = repo.commit(head, {{"c.yaml", std::string{"c\n"}}}, "Mine", {});
  REQUIRE(mine);
  CHECK(kind_of([&] { repo.push_branch("master", *mine); })
        == error_kind::non_fast_forward);
  CHECK(up.head() != *mine);
}

TEST_CASE("file://: a corrupt mirror is cloned again") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"a.yaml", "a\n"}}};
  auto mirror = dir.file("mirror");
  auto head = up.head();
  {
    auto repo = repository::open_or_clone(mirror, file_remote(up));
    CHECK(repo.branch_head("master") == head);
  }
  // Objects gone: refs point at nothing.
  fs::remove_all(mirror + "/objects");
  fs::create_directories(mirror + "/objects/pack");
  {
    auto repo = repository::open_or_clone(mirror, file_remote(up));
    CHECK(repo.read_files(head, {}).at("a.yaml") == "a\n");
  }
  // Not a repository at all any more.
  fluxd::test::write_file(mirror + "/HEAD", "garbage");
  fs::remove(mirror + "/config");
  auto repo = repository::open_or_clone(mirror, file_remote(up));
  CHECK(repo.branch_head("master") == head);
}

TEST_CASE("file://: push race with a plain git client loses nothing") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "race", {{"seed.txt", "seed\n"}}};
  auto repo = repository::open_or_clone(dir.file("mirror"), file_remote(up));
  fx::git({"config", "pull.rebase", "true"}, up.work);

  constexpr int theirs = 8;
  constexpr int ours = 8;
  std::atomic<bool> their_error{false};
  std::thread other{[&] {
    try {
      for (int i = 0; i < theirs; ++i) {
        fluxd::test::write_file(up.work + "/theirs-" + std::to_string(i),
                                "t\n");
        fx::git({"add", "-A"}, up.work);
        fx::git({"commit", "-q", "-m", "theirs " + std::to_string(i)}, up.work);
        for (int attempt = 0;; ++attempt) {
          try {
            fx::git({"push", "-q", "origin", "HEAD:refs/heads/master"},
                    up.work);
            break;
          } catch (const std::exception&) {
            if (attempt > 30)
              throw;
            fx::git({"pull", "-q", "--rebase", "origin", "master"}, up.work);
          }
        }
      }
    } catch (const std::exception&) {
      their_error = true;
    }
  }};
  int retries = 0;
  commit_identity id;
  for (int i = 0; i < ours; ++i) {
    write_request req;
    req.branch = "master";
    req.message = "ours " + std::to_string(i);
    req.edits = fixed_changes({{"ours-" + std::to_string(i), "o\n"}});
    for (int attempt = 1;; ++attempt) {
      try {
        write_once(repo, req, id);
        break;
      } catch (const git_failure& e) {
        REQUIRE(e.kind() == error_kind::non_fast_forward);
        REQUIRE(attempt < 40);
        ++retries;
      }
    }
  }
  other.join();
  REQUIRE_FALSE(their_error);
  auto files =
      fx::git({"--git-dir", up.bare, "ls-tree", "--name-only", "master"});
  for (int i = 0; i < theirs; ++i)
    CHECK(files.find("theirs-" + std::to_string(i)) != std::string::npos);
  for (int i = 0; i < ours; ++i)
    CHECK(files.find("ours-" + std::to_string(i)) != std::string::npos);
  CHECK(fx::git({"--git-dir", up.bare, "rev-list", "--merges", "master"})
            .empty());
  CHECK(fx::git({"--git-dir", up.bare, "rev-list", "--count", "master"})
        == std::to_string(1 + theirs + ours));
  WARN("non-fast-forward retries: " << retries);
}
