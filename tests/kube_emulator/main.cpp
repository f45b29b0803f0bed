/// kube-emulator: a Kubernetes API server for tests, benchmarks and the demo.
///
///   kube-emulator --listen 127.0.0.1:0 --kubeconfig-out FILE
///                 [--auth token|cert] [--state DIR] [--rollout-delay 1s]
///                 [--watch-cache-size N] [--bookmark-interval 5s]
///                 [--simulate-pods true|false] [--log-requests]
///
/// Prints "kube-emulator listening on https://HOST:PORT" once it serves.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <thread>

#include <openssl/rand.h>

#include "adapters/log/log.hpp"
#include "adapters/tls/cert_authority.hpp"
#include "tests/kube_emulator/controller.hpp"
#include "tests/kube_emulator/server.hpp"

namespace {

using namespace kube_emulator;
namespace tls = fluxd::tls;

struct flags {
  std::string listen = "127.0.0.1:0";
  std::string kubeconfig_out;
  std::string auth = "token";
  std::string state_dir;
  std::chrono::milliseconds rollout_delay{1000};
  std::chrono::milliseconds bookmark_interval{5000};
  std::size_t watch_cache_size = 10000;
  bool log_requests = false;
  bool simulate_pods = true;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "kube-emulator: " << why << "\n"
            << "usage: kube-emulator --listen HOST:PORT --kubeconfig-out FILE "
               "[--auth token|cert] [--state DIR] [--rollout-delay D] "
               "[--watch-cache-size N] [--bookmark-interval D] "
               "[--simulate-pods true|false] [--log-requests]\n";
  std::exit(2);
}

/// "1s", "500ms", "2m", "0".
std::chrono::milliseconds parse_duration(const std::string& flag,
                                         const std::string& text) {
  size_t pos = 0;
  double n = 0;
  try {
    n = std::stod(text, &pos);
  } catch (const std::exception&) {
    usage(flag + ": not a duration: " + text);
  }
  auto unit = text.substr(pos);
  double ms = unit == "ms"                  ? n
              : unit == "s" || unit.empty() ? n * 1000
              : unit == "m"                 ? n * 60000
                                            : -1;
  if (ms < 0)
    usage(flag + ": not a duration: " + text);
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

flags parse_flags(int argc, char** argv) {
  flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--log-requests") {
      if (i + 1 >= argc)
        usage(arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--listen")
      f.listen = value;
    else if (arg == "--kubeconfig-out")
      f.kubeconfig_out = value;
    else if (arg == "--auth")
      f.auth = value;
    else if (arg == "--state")
      f.state_dir = value;
    else if (arg == "--rollout-delay")
      f.rollout_delay = parse_duration(arg, value);
    else if (arg == "--bookmark-interval")
      f.bookmark_interval = parse_duration(arg, value);
    else if (arg == "--watch-cache-size")
      f.watch_cache_size = std::stoul(value);
    else if (arg == "--simulate-pods")
      f.simulate_pods = value != "false" && value != "0";
    else if (arg == "--log-requests")
      f.log_requests = true;
    else
      usage("unknown flag " + arg);
  }
  if (f.kubeconfig_out.empty())
    usage("--kubeconfig-out is required");
  if (f.auth != "token" && f.auth != "cert")
    usage("--auth must be token or cert");
  return f;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return {};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_file(const std::string& path, const std::string& content,
                mode_t mode = 0600) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out)
      throw std::runtime_error("kube-emulator: cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), mode);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("kube-emulator: cannot write " + path);
}

struct credentials {
  tls::cert_and_key ca, serving, client;
  std::string token;
};

std::string random_token() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof bytes);
  std::string out;
  char buf[3];
  for (auto b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

/// The CA, serving and client certificates and the token; kept in the state
/// directory so a restarted emulator accepts the same kubeconfig.
credentials make_credentials(const std::string& state_dir) {
  credentials c;
  std::string pki = state_dir.empty() ? "" : state_dir + "/pki";
  if (!pki.empty()) {
    c.ca = {read_file(pki + "/ca.crt"), read_file(pki + "/ca.key")};
    c.serving = {read_file(pki + "/server.crt"),
                 read_file(pki + "/server.key")};
    c.client = {read_file(pki + "/client.crt"), read_file(pki + "/client.key")};
    c.token = read_file(pki + "/token");
    if (!c.ca.cert_pem.empty() && !c.serving.key_pem.empty()
        && !c.client.key_pem.empty() && !c.token.empty())
      return c;
  }
  c.ca = tls::make_ca("kube-emulator-ca");
  tls::cert_request server;
  server.common_name = "kube-apiserver";
  server.dns_names = {"localhost", "kubernetes", "kubernetes.default",
                      "kubernetes.default.svc"};
  server.ip_addresses = {"127.0.0.1", "::1"};
  server.server = true;
  c.serving = tls::issue(c.ca, server);
  tls::cert_request client;
  client.common_name = "admin";
  client.organizations = {"system:masters"};
  client.client = true;
  c.client = tls::issue(c.ca, client);
  c.token = random_token();
  if (!pki.empty()) {
    ::mkdir(state_dir.c_str(), 0755);
    ::mkdir(pki.c_str(), 0700);
    write_file(pki + "/ca.crt", c.ca.cert_pem);
    write_file(pki + "/ca.key", c.ca.key_pem);
    write_file(pki + "/server.crt", c.serving.cert_pem);
    write_file(pki + "/server.key", c.serving.key_pem);
    write_file(pki + "/client.crt", c.client.cert_pem);
    write_file(pki + "/client.key", c.client.key_pem);
    write_file(pki + "/token", c.token);
  }
  return c;
}

/// A kubeconfig with both users (token and cert); the current context is
/// the one --auth accepts. The PEM files and the token also go beside it
/// (FILE.ca.crt, FILE.client.crt, FILE.client.key, FILE.token) for the
/// kubeconfig forms that name files.
void write_kubeconfig(const std::string& path, const std::string& server,
                      const credentials& c, const std::string& auth) {
  std::ostringstream out;
  out << "apiVersion: v1\nkind: Config\n"
      << "clusters:\n- name: kube-emulator\n  cluster:\n"
      << "    server: " << server << "\n"
      << "    certificate-authority-data: " << tls::base64_encode(c.ca.cert_pem)
      << "\n"
      << "users:\n- name: token\n  user:\n    token: " << c.token << "\n"
      << "- name: cert\n  user:\n"
      << "    client-certificate-data: "
      << tls::base64_encode(c.client.cert_pem) << "\n"
      << "    client-key-data: " << tls::base64_encode(c.client.key_pem) << "\n"
      << "contexts:\n"
      << "- name: token\n  context:\n    cluster: kube-emulator\n"
      << "    user: token\n    namespace: default\n"
      << "- name: cert\n  context:\n    cluster: kube-emulator\n"
      << "    user: cert\n    namespace: default\n"
      << "current-context: " << auth << "\n";
  write_file(path + ".ca.crt", c.ca.cert_pem, 0644);
  write_file(path + ".client.crt", c.client.cert_pem);
  write_file(path + ".client.key", c.client.key_pem);
  write_file(path + ".token", c.token);
  write_file(path, out.str());
}

} // namespace

int main(int argc, char** argv) {
  // Every write makes a new object and frees an old version on another
  // thread; glibc's default trims a thread arena's heap as soon as 128 KiB
  // are free at its top and grows it again on the next write (a page
  // fault per page). Keeping freed memory for reuse costs no CPU.
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) {
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
  }
  auto f = parse_flags(argc, argv);
  fluxd::log::logger log{"kube-emulator"};

  // Signals go to one thread that stops the server; block them everywhere
  // else before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    auto creds = make_credentials(f.state_dir);
    store::options sopts;
    if (!f.state_dir.empty()) {
      ::mkdir(f.state_dir.c_str(), 0755);
      sopts.state_file = f.state_dir + "/objects.json";
    }
    sopts.event_log_size = std::max<std::size_t>(f.watch_cache_size, 1);
    store objects{sopts};
    rollout_controller controller{objects, f.rollout_delay, f.simulate_pods};
    controller.start();

    server_config cfg;
    auto colon = f.listen.rfind(':');
    if (colon == std::string::npos)
      usage("--listen must be HOST:PORT");
    cfg.host = f.listen.substr(0, colon);
    cfg.port = std::stoi(f.listen.substr(colon + 1));
    cfg.auth = f.auth;
    cfg.token = creds.token;
    cfg.ca = creds.ca;
    cfg.serving = creds.serving;
    cfg.bookmark_interval = f.bookmark_interval;
    cfg.log_requests = f.log_requests;
    api_server server{objects, cfg};
    int port = server.bind();
    std::string host = cfg.host.find(':') != std::string::npos
                           ? "[" + cfg.host + "]"
                           : cfg.host;
    std::string url = "https://" + host + ":" + std::to_string(port);
    write_kubeconfig(f.kubeconfig_out, url, creds, f.auth);

    std::atomic<bool> done{false};
    std::thread([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      log.info("stopping", {{"signal", sig}});
      objects.shut_down();
      server.stop();
    }).detach();
    std::thread saver([&] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        try {
          objects.reap_namespaces();
          objects.save();
        } catch (const std::exception& e) {
          log.error("saving state failed", {{"err", e.what()}});
        }
      }
    });

    log.info("listening", {{"url", url}, {"auth", f.auth}});
    std::printf("kube-emulator listening on %s\n", url.c_str());
    std::fflush(stdout);
    server.run();

    done = true;
    controller.stop();
    objects.shut_down();
    saver.join();
    objects.save();
    log.info("stopped");
    std::fflush(stdout);
    std::fflush(stderr);
    // Connection threads may still sit in httplib's keep-alive wait, which
    // only ends at its timeout: leave without destroying what they use.
    std::_Exit(0);
  } catch (const std::exception& e) {
    log.error("fatal", {{"err", e.what()}});
    return 1;
  }
}
