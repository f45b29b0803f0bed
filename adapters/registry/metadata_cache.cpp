#include "adapters/registry/metadata_cache.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "adapters/registry/errors.hpp"

namespace fluxd::registry {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr int format_version = 1;

registry_error storage_error(const std::string& path, const std::string& why) {
  return registry_error(error_kind::storage,
                        "metadata cache " + path + ": " + why);
}

std::string escape(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string unescape(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size()) {
      out += static_cast<char>(std::stoi(name.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

std::string time_text(time_point t) {
  return t == time_point{} ? std::string{} : format_rfc3339(t);
}

const json::value* find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string get_string(const json::object& o, std::string_view key) {
  auto v = find(o, key);
  return v && v->is_string() ? std::string{v->get_string()} : std::string{};
}

time_point get_time(const json::object& o, std::string_view key,
                    const std::string& origin) {
  auto text = get_string(o, key);
  if (text.empty())
    return {};
  auto t = parse_rfc3339(text);
  if (!t)
    throw storage_error(origin, "field \"" + std::string{key}
                                  + "\" is not an RFC 3339 time");
  return *t;
}

void check_errno(bool ok, const std::string& path, const char* what) {
  if (!ok)
    throw storage_error(path, std::string{what} + ": " + std::strerror(errno));
}

} // namespace

void write_file_atomically(const std::string& path,
                           const std::string& content) {
  auto tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check_errno(fd >= 0, tmp, "open");
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      check_errno(false, tmp, "write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    check_errno(false, tmp, "fsync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    check_errno(false, path, "rename");
  }
  // The rename is durable only once the directory entry is on disk.
  auto dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

metadata_cache::metadata_cache(std::string state_dir)
  : dir_(std::move(state_dir) + "/registry") {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw storage_error(dir_, "cannot create directory: " + ec.message());
}

std::string metadata_cache::path_for(const std::string& canonical) const {
  return dir_ + "/" + escape(canonical) + ".json";
}

std::string metadata_cache::to_json(const repository_record& r) {
  json::object o;
  o["version"] = format_version;
  o["repository"] = r.canonical;
  json::array tags;
  for (auto& t : r.tags)
    tags.emplace_back(t);
  o["tags"] = std::move(tags);
  json::object images;
  for (auto& [tag, rec] : r.images) {
    json::object i;
    i["digest"] = rec.info.digest;
    i["config_digest"] = rec.info.config_digest;
    i["created"] = time_text(rec.info.created);
    json::object labels;
    for (auto& [k, v] : rec.info.labels)
      labels[k] = v;
    i["labels"] = std::move(labels);
    i["excluded_reason"] = rec.info.excluded_reason;
    i["fetched_at"] = time_text(rec.fetched_at);
    i["refresh_after"] = time_text(rec.refresh_after);
    i["refresh_interval_s"] = rec.refresh_interval.count();
    images[tag] = std::move(i);
  }
  o["images"] = std::move(images);
  o["last_update"] = time_text(r.last_update);
  o["last_error"] = r.last_error;
  return json::serialize(o);
}

repository_record metadata_cache::from_json(const std::string& text,
                                            const std::string& origin) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object())
    throw storage_error(origin, "not a JSON object");
  auto& o = v.get_object();
  auto version = find(o, "version");
  if (!version || !version->is_int64()
      || version->get_int64() != format_version)
    throw storage_error(origin, "unknown format version");
  repository_record r;
  r.canonical = get_string(o, "repository");
  if (auto tags = find(o, "tags"); tags && tags->is_array())
    for (auto& t : tags->get_array())
      if (t.is_string())
        r.tags.emplace_back(t.get_string());
  if (auto images = find(o, "images"); images && images->is_object())
    for (auto& kv : images->get_object()) {
      if (!kv.value().is_object())
        throw storage_error(origin, "image entry is not an object");
      auto& i = kv.value().get_object();
      tag_record rec;
      rec.info.digest = get_string(i, "digest");
      rec.info.config_digest = get_string(i, "config_digest");
      rec.info.created = get_time(i, "created", origin);
      if (auto labels = find(i, "labels"); labels && labels->is_object())
        for (auto& l : labels->get_object())
          if (l.value().is_string())
            rec.info.labels.emplace(std::string{l.key()},
                                    std::string{l.value().get_string()});
      rec.info.excluded_reason = get_string(i, "excluded_reason");
      rec.fetched_at = get_time(i, "fetched_at", origin);
      rec.refresh_after = get_time(i, "refresh_after", origin);
      if (auto s = find(i, "refresh_interval_s"); s && s->is_int64())
        rec.refresh_interval = std::chrono::seconds(s->get_int64());
      r.images.emplace(std::string{kv.key()}, std::move(rec));
    }
  r.last_update = get_time(o, "last_update", origin);
  r.last_error = get_string(o, "last_error");
  return r;
}

std::optional<repository_record>
metadata_cache::load(const std::string& canonical) const {
  auto path = path_for(canonical);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || !fs::exists(path))
      return std::nullopt;
    throw storage_error(path, "cannot read");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto r = from_json(ss.str(), path);
  if (r.canonical != canonical)
    throw storage_error(path, "holds repository \"" + r.canonical + "\"");
  return r;
}

void metadata_cache::store(const repository_record& record) {
  write_file_atomically(path_for(record.canonical), to_json(record));
}

void metadata_cache::remove(const std::string& canonical) {
  std::error_code ec;
  fs::remove(path_for(canonical), ec);
}

std::vector<std::string> metadata_cache::repositories() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    auto name = e.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0)
      out.push_back(unescape(name.substr(0, name.size() - 5)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace fluxd::registry
