#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

/// Prometheus metrics: counters, gauges and histograms with labels, rendered
/// in the text exposition format 0.0.4. Thread-safe; metric objects returned
/// by `with()` stay valid for the registry's lifetime, so hot paths keep a
/// reference and pay one atomic operation per update.
namespace fluxd::metrics {

using label_values = std::vector<std::string>;

/// Go client's default histogram buckets.
std::vector<double> default_buckets();

class counter {
public:
  void inc(double v = 1);
  double value() const { return value_.load(); }

private:
  std::atomic<double> value_{0};
};

class gauge {
public:
  void set(double v) { value_.store(v); }
  void add(double v);
  double value() const { return value_.load(); }

private:
  std::atomic<double> value_{0};
};

class histogram {
public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative counts per bound, then the +Inf count; and the sum.
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(); }
  uint64_t count() const { return count_.load(); }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

enum class metric_type { counter, gauge, histogram };

/// A metric name with its help, label names and one child per label values.
template <class Metric>
class family {
public:
  family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> buckets = {})
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      buckets_(std::move(buckets)) {}

  /// The child for these label values (created on first use). Throws
  /// std::invalid_argument when the number of values is wrong.
  Metric& with(const label_values& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return labels_; }

  template <class F>
  void for_each(F&& f) const {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto& [values, metric] : children_)
      f(values, *metric);
  }

private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::vector<double> buckets_;
  mutable std::mutex mtx_;
  std::map<label_values, std::unique_ptr<Metric>> children_;
};

class registry {
public:
  family<counter>& add_counter(const std::string& name,
                               const std::string& help,
                               std::vector<std::string> labels = {});
  family<gauge>& add_gauge(const std::string& name, const std::string& help,
                           std::vector<std::string> labels = {});
  family<histogram>& add_histogram(const std::string& name,
                                   const std::string& help,
                                   std::vector<std::string> labels = {},
                                   std::vector<double> buckets
                                   = default_buckets());

  /// The histogram family `name`, created on first use: for code that may
  /// run more than once against one registry (several HTTP servers).
  family<histogram>& histogram_family(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> labels = {},
                                      std::vector<double> buckets
                                      = default_buckets());

  /// Whether `process_*` metrics (from /proc/self) are included in expose().
  void include_process_metrics(bool on) { process_metrics_ = on; }

  /// The text exposition of every metric, families sorted by name.
  std::string expose() const;

private:
  void check_new(const std::string& name) const;

  mutable std::mutex mtx_;
  bool process_metrics_ = false;
  std::map<std::string, std::unique_ptr<family<counter>>> counters_;
  std::map<std::string, std::unique_ptr<family<gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<family<histogram>>> histograms_;
};

/// The process-wide registry that /metrics serves (with process metrics).
registry& default_registry();

/// Formats a sample value as the Go client does (shortest round-trip).
std::string format_value(double v);

/// Escapes a label value for the text format.
std::string escape_label_value(const std::string& v);

} // namespace fluxd::metrics
