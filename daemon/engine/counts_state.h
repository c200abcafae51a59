// Conversions between a source's live counts (SourceCounts, indexed by
// catalog position) and their committed form (SourceState, keyed by code), so
// the state file survives catalog changes across upgrades: a code that joins
// the catalog moves from the unknown table into its catalog slot.
//
// Pure functions; thread-compatible.
#pragma once

#include "classify/catalog.h"
#include "count/container_counts.h"
#include "count/source_counts.h"
#include "state/snapshot.h"

namespace errpulse {

// With `since` (the counts of the last commit, for the same catalog),
// by_code and other get only the codes whose counts differ from it, and
// state->codes_partial is set.
void SaveCounts(const Catalog& catalog, const SourceCounts& counts, SourceState* state,
                const SourceCounts* since = nullptr);

// `counts` must be freshly constructed for `catalog`.
void RestoreCounts(const Catalog& catalog, const SourceState& state, SourceCounts* counts);

// The per-container counts of a kubernetes_labels source.
void SaveContainers(const ContainerCounts& counts, SourceState* state);
// `counts` must be fresh; containers past its cap fold into "other".
void RestoreContainers(const SourceState& state, ContainerCounts* counts);

}  // namespace errpulse
