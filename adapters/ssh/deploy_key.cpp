#include "adapters/ssh/deploy_key.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "adapters/config/daemon_config.hpp"
#include "adapters/git/url.hpp"
#include "adapters/kube/client.hpp"
#include "adapters/log/log.hpp"

namespace fluxd::ssh {

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Writes through a temporary file and a rename, so git never reads half
/// a key; private keys are 0600 (ssh and libssh2 refuse looser ones).
void write_atomically(const std::string& path, const std::string& text,
                      fs::perms perms) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    if (!out)
      throw key_error("cannot write " + tmp);
    out << text;
    if (!out.flush())
      throw key_error("cannot write " + tmp);
  }
  std::error_code ec;
  fs::permissions(tmp, perms, ec);
  fs::rename(tmp, path, ec);
  if (ec)
    throw key_error("cannot write " + path + ": " + ec.message());
}

bool non_empty_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0;
}

std::string own_namespace(const std::string& fallback) {
  std::ifstream in{"/var/run/secrets/kubernetes.io/serviceaccount/namespace"};
  std::string ns;
  if (in && std::getline(in, ns) && !ns.empty())
    return ns;
  return fallback;
}

} // namespace

deploy_key_options deploy_key_options_of(const config::daemon_config& flags,
                                         const std::string& secret_namespace) {
  deploy_key_options o;
  o.secret_namespace = secret_namespace;
  o.secret_name = flags.k8s_secret_name;
  o.data_key = flags.k8s_secret_data_key;
  o.mount_path = flags.k8s_secret_volume_mount_path;
  o.keygen_dir = flags.ssh_keygen_dir;
  if (!flags.ssh_keygen_type.empty())
    o.spec.type = flags.ssh_keygen_type;
  o.spec.bits = flags.ssh_keygen_bits;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0])
    o.spec.comment = std::string("fluxd@") + host;
  return o;
}

api::public_key public_key_of(const key_pair& key) {
  api::public_key p;
  p.key = key.public_line();
  std::map<std::string, api::fingerprint> prints;
  for (auto algorithm : {"md5", "sha256"}) {
    auto f = fingerprint_of(key, algorithm);
    prints[algorithm] = api::fingerprint{f.hash, f.randomart};
  }
  p.fingerprints = std::move(prints);
  return p;
}

deploy_keyring::deploy_keyring(deploy_key_options opts,
                               std::shared_ptr<kube::client> cluster)
    : opts_(std::move(opts)), cluster_(std::move(cluster)) {}

std::string deploy_keyring::mounted() const {
  return opts_.mount_path + "/" + opts_.data_key;
}

std::string deploy_keyring::generated_path() const {
  return (opts_.keygen_dir.empty() ? opts_.mount_path : opts_.keygen_dir)
         + "/identity";
}

std::string deploy_keyring::private_key_path() const {
  std::lock_guard lock{mutex_};
  return path_;
}

api::public_key deploy_keyring::public_key() const {
  std::lock_guard lock{mutex_};
  if (!started_)
    return {};
  return public_key_of(key_);
}

void deploy_keyring::install(const key_pair& key, const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  write_atomically(path, key.private_key,
                   fs::perms::owner_read | fs::perms::owner_write);
  write_atomically(path + ".pub", key.public_line(),
                   fs::perms::owner_read | fs::perms::owner_write
                       | fs::perms::group_read | fs::perms::others_read);
}

void deploy_keyring::store_in_secret(const key_pair& key) {
  // Server-side apply owns only data[<data key>]: creates the Secret when
  // it is missing and leaves its other keys (sync state) alone.
  boost::json::object secret{
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", opts_.secret_name}, {"namespace", opts_.secret_namespace}}},
      {"data", {{opts_.data_key, base64_encode(key.private_key)}}}};
  kube::apply_options o;
  o.field_manager = "fluxd-deploy-key";
  o.force = true;
  o.timeout = std::chrono::seconds(20);
  cluster_->apply(secret, o);
}

void deploy_keyring::start() {
  log::logger log{"ssh"};
  auto secret_id = opts_.secret_namespace + "/" + opts_.secret_name;
  key_pair key;
  std::string path;
  if (non_empty_file(mounted())) {
    path = mounted();
    key = parse_private_key(read_text(path), path);
  } else {
    std::string stored;
    if (cluster_) {
      try {
        auto s = cluster_->get(kube::object_ref{"v1", "Secret",
                                                opts_.secret_namespace,
                                                opts_.secret_name},
                               std::chrono::seconds(20));
        if (auto* data = s.as_object().if_contains("data"))
          if (auto* v = data->as_object().if_contains(opts_.data_key))
            if (v->is_string())
              stored = base64_decode(std::string(v->as_string()),
                                     "Secret " + secret_id);
      } catch (const kube::api_error& e) {
        if (!e.not_found())
          throw;
      }
    }
    path = generated_path();
    if (opts_.keygen_dir.empty())
      log.warn("no --ssh-keygen-dir: writing the deploy key to the Secret's "
               "mount path, which may be read-only",
               {{"path", path}});
    if (!stored.empty()) {
      key = parse_private_key(stored, "Secret " + secret_id + " data."
                                          + opts_.data_key);
    } else {
      key = generate_key(opts_.spec);
      if (!cluster_)
        throw key_error("no deploy key at " + mounted()
                        + " and no Kubernetes API to store a new one in the "
                          "Secret "
                        + secret_id);
      store_in_secret(key);
      log.info("generated a deploy key and stored it in the Secret",
               {{"secret", secret_id},
                {"fingerprint",
                 "SHA256:" + fingerprint_of(key, "sha256").hash}});
    }
    install(key, path);
  }
  std::lock_guard lock{mutex_};
  key_ = std::move(key);
  path_ = path;
  started_ = true;
}

api::public_key deploy_keyring::regenerate() {
  if (!cluster_)
    throw key_error("cannot regenerate the deploy key: no Kubernetes API to "
                    "store it in the Secret "
                    + opts_.secret_namespace + "/" + opts_.secret_name);
  auto key = generate_key(opts_.spec);
  store_in_secret(key);
  auto path = private_key_path();
  if (path.empty())
    path = generated_path();
  try {
    install(key, path);
  } catch (const std::exception& e) {
    // A read-only Secret mount: the kubelet refreshes it from the Secret.
    log::logger{"ssh"}.warn(
        "new deploy key stored in the Secret; git uses it once the kubelet "
        "refreshes the mounted Secret",
        {{"path", path}, {"err", e.what()}});
  }
  std::lock_guard lock{mutex_};
  key_ = key;
  path_ = path;
  started_ = true;
  return public_key_of(key_);
}

std::shared_ptr<deploy_keyring>
start_deploy_keyring(const config::daemon_config& flags) {
  if (flags.git_url.empty())
    return nullptr;
  try {
    if (git::remote_url::parse(flags.git_url).scheme
        != git::remote_url::scheme_t::ssh)
      return nullptr;
  } catch (const std::exception&) {
    return nullptr; // the git mirror reports the bad URL
  }
  std::shared_ptr<kube::client> cluster;
  std::string ns = "default";
  try {
    kube::config_options where;
    where.kubeconfig = flags.kube_config;
    auto rc = kube::load_config(where);
    ns = own_namespace(rc.default_namespace());
    cluster = std::make_shared<kube::client>(rc);
  } catch (const kube::kube_error& e) {
    log::logger{"ssh"}.warn("no Kubernetes configuration: the deploy key "
                            "cannot be stored in or read from the Secret",
                            {{"err", e.what()}});
  }
  auto ring = std::make_shared<deploy_keyring>(
      deploy_key_options_of(flags, ns), std::move(cluster));
  ring->start();
  return ring;
}

} // namespace fluxd::ssh
