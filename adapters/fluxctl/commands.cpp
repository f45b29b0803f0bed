#include "adapters/fluxctl/commands.hpp"
#include "adapters/fluxctl/menu.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <thread>

#include "adapters/api/ids.hpp"
#include "adapters/fluxctl/output.hpp"

namespace fluxd::fluxctl {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void no_args(const std::vector<std::string>& args) {
  if (!args.empty())
    throw usage_error("expected no (non-flag) arguments");
}

std::string output_format(const flag_set& f) {
  auto o = f.str("output-format");
  if (o != "tab" && o != "json")
    throw usage_error("invalid output format specified");
  return o;
}

std::string namespace_of(context& ctx) {
  return ctx.flags.changed("namespace") ? ctx.flags.str("namespace")
                                        : ctx.default_namespace;
}

/// Flux v1's backoff(): call, then sleep initial, doubling up to max,
/// giving up when the next sleep would pass the deadline.
template <class F>
bool backoff(milliseconds initial, milliseconds max,
             std::chrono::nanoseconds timeout, F&& done) {
  auto finish = clock::now() + timeout;
  for (auto delay = initial;; delay = std::min(delay * 2, max)) {
    if (done())
      return true;
    if (clock::now() + delay > finish)
      return false;
    std::this_thread::sleep_for(delay);
  }
}

std::string workload_flag(context& ctx, const std::string& flag) {
  auto w = ctx.flags.str(flag);
  auto c = ctx.flags.changed("controller") ? ctx.flags.str("controller") : "";
  if (!w.empty() && !c.empty())
    throw usage_error("please supply only one of --workload or --controller");
  return w.empty() ? c : w;
}

api::cause cause_of(context& ctx) {
  api::cause c;
  c.message = ctx.flags.str("message");
  c.user = ctx.flags.changed("user") ? ctx.flags.str("user") : git_user();
  return c;
}

std::string tag_pattern(const std::string& p) {
  for (auto prefix : {"glob:", "semver:", "regex:", "regexp:"})
    if (p.rfind(prefix, 0) == 0)
      return p;
  return "glob:" + p;
}

} // namespace

std::string parse_workload(const std::string& s, const std::string& ns) {
  auto full = s;
  if (s.find(':') == std::string::npos || s.find(':') > s.find('/'))
    full = ns + ":" + s;
  try {
    return api::parse_id(full);
  } catch (const api::id_error&) {
    throw usage_error("parsing " + s + ": invalid service ID");
  }
}

std::string git_user() {
  auto read = [](const char* key) {
    std::string cmd = std::string("git config --get ") + key + " 2>/dev/null";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      std::array<char, 256> buf{};
      while (fgets(buf.data(), buf.size(), p))
        out += buf.data();
      pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
      out.pop_back();
    return out;
  };
  auto name = read("user.name");
  auto email = read("user.email");
  if (!name.empty() && !email.empty())
    return name + " <" + email + ">";
  return name.empty() ? email : name;
}

api::job_status wait_for_job(context& ctx, const std::string& job_id) {
  api::job_status status;
  bool done = backoff(milliseconds(100), milliseconds(5000), ctx.timeout, [&] {
    status = ctx.client->job_status(job_id);
    if (status.status_string == "failed")
      throw client_error(status.err);
    return status.status_string == "succeeded";
  });
  if (!done) {
    ctx.env.err
        << "\nWe timed out waiting for the result of the operation. This does "
           "not\nnecessarily mean it has failed. You can check the state of "
           "the\ncluster, or commit logs, to see if there was a result. In "
           "general, it\nis safe to retry operations.\n";
    throw client_error("timeout");
  }
  if (!status.err.empty())
    throw client_error(status.err);
  return status;
}

bool wait_for_sync(context& ctx, const std::string& rev) {
  return backoff(milliseconds(1000), milliseconds(10000), ctx.timeout,
                 [&] { return ctx.client->sync_status(rev).empty(); });
}

void await_job(context& ctx, const std::string& job_id, bool apply,
               int verbosity) {
  auto status = wait_for_job(ctx, job_id);
  auto& r = status.result;
  if (r.result)
    ctx.env.out << result_table(*r.result, verbosity);
  if (!r.revision.empty())
    ctx.env.err << "Commit pushed:\t" << r.revision.substr(0, 7) << "\n";
  if (!r.result) {
    ctx.env.err << "Nothing to do\n";
    return;
  }
  if (apply && !r.revision.empty()) {
    if (!wait_for_sync(ctx, r.revision)) {
      ctx.env.err << "\nThe operation succeeded, but we timed out waiting "
                     "for the commit to be\napplied. This does not "
                     "necessarily mean there is a problem. Use\n\n    "
                     "fluxctl sync\n\nto run a sync interactively.\n";
      return;
    }
    ctx.env.err << "Commit applied:\t" << r.revision.substr(0, 7) << "\n";
  }
}

// -- list-workloads ---------------------------------------------------------

void list_workloads_flags(flag_set& f) {
  f.add("namespace", 'n', flag_set::kind::string, "",
        "Confine query to namespace");
  f.add("all-namespaces", 'a', flag_set::kind::boolean, "false",
        "Query across all namespaces");
  f.add("container", 'c', flag_set::kind::string, "",
        "Filter workloads by container name");
  f.add("no-headers", 0, flag_set::kind::boolean, "false",
        "Don't print headers (default print headers)");
  f.add("output-format", 'o', flag_set::kind::string, "tab",
        "Output format (tab or json)");
}

void list_workloads(context& ctx, const std::vector<std::string>& args) {
  no_args(args);
  auto format = output_format(ctx.flags);
  auto ns = ctx.flags.boolean("all-namespaces") ? "" : namespace_of(ctx);
  auto ws = ctx.client->list_services(ns);
  auto container = ctx.flags.str("container");
  if (!container.empty()) {
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [&](const api::controller_status& w) {
                              for (auto& c : w.containers.value_or(
                                       std::vector<api::container>{}))
                                if (c.name == container)
                                  return false;
                              return true;
                            }),
             ws.end());
  }
  std::stable_sort(ws.begin(), ws.end(),
                   [](auto& a, auto& b) { return a.id < b.id; });
  if (format == "json") {
    ctx.env.out << api::to_json(ws) << "\n";
    return;
  }
  ctx.env.out << list_workloads_table(ws, !ctx.flags.boolean("no-headers"));
}

// -- list-images ------------------------------------------------------------

void list_images_flags(flag_set& f) {
  f.add("namespace", 'n', flag_set::kind::string, "", "Namespace");
  f.add("workload", 'w', flag_set::kind::string, "",
        "Show images for this workload");
  f.add("controller", 'c', flag_set::kind::string, "",
        "Show images for this controller (deprecated, use --workload)");
  f.add("limit", 'l', flag_set::kind::string, "10",
        "Number of images to show (0 for all)");
  f.add("no-headers", 0, flag_set::kind::boolean, "false",
        "Don't print headers (default print headers)");
  f.add("output-format", 'o', flag_set::kind::string, "tab",
        "Output format (tab or json)");
}

void list_images(context& ctx, const std::vector<std::string>& args) {
  no_args(args);
  auto format = output_format(ctx.flags);
  int limit = 0;
  try {
    limit = std::stoi(ctx.flags.str("limit"));
  } catch (const std::exception&) {
    throw usage_error("invalid argument \"" + ctx.flags.str("limit")
                      + "\" for \"-l, --limit\" flag");
  }
  if (limit < 0)
    throw usage_error("opts.limit cannot be less than 0");
  auto ns = namespace_of(ctx);
  auto workload = workload_flag(ctx, "workload");
  std::string spec = "<all>";
  if (!workload.empty()) {
    spec = parse_workload(workload, ns);
    ns.clear();
  }
  auto images = ctx.client->list_images(spec, ns);
  std::stable_sort(images.begin(), images.end(),
                   [](auto& a, auto& b) { return a.id < b.id; });
  if (format == "json") {
    if (limit > 0)
      for (auto& s : images)
        if (s.containers)
          for (auto& c : *s.containers)
            if (c.available.size() > static_cast<size_t>(limit))
              c.available.resize(limit);
    ctx.env.out << api::to_json(images) << "\n";
    return;
  }
  ctx.env.out << list_images_table(images, limit,
                                   !ctx.flags.boolean("no-headers"));
}

// -- release ----------------------------------------------------------------

namespace {

void cause_flags(flag_set& f) {
  f.add("message", 'm', flag_set::kind::string, "",
        "attach a message to the update");
  f.add("user", 0, flag_set::kind::string, "",
        "override the user reported as initiating the update");
  f.add("verbose", 'v', flag_set::kind::count, "",
        "include skipped (and ignored, with -vv) workloads in output");
}

void watch_rollout(context& ctx, const std::vector<std::string>& ids,
                   int verbosity) {
  ctx.env.err << "Monitoring rollout ...\n";
  auto finish = clock::now() + ctx.timeout;
  while (true) {
    auto ws = ctx.client->list_services("", ids);
    ctx.env.out << rollout_table(ws, verbosity > 0) << "\n";
    bool all_ready = true;
    for (auto& w : ws) {
      if (w.rollout.messages && !w.rollout.messages->empty()) {
        ctx.env.out << "There was a problem releasing " << w.id << ":\n";
        for (auto& m : *w.rollout.messages)
          ctx.env.out << m << "\n";
        return;
      }
      all_ready = all_ready && w.status == "ready";
    }
    if (all_ready) {
      ctx.env.out << "All workloads ready.\n";
      return;
    }
    if (clock::now() + std::chrono::seconds(2) > finish)
      throw client_error("timeout");
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

} // namespace

void release_flags(flag_set& f) {
  f.add("namespace", 'n', flag_set::kind::string, "", "Workload namespace");
  f.add("workload", 0, flag_set::kind::slice, "",
        "List of workloads to release <namespace>:<kind>/<name>");
  f.add("controller", 'c', flag_set::kind::slice, "",
        "List of controllers to release (deprecated, use --workload)");
  f.add("all", 0, flag_set::kind::boolean, "false", "Release all workloads");
  f.add("update-image", 'i', flag_set::kind::string, "",
        "Update a specific image");
  f.add("update-all-images", 0, flag_set::kind::boolean, "false",
        "Update all images to latest versions");
  f.add("exclude", 0, flag_set::kind::slice, "",
        "List of workloads to exclude");
  f.add("dry-run", 0, flag_set::kind::boolean, "false",
        "Do not release anything; just report back what would have been "
        "done");
  f.add("interactive", 0, flag_set::kind::boolean, "false",
        "Select interactively which containers to update");
  f.add("force", 'f', flag_set::kind::boolean, "false",
        "Disregard locks and container image filters (has no effect when "
        "used with --all or --update-all-images)");
  f.add("watch", 'w', flag_set::kind::boolean, "false",
        "Watch rollout progress during release");
  cause_flags(f);
}

void release(context& ctx, const std::vector<std::string>& args) {
  no_args(args);
  auto& f = ctx.flags;
  auto image = f.str("update-image");
  bool all_images = f.boolean("update-all-images");
  if (image.empty() == !all_images)
    throw usage_error("please supply exactly one of "
                      "--update-image=<image> or --update-all-images");
  auto workloads = f.slice("workload");
  auto controllers = f.slice("controller");
  if (!workloads.empty() && !controllers.empty())
    throw usage_error("please supply only one of --workload or --controller");
  if (workloads.empty())
    workloads = controllers;
  bool all = f.boolean("all");
  bool force = f.boolean("force");
  if (workloads.empty() && !all)
    throw usage_error(
        "please supply either --all, or at least one --workload=<workload>");
  if (force && all && all_images)
    throw usage_error(
        "--force has no effect when used with --all and --update-all-images");
  if (force && all)
    ctx.env.err << "Warning: --force will not ignore locked workloads when "
                   "used with --all\n";
  else if (force && all_images)
    ctx.env.err << "Warning: --force will not ignore container image tags "
                   "when used with --update-all-images\n";
  bool dry_run = f.boolean("dry-run");
  bool watch = f.boolean("watch");
  if (watch && dry_run)
    throw usage_error("cannot use --watch with --dry-run");
  if (!image.empty()) {
    auto parts = split_ref(image);
    if (parts.tag.empty())
      throw usage_error("blank tag (if you want latest, explicitly state "
                        "the tag :latest)");
  }
  auto ns = namespace_of(ctx);
  api::release_image_spec spec;
  std::vector<std::string> ids;
  if (all) {
    spec.service_specs = std::vector<std::string>{"<all>"};
  } else {
    for (auto& w : workloads)
      ids.push_back(parse_workload(w, ns));
    spec.service_specs = ids;
  }
  spec.image_spec = all_images ? "<all latest>" : image;
  bool interactive = f.boolean("interactive");
  spec.kind = dry_run || interactive ? "plan" : "execute";
  std::vector<std::string> excludes;
  for (auto& e : f.slice("exclude"))
    excludes.push_back(parse_workload(e, ns));
  spec.excludes = excludes;
  spec.force = force;
  int verbosity = f.count("verbose");
  api::update_spec update;
  update.type = "image";
  update.cause = cause_of(ctx);
  update.spec = spec;
  ctx.env.err << (spec.kind == "plan" ? "Submitting dry-run release ...\n"
                                      : "Submitting release ...\n");
  auto job = ctx.client->update_manifests(update);
  if (interactive) {
    auto status = wait_for_job(ctx, job);
    api::container_specs chosen;
    try {
      release_menu menu{status.result.result.value_or(api::update_result{}),
                        verbosity};
      if (!menu.selectable())
        throw menu_stopped("No changes found.");
      terminal tty{ctx.env.tty_path};
      chosen = menu.run(
          ctx.env.out, [&tty] { return tty.read_key(); }, tty.width());
    } catch (const menu_stopped& e) {
      ctx.env.err << e.what() << "\n";
      return;
    }
    api::release_containers_spec cs;
    cs.kind = "execute";
    cs.specs = chosen;
    cs.force = force;
    api::update_spec next;
    next.type = "containers";
    next.cause = update.cause;
    next.spec = cs;
    ctx.env.err << "Submitting selected release ...\n";
    job = ctx.client->update_manifests(next);
    await_job(ctx, job, true, verbosity);
    return;
  }
  await_job(ctx, job, spec.kind == "execute", verbosity);
  if (watch) {
    std::vector<std::string> affected;
    auto status = ctx.client->job_status(job);
    for (auto& [id, r] : status.result.result.value_or(api::update_result{}))
      if (r.status == "success")
        affected.push_back(id);
    if (!affected.empty())
      watch_rollout(ctx, affected, verbosity);
  }
}

// -- automate, deautomate, lock, unlock, policy -----------------------------

void policy_flags(flag_set& f, const std::string& command) {
  f.add("namespace", 'n', flag_set::kind::string, "", "Workload namespace");
  f.add("workload", 'w', flag_set::kind::string, "", "Workload to " + command);
  f.add("controller", 'c', flag_set::kind::string, "",
        "Controller (deprecated, use --workload)");
  cause_flags(f);
  if (command != "policy")
    return;
  f.add("automate", 0, flag_set::kind::boolean, "false", "Automate workload");
  f.add("deautomate", 0, flag_set::kind::boolean, "false",
        "Deautomate workload");
  f.add("lock", 0, flag_set::kind::boolean, "false", "Lock workload");
  f.add("unlock", 0, flag_set::kind::boolean, "false", "Unlock workload");
  f.add("tag-all", 0, flag_set::kind::string, "",
        "Tag filter pattern to apply to all containers");
  f.add("tag", 0, flag_set::kind::slice, "",
        "Tag filter container/pattern pairs");
}

void policy(context& ctx, const std::string& command,
            const std::vector<std::string>& args) {
  no_args(args);
  auto& f = ctx.flags;
  auto workload = workload_flag(ctx, "workload");
  if (workload.empty())
    throw usage_error("-w, --workload is required");
  bool automate = command == "automate";
  bool deautomate = command == "deautomate";
  bool lock = command == "lock";
  bool unlock = command == "unlock";
  std::string tag_all;
  std::vector<std::string> tags;
  if (command == "policy") {
    automate = f.boolean("automate");
    deautomate = f.boolean("deautomate");
    lock = f.boolean("lock");
    unlock = f.boolean("unlock");
    tag_all = f.str("tag-all");
    tags = f.slice("tag");
  }
  if (automate && deautomate)
    throw usage_error("automate and deautomate both specified");
  if (lock && unlock)
    throw usage_error("lock and unlock both specified");
  auto id = parse_workload(workload, namespace_of(ctx));
  auto cause = cause_of(ctx);
  api::policy_update u;
  if (automate)
    u.add["automated"] = "true";
  if (deautomate)
    u.remove["automated"] = "true";
  if (lock) {
    u.add["locked"] = "true";
    if (!cause.user.empty()) {
      u.add["locked_user"] = cause.user;
      u.add["locked_msg"] = cause.message;
    }
  }
  if (unlock) {
    u.remove["locked"] = "true";
    u.remove["locked_msg"] = "true";
    u.remove["locked_user"] = "true";
  }
  if (!tag_all.empty())
    u.add["tag_all"] = tag_pattern(tag_all);
  for (auto& pair : tags) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      throw usage_error("invalid container/tag pair: \"" + pair
                        + "\". Expected format is 'container=filter'");
    auto container = pair.substr(0, eq);
    auto pattern = pair.substr(eq + 1);
    if (pattern == "*")
      u.remove["tag." + container] = "true";
    else
      u.add["tag." + container] = tag_pattern(pattern);
  }
  api::update_spec update;
  update.type = "policy";
  update.cause = cause;
  update.spec = api::policy_updates{{id, u}};
  auto job = ctx.client->update_manifests(update);
  await_job(ctx, job, false, f.count("verbose"));
}

// -- sync -------------------------------------------------------------------

void sync_flags(flag_set&) {}

void sync(context& ctx, const std::vector<std::string>& args) {
  no_args(args);
  auto cfg = ctx.client->git_repo_config(false);
  if (cfg.status == "unconfigured")
    throw client_error("no git repository is configured");
  if (cfg.status == "unreachable")
    throw client_error("can not connect to git repository with URL " + cfg.url
                       + "\n\nFull error message: " + cfg.errors);
  if (cfg.status != "ready") {
    std::string msg = "git repository " + cfg.url + " is not ready to sync";
    if (!cfg.errors.empty())
      msg += "\n\nFull error message: " + cfg.errors;
    throw client_error(msg);
  }
  ctx.env.err << "Synchronizing with " << cfg.url << "\n";
  api::update_spec update;
  update.type = "sync";
  update.spec = api::manual_sync{};
  auto job = ctx.client->update_manifests(update);
  std::string revision;
  try {
    revision = wait_for_job(ctx, job).result.revision;
  } catch (const client_error& e) {
    std::string m = e.what();
    if (m.find("branch HEAD in the git repo is not verified")
            != std::string::npos
        && m.find("last verified commit was") != std::string::npos) {
      ctx.env.err << "Warning: " << m << "\n";
      revision = ctx.client->job_status(job).result.revision;
    } else {
      ctx.env.err << "Failed to complete sync job (ID \"" << job << "\")\n";
      throw;
    }
  }
  auto rev = revision.substr(0, 7);
  ctx.env.err << "Revision of " << cfg.branch << " to apply is " << rev << "\n";
  ctx.env.err << "Waiting for " << rev << " to be applied ...\n";
  if (!wait_for_sync(ctx, rev))
    throw client_error("timeout");
  ctx.env.err << "Done.\n";
}

// -- identity ---------------------------------------------------------------

void identity_flags(flag_set& f) {
  f.add("regenerate", 'r', flag_set::kind::boolean, "false",
        "Generate a new identity");
  f.add("fingerprint", 'l', flag_set::kind::boolean, "false",
        "Show fingerprint of public key");
  f.add("visual", 'v', flag_set::kind::boolean, "false",
        "Show ASCII art representation with fingerprint (implies -l)");
}

void identity(context& ctx, const std::vector<std::string>& args) {
  no_args(args);
  auto cfg = ctx.client->git_repo_config(ctx.flags.boolean("regenerate"));
  auto& key = cfg.public_ssh_key;
  bool visual = ctx.flags.boolean("visual");
  if (key.key.empty())
    throw client_error("Unable to retrieve public key. It's likely "
                       "that the git repository is not using SSH, or that "
                       "fluxd is not running in a cluster.");
  if (ctx.flags.boolean("fingerprint") || visual) {
    auto fps =
        key.fingerprints.value_or(std::map<std::string, api::fingerprint>{});
    auto md5 = fps.count("md5") ? fps.at("md5") : api::fingerprint{};
    ctx.env.out << md5.hash << "\n";
    if (visual)
      ctx.env.out << md5.randomart << "\n";
    return;
  }
  ctx.env.out << key.key;
}

} // namespace fluxd::fluxctl
