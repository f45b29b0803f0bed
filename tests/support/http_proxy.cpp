#include "tests/support/http_proxy.hpp"

#include <algorithm>
#include <cstring>
#include <cctype>
#include <stdexcept>
#include <tuple>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fluxd::test {

namespace {

bool send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    auto w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0)
      return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool send_all(int fd, const std::string& s) {
  return send_all(fd, s.data(), s.size());
}

/// Reads up to the end of the request head; `rest` gets any bytes after.
bool read_head(int fd, std::string& head, std::string& rest) {
  std::string buf;
  char chunk[4096];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    auto r = ::recv(fd, chunk, sizeof chunk, 0);
    if (r <= 0 || buf.size() > 64 * 1024)
      return false;
    buf.append(chunk, static_cast<std::size_t>(r));
  }
  auto end = buf.find("\r\n\r\n") + 4;
  head = buf.substr(0, end);
  rest = buf.substr(end);
  return true;
}

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

int connect_to(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto h = host == "[::1]" ? std::string{"::1"} : host;
  if (::getaddrinfo(h.c_str(), port.c_str(), &hints, &res) != 0)
    return -1;
  int fd = -1;
  for (auto* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) == 0)
      break;
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  return fd;
}

/// Copies bytes both ways until either side closes.
void pump(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[16384];
  for (;;) {
    if (::poll(fds, 2, 30000) <= 0)
      return;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      auto r = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (r <= 0 || !send_all(fds[1 - i].fd, buf, static_cast<std::size_t>(r)))
        return;
    }
  }
}

/// "host:port" → (host, port), with `dflt` when there is no port.
std::pair<std::string, std::string> split_authority(const std::string& a,
                                                    const std::string& dflt) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos || a.back() == ']')
    return {a, dflt};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

} // namespace

http_proxy::http_proxy() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::listen(listener_, 64) != 0)
    throw std::runtime_error("http_proxy: cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

http_proxy::~http_proxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock{mtx_};
    for (int fd : open_)
      ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers)
    t.join();
}

void http_proxy::accept_loop() {
  while (!stopping_) {
    int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0)
      return;
    std::lock_guard<std::mutex> lock{mtx_};
    open_.push_back(client);
    workers_.emplace_back([this, client] { serve(client); });
  }
}

void http_proxy::serve(int client) {
  auto forget = [this](int fd) {
    std::lock_guard<std::mutex> lock{mtx_};
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    ::close(fd);
  };
  std::string head, rest;
  if (!read_head(client, head, rest)) {
    forget(client);
    return;
  }
  auto line_end = head.find("\r\n");
  auto line = head.substr(0, line_end);
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string host, port, forwarded;
  if (method == "CONNECT") {
    std::tie(host, port) = split_authority(target, "443");
  } else {
    const std::string scheme = "http://";
    if (target.rfind(scheme, 0) != 0) {
      send_all(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      forget(client);
      return;
    }
    auto slash = target.find('/', scheme.size());
    auto authority = target.substr(scheme.size(), slash - scheme.size());
    auto path = slash == std::string::npos ? "/" : target.substr(slash);
    std::tie(host, port) = split_authority(authority, "80");
    // One request per connection: the origin closes after answering.
    std::string fields;
    std::size_t pos = line_end + 2;
    while (pos < head.size() - 2) {
      auto e = head.find("\r\n", pos);
      auto field = head.substr(pos, e - pos);
      auto lower = field;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower.rfind("connection:", 0) != 0
          && lower.rfind("proxy-connection:", 0) != 0)
        fields += field + "\r\n";
      pos = e + 2;
    }
    forwarded = method + " " + path + " " + line.substr(sp2 + 1) + "\r\n"
                + fields + "Connection: close\r\n\r\n" + rest;
  }
  if (!loopback(host)) {
    send_all(client, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    forget(client);
    return;
  }
  int upstream = connect_to(host, port);
  if (upstream < 0) {
    send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    forget(client);
    return;
  }
  {
    std::lock_guard<std::mutex> lock{mtx_};
    open_.push_back(upstream);
  }
  bool ok;
  if (method == "CONNECT") {
    ++tunnels_;
    ok = send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n")
         && (rest.empty() || send_all(upstream, rest));
  } else {
    ++forwards_;
    ok = send_all(upstream, forwarded);
  }
  if (ok)
    pump(client, upstream);
  forget(upstream);
  forget(client);
}

} // namespace fluxd::test
