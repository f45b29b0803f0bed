#pragma once

#include <string>

namespace fluxd::test {

/// A fresh directory under $TMPDIR, removed with everything in it on scope exit.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "fluxd-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& relative) const {
    return path_ + "/" + relative;
  }

private:
  std::string path_;
};

/// Writes `content` to `path`, creating parent directories.
void write_file(const std::string& path, const std::string& content);

/// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string& path);

} // namespace fluxd::test
