#pragma once

#include <string>

namespace fluxd::test {

/// A one-replica Deployment in namespace `demo` with one container `app`;
/// `annotations` are lines already indented by four spaces.
inline std::string demo_deployment(const std::string& name,
                                   const std::string& image,
                                   const std::string& annotations = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "\n  namespace: demo\n"
         + (annotations.empty() ? "" : "  annotations:\n" + annotations)
         + "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: "
         + name + "\n  template:\n    metadata:\n      labels:\n        app: "
         + name + "\n    spec:\n      containers:\n      - name: app\n"
         + "        image: " + image + "\n";
}

} // namespace fluxd::test
