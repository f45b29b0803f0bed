#include "actors/git_writer.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "caf/result.hpp"

#include "actors/git_mirror.hpp"
#include "actors/git_support.hpp"
#include "actors/handlers.hpp"

namespace fluxd {

namespace {

using self_ptr = git_writer_impl::stateful_pointer<git_writer_state>;

/// The request's edit set as the adapter's edit function.
git::edit_fn to_edit_fn(const git_write_request& req) {
  if (!req.edit) {
    std::vector<git::file_change> changes;
    for (auto& c : req.changes)
      changes.push_back(
          {c.path, c.remove ? std::nullopt : std::optional{c.content}});
    return git::fixed_changes(std::move(changes));
  }
  auto edit = req.edit;
  return [edit](const git::tree_view& view) {
    git_tree_reader reader;
    reader.revision = view.revision();
    reader.read =
        [&view](const std::string& path) -> caf::optional<std::string> {
      if (auto content = view.read(path))
        return *content;
      return caf::none;
    };
    reader.files = [&view](const std::vector<std::string>& paths) {
      return view.files(paths);
    };
    std::vector<git::file_change> out;
    for (auto& c : (*edit)(reader))
      out.push_back(
          {c.path, c.remove ? std::nullopt : std::optional{c.content}});
    return out;
  };
}

git::repository& repo_of(self_ptr self) {
  auto& st = self->state;
  if (!st.repo)
    st.repo = std::make_unique<git::repository>(
        git::repository::open_or_clone(st.config.work_dir, st.config.remote));
  return *st.repo;
}

void drop_repo_if_corrupt(self_ptr self, const git::git_failure& e) {
  if (e.kind() != git::error_kind::corrupt)
    return;
  self->state.repo.reset();
  std::error_code ec;
  std::filesystem::remove_all(self->state.config.work_dir, ec);
}

/// Dies at the named failpoint when the test hook chose it.
void failpoint(self_ptr self, const char* name) {
  if (self->state.config.failpoint != name)
    return;
  self->state.log.warn("failpoint: raising SIGKILL", {{"failpoint", name}});
  std::raise(SIGKILL);
}

/// Works on the front of the queue until it is done or waits for a retry.
void process(self_ptr self) {
  auto& st = self->state;
  while (!st.queue.empty()) {
    auto& job = st.queue.front();
    ++job.attempts;
    try {
      auto& repo = repo_of(self);
      auto& cfg = st.config;
      git::write_request req{cfg.branch,          to_edit_fn(job.request),
                             job.request.message, job.request.cause_user,
                             job.request.note,    cfg.notes_ref,
                             [self] { failpoint(self, "after-commit"); }};
      git::head_check_fn check;
      if (cfg.verify != git::verify_mode::none)
        check = [&repo, &cfg](const std::string& head) {
          git::require_verified_head(repo, cfg.sync_tag, head, cfg.verify,
                                     git::openpgp{cfg.identity.gnupg_home});
        };
      auto result = git::write_once(repo, req, cfg.identity, check);
      if (result.changed)
        st.log.info("pushed commit", {{"branch", cfg.branch},
                                      {"revision", result.revision},
                                      {"attempts", job.attempts}});
      if (result.changed)
        failpoint(self, "after-push");
      job.promise.deliver(
          git_write_result{result.revision, result.changed, job.attempts});
    } catch (const git::git_failure& e) {
      drop_repo_if_corrupt(self, e);
      if (e.kind() == git::error_kind::non_fast_forward
          && job.attempts < st.config.retry.max_attempts) {
        auto delay = git::retry_delay(st.config.retry, job.attempts + 1);
        st.log.info("push was not a fast-forward; retrying on the new head",
                    {{"attempt", job.attempts},
                     {"delay_ms", static_cast<long long>(delay.count())}});
        self->delayed_send(self, delay, git_retry_atom_v, job.id);
        return;
      }
      st.log.warn("commit failed",
                  {{"err", e.what()}, {"attempts", job.attempts}});
      if (e.kind() == git::error_kind::non_fast_forward)
        job.promise.deliver(
            caf::make_error(git_errc::non_fast_forward,
                            std::string{e.what()} + " (gave up after "
                                + std::to_string(job.attempts) + " attempts)"));
      else
        job.promise.deliver(to_caf_error(e));
    } catch (const std::exception& e) {
      job.promise.deliver(
          caf::make_error(git_errc::other, std::string{e.what()}));
    }
    st.queue.pop_front();
  }
}

} // namespace

git_writer_config writer_config(const config::daemon_config& flags) {
  auto mirror = mirror_config(flags);
  git_writer_config c;
  c.remote = mirror.remote;
  c.branch = flags.git_branch;
  c.work_dir = flags.state_dir + "/git/writer";
  c.identity.user = flags.git_user;
  c.identity.email = flags.git_email;
  c.identity.set_author = flags.git_set_author;
  c.identity.ci_skip = flags.git_ci_skip;
  c.identity.ci_skip_message = flags.git_ci_skip_message;
  c.identity.signing_key = flags.git_signing_key;
  c.notes_ref = mirror.notes_ref;
  c.sync_tag = mirror.sync_tag;
  c.readonly = flags.git_readonly;
  c.verify = mirror.verify;
  return c;
}

git_writer_impl::behavior_type
git_writer(git_writer_impl::stateful_pointer<git_writer_state> self,
           git_writer_config config) {
  self->state.config = std::move(config);
  if (auto* name = std::getenv("FLUXD_FAILPOINT"))
    self->state.config.failpoint = name;
  install_handlers(self, self->state.log);
  return {
      [=](git_write_atom,
          git_write_request& req) -> caf::result<git_write_result> {
        auto& st = self->state;
        if (st.config.readonly)
          return caf::make_error(git_errc::readonly,
                                 "cannot make a working clone of a read-only "
                                 "git repo");
        auto promise = self->make_response_promise<git_write_result>();
        st.queue.push_back({st.next_id++, std::move(req), 0, promise});
        if (st.queue.size() == 1)
          process(self);
        return promise;
      },
      [=](git_tag_atom, const std::string& rev) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.config.readonly)
          return caf::make_error(git_errc::readonly,
                                 "--git-readonly: the sync marker lives in "
                                 "the Kubernetes Secret, not in git");
        try {
          auto& repo = repo_of(self);
          repo.fetch();
          repo.move_tag(st.config.sync_tag, rev, st.config.identity);
          return rev;
        } catch (const git::git_failure& e) {
          drop_repo_if_corrupt(self, e);
          return to_caf_error(e);
        }
      },
      [=](git_retry_atom, uint64_t id) {
        auto& st = self->state;
        if (!st.queue.empty() && st.queue.front().id == id)
          process(self);
      },
  };
}

} // namespace fluxd
