#include "adapters/kube/http1.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace fluxd::kube::http1 {

namespace {

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t max_line = 64 * 1024;

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

int millis_until(clock::time_point t) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(t - clock::now());
  return static_cast<int>(
    std::clamp<long long>(left.count(), 0, INT_MAX));
}

} // namespace

std::string openssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1
         || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string response_head::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

connection::connection(const std::string& host, int port,
                       const tls_target& tls,
                       std::chrono::milliseconds connect_timeout)
  : buf_(initial_buffer) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found))
    throw failure(failure::kind::connect,
                  "cannot connect: " + host + ": " + ::gai_strerror(rc));
  auto until = clock::now() + connect_timeout;
  std::string why = "no address";
  bool timed_out = false;
  for (auto* ai = found; ai && fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family,
                      ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do
        n = ::poll(&p, 1, millis_until(until));
      while (n < 0 && errno == EINTR);
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0) {
        timed_out = true;
        err = ETIMEDOUT;
      } else if (n < 0) {
        err = errno;
      } else {
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) {
    if (timed_out)
      throw failure(failure::kind::connect_timeout, "timed out connecting");
    throw failure(failure::kind::connect, "cannot connect: " + why);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!tls.context)
    return;

  ssl_ = SSL_new(tls.context);
  if (!ssl_) {
    ::close(fd_);
    throw failure(failure::kind::tls,
                  "TLS handshake failed: " + openssl_errors());
  }
  SSL_set_fd(ssl_, fd_);
  if (!tls.sni.empty())
    SSL_set_tlsext_host_name(ssl_, tls.sni.c_str());
  if (!tls.verify_name.empty()) {
    auto* param = SSL_get0_param(ssl_);
    if (is_ip_literal(tls.verify_name))
      X509_VERIFY_PARAM_set1_ip_asc(param, tls.verify_name.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, tls.verify_name.c_str(),
                                  tls.verify_name.size());
  }
  deadline_ = until;
  try {
    for (;;) {
      ERR_clear_error();
      int rc = SSL_connect(ssl_);
      if (rc == 1)
        break;
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ)
        wait(POLLIN);
      else if (e == SSL_ERROR_WANT_WRITE)
        wait(POLLOUT);
      else
        fail(failure::kind::tls, "TLS handshake failed: "
                                   + openssl_errors());
    }
  } catch (...) {
    SSL_free(ssl_);
    ::close(fd_);
    throw;
  }
  deadline_ = clock::time_point::max();
}

connection::~connection() {
  if (ssl_) {
    if (!stopped_.load()) {
      SSL_shutdown(ssl_); // close_notify, best effort (non-blocking)
      ERR_clear_error();
    }
    SSL_free(ssl_);
  }
  if (fd_ >= 0)
    ::close(fd_);
}

void connection::set_limits(clock::time_point deadline,
                            std::chrono::milliseconds idle) {
  deadline_ = deadline;
  idle_ = idle;
}

void connection::stop() {
  stopped_ = true;
  ::shutdown(fd_, SHUT_RDWR);
}

void connection::fail(failure::kind k, const std::string& what) {
  reusable_ = false;
  if (stopped_.load())
    throw failure(failure::kind::stopped, "cancelled");
  throw failure(k, what);
}

void connection::wait(short events) {
  for (;;) {
    if (stopped_.load())
      fail(failure::kind::stopped, "cancelled");
    auto now = clock::now();
    if (now >= deadline_)
      fail(failure::kind::timeout, "timed out");
    auto until = idle_ < deadline_ - now ? now + idle_ : deadline_;
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, millis_until(until));
    if (n > 0)
      return; // ready, or an error the next call reports
    if (n < 0 && errno != EINTR)
      fail(failure::kind::read, std::string("poll: ") + std::strerror(errno));
    if (n == 0 && clock::now() >= until)
      fail(failure::kind::timeout, "timed out");
  }
}

void connection::write(std::string_view data) {
  while (!data.empty()) {
    if (stopped_.load())
      fail(failure::kind::stopped, "cancelled");
    if (ssl_) {
      ERR_clear_error();
      std::size_t written = 0;
      if (SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1) {
        data.remove_prefix(written);
        continue;
      }
      int e = SSL_get_error(ssl_, 0);
      if (e == SSL_ERROR_WANT_WRITE)
        wait(POLLOUT);
      else if (e == SSL_ERROR_WANT_READ)
        wait(POLLIN);
      else
        fail(failure::kind::write,
             "write failed" + [&] {
               auto d = openssl_errors();
               if (d.empty() && errno)
                 d = std::strerror(errno);
               return d.empty() ? std::string() : ": " + d;
             }());
    } else {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT);
      } else if (errno != EINTR) {
        fail(failure::kind::write,
             std::string("write failed: ") + std::strerror(errno));
      }
    }
  }
}

bool connection::fill() {
  if (begin_ == end_)
    begin_ = end_ = 0;
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(buf_.size() * 2);
    }
  }
  for (;;) {
    if (stopped_.load())
      fail(failure::kind::stopped, "cancelled");
    char* at = buf_.data() + end_;
    auto room = buf_.size() - end_;
    if (ssl_) {
      ERR_clear_error();
      std::size_t got = 0;
      if (SSL_read_ex(ssl_, at, room, &got) == 1) {
        end_ += got;
        return true;
      }
      int e = SSL_get_error(ssl_, 0);
      if (e == SSL_ERROR_WANT_READ) {
        wait(POLLIN);
      } else if (e == SSL_ERROR_WANT_WRITE) {
        wait(POLLOUT);
      } else if (e == SSL_ERROR_ZERO_RETURN) {
        return false;
      } else if (e == SSL_ERROR_SYSCALL && errno == 0) {
        ERR_clear_error();
        return false; // closed without close_notify
      } else if (e == SSL_ERROR_SSL
                 && ERR_GET_REASON(ERR_peek_error())
                      == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return false;
      } else {
        auto d = openssl_errors();
        if (d.empty())
          d = std::strerror(errno);
        fail(failure::kind::read, "read failed: " + d);
      }
    } else {
      auto n = ::recv(fd_, at, room, 0);
      if (n > 0) {
        end_ += static_cast<std::size_t>(n);
        return true;
      }
      if (n == 0)
        return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        wait(POLLIN);
      else if (errno != EINTR)
        fail(failure::kind::read,
             std::string("read failed: ") + std::strerror(errno));
    }
  }
}

std::string connection::read_line() {
  for (;;) {
    const char* from = buf_.data() + begin_;
    auto* nl = static_cast<const char*>(
      std::memchr(from, '\n', end_ - begin_));
    if (nl) {
      std::string line(from, nl);
      begin_ = static_cast<std::size_t>(nl - buf_.data()) + 1;
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      return line;
    }
    if (end_ - begin_ > max_line)
      fail(failure::kind::protocol, "response line longer than 64 KB");
    if (!fill())
      fail(failure::kind::read, "connection closed or read failed");
  }
}

response_head connection::read_head() {
  for (;;) {
    response_head h;
    auto status_line = read_line();
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
      fail(failure::kind::protocol,
           "not an HTTP/1.x response: \"" + status_line.substr(0, 40) + "\"");
    h.status = std::atoi(status_line.c_str() + 9);
    bool http10 = status_line.compare(0, 8, "HTTP/1.0") == 0;
    for (;;) {
      auto line = read_line();
      if (line.empty())
        break;
      auto colon = line.find(':');
      if (colon == std::string::npos)
        continue;
      h.headers[lower(line.substr(0, colon))] =
        trim(std::string_view(line).substr(colon + 1));
    }
    if (h.status >= 100 && h.status < 200)
      continue; // 100 Continue and friends: the real answer follows
    h.chunked = lower(h.header("transfer-encoding")).find("chunked")
                != std::string::npos;
    if (auto cl = h.header("content-length"); !cl.empty() && !h.chunked) {
      char* end = nullptr;
      h.content_length = std::strtoll(cl.c_str(), &end, 10);
      if (end == cl.c_str() || h.content_length < 0)
        fail(failure::kind::protocol, "bad Content-Length \"" + cl + "\"");
    }
    auto conn = lower(h.header("connection"));
    h.close = conn.find("close") != std::string::npos
              || (http10 && conn.find("keep-alive") == std::string::npos);
    return h;
  }
}

bool connection::read_exact(
  long long n, const std::function<bool(std::string_view)>& sink) {
  while (n > 0) {
    if (begin_ == end_ && !fill())
      fail(failure::kind::read, "connection closed or read failed");
    auto take = std::min<long long>(n, static_cast<long long>(end_ - begin_));
    std::string_view piece(buf_.data() + begin_,
                           static_cast<std::size_t>(take));
    begin_ += static_cast<std::size_t>(take);
    n -= take;
    if (!sink(piece))
      return false;
  }
  return true;
}

bool connection::read_body(const response_head& head, bool head_request,
                           const std::function<bool(std::string_view)>& sink) {
  reusable_ = !head.close;
  if (head_request || head.status == 204 || head.status == 304)
    return true;
  bool done = true;
  if (head.chunked) {
    for (;;) {
      auto line = read_line();
      char* end = nullptr;
      auto size = std::strtoll(line.c_str(), &end, 16);
      if (end == line.c_str() || size < 0)
        fail(failure::kind::protocol, "bad chunk size \"" + line + "\"");
      if (size == 0) {
        while (!read_line().empty()) {
        } // trailers
        break;
      }
      if (!read_exact(size, sink)) {
        done = false;
        break;
      }
      read_line(); // the CRLF after the chunk
    }
  } else if (head.content_length >= 0) {
    done = read_exact(head.content_length, sink);
  } else {
    reusable_ = false; // the body ends with the connection
    for (;;) {
      if (begin_ < end_) {
        std::string_view piece(buf_.data() + begin_, end_ - begin_);
        begin_ = end_;
        if (!sink(piece)) {
          done = false;
          break;
        }
      }
      if (!fill())
        break;
    }
  }
  if (!done)
    reusable_ = false;
  return done;
}

} // namespace fluxd::kube::http1
