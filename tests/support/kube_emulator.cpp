#include "tests/support/kube_emulator.hpp"

#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace fluxd::test {

kube_emulator::kube_emulator(std::string kubeconfig_path, options opts)
    : kubeconfig_(std::move(kubeconfig_path)), opts_(std::move(opts)) {
  port_ = opts_.port;
  start();
}

kube_emulator::~kube_emulator() = default;

void kube_emulator::start() {
  std::vector<std::string> argv = {bin_path("kube-emulator"),
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--kubeconfig-out",
                                   kubeconfig_,
                                   "--auth",
                                   opts_.auth,
                                   "--rollout-delay",
                                   opts_.rollout_delay};
  if (!opts_.state_dir.empty()) {
    argv.push_back("--state");
    argv.push_back(opts_.state_dir);
  }
  argv.insert(argv.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  proc_ = std::make_unique<child_process>(argv);
  const std::string marker = "kube-emulator listening on ";
  if (!proc_->wait_for_output(marker, std::chrono::seconds(20)))
    throw std::runtime_error("kube-emulator did not start: "
                             + proc_->stderr_text());
  auto out = proc_->stdout_text();
  auto at = out.find(marker) + marker.size();
  url_ = out.substr(at, out.find('\n', at) - at);
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

std::string kube_emulator::token() const {
  return read_file(kubeconfig_ + ".token");
}

int kube_emulator::stop() {
  return proc_->stop(std::chrono::seconds(10));
}

void kube_emulator::restart() {
  if (proc_->running())
    stop();
  start();
}

} // namespace fluxd::test
