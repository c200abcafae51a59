// SeriesIndex: the status page's charts as numbers. From the MinuteRing's
// window it gives, for a code or for an alert instance, its errors in each
// of the last MinuteRing::kMinutes minutes (oldest first, the current minute
// last, as counted so far).
//
// An alert instance's series is derived, not kept: the errors of the
// (source, code) pairs one of its rule's conditions' `match` selects whose
// `by` labels (code, source, domain, category) are the instance's, i.e.
// the errors the rule counts, by minute of arrival (an incident rule's
// conditions summed, a pair that two select counted once). The alert engine's own windows are per second and
// only as long as the rule's window, so they cannot show an hour. Codes
// folded past max_unknown_codes have no code of their own: a rule that
// names codes, or an instance by code, does not see them.
//
// Built once per status refresh (at most once a second): cost in proportion
// to the pairs of the last hour, nothing per line. Immutable once built;
// thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert_rule.h"
#include "classify/catalog.h"
#include "status/minute_ring.h"

namespace errpulse {

class SeriesIndex {
 public:
  // `window`: MinuteRing::Window(); `last_minute`: the current minute.
  SeriesIndex(const std::vector<const MinuteCounts*>& window, int64_t last_minute);

  // Errors per minute of `code` ("60007" or "other:<domain>"), all sources.
  std::vector<uint64_t> ForCode(const std::string& code) const;
  // Errors per minute of an alert instance: what any of `matches` selects,
  // among the pairs whose labels named in `by` are the instance's `labels`
  // (as the status page shows them: the `by` labels among others).
  std::vector<uint64_t> ForAlert(const Catalog& catalog,
                                 const std::vector<const AlertMatch*>& matches,
                                 const std::vector<std::string>& by,
                                 const std::map<std::string, std::string>& labels) const;

 private:
  std::vector<uint64_t> Zeros() const { return std::vector<uint64_t>(MinuteRing::kMinutes, 0); }
  // Per (source, code): its errors per minute.
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> by_pair_;
};

}  // namespace errpulse
