#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <openssl/ssl.h>

#include "adapters/kube/config.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/spdy.hpp"

/// Port-forwarding through the API server as kubectl 1.31+ does it: a
/// WebSocket on pods/<name>/portforward with the subprotocol
/// "SPDY/3.1+portforward.k8s.io", carrying SPDY/3.1 frames; per forwarded
/// connection an "error" and a "data" stream (headers streamtype, port,
/// requestid). The tunnel loop serves both ends (the emulator uses it too).
namespace fluxd::kube {

inline constexpr const char* portforward_protocol =
    "SPDY/3.1+portforward.k8s.io";

/// The tunnel could not be opened (connect, TLS, upgrade); names the pod.
class portforward_error : public kube_error {
public:
  using kube_error::kube_error;
};

/// A connected byte stream: TLS when `ssl` is set, else the plain socket.
/// Does not own the socket or the SSL.
struct byte_channel {
  int fd = -1;
  SSL* ssl = nullptr;
  /// Bytes read (0 at EOF, -1 on error); blocks for at least one byte.
  long read(char* buf, std::size_t n);
  bool write_all(std::string_view bytes);
  bool pending() const { return ssl && SSL_pending(ssl) > 0; }
};

/// The WebSocket+SPDY session loop on one thread: demultiplexes streams to
/// local sockets and back. Hooks run on that thread.
class portforward_tunnel {
public:
  portforward_tunnel(byte_channel ch, bool client);
  ~portforward_tunnel();

  /// Server: a SYN_STREAM arrived (reply and attach from here).
  std::function<void(const spdy::frame&)> on_syn_stream;
  /// Data on a stream with no socket (the error streams), with FIN.
  std::function<void(std::uint32_t stream, std::string_view, bool fin)>
      on_unattached_data;
  /// Client: a listening socket, and what to do with each accepted one.
  int listen_fd = -1;
  std::function<void(int fd)> on_accept;

  spdy::codec& codec() { return codec_; }
  /// Sends SPDY bytes as one WebSocket binary message.
  void send(const std::string& spdy_bytes);
  /// Pipes stream <-> fd; the tunnel closes fd when both sides are done.
  void attach(std::uint32_t stream, int fd);
  /// Ends a stream from this side (FIN).
  void finish(std::uint32_t stream);
  /// Resets a stream (RST_STREAM CANCEL) and closes its socket now.
  void abort(std::uint32_t stream);

  /// Runs until the peer closes, an error, or `stop` becomes true.
  /// Returns the reason it ended ("" for a clean close or stop).
  std::string run(const std::atomic<bool>& stop);

private:
  struct stream_state {
    int fd = -1;
    bool local_eof = false;
    bool remote_fin = false;
  };
  void on_frame(const spdy::frame& f);
  void drop(std::uint32_t stream);
  void close_if_done(std::uint32_t stream);

  byte_channel ch_;
  bool client_;
  bool closed_ = false;
  spdy::codec codec_;
  std::map<std::uint32_t, stream_state> streams_;
};

/// A local listener on 127.0.0.1 forwarding to a pod's port through the
/// API server; runs on its own thread until destroyed.
class port_forward {
public:
  /// Connects and upgrades now; throws kube_error (api_error for an HTTP
  /// answer other than 101, naming the pod) when it cannot.
  port_forward(const rest_config& cfg, const std::string& ns,
               const std::string& pod, int remote_port);
  ~port_forward();
  port_forward(const port_forward&) = delete;
  port_forward& operator=(const port_forward&) = delete;

  int local_port() const { return local_port_; }
  /// Error text the pod side sent for a connection ("" if none).
  std::string last_error() const;

private:
  struct connection;
  std::unique_ptr<connection> conn_;
  std::unique_ptr<portforward_tunnel> tunnel_;
  int listen_fd_ = -1;
  int local_port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace fluxd::kube
