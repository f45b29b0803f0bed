#include <catch2/catch.hpp>

#include <cstdlib>

#include "adapters/git/error.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/verification.hpp"
#include "adapters/git/writer.hpp"
#include "tests/adapters/git/fixtures.hpp"

using namespace fluxd::git;
namespace fx = fluxd::test::gitfx;

namespace {

/// A repository whose commits the test signs (or not) with the git CLI,
/// and a GNUPGHOME that trusts the signing key ultimately (its own key).
struct signed_setup {
  fluxd::test::temp_dir dir;
  fx::gnupg_home gpg_home{dir.file("gnupg"), "Flux Test <flux@example.com>"};
  openpgp gpg{gpg_home.path()};
  std::unique_ptr<fx::upstream> up;

  signed_setup() {
    ::setenv("GNUPGHOME", gpg_home.path().c_str(), 1);
    up = std::make_unique<fx::upstream>(
        dir.path(), "cfg",
        std::map<std::string, std::string>{{"a.yaml", "a\n"}});
    fx::git({"commit", "-q", "--amend", "--no-edit", sign()}, up->work);
    fx::git({"push", "-q", "-f", "origin", "HEAD:refs/heads/master"}, up->work);
  }
  std::string sign() const { return "-S" + gpg_home.fingerprint(); }
  std::string commit(const std::string& file, bool is_signed) {
    std::vector<std::string> extra;
    if (is_signed)
      extra.push_back(sign());
    return up->commit({{file, file + "\n"}}, "change " + file, extra);
  }
  repository mirror() {
    remote_options o;
    o.url = up->file_url();
    return repository::open_or_clone(dir.file("mirror"), o);
  }
};

} // namespace

TEST_CASE("signatures: fluxd signs commits and the sync tag with gpgme") {
  signed_setup s;
  auto repo = s.mirror();
  commit_identity id;
  id.signing_key = s.gpg_home.fingerprint();
  id.gnupg_home = s.gpg_home.path();
  write_request req;
  req.branch = "master";
  req.message = "signed by fluxd";
  req.edits = fixed_changes({{"b.yaml", std::string{"b\n"}}});
  auto result = write_once(repo, req, id);
  REQUIRE(result.changed);
  CHECK(repo.verify_commit(result.revision, s.gpg).verified());
  CHECK(repo.verify_commit(result.revision, s.gpg).fingerprint
        == s.gpg_home.fingerprint());
  // The git CLI agrees.
  fx::git({"--git-dir", s.up->bare, "verify-commit", result.revision}, {},
          {{"GNUPGHOME", s.gpg_home.path()}});

  repo.move_tag("flux-sync", result.revision, id);
  CHECK(repo.verify_tag("flux-sync", s.gpg).verified());
  fx::git({"--git-dir", s.up->bare, "verify-tag", "flux-sync"}, {},
          {{"GNUPGHOME", s.gpg_home.path()}});

  // An unsigned commit reads as 'N'.
  fx::git({"pull", "-q", "--rebase", "origin", "master"}, s.up->work);
  auto plain = s.commit("c.yaml", false);
  repo.fetch();
  CHECK(repo.verify_commit(plain, s.gpg).status == 'N');
}

TEST_CASE("signatures: modes none, all, first-parent on a linear history") {
  signed_setup s;
  auto c1 = s.commit("c1", true);
  auto c2 = s.commit("c2", false);
  auto c3 = s.commit("c3", true);
  auto repo = s.mirror();
  CHECK(latest_valid_revision(repo, "", c3, verify_mode::none, s.gpg).revision
        == c3);
  for (auto mode : {verify_mode::all, verify_mode::first_parent}) {
    auto v = latest_valid_revision(repo, "flux-sync", c3, mode, s.gpg);
    CHECK(v.revision == c1);
    REQUIRE(v.first_invalid);
    CHECK(v.first_invalid->revision == c2);
    CHECK(v.first_invalid->signature_status == 'N');
  }
  // Writing on an unverified head is refused; nothing is pushed.
  write_request req;
  req.branch = "master";
  req.message = "x";
  req.edits = fixed_changes({{"x", std::string{"x\n"}}});
  try {
    write_once(repo, req, {}, [&](const std::string& head) {
      require_verified_head(repo, "flux-sync", head, verify_mode::all, s.gpg);
    });
    FAIL("commit on an unverified head");
  } catch (const git_failure& e) {
    CHECK(e.kind() == error_kind::signature);
    CHECK(std::string{e.what()}.find("HEAD revision is unsigned")
          != std::string::npos);
  }
  CHECK(s.up->head() == c3);
  CHECK_THROWS_AS(parse_verify_mode("some"), git_failure);
  CHECK(parse_verify_mode("first-parent") == verify_mode::first_parent);
}

TEST_CASE("signatures: first-parent accepts an unsigned side branch merge") {
  signed_setup s;
  auto base = s.up->head();
  auto& work = s.up->work;
  fx::git({"checkout", "-q", "-b", "side"}, work);
  fluxd::test::write_file(work + "/side.yaml", "s\n");
  fx::git({"add", "-A"}, work);
  fx::git({"commit", "-q", "-m", "unsigned side"}, work);
  fx::git({"checkout", "-q", "master"}, work);
  fx::git({"merge", "-q", "--no-ff", s.sign(), "-m", "signed merge", "side"},
          work);
  fx::git({"push", "-q", "origin", "master"}, work);
  auto merge = s.up->head();
  auto repo = s.mirror();
  CHECK(latest_valid_revision(repo, "", merge, verify_mode::first_parent, s.gpg)
            .revision
        == merge);
  auto all = latest_valid_revision(repo, "", merge, verify_mode::all, s.gpg);
  CHECK(all.revision == base);
  REQUIRE(all.first_invalid);
  CHECK(all.first_invalid->subject == "unsigned side");
}

TEST_CASE(
    "signatures: untrusted key is not verified until imported with trust") {
  signed_setup s;
  fx::gnupg_home stranger{s.dir.file("stranger"), "Stranger <s@example.com>"};
  auto pub = fluxd::test::run(
      {"gpg", "--batch", "--armor", "--export", stranger.fingerprint()},
      std::chrono::seconds(30), {{{"GNUPGHOME", stranger.path()}}, "", ""});
  REQUIRE(pub.status == 0);
  fluxd::test::write_file(s.dir.file("keys/stranger.asc"), pub.out);
  fluxd::test::write_file(s.dir.file("keys/README"), "not a key\n");
  std::vector<std::string> errors;
  auto imported = s.gpg.import_keys({s.dir.file("keys")}, false, &errors);
  CHECK(imported == std::vector<std::string>{stranger.fingerprint()});
  CHECK(errors.size() == 1);
  auto& work = s.up->work;
  fluxd::test::write_file(work + "/z", "z\n");
  fx::git({"add", "-A"}, work);
  fx::git({"commit", "-q", "-S" + stranger.fingerprint(), "-m", "stranger"},
          work, {{"GNUPGHOME", stranger.path()}});
  fx::git({"push", "-q", "origin", "master"}, work);
  auto repo = s.mirror();
  auto check = repo.verify_commit(s.up->head(), s.gpg);
  CHECK(check.status == 'U');
  CHECK(check.fingerprint == stranger.fingerprint());
  CHECK_FALSE(check.verified());
  // --git-gpg-key-import with verification on trusts imported keys.
  s.gpg.import_keys({s.dir.file("keys/stranger.asc")}, true);
  CHECK(repo.verify_commit(s.up->head(), s.gpg).status == 'G');
  // Without the public key at all, the signature cannot be checked.
  openpgp empty{s.dir.file("empty-gnupg")};
  CHECK(repo.verify_commit(s.up->head(), empty).status == 'E');
}
