#include "source/container_labels.h"

#include <algorithm>
#include <cctype>

namespace errpulse {
namespace {

// The path's components from the end: [0] is the file name.
std::string_view Component(std::string_view path, int from_end) {
  for (;;) {
    const size_t slash = path.rfind('/');
    const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (from_end == 0) return last;
    if (slash == std::string_view::npos) return {};
    path = path.substr(0, slash);
    --from_end;
  }
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// <pod>_<namespace>_<container>-<64 hex>.log
std::optional<ContainerLabels> FromContainersName(std::string_view name) {
  constexpr std::string_view kLog = ".log";
  if (name.size() < kLog.size() + 65 || name.substr(name.size() - kLog.size()) != kLog)
    return std::nullopt;
  const std::string_view stem = name.substr(0, name.size() - kLog.size());
  const std::string_view id = stem.substr(stem.size() - 64);
  if (!IsHex(id) || stem[stem.size() - 65] != '-') return std::nullopt;
  const std::string_view rest = stem.substr(0, stem.size() - 65);  // pod_namespace_container
  const size_t first = rest.find('_');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = rest.find('_', first + 1);
  if (second == std::string_view::npos || first == 0 || second == first + 1 ||
      second + 1 >= rest.size())
    return std::nullopt;
  return MakeContainerLabels(rest.substr(first + 1, second - first - 1), rest.substr(0, first),
                             rest.substr(second + 1));
}

// <namespace>_<pod>_<uid>/<container>/<restart>.log[.<rotation>]
std::optional<ContainerLabels> FromPodsTree(std::string_view path) {
  const std::string_view file = Component(path, 0);
  const size_t dot = file.find(".log");
  if (dot == std::string_view::npos || !IsDigits(file.substr(0, dot))) return std::nullopt;
  const std::string_view container = Component(path, 1);
  const std::string_view pod_dir = Component(path, 2);
  const size_t first = pod_dir.find('_');
  if (container.empty() || first == std::string_view::npos || first == 0) return std::nullopt;
  const size_t second = pod_dir.find('_', first + 1);
  if (second == std::string_view::npos || second == first + 1 || second + 1 >= pod_dir.size())
    return std::nullopt;
  return MakeContainerLabels(pod_dir.substr(0, first),
                             pod_dir.substr(first + 1, second - first - 1), container);
}

}  // namespace

ContainerLabels MakeContainerLabels(std::string_view namespace_name, std::string_view pod,
                                    std::string_view container) {
  ContainerLabels labels{std::string(namespace_name), std::string(pod), std::string(container), {}};
  labels.key = labels.namespace_name + "\n" + labels.pod + "\n" + labels.container;
  return labels;
}

std::optional<ContainerLabels> ContainerLabelsFromPath(std::string_view path) {
  if (auto labels = FromContainersName(Component(path, 0))) return labels;
  return FromPodsTree(path);
}

}  // namespace errpulse
