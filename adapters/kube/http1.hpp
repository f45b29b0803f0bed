#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

/// One HTTP/1.1 connection to the API server, over TLS or plain TCP. Made
/// for the transport's two uses: small request/response exchanges on a
/// kept-alive connection (every apply) and one long chunked response (a
/// watch). The request goes out in one write, and the response is read in
/// 16 KB blocks: cpp-httplib wrote headers and body apart and read header
/// and chunk-size lines a byte per SSL_read, which was most of a first
/// sync's HTTP cost on both sides.
namespace fluxd::kube::http1 {

using clock = std::chrono::steady_clock;

/// What OpenSSL queued on this thread, emptied ("; "-separated).
std::string openssl_errors();

/// True for an IPv4 or IPv6 literal (no SNI, an IP check of the
/// certificate).
bool is_ip_literal(const std::string& host);

/// Why an exchange failed; `what()` says it for people.
class failure : public std::runtime_error {
public:
  enum class kind {
    connect,         ///< refused, unreachable, name not resolved
    connect_timeout, ///< no TCP connection in time
    tls,             ///< handshake or certificate
    write,           ///< the request could not be sent
    read,            ///< closed or reset before the response was complete
    timeout,         ///< the deadline passed while waiting
    stopped,         ///< stop() from another thread
    protocol,        ///< not an HTTP/1.x response
  };
  failure(kind k, const std::string& what) : std::runtime_error(what), k_(k) {}
  kind which() const { return k_; }

private:
  kind k_;
};

struct response_head {
  int status = 0;
  /// Header names in lower case; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  bool chunked = false;
  long long content_length = -1; ///< -1: not given
  bool close = false;            ///< the server ends the connection after

  std::string header(const std::string& lower_name) const;
};

/// Where the TLS checks come from: the context (CA store, client identity,
/// verification on or off) and the name the certificate must carry.
struct tls_target {
  SSL_CTX* context = nullptr; ///< null: plain TCP
  std::string verify_name;    ///< empty: no name check (insecure)
  std::string sni;            ///< empty for IP literals
};

class connection {
public:
  /// Connects (TCP, then the TLS handshake) or throws failure.
  connection(const std::string& host, int port, const tls_target& tls,
             std::chrono::milliseconds connect_timeout);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Bounds what follows: the whole exchange ends by `deadline`, and no
  /// single wait for the server lasts longer than `idle`.
  void set_limits(clock::time_point deadline, std::chrono::milliseconds idle);

  /// Sends a whole request (head and body) in one write.
  void write(std::string_view request);

  /// The status line and headers; 1xx answers are skipped.
  response_head read_head();

  /// The body, piece by piece, to `sink`; false from the sink stops the
  /// read (the connection is then not reusable) and is returned.
  bool read_body(const response_head& head, bool head_request,
                 const std::function<bool(std::string_view)>& sink);

  /// True when the last response left the connection ready for the next.
  bool reusable() const { return reusable_; }

  /// Thread-safe: wakes a blocked read or write, which then fails with
  /// kind::stopped.
  void stop();

private:
  /// Reads more into the buffer; false at a clean end of stream.
  bool fill();
  void wait(short events);
  /// One line without its CRLF.
  std::string read_line();
  bool read_exact(long long n,
                  const std::function<bool(std::string_view)>& sink);
  [[noreturn]] void fail(failure::kind k, const std::string& what);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::vector<char> buf_;
  std::size_t begin_ = 0; ///< unread data is [begin_, end_)
  std::size_t end_ = 0;
  bool reusable_ = true;
  std::atomic<bool> stopped_{false};
  clock::time_point deadline_ = clock::time_point::max();
  std::chrono::milliseconds idle_{std::chrono::hours(24)};
};

} // namespace fluxd::kube::http1
