#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Registry credentials and where they come from. Providers are matched by
/// normalized host (names.hpp), so a Docker Hub secret keyed `docker.io`,
/// `https://index.docker.io/v1/` or `registry-1.docker.io` all match — Flux
/// v1 matched only the exact host.
namespace fluxd::registry {

struct credentials {
  std::string username;
  std::string password;
  bool empty() const { return username.empty() && password.empty(); }
};

/// Anything that can hand out credentials for a registry host: a docker
/// config file, a workload's imagePullSecrets, later ECR/GCR/ACR helpers.
class credentials_provider {
public:
  virtual ~credentials_provider() = default;
  /// `host` is normalized (index.docker.io for Docker Hub).
  virtual std::optional<credentials> find(std::string_view host) const = 0;
};

/// A fixed host → credentials map, the parsed form of a docker config.json
/// or a kubernetes.io/dockerconfigjson / dockercfg secret.
class static_credentials : public credentials_provider {
public:
  static_credentials() = default;

  /// Parses `{"auths": {host: {...}}}` or the bare legacy `{host: {...}}`
  /// form. Each entry has `auth` (base64 user:password) or `username` and
  /// `password`. `origin` names the file or secret in errors. Throws
  /// registry_error(config) on malformed input; never echoes secrets.
  static static_credentials parse(std::string_view json,
                                  const std::string& origin);
  /// Reads and parses a file (`--docker-config`).
  static static_credentials from_file(const std::string& path);

  /// Later entries for the same host overwrite earlier ones (Flux v1).
  void add(std::string_view host_key, credentials creds);
  void merge(const static_credentials& other);

  std::optional<credentials> find(std::string_view host) const override;
  size_t size() const { return by_host_.size(); }
  std::vector<std::string> hosts() const;

private:
  std::map<std::string, credentials, std::less<>> by_host_;
};

/// Asks providers in order; the first that knows the host wins (per-image
/// pull secrets before --docker-config defaults).
class layered_credentials : public credentials_provider {
public:
  void push_back(std::shared_ptr<const credentials_provider> p) {
    layers_.push_back(std::move(p));
  }
  std::optional<credentials> find(std::string_view host) const override;

private:
  std::vector<std::shared_ptr<const credentials_provider>> layers_;
};

/// A provider whose contents can be replaced while clients use it: the
/// cluster watcher swaps in new imagePullSecrets, --docker-config is
/// re-read, and every registry client sees the change on its next request.
class swappable_credentials : public credentials_provider {
public:
  void set(std::shared_ptr<const credentials_provider> p);
  std::optional<credentials> find(std::string_view host) const override;

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const credentials_provider> current_;
};

/// `--docker-config`, re-read when it changes. `reload()` compares the
/// file's modification time and size with what it last read (stat follows
/// symlinks, so a Kubernetes secret mount's symlink swap counts) and, when
/// they differ, parses the file and swaps it into `target`. The caller
/// decides how often to ask; no thread of its own.
class docker_config_watch {
public:
  enum class outcome { unchanged, reloaded, removed };

  docker_config_watch(std::string path,
                      std::shared_ptr<swappable_credentials> target);

  /// `reloaded`: new contents are in the target; `removed`: the file is
  /// gone, so are its credentials. Throws registry_error(config) naming the
  /// file when it changed but cannot be read or parsed: the previous
  /// credentials stay, and the same broken file is reported only once.
  outcome reload();

  const std::string& path() const { return path_; }
  /// Hosts of the credentials in force (for logs; never the secrets).
  std::vector<std::string> hosts() const { return hosts_; }

private:
  struct stamp {
    bool exists = false;
    long long mtime_ns = 0;
    unsigned long long size = 0;
    bool operator==(const stamp& o) const {
      return exists == o.exists && mtime_ns == o.mtime_ns && size == o.size;
    }
  };

  std::string path_;
  std::shared_ptr<swappable_credentials> target_;
  std::optional<stamp> last_;
  std::vector<std::string> hosts_;
};

std::string base64_encode(std::string_view bytes);
/// Throws std::invalid_argument on bad input.
std::string base64_decode(std::string_view text);

} // namespace fluxd::registry
