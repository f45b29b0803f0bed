#include <cstdio>
#include <filesystem>
#include <string>

#include "adapters/git/repository.hpp"
#include "adapters/git/transport.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

/// Scenario 5: clone and incremental fetch of a many-file repository over
/// git:// (git daemon on loopback), fluxd's libgit2 mirror vs the git CLI.
using namespace fluxd;
using namespace fluxd::bench;
namespace gitfx = fluxd::test::gitfx;

namespace {

/// Builds `files` small YAML files in one commit with `git fast-import`
/// (seconds, where 20,000 `git add`s would take minutes).
void make_repository(const std::string& bare, int files) {
  gitfx::git({"init", "--bare", "-q", "-b", "master", bare});
  std::string stream;
  stream.reserve(size_t(files) * 200);
  stream += "commit refs/heads/master\n"
            "committer Bench <bench@example.com> 1700000000 +0000\n"
            "data 7\ninitial\n";
  for (int i = 0; i < files; ++i) {
    auto body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-"
                + std::to_string(i) + "\n  namespace: bench\ndata:\n  k: v"
                + std::to_string(i) + "\n";
    stream += "M 100644 inline dir" + std::to_string(i % 100) + "/file-"
              + std::to_string(i) + ".yaml\ndata "
              + std::to_string(body.size()) + "\n" + body + "\n";
  }
  auto input = bare + "/../import.stream";
  test::write_file(input, stream);
  auto r = test::run({"sh", "-c", "git -C '" + bare
                                    + "' fast-import --quiet < '" + input
                                    + "'"},
                     std::chrono::minutes(5));
  if (r.status != 0)
    throw std::runtime_error("git fast-import failed: " + r.err);
}

/// One more commit on the bare repository changing `changed` files.
void push_change(const std::string& root, const std::string& bare, int round,
                 int changed) {
  std::string stream = "commit refs/heads/master\n"
                       "committer Bench <bench@example.com> "
                       + std::to_string(1700000000 + round)
                       + " +0000\ndata 7\nchange\nfrom refs/heads/master^0\n";
  for (int i = 0; i < changed; ++i) {
    auto body = "changed: " + std::to_string(round) + "\n";
    stream += "M 100644 inline dir" + std::to_string(i % 100) + "/file-"
              + std::to_string(i) + ".yaml\ndata "
              + std::to_string(body.size()) + "\n" + body + "\n";
  }
  test::write_file(root + "/change.stream", stream);
  auto r = test::run({"sh", "-c", "git -C '" + bare
                                    + "' fast-import --quiet < '" + root
                                    + "/change.stream'"});
  if (r.status != 0)
    throw std::runtime_error("git fast-import (change) failed: " + r.err);
}

} // namespace

int main(int argc, char** argv) try {
  auto size = size_from(argc, argv);
  int files = pick(size, 200, 5000, 20000);
  int rounds = pick(size, 1, 3, 5);
  test::temp_dir root{"fluxd-bench-git"};
  auto srv = root.file("srv");
  std::filesystem::create_directories(srv);
  make_repository(srv + "/big.git", files);
  gitfx::git_daemon daemon{srv};
  auto url = daemon.url("big.git");

  git::remote_options remote;
  remote.url = url;
  remote.timeout = std::chrono::minutes(5);

  // Warm both once (page cache, daemon), then time clones alternately.
  std::vector<double> ours, theirs;
  for (int i = 0; i < rounds; ++i) {
    auto d = root.file("cli-" + std::to_string(i));
    theirs.push_back(time_s([&] {
      gitfx::git({"clone", "--mirror", "-q", url, d});
    }));
    ours.push_back(time_s([&] {
      git::repository::clone(root.file("ours-" + std::to_string(i)), remote);
    }));
  }
  double a = median(ours), b = median(theirs);
  emit({"git clone " + std::to_string(files) + " files", fmt(a, "s"),
        fmt(b, "s") + " (git clone --mirror)", a / b, "<= 1.3x",
        met(a / b <= 1.3), "git:// on loopback, median of "
                             + std::to_string(rounds)});

  auto mine = git::repository::open_or_clone(root.file("ours-0"), remote);
  std::vector<double> f_ours, f_theirs;
  for (int i = 0; i < rounds; ++i) {
    push_change(root.path(), srv + "/big.git", i + 1, std::max(1, files / 200));
    f_theirs.push_back(time_s([&] {
      gitfx::git({"-C", root.file("cli-0"), "fetch", "-q", "--prune",
                  "origin"});
    }));
    f_ours.push_back(time_s([&] { mine.fetch(); }));
  }
  a = median(f_ours);
  b = median(f_theirs);
  emit({"git fetch (" + std::to_string(std::max(1, files / 200))
          + " files changed)",
        fmt(a, "s"), fmt(b, "s") + " (git fetch)", a / b, "<= 1.3x",
        met(a / b <= 1.3), "median of " + std::to_string(rounds)});
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "git_bench: %s\n", e.what());
  return 1;
}
