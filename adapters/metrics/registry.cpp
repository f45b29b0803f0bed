#include "adapters/metrics/registry.hpp"

#include <charconv>
#include <cmath>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <unistd.h>

namespace fluxd::metrics {

namespace {

void atomic_add(std::atomic<double>& target, double v) {
  auto cur = target.load();
  while (!target.compare_exchange_weak(cur, cur + v)) {
    // retry with the refreshed value
  }
}

std::string escape_help(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string label_set(const std::vector<std::string>& names,
                      const label_values& values,
                      const std::string& extra_name = {},
                      const std::string& extra_value = {}) {
  if (names.empty() && extra_name.empty())
    return {};
  std::string out = "{";
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (first ? "" : ",") + names[i] + "=\""
           + escape_label_value(values[i]) + "\"";
    first = false;
  }
  if (!extra_name.empty())
    out += (first ? "" : ",") + extra_name + "=\"" + extra_value + "\"";
  return out + "}";
}

void header(std::ostringstream& out, const std::string& name,
            const std::string& help, const char* type) {
  out << "# HELP " << name << " " << escape_help(help) << "\n";
  out << "# TYPE " << name << " " << type << "\n";
}

/// process_* metrics as the Go client's process collector exports them.
void expose_process(std::ostringstream& out) {
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)),
                      std::istreambuf_iterator<char>());
  auto close = content.rfind(')');
  if (close == std::string::npos)
    return;
  std::istringstream fields(content.substr(close + 2));
  std::vector<std::string> f;
  std::string item;
  while (fields >> item)
    f.push_back(item);
  // Field numbers from proc(5), minus the first two (pid, comm).
  if (f.size() < 22)
    return;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double start_ticks = std::stod(f[19]);
  double vsize = std::stod(f[20]);
  double rss = std::stod(f[21]) * page;
  double boot = 0;
  std::ifstream procstat("/proc/stat");
  std::string line;
  while (std::getline(procstat, line))
    if (line.rfind("btime ", 0) == 0)
      boot = std::stod(line.substr(6));
  double open_fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.')
        open_fds += 1;
    closedir(d);
  }
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);

  header(out, "process_cpu_seconds_total",
         "Total user and system CPU time spent in seconds.", "counter");
  out << "process_cpu_seconds_total " << format_value(cpu) << "\n";
  header(out, "process_max_fds", "Maximum number of open file descriptors.",
         "gauge");
  out << "process_max_fds " << format_value(static_cast<double>(lim.rlim_cur))
      << "\n";
  header(out, "process_open_fds", "Number of open file descriptors.", "gauge");
  out << "process_open_fds " << format_value(open_fds) << "\n";
  header(out, "process_resident_memory_bytes",
         "Resident memory size in bytes.", "gauge");
  out << "process_resident_memory_bytes " << format_value(rss) << "\n";
  header(out, "process_start_time_seconds",
         "Start time of the process since unix epoch in seconds.", "gauge");
  out << "process_start_time_seconds "
      << format_value(boot + start_ticks / ticks) << "\n";
  header(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
         "gauge");
  out << "process_virtual_memory_bytes " << format_value(vsize) << "\n";
}

} // namespace

std::vector<double> default_buckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc{})
    return "NaN";
  return std::string(buf, end);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

void counter::inc(double v) {
  if (v < 0)
    throw std::invalid_argument("counter cannot decrease");
  atomic_add(value_, v);
}

void gauge::add(double v) {
  atomic_add(value_, v);
}

histogram::histogram(std::vector<double> upper_bounds)
  : bounds_(std::move(upper_bounds)),
    buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0);
}

void histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i])
    ++i;
  buckets_[i].fetch_add(1);
  atomic_add(sum_, v);
  count_.fetch_add(1);
}

std::vector<uint64_t> histogram::cumulative_counts() const {
  std::vector<uint64_t> out;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load();
    out.push_back(total);
  }
  return out;
}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  if (values.size() != labels_.size())
    throw std::invalid_argument("metric " + name_ + " takes "
                                + std::to_string(labels_.size())
                                + " label values, got "
                                + std::to_string(values.size()));
  std::lock_guard<std::mutex> guard{mtx_};
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, histogram>)
      slot = std::make_unique<histogram>(buckets_);
    else
      slot = std::make_unique<Metric>();
  }
  return *slot;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

void registry::check_new(const std::string& name) const {
  if (counters_.count(name) || gauges_.count(name) || histograms_.count(name))
    throw std::logic_error("metric registered twice: " + name);
}

family<counter>& registry::add_counter(const std::string& name,
                                       const std::string& help,
                                       std::vector<std::string> labels) {
  std::lock_guard<std::mutex> guard{mtx_};
  check_new(name);
  auto& slot = counters_[name];
  slot = std::make_unique<family<counter>>(name, help, std::move(labels));
  return *slot;
}

family<gauge>& registry::add_gauge(const std::string& name,
                                   const std::string& help,
                                   std::vector<std::string> labels) {
  std::lock_guard<std::mutex> guard{mtx_};
  check_new(name);
  auto& slot = gauges_[name];
  slot = std::make_unique<family<gauge>>(name, help, std::move(labels));
  return *slot;
}

family<histogram>& registry::add_histogram(const std::string& name,
                                           const std::string& help,
                                           std::vector<std::string> labels,
                                           std::vector<double> buckets) {
  std::lock_guard<std::mutex> guard{mtx_};
  check_new(name);
  auto& slot = histograms_[name];
  slot = std::make_unique<family<histogram>>(name, help, std::move(labels),
                                             std::move(buckets));
  return *slot;
}

family<histogram>& registry::histogram_family(const std::string& name,
                                              const std::string& help,
                                              std::vector<std::string> labels,
                                              std::vector<double> buckets) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (auto i = histograms_.find(name); i != histograms_.end())
      return *i->second;
  }
  return add_histogram(name, help, std::move(labels), std::move(buckets));
}

std::string registry::expose() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> guard{mtx_};
  // Merge the three maps in name order.
  std::map<std::string, std::function<void()>> writers;
  for (auto& [name, fam] : counters_) {
    auto* f = fam.get();
    writers[name] = [&out, f] {
      header(out, f->name(), f->help(), "counter");
      f->for_each([&](const label_values& v, const counter& c) {
        out << f->name() << label_set(f->label_names(), v) << " "
            << format_value(c.value()) << "\n";
      });
    };
  }
  for (auto& [name, fam] : gauges_) {
    auto* f = fam.get();
    writers[name] = [&out, f] {
      header(out, f->name(), f->help(), "gauge");
      f->for_each([&](const label_values& v, const gauge& g) {
        out << f->name() << label_set(f->label_names(), v) << " "
            << format_value(g.value()) << "\n";
      });
    };
  }
  for (auto& [name, fam] : histograms_) {
    auto* f = fam.get();
    writers[name] = [&out, f] {
      header(out, f->name(), f->help(), "histogram");
      f->for_each([&](const label_values& v, const histogram& h) {
        auto counts = h.cumulative_counts();
        for (size_t i = 0; i < h.bounds().size(); ++i)
          out << f->name() << "_bucket"
              << label_set(f->label_names(), v, "le",
                           format_value(h.bounds()[i]))
              << " " << counts[i] << "\n";
        out << f->name() << "_bucket"
            << label_set(f->label_names(), v, "le", "+Inf") << " "
            << counts.back() << "\n";
        out << f->name() << "_sum" << label_set(f->label_names(), v) << " "
            << format_value(h.sum()) << "\n";
        out << f->name() << "_count" << label_set(f->label_names(), v) << " "
            << counts.back() << "\n";
      });
    };
  }
  for (auto& [name, write] : writers)
    write();
  if (process_metrics_)
    expose_process(out);
  return out.str();
}

registry& default_registry() {
  static registry* r = [] {
    auto* reg = new registry;
    reg->include_process_metrics(true);
    return reg;
  }();
  return *r;
}

} // namespace fluxd::metrics
