#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

/// The bodies of the fuzz targets, shared by the libFuzzer programs
/// (FLUXD_FUZZ=ON, clang) and the corpus replay in the normal suite.
/// Each returns normally for any input, or throws violation when an
/// invariant is broken (libFuzzer wrappers turn that into a crash).
namespace fluxd::fuzz {

class violation : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// parse_ref, canonical forms, tag filters and semver on arbitrary text.
void image_ref(const std::uint8_t* data, std::size_t size);
/// Loading a file: never an unexpected exception, bounded by limits.
void loader(const std::uint8_t* data, std::size_t size);
/// Editing the first resource of a file: the result re-parses and only
/// the target changed.
void editor(const std::uint8_t* data, std::size_t size);

} // namespace fluxd::fuzz
