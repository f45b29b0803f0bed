#include "actors/git_mirror.hpp"

#include <algorithm>
#include <filesystem>

#include "caf/actor_cast.hpp"
#include "caf/system_messages.hpp"
#include "caf/result.hpp"

#include "actors/git_support.hpp"
#include "actors/handlers.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"

namespace fluxd {

namespace {

using self_ptr = git_mirror_impl::stateful_pointer<git_mirror_state>;

std::string sanitized_url(const git_mirror_config& cfg) {
  try {
    return git::remote_url::parse(cfg.remote.url).sanitized();
  } catch (const git::git_failure&) {
    return git::strip_password(cfg.remote.url);
  }
}

void set_status(self_ptr self, const std::string& status,
                const std::string& error) {
  auto& st = self->state.status;
  bool changed = st.status != status || st.error != error;
  if (changed) {
    // The logger's context already names the URL. "cloned" on its way to
    // "ready" is progress, not a problem.
    if (error.empty() || status == "cloned")
      self->state.log.info("repository status",
                           {{"status", status}, {"err", error}});
    else
      self->state.log.warn("repository status",
                           {{"status", status}, {"err", error}});
  }
  st.status = status;
  st.error = error;
  metrics::standard().git_ready.with({}).set(status == "ready" ? 1 : 0);
  if (changed && self->state.config.on_status)
    self->state.config.on_status(st);
}

void publish(self_ptr self, const std::string& head) {
  auto& st = self->state;
  if (head == st.status.revision)
    return;
  st.status.revision = head;
  git_revision rev{sanitized_url(st.config), st.config.branch, head};
  st.log.info("new branch head",
              {{"branch", st.config.branch}, {"revision", head}});
  for (auto& l : st.listeners)
    self->send(l, rev);
}

/// Starts again from nothing: the next turn clones afresh.
void discard_mirror(self_ptr self) {
  self->state.repo.reset();
  std::error_code ec;
  std::filesystem::remove_all(self->state.config.mirror_dir, ec);
}

/// One turn of Flux v1's repository loop: (re)open or clone, fetch, check
/// the branch and, once, the write access.
void step(self_ptr self) {
  auto& st = self->state;
  auto& cfg = st.config;
  try {
    bool fresh = !st.repo;
    if (fresh) {
      st.repo = std::make_unique<git::repository>(
          git::repository::open_or_clone(cfg.mirror_dir, cfg.remote));
      if (st.status.status != "ready")
        set_status(self, "cloned",
                   "git repo has been cloned but not yet checked for write "
                   "access");
    }
    st.repo->fetch();
    // A mirror damaged on disk may still fetch "successfully" (nothing new
    // to get); catch it here, not on the first read.
    st.repo->check_integrity();
    auto head = st.repo->branch_head(cfg.branch);
    if (st.status.status != "ready") {
      if (!cfg.readonly)
        st.repo->write_check(cfg.branch);
      set_status(self, "ready", "");
    }
    publish(self, head);
  } catch (const git::git_failure& e) {
    if (e.kind() == git::error_kind::corrupt)
      discard_mirror(self);
    bool have_repo = static_cast<bool>(st.repo);
    auto kind = e.kind();
    if (kind == git::error_kind::unreachable
        || kind == git::error_kind::timeout)
      set_status(self, "unreachable", e.what());
    else if (have_repo && st.status.status != "ready")
      set_status(self, "cloned", e.what());
    else
      set_status(self, "new", e.what());
  } catch (const std::exception& e) {
    set_status(self, "new", e.what());
  }
}

void schedule(self_ptr self) {
  auto& st = self->state;
  auto delay = st.status.status == "ready" ? st.config.poll_interval
                                           : st.config.retry_interval;
  self->delayed_send(self, delay, git_tick_atom_v, st.generation);
}

caf::error not_ready(self_ptr self) {
  auto& st = self->state.status;
  return caf::make_error(git_errc::not_ready,
                         "git repo not ready: " + st.error);
}

template <class F>
auto guarded(self_ptr self, F f) -> caf::result<decltype(f())> {
  if (!self->state.repo)
    return not_ready(self);
  try {
    return f();
  } catch (const git::git_failure& e) {
    if (e.kind() == git::error_kind::corrupt) {
      discard_mirror(self);
      set_status(self, "new", e.what());
    }
    return to_caf_error(e);
  }
}

std::string head_or(self_ptr self, const std::string& rev) {
  if (!rev.empty())
    return rev;
  return self->state.repo->branch_head(self->state.config.branch);
}

void import_gpg_keys(self_ptr self) {
  auto& cfg = self->state.config;
  if (cfg.gpg_key_import.empty())
    return;
  std::vector<std::string> errors;
  try {
    auto keys = git::openpgp{cfg.gnupg_home}.import_keys(
        cfg.gpg_key_import, cfg.verify != git::verify_mode::none, &errors);
    for (auto& k : keys)
      self->state.log.info("imported GPG key", {{"fingerprint", k}});
  } catch (const std::exception& e) {
    errors.push_back(e.what());
  }
  for (auto& e : errors)
    self->state.log.error("failed to import GPG key", {{"err", e}});
}

} // namespace

std::string deploy_key_path(const config::daemon_config& flags) {
  auto mounted =
      flags.k8s_secret_volume_mount_path + "/" + flags.k8s_secret_data_key;
  std::error_code ec;
  if (flags.ssh_keygen_dir.empty() || std::filesystem::exists(mounted, ec))
    return mounted;
  return flags.ssh_keygen_dir + "/identity";
}

git::verify_mode verify_mode_of(const config::daemon_config& flags) {
  if (flags.git_verify_signatures_mode.empty() && flags.git_verify_signatures)
    return git::verify_mode::all;
  return git::parse_verify_mode(flags.git_verify_signatures_mode);
}

git_mirror_config mirror_config(const config::daemon_config& flags) {
  git_mirror_config c;
  c.remote.url = flags.git_url;
  c.remote.ssh_key_path = deploy_key_path(flags);
  c.remote.known_hosts_path = flags.git_known_hosts;
  c.remote.credentials_file = flags.git_credentials_file;
  c.remote.timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(flags.git_timeout);
  c.branch = flags.git_branch;
  c.paths = flags.git_path;
  c.mirror_dir = flags.state_dir + "/git/mirror";
  c.poll_interval = flags.git_poll_interval;
  c.readonly = flags.git_readonly;
  c.sync_tag = flags.git_label.empty() ? flags.git_sync_tag : flags.git_label;
  c.notes_ref = flags.git_label.empty() ? flags.git_notes_ref : flags.git_label;
  c.verify = verify_mode_of(flags);
  c.gpg_key_import = flags.git_gpg_key_import;
  return c;
}

git_mirror_impl::behavior_type
git_mirror(git_mirror_impl::stateful_pointer<git_mirror_state> self,
           git_mirror_config config) {
  self->state.config = std::move(config);
  self->state.log =
      log::logger{"git", {{"url", sanitized_url(self->state.config)}}};
  install_handlers(self, self->state.log);
  import_gpg_keys(self);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& ls = self->state.listeners;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const git_listener_actor& l) {
                              return l.address() == dm.source;
                            }),
             ls.end());
  });
  self->send(self, git_tick_atom_v, uint64_t{0});
  return {
      [=](git_status_atom) -> git_status { return self->state.status; },
      [=](git_fetch_atom) -> git_status {
        ++self->state.generation;
        step(self);
        schedule(self);
        return self->state.status;
      },
      [=](git_sub_atom, git_listener_actor listener) -> git_status {
        self->monitor(listener);
        self->state.listeners.push_back(listener);
        auto& st = self->state;
        if (st.status.status == "ready" && !st.status.revision.empty())
          self->send(listener,
                     git_revision{sanitized_url(st.config), st.config.branch,
                                  st.status.revision});
        return st.status;
      },
      [=](git_read_atom, const std::string& rev,
          const std::vector<std::string>& paths) -> caf::result<git_files> {
        return guarded(self, [&] {
          auto revision = head_or(self, rev);
          auto& wanted = paths.empty() ? self->state.config.paths : paths;
          return git_files{revision,
                           self->state.repo->read_files(revision, wanted)};
        });
      },
      [=](git_log_atom, const std::string& from, const std::string& to,
          bool first_parent) -> caf::result<git_log> {
        return guarded(self, [&] {
          auto& cfg = self->state.config;
          std::unique_ptr<git::openpgp> gpg;
          if (cfg.verify != git::verify_mode::none)
            gpg = std::make_unique<git::openpgp>(cfg.gnupg_home);
          git_log out;
          for (auto& c : self->state.repo->log(
                   from, head_or(self, to), cfg.paths, first_parent, gpg.get()))
            out.commits.push_back({c.revision, c.subject, c.signing_key,
                                   std::string(1, c.signature_status)});
          return out;
        });
      },
      [=](git_note_atom,
          const std::string& rev) -> caf::result<git_commit_note> {
        return guarded(self, [&] {
          auto note =
              self->state.repo->read_note(self->state.config.notes_ref, rev);
          return note ? git_commit_note{true, *note} : git_commit_note{};
        });
      },
      [=](git_marker_atom) -> caf::result<std::string> {
        return guarded(self, [&] {
          return self->state.repo->tag_revision(self->state.config.sync_tag)
              .value_or(std::string{});
        });
      },
      [=](git_verify_atom) -> caf::result<git_verified> {
        return guarded(self, [&] {
          auto& cfg = self->state.config;
          auto head = head_or(self, "");
          auto v = git::latest_valid_revision(*self->state.repo, cfg.sync_tag,
                                              head, cfg.verify,
                                              git::openpgp{cfg.gnupg_home});
          git_verified out{head, v.revision, "", ""};
          if (v.first_invalid) {
            out.invalid_revision = v.first_invalid->revision;
            out.invalid_key = v.first_invalid->signing_key;
            self->state.log.warn(
                "found invalid GPG signature for commit",
                {{"revision", out.invalid_revision}, {"key", out.invalid_key}});
          }
          return out;
        });
      },
      [=](git_tick_atom, uint64_t generation) {
        if (generation != self->state.generation)
          return;
        step(self);
        schedule(self);
      },
  };
}

} // namespace fluxd
