#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "adapters/kube/client.hpp"

/// Flux v1's export (§3.4.8) and the namespace scope every cluster-wide
/// read of fluxd shares (§7.10).
namespace fluxd::kube {

/// The allowed namespaces that exist (each checked with a GET; missing,
/// forbidden or unauthorized ones are skipped), or every namespace when
/// `allowed` is empty. Namespace objects, in `allowed`'s order.
std::vector<boost::json::value>
existing_namespaces(client& c, const std::vector<std::string>& allowed,
                    std::chrono::milliseconds timeout = {});

/// For every namespace of existing_namespaces(): the Namespace object, then
/// every workload of the five kinds (add-ons left out) as the server
/// stores it, apiVersion and kind filled in. Kinds the server does not
/// serve or forbids are skipped, as Flux v1 does. Flux v1 strips no field
/// here (`fluxctl save` does, on its side). Throws kube_error otherwise.
std::string export_cluster(client& c, const std::vector<std::string>& allowed,
                           std::chrono::milliseconds timeout = {});

/// A YAML stream as go-yaml v2 writes one: keys sorted, block style,
/// sequences at their key's indentation, strings quoted only when a plain
/// scalar would read back as something else; documents after the first
/// start with `---`.
std::string to_yaml_stream(const std::vector<boost::json::value>& docs);

} // namespace fluxd::kube
