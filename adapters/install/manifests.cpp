#include "adapters/install/manifests.hpp"

namespace fluxd::install {

namespace {

std::string account(const parameters& p) {
  return "---\n"
         "# The service account, cluster roles, and cluster role binding "
         "are\n# only needed for Kubernetes with role-based access control "
         "(RBAC).\n"
         "apiVersion: v1\n"
         "kind: ServiceAccount\n"
         "metadata:\n"
         "  labels:\n"
         "    name: flux\n"
         "  name: flux\n"
         "  namespace: "
         + p.namespace_
         + "\n"
           "---\n"
           "apiVersion: rbac.authorization.k8s.io/v1\n"
           "kind: ClusterRole\n"
           "metadata:\n"
           "  labels:\n"
           "    name: flux\n"
           "  name: flux\n"
           "rules:\n"
           "  - apiGroups: ['*']\n"
           "    resources: ['*']\n"
           "    verbs: ['*']\n"
           "  - nonResourceURLs: ['*']\n"
           "    verbs: ['*']\n"
           "---\n"
           "apiVersion: rbac.authorization.k8s.io/v1\n"
           "kind: ClusterRoleBinding\n"
           "metadata:\n"
           "  labels:\n"
           "    name: flux\n"
           "  name: flux\n"
           "roleRef:\n"
           "  apiGroup: rbac.authorization.k8s.io\n"
           "  kind: ClusterRole\n"
           "  name: flux\n"
           "subjects:\n"
           "  - kind: ServiceAccount\n"
           "    name: flux\n"
           "    namespace: "
         + p.namespace_ + "\n";
}

std::string deployment(const parameters& p) {
  std::string args;
  auto arg = [&args](const std::string& a) { args += "        - " + a + "\n"; };
  if (p.registry_disable_scanning)
    arg("--registry-disable-scanning");
  else
    arg("--memcached-service=");
  arg("--ssh-keygen-dir=/var/fluxd/keygen");
  arg("--git-url=" + p.git_url);
  arg("--git-branch=" + p.git_branch);
  for (auto& path : p.git_paths)
    arg("--git-path=" + path);
  arg("--git-label=" + p.git_label);
  arg("--git-user=" + p.git_user);
  arg("--git-email=" + p.git_email);
  if (p.git_readonly)
    arg("--git-readonly");
  if (p.manifest_generation)
    arg("--manifest-generation=true");
  arg("--listen-metrics=:3031");
  return "---\n"
         "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: flux\n"
         "  namespace: "
         + p.namespace_
         + "\n"
           "spec:\n"
           "  replicas: 1\n"
           "  selector:\n"
           "    matchLabels:\n"
           "      name: flux\n"
           "  strategy:\n"
           "    type: Recreate\n"
           "  template:\n"
           "    metadata:\n"
           "      annotations:\n"
           "        prometheus.io/port: \"3031\"\n"
           "      labels:\n"
           "        name: flux\n"
           "    spec:\n"
           "      nodeSelector:\n"
           "        beta.kubernetes.io/os: linux\n"
           "      serviceAccountName: flux\n"
           "      volumes:\n"
           "      - name: git-key\n"
           "        secret:\n"
           "          secretName: flux-git-deploy\n"
           "          defaultMode: 0400\n"
           "      - name: git-keygen\n"
           "        emptyDir:\n"
           "          medium: Memory\n"
           "      containers:\n"
           "      - name: flux\n"
           "        image: "
         + p.image
         + "\n"
           "        imagePullPolicy: IfNotPresent\n"
           "        resources:\n"
           "          requests:\n"
           "            cpu: 50m\n"
           "            memory: 64Mi\n"
           "        ports:\n"
           "        - containerPort: 3030\n"
           "        livenessProbe:\n"
           "          httpGet:\n"
           "            port: 3030\n"
           "            path: /api/flux/v6/identity.pub\n"
           "          initialDelaySeconds: 5\n"
           "          timeoutSeconds: 5\n"
           "        readinessProbe:\n"
           "          httpGet:\n"
           "            port: 3030\n"
           "            path: /api/flux/v6/identity.pub\n"
           "          initialDelaySeconds: 5\n"
           "          timeoutSeconds: 5\n"
           "        volumeMounts:\n"
           "        - name: git-key\n"
           "          mountPath: /etc/fluxd/ssh\n"
           "          readOnly: true\n"
           "        - name: git-keygen\n"
           "          mountPath: /var/fluxd/keygen\n"
           "        args:\n"
         + args;
}

std::string secret(const parameters& p) {
  return "---\n"
         "apiVersion: v1\n"
         "kind: Secret\n"
         "metadata:\n"
         "  name: flux-git-deploy\n"
         "  namespace: "
         + p.namespace_
         + "\n"
           "type: Opaque\n";
}

std::string memcache_dep(const parameters& p) {
  std::string security;
  if (p.add_security_context)
    security = "        securityContext:\n"
               "          runAsUser: 11211\n"
               "          runAsGroup: 11211\n"
               "          allowPrivilegeEscalation: false\n";
  return "---\n"
         "# memcached deployment used by Flux to cache\n"
         "# container image metadata.\n"
         "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: memcached\n"
         "  namespace: "
         + p.namespace_
         + "\n"
           "spec:\n"
           "  replicas: 1\n"
           "  selector:\n"
           "    matchLabels:\n"
           "      name: memcached\n"
           "  template:\n"
           "    metadata:\n"
           "      labels:\n"
           "        name: memcached\n"
           "    spec:\n"
           "      nodeSelector:\n"
           "        beta.kubernetes.io/os: linux\n"
           "      containers:\n"
           "      - name: memcached\n"
           "        image: "
         + p.memcached_image
         + "\n"
           "        imagePullPolicy: IfNotPresent\n"
           "        args:\n"
           "        - -m 512   # Maximum memory to use, in megabytes\n"
           "        - -I 5m    # Maximum size for one item\n"
           "        - -p 11211 # Default port\n"
           "        # - -vv    # Uncomment to get logs of each request and "
           "response.\n"
           "        ports:\n"
           "        - name: clients\n"
           "          containerPort: 11211\n"
         + security;
}

std::string memcache_svc(const parameters& p) {
  return "---\n"
         "apiVersion: v1\n"
         "kind: Service\n"
         "metadata:\n"
         "  name: memcached\n"
         "  namespace: "
         + p.namespace_
         + "\n"
           "spec:\n"
           "  ports:\n"
           "    - name: memcached\n"
           "      port: 11211\n"
           "  selector:\n"
           "    name: memcached\n";
}

} // namespace

std::vector<std::pair<std::string, std::string>> render(const parameters& p) {
  if (p.git_url.empty())
    throw parameter_error("please supply a valid --git-url argument");
  if (p.git_email.empty())
    throw parameter_error("please supply a valid --git-email argument");
  std::vector<std::pair<std::string, std::string>> files = {
      {"flux-account.yaml", account(p)},
      {"flux-deployment.yaml", deployment(p)},
      {"flux-secret.yaml", secret(p)}};
  if (!p.registry_disable_scanning) {
    files.push_back({"memcache-dep.yaml", memcache_dep(p)});
    files.push_back({"memcache-svc.yaml", memcache_svc(p)});
  }
  return files;
}

} // namespace fluxd::install
