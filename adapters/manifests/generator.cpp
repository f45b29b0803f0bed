#include "adapters/manifests/generator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "adapters/manifests/yaml_text.hpp"

namespace fluxd::manifests {

namespace fs = std::filesystem;

namespace {

constexpr const char* config_name = ".flux.yaml";

[[noreturn]] void invalid(const std::string& file, const std::string& why) {
  throw config_error("config file is not valid: " + file + ": " + why);
}

void only_keys(const YAML::Node& n, const std::set<std::string>& allowed,
               const std::string& where, const std::string& file) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    auto key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (!allowed.count(key))
      invalid(file, where + ": additional property " + key
                      + " is not allowed");
  }
}

/// A string the YAML wrote as a quoted or plain non-number scalar.
bool is_string(const YAML::Node& n) {
  if (!n.IsScalar())
    return false;
  if (n.Tag() == "!")
    return true;
  return yaml_text::plain_safe(n.Scalar(), false) || n.Scalar().empty();
}

command_config parse_command(const YAML::Node& n, const std::string& where,
                             const std::string& file) {
  if (!n.IsMap())
    invalid(file, where + ": must be an object");
  only_keys(n, {"command", "timeout"}, where, file);
  const YAML::Node& cn = n;
  if (!cn["command"] || !is_string(cn["command"]))
    invalid(file, where + ": command is required and must be a string");
  command_config c;
  c.command = cn["command"].Scalar();
  if (cn["timeout"]) {
    if (!is_string(cn["timeout"]))
      invalid(file, where + ".timeout: must be a duration string");
    c.timeout = parse_go_duration(cn["timeout"].Scalar());
    if (!c.timeout)
      invalid(file, where + ".timeout: invalid duration \""
                      + cn["timeout"].Scalar() + "\"");
  }
  return c;
}

std::vector<command_config> parse_generators(const YAML::Node& parent,
                                             const std::string& where,
                                             const std::string& file) {
  const YAML::Node gens = parent["generators"];
  if (!gens)
    invalid(file, where + ": generators is required");
  if (!gens.IsSequence())
    invalid(file, where + ".generators: must be an array");
  std::vector<command_config> out;
  for (std::size_t i = 0; i < gens.size(); ++i)
    out.push_back(parse_command(gens[i],
                                where + ".generators." + std::to_string(i),
                                file));
  return out;
}

std::string rel(const fs::path& p, const fs::path& base) {
  auto r = p.lexically_normal().lexically_relative(base.lexically_normal())
             .generic_string();
  return r.empty() ? "." : r;
}

std::map<std::string, std::string> updater_env(const std::string& id) {
  std::map<std::string, std::string> env;
  if (const char* path = std::getenv("PATH"))
    env["PATH"] = path;
  auto p = parse_id(id);
  env["FLUX_WORKLOAD"] = id;
  env["FLUX_WL_NS"] = p.ns;
  env["FLUX_WL_KIND"] = p.kind;
  env["FLUX_WL_NAME"] = p.name;
  return env;
}

std::chrono::milliseconds timeout_of(const command_config& c,
                                     const generation_context& ctx) {
  if (c.timeout && *c.timeout >= std::chrono::seconds(1))
    return std::chrono::duration_cast<std::chrono::milliseconds>(*c.timeout);
  return ctx.default_timeout;
}

void run_updaters(const std::vector<const command_config*>& cmds,
                  const config_location& where, const generation_context& ctx,
                  std::map<std::string, std::string> env, const char* what) {
  for (const auto* c : cmds) {
    command_spec spec;
    spec.command = c->command;
    spec.cwd = (fs::path(ctx.root) / where.working_dir).string();
    spec.env = env;
    spec.timeout = timeout_of(*c, ctx);
    spec.max_output = ctx.max_output;
    spec.merge_stderr = true;
    try {
      run_shell(spec);
    } catch (const command_failure& e) {
      throw command_error("error executing " + std::string(what)
                          + " command \"" + c->command + "\" from file \""
                          + where.config_file + "\": " + e.what()
                          + "\noutput:\n" + e.partial().out);
    }
  }
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(
  const std::string& text) {
  using namespace std::chrono;
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+'))
    negative = text[i++] == '-';
  if (text.substr(i) == "0")
    return nanoseconds(0);
  if (i >= text.size())
    return std::nullopt;
  long double total = 0;
  while (i < text.size()) {
    auto start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i]))
                               || text[i] == '.'))
      ++i;
    if (i == start)
      return std::nullopt;
    auto number = text.substr(start, i - start);
    if (number == "." || std::count(number.begin(), number.end(), '.') > 1)
      return std::nullopt;
    auto ustart = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))
           && text[i] != '.')
      ++i;
    auto unit = text.substr(ustart, i - ustart);
    long double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return std::nullopt;
    total += std::strtold(number.c_str(), nullptr) * scale;
    if (total > 9.2e18L)
      return std::nullopt;
  }
  auto ns = nanoseconds(static_cast<long long>(total));
  return negative ? -ns : ns;
}

flux_config parse_flux_config(const std::string& text,
                              const std::string& file) {
  YAML::Node doc;
  try {
    if (text.size() > (1u << 20))
      throw config_error("file too large");
    doc = YAML::Load(text);
  } catch (const std::exception& e) {
    throw config_error("cannot parse config file: " + file + ": " + e.what());
  }
  if (!doc.IsMap())
    invalid(file, "(root): must be an object");
  const YAML::Node& root = doc;
  only_keys(root, {"version", "commandUpdated", "patchUpdated", "scanForFiles"},
            "(root)", file);
  if (!root["version"] || !root["version"].IsScalar()
      || root["version"].Scalar() != "1")
    invalid(file, "version: must be 1");
  int modes = (root["commandUpdated"] ? 1 : 0)
              + (root["patchUpdated"] ? 1 : 0)
              + (root["scanForFiles"] ? 1 : 0);
  if (modes != 1)
    invalid(file, "(root): must have exactly one of commandUpdated, "
                  "patchUpdated, scanForFiles");
  flux_config cfg;
  if (const YAML::Node cu = root["commandUpdated"]) {
    cfg.mode = flux_config::kind::command_updated;
    if (!cu.IsMap())
      invalid(file, "commandUpdated: must be an object");
    only_keys(cu, {"generators", "updaters"}, "commandUpdated", file);
    cfg.generators = parse_generators(cu, "commandUpdated", file);
    if (const YAML::Node ups = cu["updaters"]) {
      if (!ups.IsSequence())
        invalid(file, "commandUpdated.updaters: must be an array");
      for (std::size_t i = 0; i < ups.size(); ++i) {
        auto where = "commandUpdated.updaters." + std::to_string(i);
        const YAML::Node u = ups[i];
        if (!u.IsMap())
          invalid(file, where + ": must be an object");
        only_keys(u, {"containerImage", "policy"}, where, file);
        updater_config up;
        if (u["containerImage"])
          up.container_image =
            parse_command(u["containerImage"], where + ".containerImage", file);
        if (u["policy"])
          up.policy = parse_command(u["policy"], where + ".policy", file);
        cfg.updaters.push_back(std::move(up));
      }
    }
  } else if (const YAML::Node pu = root["patchUpdated"]) {
    cfg.mode = flux_config::kind::patch_updated;
    if (!pu.IsMap())
      invalid(file, "patchUpdated: must be an object");
    only_keys(pu, {"generators", "patchFile"}, "patchUpdated", file);
    cfg.generators = parse_generators(pu, "patchUpdated", file);
    if (!pu["patchFile"] || !is_string(pu["patchFile"])
        || pu["patchFile"].Scalar().empty())
      invalid(file, "patchUpdated: patchFile is required");
    cfg.patch_file = pu["patchFile"].Scalar();
  } else {
    const YAML::Node sf = root["scanForFiles"];
    if (!sf.IsMap())
      invalid(file, "scanForFiles: must be an object");
    only_keys(sf, {}, "scanForFiles", file);
  }
  return cfg;
}

std::optional<config_location> find_flux_config(const std::string& root,
                                                const std::string& git_path) {
  fs::path base = fs::path(root).lexically_normal();
  fs::path target = (base / git_path).lexically_normal();
  auto inside = [&](const fs::path& p) {
    auto r = p.lexically_relative(base).generic_string();
    return !r.empty() && r.rfind("..", 0) != 0;
  };
  if (!inside(target) && target != base)
    throw config_error("git path \"" + git_path + "\" is outside the repository");
  if (target.filename() == config_name && fs::is_regular_file(target)) {
    auto dir = target.parent_path();
    return config_location{rel(target, base), rel(dir, base),
                           rel(target, base)};
  }
  for (fs::path dir = target;; dir = dir.parent_path()) {
    auto candidate = dir / config_name;
    if (fs::is_regular_file(candidate)) {
      auto working = rel(target, base);
      auto source = (fs::path(working) / rel(candidate, target))
                      .generic_string();
      if (working == ".")
        source = rel(candidate, target);
      return config_location{rel(candidate, base), working, source};
    }
    if (dir == base || !inside(dir))
      return std::nullopt;
  }
}

std::string run_generators(const flux_config& cfg,
                           const config_location& where,
                           const generation_context& ctx) {
  std::string stream;
  for (const auto& g : cfg.generators) {
    command_spec spec;
    spec.command = g.command;
    spec.cwd = (fs::path(ctx.root) / where.working_dir).string();
    spec.timeout = timeout_of(g, ctx);
    spec.max_output = ctx.max_output > stream.size()
                        ? ctx.max_output - stream.size()
                        : 0;
    command_result res;
    try {
      res = run_shell(spec);
    } catch (const command_failure& e) {
      throw command_error("error executing generator command \"" + g.command
                          + "\" from file \"" + where.config_file
                          + "\": " + e.what() + "\nerror output:\n"
                          + e.partial().err);
    }
    stream += (stream.empty() || stream.back() == '\n') ? "---\n" : "\n---\n";
    stream += res.out;
  }
  return stream;
}

void run_image_updaters(const flux_config& cfg, const config_location& where,
                        const generation_context& ctx, const std::string& id,
                        const std::string& container,
                        const image::ref& new_ref) {
  std::vector<const command_config*> cmds;
  for (const auto& u : cfg.updaters)
    if (u.container_image)
      cmds.push_back(&*u.container_image);
  if (cmds.empty())
    throw command_error("no update.containerImage commands to run in "
                        + where.config_file + " (from path "
                        + where.working_dir + ")");
  auto env = updater_env(id);
  env["FLUX_CONTAINER"] = container;
  env["FLUX_IMG"] = new_ref.name();
  env["FLUX_TAG"] = new_ref.tag;
  run_updaters(cmds, where, ctx, env, "image updater");
}

void run_policy_updaters(const flux_config& cfg, const config_location& where,
                         const generation_context& ctx, const std::string& id,
                         const std::string& policy,
                         const std::optional<std::string>& value) {
  std::vector<const command_config*> cmds;
  for (const auto& u : cfg.updaters)
    if (u.policy)
      cmds.push_back(&*u.policy);
  if (cmds.empty())
    throw command_error("no updaters.policy commands to run in "
                        + where.config_file + " (from path "
                        + where.working_dir + ")");
  auto env = updater_env(id);
  env["FLUX_POLICY"] = policy;
  if (value)
    env["FLUX_POLICY_VALUE"] = *value;
  run_updaters(cmds, where, ctx, env, "annotation updater");
}

} // namespace fluxd::manifests
