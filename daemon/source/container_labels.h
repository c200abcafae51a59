// ContainerLabels: the Kubernetes namespace, pod and container a container
// log file belongs to, read from its path the way kubelet names them:
//   /var/log/containers/<pod>_<namespace>_<container>-<64 hex id>.log
//       (symlinks kubelet keeps into /var/log/pods)
//   /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log[.<rotation>]
// Only the last path components count, so the same files mounted elsewhere
// (a DaemonSet's hostPath under /host) are recognised too. Pod and namespace
// names cannot hold '_' (DNS-1123), which is what makes the names parseable.
//
// Value type and a pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace errpulse {

struct ContainerLabels {
  std::string namespace_name;
  std::string pod;
  std::string container;
  // The three joined (with '\n', which no name holds): a map key.
  std::string key;
};

std::optional<ContainerLabels> ContainerLabelsFromPath(std::string_view path);

// The labels of a container known by its names (with its key).
ContainerLabels MakeContainerLabels(std::string_view namespace_name, std::string_view pod,
                                    std::string_view container);

}  // namespace errpulse
