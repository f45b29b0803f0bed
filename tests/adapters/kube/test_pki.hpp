#pragma once

#include <string>

namespace fluxd::test {

struct pem_pair {
  std::string cert;
  std::string key;
};

/// A throwaway PKI for TLS tests: a CA, a server certificate for
/// 127.0.0.1/localhost and a client certificate (CN=admin,
/// O=system:masters), all signed by that CA; plus an unrelated CA.
struct test_pki {
  pem_pair ca;
  pem_pair server;
  pem_pair client;
  pem_pair other_ca;
  pem_pair other_client; ///< signed by other_ca
  static test_pki make();
};

} // namespace fluxd::test
