// The HTTP/1.1 connection under the transport, against a raw loopback
// server that answers with exactly the bytes each case needs: framings the
// API server rarely uses (HTTP/1.0, bodies ended by close, trailers, 1xx),
// answers split at awkward places, and stop() from another thread.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kube/http1.hpp"

using namespace fluxd::kube;
using namespace std::chrono_literals;

namespace {

/// Accepts one connection and runs `script` on it (plain TCP, port 0).
class raw_server {
public:
  explicit raw_server(std::function<void(int)> script) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      script(c);
      ::close(c);
    });
  }
  ~raw_server() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

/// Reads one request head (and a Content-Length body) from `fd`.
std::string read_request(int fd) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0)
      return in;
    in.append(buf, static_cast<std::size_t>(n));
  }
  auto cl = in.find("Content-Length: ");
  if (cl != std::string::npos) {
    auto want = in.find("\r\n\r\n") + 4 + std::stoul(in.substr(cl + 16));
    while (in.size() < want) {
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0)
        break;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
  return in;
}

void send_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    auto n = ::write(fd, s.data() + at, s.size() - at);
    if (n <= 0)
      return;
    at += static_cast<std::size_t>(n);
  }
}

/// Sends `s` one byte at a time, so every read sees a fragment.
void trickle(int fd, const std::string& s) {
  for (char c : s) {
    send_all(fd, std::string(1, c));
    std::this_thread::sleep_for(1ms);
  }
}

struct answer {
  http1::response_head head;
  std::string body;
  bool reusable = false;
};

answer exchange(http1::connection& c, const std::string& request) {
  c.set_limits(http1::clock::now() + 5s, 5s);
  c.write(request);
  answer a;
  a.head = c.read_head();
  c.read_body(a.head, false, [&](std::string_view piece) {
    a.body.append(piece);
    return true;
  });
  a.reusable = c.reusable();
  return a;
}

const std::string get = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";

/// The failure `step` throws; fails the test when it throws none.
http1::failure failure_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const http1::failure& f) {
    return f;
  }
  FAIL("expected an http1::failure");
  throw std::logic_error("unreachable");
}

/// An exchange with a server that answers `reply` (then closes).
http1::failure failed_exchange(const std::string& reply) {
  raw_server s([&](int fd) {
    read_request(fd);
    send_all(fd, reply);
  });
  http1::connection c("127.0.0.1", s.port(), {}, 2s);
  return failure_of([&] { exchange(c, get); });
}

} // namespace

TEST_CASE("http1: two exchanges on one kept-alive connection, sent whole") {
  std::string first, second;
  raw_server s([&](int fd) {
    first = read_request(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: 2\r\n\r\n{}");
    second = read_request(fd);
    send_all(fd, "HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nabc");
  });
  http1::connection c("127.0.0.1", s.port(), {}, 2s);
  auto a = exchange(c, "PATCH /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
  CHECK(a.head.status == 200);
  CHECK(a.head.header("content-type") == "application/json");
  CHECK(a.body == "{}");
  CHECK(a.reusable);
  CHECK(first == "PATCH /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
  auto b = exchange(c, get);
  CHECK(b.head.status == 201);
  CHECK(b.body == "abc");
  CHECK(second == get);
}

TEST_CASE("http1: chunked with extensions and trailers, trickled a byte at "
          "a time, after a 100 Continue") {
  raw_server s([&](int fd) {
    read_request(fd);
    trickle(fd, "HTTP/1.1 100 Continue\r\n\r\n"
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5;ext=1\r\nhello\r\n"
                "1\r\n \r\n"
                "5\r\nworld\r\n"
                "0\r\nX-Trailer: t\r\n\r\n");
    read_request(fd); // keeps the socket open until the client is done
  });
  http1::connection c("127.0.0.1", s.port(), {}, 2s);
  auto a = exchange(c, get);
  CHECK(a.head.status == 200);
  CHECK(a.head.chunked);
  CHECK(a.body == "hello world");
  CHECK(a.reusable);
}

TEST_CASE("http1: a body ended by close, HTTP/1.0, and Connection: close") {
  SECTION("no length: the body is what came before the close") {
    raw_server s([&](int fd) {
      read_request(fd);
      send_all(fd, "HTTP/1.1 200 OK\r\n\r\npart one, ");
      std::this_thread::sleep_for(20ms);
      send_all(fd, "part two");
    });
    http1::connection c("127.0.0.1", s.port(), {}, 2s);
    auto a = exchange(c, get);
    CHECK(a.body == "part one, part two");
    CHECK_FALSE(a.reusable);
  }
  SECTION("HTTP/1.0 and Connection: close are not reused") {
    raw_server s([&](int fd) {
      read_request(fd);
      send_all(fd, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx");
    });
    http1::connection c("127.0.0.1", s.port(), {}, 2s);
    auto a = exchange(c, get);
    CHECK(a.body == "x");
    CHECK_FALSE(a.reusable);
  }
}

TEST_CASE("http1: failures say what went wrong") {
  SECTION("closed before the answer") {
    CHECK(failed_exchange("").which() == http1::failure::kind::read);
  }
  SECTION("closed in the middle of a body") {
    auto f =
      failed_exchange("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    CHECK(f.which() == http1::failure::kind::read);
  }
  SECTION("not HTTP") {
    auto f = failed_exchange("SSH-2.0-OpenSSH_9.2\r\n");
    CHECK(f.which() == http1::failure::kind::protocol);
    CHECK(std::string(f.what()).find("SSH-2.0") != std::string::npos);
  }
  SECTION("silence past the idle limit") {
    std::atomic<bool> done{false};
    raw_server s([&](int fd) {
      read_request(fd);
      while (!done)
        std::this_thread::sleep_for(10ms);
    });
    http1::connection c("127.0.0.1", s.port(), {}, 2s);
    c.set_limits(http1::clock::now() + 5s, 200ms);
    c.write(get);
    auto f = failure_of([&] { c.read_head(); });
    CHECK(f.which() == http1::failure::kind::timeout);
    done = true;
  }
  SECTION("nothing listening") {
    int port;
    {
      raw_server s([](int) {});
      port = s.port();
      http1::connection poke("127.0.0.1", port, {}, 2s); // lets it end
    }
    auto f =
      failure_of([&] { http1::connection c("127.0.0.1", port, {}, 2s); });
    CHECK(f.which() == http1::failure::kind::connect);
    CHECK(std::string(f.what()).find("cannot connect") == 0);
  }
}

TEST_CASE("http1: stop() from another thread ends a quiet stream") {
  std::atomic<bool> done{false};
  raw_server s([&](int fd) {
    read_request(fd);
    send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\none\r\n");
    while (!done)
      std::this_thread::sleep_for(10ms);
  });
  http1::connection c("127.0.0.1", s.port(), {}, 2s);
  c.set_limits(http1::clock::time_point::max(), std::chrono::hours(1));
  c.write(get);
  auto head = c.read_head();
  std::string got;
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    c.stop();
  });
  auto f = failure_of([&] {
    c.read_body(head, false, [&](std::string_view piece) {
      got.append(piece);
      return true;
    });
  });
  CHECK(f.which() == http1::failure::kind::stopped);
  stopper.join();
  done = true;
  CHECK(got == "one");
}
