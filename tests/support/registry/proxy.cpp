#include "tests/support/registry/proxy.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace fluxd::test {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string query_of(const httplib::Request& req) {
  std::string q;
  for (auto& [k, v] : req.params)
    q += (q.empty() ? "?" : "&") + k + "="
         + httplib::detail::encode_query_param(v);
  return q;
}

void copy_response(const httplib::Result& up, httplib::Response& res,
                   bool head) {
  res.status = up->status;
  std::string content_type = "application/octet-stream";
  for (auto& [k, v] : up->headers) {
    auto lk = lower(k);
    if (lk == "content-length" || lk == "transfer-encoding"
        || lk == "connection" || lk == "keep-alive")
      continue;
    if (lk == "content-type") {
      content_type = v;
      continue;
    }
    res.headers.emplace(k, v);
  }
  if (head) {
    res.set_header("Content-Type", content_type);
    if (auto len = up->get_header_value("Content-Length"); !len.empty())
      res.set_header("Content-Length", len);
  } else {
    res.set_content(up->body, content_type);
  }
}

} // namespace

std::string registry_proxy::kind_of(const std::string& method,
                                    const std::string& path) {
  std::string kind = "other";
  if (path == "/v2/" || path == "/v2")
    kind = "ping";
  else if (ends_with(path, "/tags/list"))
    kind = "tags";
  else if (path.find("/manifests/") != std::string::npos)
    kind = "manifest";
  else if (path.find("/blobs/") != std::string::npos)
    kind = "blob";
  return method == "GET" ? kind : method + " " + kind;
}

registry_proxy::registry_proxy(std::string upstream_url, before_fn before,
                               after_fn after)
  : upstream_(std::move(upstream_url)),
    before_(std::move(before)),
    after_(std::move(after)) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      ++counts_[kind_of(req.method, req.path)];
    }
    if (before_ && before_(req, res))
      return;
    forward(req, res);
    if (after_)
      after_(req, res);
  };
  server_.server().Get(".*", handler);
  server_.start();
}

void registry_proxy::forward(const httplib::Request& req,
                             httplib::Response& res) {
  httplib::Client up(upstream_);
  up.set_read_timeout(std::chrono::seconds(30));
  httplib::Headers h;
  for (auto& [k, v] : req.headers) {
    auto lk = lower(k);
    if (lk == "host" || lk == "content-length" || lk == "connection"
        || lk == "remote_addr" || lk == "remote_port"
        || lk == "local_addr" || lk == "local_port")
      continue;
    h.emplace(k, v);
  }
  auto target = req.path + query_of(req);
  bool head = req.method == "HEAD";
  auto r = head ? up.Head(target.c_str(), h) : up.Get(target.c_str(), h);
  if (!r) {
    res.status = 502;
    return;
  }
  copy_response(r, res, head);
}

int registry_proxy::count(const std::string& kind) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = counts_.find(kind);
  return it == counts_.end() ? 0 : it->second;
}

int registry_proxy::total() const {
  std::lock_guard<std::mutex> guard{mtx_};
  int n = 0;
  for (auto& kv : counts_)
    n += kv.second;
  return n;
}

void registry_proxy::reset_counts() {
  std::lock_guard<std::mutex> guard{mtx_};
  counts_.clear();
}

registry_proxy::before_fn paging_hook(std::string upstream_url,
                                      int page_size) {
  return [upstream_url, page_size](const httplib::Request& req,
                                   httplib::Response& res) {
    if (req.method != "GET" || !ends_with(req.path, "/tags/list"))
      return false;
    httplib::Client up(upstream_url);
    httplib::Headers h;
    if (req.has_header("Authorization"))
      h.emplace("Authorization", req.get_header_value("Authorization"));
    auto r = up.Get(req.path.c_str(), h);
    if (!r || r->status != 200)
      return false; // let the forwarder pass the error through
    auto doc = boost::json::parse(r->body).as_object();
    std::vector<std::string> tags;
    for (auto& t : doc["tags"].as_array())
      tags.emplace_back(t.as_string());
    std::sort(tags.begin(), tags.end());
    size_t n = static_cast<size_t>(page_size);
    if (req.has_param("n"))
      n = std::min(n, static_cast<size_t>(std::stoul(req.get_param_value("n"))));
    auto start = tags.begin();
    if (req.has_param("last"))
      start = std::upper_bound(tags.begin(), tags.end(),
                               req.get_param_value("last"));
    auto end = start + std::min<size_t>(n, tags.end() - start);
    boost::json::array page;
    for (auto it = start; it != end; ++it)
      page.emplace_back(*it);
    doc["tags"] = std::move(page);
    if (end != tags.end())
      res.set_header("Link", "<" + req.path + "?last="
                               + httplib::detail::encode_query_param(end[-1])
                               + "&n=" + std::to_string(n)
                               + ">; rel=\"next\"");
    res.set_content(boost::json::serialize(doc), "application/json");
    return true;
  };
}

} // namespace fluxd::test
