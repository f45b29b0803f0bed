#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "tests/kube_emulator/store.hpp"

namespace kube_emulator {

/// Simulates the Deployment, StatefulSet and DaemonSet controllers: after a
/// change the status first shows the new generation observed, then, after
/// the rollout delay, all replicas updated and ready, unless an image tag
/// contains "crashloop" (then nothing becomes ready and a Deployment's
/// progress deadline eventually passes).
class rollout_controller {
public:
  /// With `pods`, completed rollouts also keep a Deployment's ReplicaSet
  /// and everyone's Pods (one simulated node).
  rollout_controller(store& objects, std::chrono::milliseconds delay,
                     bool pods = true);
  ~rollout_controller();

  /// Starts the worker and catches up with workloads already stored.
  void start();
  void stop();

private:
  enum class step { observe, complete, deadline };
  struct job {
    std::string resource;
    std::string key;
    std::string uid;
    std::int64_t generation;
    step what;
  };

  void schedule(const resource_type& type, const json::object& obj);
  void run();
  void perform(const job& j);
  /// ReplicaSet and Pods for a workload as it now is.
  void sync_pods(const std::string& resource, const json::object& owner,
                 bool crash);

  store& store_;
  std::chrono::milliseconds delay_;
  bool pods_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, job> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

} // namespace kube_emulator
