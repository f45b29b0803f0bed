#pragma once

/// Type-ID ranges, one CAF type-ID block per protocol file so that areas can
/// add message types without touching each other's blocks:
///
/// | file                      | block          | first id |
/// |---------------------------|----------------|----------|
/// | messages/core.hpp         | fluxd_core     | 200      |
/// | messages/git.hpp          | fluxd_git      | 300      |
/// | messages/cluster.hpp      | fluxd_cluster  | 400      |
/// | messages/registry.hpp     | fluxd_registry | 500      |
/// | messages/automation.hpp   | fluxd_auto     | 600      |
/// | messages/api.hpp          | fluxd_api      | 700      |
/// | messages/sync.hpp         | fluxd_sync     | 800      |
///
/// Atoms need no type ID in CAF 0.17 (they are `atom_constant`s) but are
/// declared inside the blocks with `CAF_ADD_ATOM` for 0.18 compatibility.
/// Every atom text is unique project-wide and at most 10 characters.
namespace fluxd::type_id_range {
inline constexpr unsigned core = 200;
inline constexpr unsigned git = 300;
inline constexpr unsigned cluster = 400;
inline constexpr unsigned registry = 500;
inline constexpr unsigned automation = 600;
inline constexpr unsigned api = 700;
inline constexpr unsigned sync = 800;
} // namespace fluxd::type_id_range
