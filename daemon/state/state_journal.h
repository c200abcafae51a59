// StateJournal: the commits made since the last full state file, appended to
// state_dir/state.journal as records of the entries that changed (see
// state_entries.h), so a commit writes bytes in proportion to what changed,
// not to everything errpulse knows, and needs no rename and no fsync.
//
// On disk: a header line `errpulse-journal 1 <FNV-1a of the state file it
// continues, 16 hex digits>`, then records. A record is its payload's length
// (4 bytes, little-endian), the payload's FNV-1a (8 bytes, little-endian) and
// the payload: operations, each a varint (id << 2 | kind) and then
//   kind 1, a new entry: its key and value (length-prefixed); the id is new;
//   kind 0, a changed entry: its value;
//   kind 2, a removed entry.
// A record is one write(): after a process crash it is there whole or, torn
// by a SIGKILL mid-write, fails its checksum; replay stops at the first
// record that is incomplete or damaged, so what is restored is always the
// state after some commit (power loss: some commit after the last sync).
//
// Ownership: owns the journal's descriptor. Not thread-safe: one pipeline
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "state/snapshot.h"

namespace errpulse {

class StateJournal {
 public:
  explicit StateJournal(std::string path);
  ~StateJournal();
  StateJournal(const StateJournal&) = delete;
  StateJournal& operator=(const StateJournal&) = delete;

  // Starts the journal afresh after `base` was written as the state file
  // whose bytes hash to `base_hash`: the file is truncated to its header.
  // Returns an error message or "".
  std::string Reset(uint64_t base_hash, const Snapshot& base);
  // Appends one record with the entries of `snapshot` that differ from the
  // last one appended (or the base). Returns an error message or "". After
  // an error the journal is unusable until the next Reset() (usable() says).
  std::string Append(const Snapshot& snapshot);
  // fdatasync: what was appended survives a power loss.
  std::string Sync();
  void Close();

  bool usable() const { return fd_ >= 0 && !broken_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // What Replay() found.
  struct ReplayResult {
    bool applied = false;      // the journal continues the base and was read
    size_t records = 0;        // records applied
    std::string note;          // "" or why (part of) it was not applied
  };
  // Applies the journal at `path` to `entries` (the flattened base whose
  // bytes hash to `base_hash`). A missing journal, one that continues
  // another state file, and a damaged tail are not errors: the note says
  // what was ignored.
  static ReplayResult Replay(const std::string& path, uint64_t base_hash,
                             std::map<std::string, std::string>* entries);

 private:
  struct Slot {
    uint64_t id = 0;  // 0: not named in this journal yet (a base entry)
    std::string value;
    uint64_t seen = 0;  // the Append() that last produced this key
  };
  // The entries of one group (state_entries.h), by key.
  struct GroupSlots {
    std::unordered_map<std::string, Slot> slots;
    uint64_t seen = 0;  // the Append() that last mentioned this group
  };
  class Differ;  // the EntrySink that turns a snapshot into a record
  std::string Fail(const char* step);
  // Builds the index of the base's entries (none named in the journal yet).
  void Index(const Snapshot& snapshot);
  // Appends the operation that removes `slot` (named first if need be).
  void PutRemoval(const std::string& key, Slot* slot);

  std::string path_;
  int fd_ = -1;
  bool broken_ = false;
  uint64_t size_ = 0;
  std::unordered_map<std::string, GroupSlots> groups_;  // by group key
  uint64_t next_id_ = 0;
  uint64_t epoch_ = 0;
  std::string record_;  // reused: the record being built
  std::string key_;     // reused: lookup key
};

}  // namespace errpulse
