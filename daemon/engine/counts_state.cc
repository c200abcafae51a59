#include "engine/counts_state.h"

namespace errpulse {

void SaveCounts(const Catalog& catalog, const SourceCounts& counts, SourceState* state,
                const SourceCounts* since) {
  state->lines = counts.lines;
  state->errors = counts.errors;
  state->successes = counts.successes;
  state->unknown_total = counts.unknown_total;
  state->codes_partial = since != nullptr;
  state->by_code.clear();
  state->other.clear();
  // Every code counts an error or a success: neither moved, no code did.
  if (since && counts.errors == since->errors && counts.successes == since->successes) return;
  for (size_t i = 0; i < counts.by_entry.size(); ++i)
    if (counts.by_entry[i] && (!since || counts.by_entry[i] != since->by_entry[i]))
      state->by_code[catalog.entries()[i].code] = counts.by_entry[i];
  // The unknown table only grows at its end.
  for (size_t u = 0; u < counts.unknown.size(); ++u)
    if (!since || u >= since->unknown.size() || counts.unknown[u].second != since->unknown[u].second)
      state->by_code[counts.unknown[u].first] = counts.unknown[u].second;
  for (size_t d = 0; d < counts.other.size(); ++d)
    if (counts.other[d] && (!since || counts.other[d] != since->other[d]))
      state->other[std::string(kRangeDomains[d])] = counts.other[d];
}

void RestoreCounts(const Catalog& catalog, const SourceState& state, SourceCounts* counts) {
  counts->lines = state.lines;
  counts->errors = state.errors;
  counts->successes = state.successes;
  counts->unknown_total = state.unknown_total;
  for (const auto& [code, n] : state.by_code) {
    const int index = catalog.IndexOf(code);
    if (index >= 0) {
      counts->by_entry[index] += n;
    } else if (counts->unknown.size() < static_cast<size_t>(counts->max_unknown)) {
      counts->unknown.emplace_back(code, n);
    } else {
      counts->other[RangeDomainIndex(code)] += n;
    }
  }
  for (const auto& [domain, n] : state.other) {
    for (size_t d = 0; d < kRangeDomains.size(); ++d)
      if (kRangeDomains[d] == domain) counts->other[d] += n;
  }
}

void SaveContainers(const ContainerCounts& counts, SourceState* state) {
  state->containers.clear();
  for (const auto& t : counts.tallies()) {
    ContainerState c{t.labels.namespace_name, t.labels.pod, t.labels.container, t.lines,
                     t.successes, {}};
    for (const auto& [code, n] : t.errors) c.by_code[code] = n;
    state->containers.push_back(std::move(c));
  }
}

void RestoreContainers(const SourceState& state, ContainerCounts* counts) {
  for (const auto& c : state.containers) {
    ContainerTally* tally = counts->Find(MakeContainerLabels(c.namespace_name, c.pod, c.container));
    tally->lines += c.lines;
    tally->successes += c.successes;
    for (const auto& [code, n] : c.by_code) tally->AddErrors(code, n);
  }
}

}  // namespace errpulse
