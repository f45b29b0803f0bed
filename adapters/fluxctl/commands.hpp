#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "adapters/api/types.hpp"
#include "adapters/fluxctl/cli.hpp"
#include "adapters/fluxctl/client.hpp"
#include "adapters/fluxctl/flags.hpp"

namespace fluxd::fluxctl {

/// Parsed global flags and the client, shared by the subcommands.
struct context {
  environment& env;
  flag_set& flags;
  std::chrono::nanoseconds timeout;
  std::unique_ptr<api_client> client; ///< null for version/completion/...
  /// The namespace for `-n` defaults (kubeconfig context, else default).
  std::string default_namespace = "default";
};

/// Flux v1's "opts.Timeout" wait: polls the job with back-off (100 ms
/// doubling to 5 s) and prints the result table, `Commit pushed`, and with
/// `apply` waits for the commit to be applied. Throws on failure.
void await_job(context& ctx, const std::string& job_id, bool apply,
               int verbosity);

/// Polls the job until it is final; throws client_error("timeout").
api::job_status wait_for_job(context& ctx, const std::string& job_id);

/// Polls /v6/sync until `rev` is applied; false on timeout.
bool wait_for_sync(context& ctx, const std::string& rev);

/// `ns:kind/name` or `kind/name` (namespace filled in) → canonical ID.
std::string parse_workload(const std::string& s, const std::string& ns);

/// `--user` default: `git config user.name`/`user.email` of this user.
std::string git_user();

// Each subcommand: registers its flags, then runs with the positionals.
void list_workloads_flags(flag_set& f);
void list_workloads(context& ctx, const std::vector<std::string>& args);
void list_images_flags(flag_set& f);
void list_images(context& ctx, const std::vector<std::string>& args);
void release_flags(flag_set& f);
void release(context& ctx, const std::vector<std::string>& args);
void policy_flags(flag_set& f, const std::string& command);
void policy(context& ctx, const std::string& command,
            const std::vector<std::string>& args);
void sync_flags(flag_set& f);
void sync(context& ctx, const std::vector<std::string>& args);
void identity_flags(flag_set& f);
void identity(context& ctx, const std::vector<std::string>& args);
void save_flags(flag_set& f);
void save(context& ctx, const std::vector<std::string>& args);

} // namespace fluxd::fluxctl
