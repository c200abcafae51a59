// StateEntries: a Snapshot as a flat set of small (key, value) byte strings,
// so that a commit can write only the entries that changed (see
// state_journal.h) instead of everything errpulse knows.
//
// The granularity follows what changes together: a source's four counts are
// one entry, each code's count another, a followed file's position (offset)
// one and its identity (fingerprint, format) another, each second of an
// alert window one. A trickle of lines into one of a thousand files thus
// changes a handful of entries of a few bytes each.
//
// Entries come in groups: the top level, each source (with its files and
// containers), each source's code counts, each alert instance. A snapshot
// taken for a commit may mark a source or an alert instance `unchanged`: it
// is then one empty group flagged so, and the journal keeps what it had; and
// a source's code counts may be partial (only the codes that moved).
//
// Keys and values use varint.h's encoding. Entry order carries no meaning;
// the order of a source's files (which restarts replay in) is an entry of
// its own.
//
// Pure functions; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "state/snapshot.h"

namespace errpulse {

// How the entries of a group relate to what the group held before.
enum class GroupMode {
  kComplete,   // every entry of the group follows; others it had are gone
  kUnchanged,  // none follow: the group is as it was
  kPartial,    // some follow (changed or new); the others are as they were
  kRemoved,    // none follow: the group is gone
};

// Receives the entries; keys and values are valid during the call only.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  // The entries that follow belong to `group` (an id unique among groups).
  virtual void Group(std::string_view group, GroupMode mode) {}
  // Groups whose ids start with `prefix` and that are not mentioned are as
  // they were (a partial list of alert instances); else a group not
  // mentioned is gone.
  virtual void KeepUnmentioned(std::string_view prefix) {}
  virtual void Entry(std::string_view key, std::string_view value) = 0;
};

// Every entry of `snapshot`.
void FlattenSnapshot(const Snapshot& snapshot, EntrySink* sink);

// Every entry of a complete snapshot (none unchanged), by key.
std::map<std::string, std::string> FlattenToMap(const Snapshot& snapshot);

// The snapshot the entries describe. Returns "" or what is wrong with them.
std::string UnflattenSnapshot(const std::map<std::string, std::string>& entries, Snapshot* out);

}  // namespace errpulse
