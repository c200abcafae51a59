// ContainerCounts: a source's counts per Kubernetes container (namespace,
// pod, container from the log file's name, see source/container_labels.h), for
// sources with `kubernetes_labels: true`, so a per-pod dashboard needs no
// relabelling. They are exported as their own families
// (errpulse_container_lines_total, errpulse_container_errors_total) beside
// the source's totals, so sum(errpulse_errors_total) still counts each line
// once.
//
// Bounded like the unknown-code table: at most `max_containers` containers
// per source get their own tally; lines of further containers are folded
// into one tally labelled "other" (namespace, pod and container), and each
// tally keeps at most kMaxCodesPerContainer distinct codes, the rest under
// code "other". Pods come and go, so the cap is what keeps a busy node's
// series count flat.
//
// Owned and mutated by the pipeline thread; not thread-safe. Find() is
// called once per chunk (a map lookup, no allocation once a container is
// known); Record() once per match.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "source/container_labels.h"

namespace errpulse {

inline constexpr size_t kMaxCodesPerContainer = 64;
inline constexpr int64_t kOtherCode = INT64_MIN;  // the codes past the per-container cap

struct ContainerTally {
  ContainerLabels labels;
  uint64_t lines = 0;
  uint64_t successes = 0;
  std::vector<std::pair<int64_t, uint64_t>> errors;  // code -> count, capped

  // One matched line: a success (code 0) or an error.
  void Record(int64_t code) {
    if (code == 0) {
      ++successes;
    } else {
      AddErrors(code, 1);
    }
  }
  // `n` errors with `code` (kOtherCode: past the cap). No allocation: the
  // table was reserved for the cap.
  void AddErrors(int64_t code, uint64_t n) {
    auto add_to_slot = [&](int64_t slot) {
      for (auto& [known, count] : errors) {
        if (known == slot) {
          count += n;
          return true;
        }
      }
      return false;
    };
    if (add_to_slot(code)) return;
    // The last slot is kept for "other".
    if (code != kOtherCode && errors.size() + 1 >= kMaxCodesPerContainer) {
      code = kOtherCode;
      if (add_to_slot(code)) return;
    }
    errors.emplace_back(code, n);
  }
};

class ContainerCounts {
 public:
  explicit ContainerCounts(size_t max_containers) : max_containers_(max_containers) {}

  // The tally of `labels`' container: its own while fewer than
  // max_containers exist, else the "other" one.
  ContainerTally* Find(const ContainerLabels& labels);
  const std::vector<ContainerTally>& tallies() const { return tallies_; }

 private:
  size_t max_containers_;
  std::vector<ContainerTally> tallies_;
  std::map<std::string, size_t> index_;  // labels.key -> tallies_ index
  size_t other_ = SIZE_MAX;              // the "other" tally, once needed
};

}  // namespace errpulse
