/// kube-emulator-load: measures requests per second against a running
/// kube-emulator, optionally with many open watches.
///
///   kube-emulator-load KUBECONFIG [--threads 4] [--seconds 5]
///                      [--watches 0] [--writes-percent 10]
///
/// Reads the server URL from the kubeconfig and the CA/token from the files
/// the emulator writes beside it (KUBECONFIG.ca.crt, KUBECONFIG.token).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<httplib::SSLClient> client(int port, const std::string& ca,
                                           const std::string& token) {
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  c->set_ca_cert_path(ca.c_str());
  c->enable_server_certificate_verification(true);
  c->set_bearer_token_auth(token.c_str());
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  return c;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kube-emulator-load KUBECONFIG [--threads N] "
                         "[--seconds N] [--watches N] [--writes-percent N]\n");
    return 2;
  }
  std::string kc = argv[1];
  int threads = 4, seconds = 5, watches = 0, writes = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::stoi(argv[i + 1]);
    if (a == "--threads")
      threads = v;
    else if (a == "--seconds")
      seconds = v;
    else if (a == "--watches")
      watches = v;
    else if (a == "--writes-percent")
      writes = v;
  }
  auto cfg = slurp(kc);
  auto at = cfg.find("server: https://127.0.0.1:");
  if (at == std::string::npos) {
    std::fprintf(stderr, "no 127.0.0.1 server in %s\n", kc.c_str());
    return 1;
  }
  int port = std::stoi(cfg.substr(at + 26));
  auto ca = kc + ".ca.crt";
  auto token = slurp(kc + ".token");
  const std::string cms = "/api/v1/namespaces/default/configmaps";

  auto setup = client(port, ca, token);
  for (int i = 0; i < 100; ++i)
    setup->Post(
        cms.c_str(),
        "{\"metadata\":{\"name\":\"load" + std::to_string(i)
            + "\",\"labels\":{\"app\":\"load\"}},\"data\":{\"a\":\"1\"}}",
        "application/json");

  std::atomic<bool> stop{false};
  std::atomic<long> watch_events{0};
  std::vector<std::thread> watchers;
  for (int i = 0; i < watches; ++i)
    watchers.emplace_back([&] {
      auto c = client(port, ca, token);
      c->set_read_timeout(seconds + 30, 0);
      auto rv = std::string("0");
      c->Get((cms + "?watch=true&timeoutSeconds=" + std::to_string(seconds + 5))
                 .c_str(),
             [&](const char* d, size_t n) {
               for (size_t k = 0; k < n; ++k)
                 watch_events += d[k] == '\n';
               return !stop;
             });
    });

  std::atomic<long> ok{0}, failed{0};
  std::vector<std::thread> workers;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto c = client(port, ca, token);
      long n = 0;
      while (!stop) {
        auto name = "load" + std::to_string((n * 7 + t) % 100);
        auto call = [&]() -> httplib::Result {
          if (static_cast<int>(n % 100) < writes)
            return c->Patch((cms + "/" + name + "?fieldManager=load").c_str(),
                            "{\"data\":{\"a\":\"" + std::to_string(n) + "\"}}",
                            "application/merge-patch+json");
          if (n % 10 == 9)
            return c->Get((cms + "?labelSelector=app%3Dload&limit=20").c_str());
          return c->Get((cms + "/" + name).c_str());
        };
        auto r = call();
        if (r && r->status == 200)
          ++ok;
        else
          ++failed;
        ++n;
      }
    });
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers)
    w.join();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // Wake the watchers so they see `stop`.
  setup->Patch((cms + "/load0").c_str(), "{\"data\":{\"a\":\"end\"}}",
               "application/merge-patch+json");
  for (auto& w : watchers)
    w.join();
  std::printf("threads=%d watches=%d writes=%d%% requests=%ld failed=%ld "
              "seconds=%.2f rps=%.0f watch_events=%ld\n",
              threads, watches, writes, ok.load(), failed.load(), secs,
              ok / secs, watch_events.load());
  return failed == 0 ? 0 : 1;
}
