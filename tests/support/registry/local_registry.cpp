#include "tests/support/registry/local_registry.hpp"

#include <crypt.h>
#include <stdexcept>

#include <boost/json.hpp>

#include "adapters/registry/manifest.hpp"

namespace fluxd::test {

namespace json = boost::json;

namespace {

std::string bcrypt(const std::string& password) {
  // Distribution accepts only bcrypt htpasswd entries; libxcrypt makes them.
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)))
    throw std::runtime_error("crypt_gensalt_rn failed");
  crypt_data data{};
  auto hash = crypt_r(password.c_str(), salt, &data);
  if (!hash || hash[0] == '*')
    throw std::runtime_error("bcrypt hashing failed");
  return hash;
}

std::string put_blob(const std::string& dir, const std::string& content) {
  auto digest = registry::sha256_digest(content);
  write_file(dir + "/blobs/sha256/" + digest.substr(7), content);
  return digest;
}

json::object descriptor(const std::string& media_type,
                        const std::string& digest, size_t size) {
  return json::object{{"mediaType", media_type},
                      {"digest", digest},
                      {"size", static_cast<std::int64_t>(size)}};
}

/// Writes config, layer and manifest blobs; returns the manifest descriptor.
json::object put_image(const std::string& dir, const test_image& img,
                       const std::string& os, const std::string& arch,
                       const std::string& variant) {
  // Registries and skopeo do not look inside layers; any bytes will do.
  auto layer = "layer of " + img.tag + " for " + os + "/" + arch;
  auto layer_digest = put_blob(dir, layer);
  json::object labels;
  for (auto& [k, v] : img.labels)
    labels[k] = v;
  json::object config{{"architecture", arch},
                      {"os", os},
                      {"config", json::object{{"Labels", labels}}},
                      {"rootfs", json::object{{"type", "layers"},
                                              {"diff_ids",
                                               json::array{layer_digest}}}}};
  if (!variant.empty())
    config["variant"] = variant;
  if (!img.created.empty())
    config["created"] = img.created;
  auto config_text = json::serialize(config);
  auto config_digest = put_blob(dir, config_text);
  json::object manifest{
    {"schemaVersion", 2},
    {"mediaType", registry::media_type::oci_manifest},
    {"config", descriptor("application/vnd.oci.image.config.v1+json",
                          config_digest, config_text.size())},
    {"layers",
     json::array{descriptor("application/vnd.oci.image.layer.v1.tar+gzip",
                            layer_digest, layer.size())}}};
  auto text = json::serialize(manifest);
  return descriptor(std::string{registry::media_type::oci_manifest},
                    put_blob(dir, text), text.size());
}

} // namespace

local_registry::local_registry(options opts) : dir_("fluxd-registry") {
  port_ = free_port();
  std::string auth;
  if (opts.auth == auth_mode::htpasswd) {
    std::string lines;
    for (auto& [user, pw] : opts.users)
      lines += user + ":" + bcrypt(pw) + "\n";
    write_file(dir_.file("htpasswd"), lines);
    auth = "auth:\n  htpasswd:\n    realm: test-realm\n    path: "
           + dir_.file("htpasswd") + "\n";
  } else if (opts.auth == auth_mode::token) {
    auth = "auth:\n  token:\n    realm: " + opts.token_realm
           + "\n    service: test-registry\n    issuer: test-issuer\n"
             "    rootcertbundle: "
           + opts.token_cert + "\n";
  }
  write_file(dir_.file("config.yml"),
             "version: 0.1\n"
             "log: {level: warn, formatter: text}\n"
             "storage:\n"
             "  filesystem: {rootdirectory: "
               + dir_.file("data")
               + "}\n"
                 "  delete: {enabled: true}\n"
                 "  cache: {blobdescriptor: inmemory}\n"
                 "http:\n"
                 "  addr: 127.0.0.1:"
               + std::to_string(port_) + "\n" + auth);
  proc_ = std::make_unique<child_process>(
    std::vector<std::string>{"docker-registry", "serve",
                             dir_.file("config.yml")},
    child_process::options{{}, "", dir_.path()});
  if (!wait_for_port(port_, std::chrono::seconds(10)))
    throw std::runtime_error("docker-registry did not start on port "
                             + std::to_string(port_) + ": "
                             + proc_->stderr_text());
}

local_registry::~local_registry() = default;

void write_oci_layout(const std::string& dir,
                      const std::vector<test_image>& images,
                      const std::vector<test_index>& indexes) {
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json::array refs;
  auto annotate = [](json::object d, const std::string& tag) {
    d["annotations"] =
      json::object{{"org.opencontainers.image.ref.name", tag}};
    return d;
  };
  for (auto& img : images)
    refs.push_back(annotate(put_image(dir, img, "linux", "amd64", ""), img.tag));
  for (auto& idx : indexes) {
    json::array entries;
    for (auto& [plat, img] : idx.platforms) {
      auto p = registry::platform::parse(plat);
      auto d = put_image(dir, img, p.os, p.architecture, p.variant);
      json::object platform{{"os", p.os}, {"architecture", p.architecture}};
      if (!p.variant.empty())
        platform["variant"] = p.variant;
      d["platform"] = std::move(platform);
      entries.push_back(std::move(d));
    }
    json::object index{{"schemaVersion", 2},
                       {"mediaType", registry::media_type::oci_index},
                       {"manifests", std::move(entries)}};
    auto text = json::serialize(index);
    refs.push_back(annotate(
      descriptor(std::string{registry::media_type::oci_index},
                 put_blob(dir, text), text.size()),
      idx.tag));
  }
  write_file(dir + "/index.json",
             json::serialize(json::object{{"schemaVersion", 2},
                                          {"manifests", std::move(refs)}}));
}

void skopeo_push(const std::string& layout_dir, const std::string& tag,
                 const std::string& host, const std::string& repo, bool all,
                 bool docker_format, const std::string& creds) {
  std::vector<std::string> argv{"skopeo", "copy", "--quiet",
                                "--dest-tls-verify=false"};
  if (all)
    argv.push_back("--all");
  if (docker_format) {
    argv.push_back("--format");
    argv.push_back("v2s2");
  }
  if (!creds.empty()) {
    argv.push_back("--dest-creds");
    argv.push_back(creds);
  }
  argv.push_back("oci:" + layout_dir + ":" + tag);
  argv.push_back("docker://" + host + "/" + repo + ":" + tag);
  auto r = run(argv, std::chrono::seconds(60));
  if (r.status != 0)
    throw std::runtime_error("skopeo copy " + tag + " failed: " + r.err);
}

void push_tags(const std::string& host, const std::string& repo,
               const std::vector<std::pair<std::string, std::string>>& tags) {
  temp_dir layout{"fluxd-oci"};
  std::vector<test_image> images;
  for (auto& [tag, created] : tags)
    images.push_back({tag, created, {}});
  write_oci_layout(layout.path(), images);
  for (auto& [tag, created] : tags)
    skopeo_push(layout.path(), tag, host, repo);
}

} // namespace fluxd::test
