#include "count/container_counts.h"

namespace errpulse {

ContainerTally* ContainerCounts::Find(const ContainerLabels& labels) {
  if (auto it = index_.find(labels.key); it != index_.end()) return &tallies_[it->second];
  if (index_.size() < max_containers_) {
    index_.emplace(labels.key, tallies_.size());
    tallies_.push_back({labels, 0, 0, {}});
    tallies_.back().errors.reserve(kMaxCodesPerContainer);
    return &tallies_.back();
  }
  if (other_ == SIZE_MAX) {
    other_ = tallies_.size();
    tallies_.push_back({MakeContainerLabels("other", "other", "other"), 0, 0, {}});
    tallies_.back().errors.reserve(kMaxCodesPerContainer);
  }
  return &tallies_[other_];
}

}  // namespace errpulse
