// JournalReader: reads the MESSAGE of each systemd-journal entry, in journal
// order, through sd-journal (libsystemd): the system journal, a directory of
// journal files (a container's /var/log/journal, journal-remote's output), or
// a fixed list of files (`replay --journal-file`). The lower half of a
// journal source; turning messages into lines and counting them is the
// caller's business.
//
// Where reading resumes is a cursor (an opaque string from sd-journal). The
// reader keeps the cursor of the last entry it consumed, taken once per
// Read() batch (sd_journal_get_cursor allocates), so the caller can commit it
// with its counts and SeekCursor() to it after a restart.
//
// Following: poll fd() for POLLIN (in the caller's event loop), call
// Process() when it is readable (and at least every PollTimeoutMs() when that
// is not -1: journals on network file systems have no reliable inotify), then
// Read() until at_end as Process() asks. No thread of its own.
//
// Ownership: owns the sd_journal (closed on destruction or re-Open()) and its
// inotify descriptor. Thread-compatible: one owner thread at a time, and
// never across fork() (sd-journal refuses a handle in a child: -ECHILD).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct sd_journal;

namespace errpulse {

// Which journal to read, and which of its entries.
struct JournalSpec {
  // Entries whose _SYSTEMD_UNIT is one of these (exact names, e.g.
  // "nginx.service": no globbing, no ".service" guessing). Empty: any unit.
  std::vector<std::string> units;
  // Entries whose SYSLOG_IDENTIFIER is one of these. Empty: any identifier.
  // With both lists set an entry must match one unit AND one identifier.
  std::vector<std::string> identifiers;
  // A directory of journal files (or a /var/log/journal-like root with
  // machine-id subdirectories). Empty: the local system journal (runtime and
  // persistent, this machine only). A directory that does not exist yet is
  // not an error: see Open().
  std::string directory;
  // Instead of a journal: exactly these files, read once to their end (no
  // fd(): a fixed set of files does not follow rotation). Wins over
  // `directory`.
  std::vector<std::string> files;
  // The longest MESSAGE handed on; longer ones are cut to this and counted
  // in messages_cut. The same default as max_line_bytes, which is what the
  // caller should pass: a journal message is one line to the extractor.
  // 0: no limit (sd-journal then decompresses every MESSAGE whole).
  size_t max_message_bytes = 64 * 1024;
};

// One entry as handed to the sink. `message` points into sd-journal's memory
// map (or its decompression buffer): valid only during the sink call.
struct JournalEntry {
  std::string_view message;  // MESSAGE without "MESSAGE=": any bytes, NULs and newlines too
  uint64_t realtime_usec = 0;  // when journald received it (CLOCK_REALTIME, µs)
};

using JournalEntrySink = std::function<void(const JournalEntry& entry)>;

// What one Read() did.
struct JournalRead {
  size_t entries = 0;   // handed to the sink
  size_t consumed = 0;  // entries moved past: handed on, or skipped (no readable MESSAGE)
  // The end was reached: nothing more to read until Process() reports a
  // change. False when max_entries stopped the batch (read again) or on error.
  bool at_end = false;
  // A negative errno from sd_journal_next (0: none); last_error() says more.
  // The position stays after the last consumed entry.
  int error = 0;
};

// Counters since Open(), for the source's self-metrics.
struct JournalReadStats {
  uint64_t entries = 0;            // handed on
  uint64_t messages_cut = 0;       // longer than max_message_bytes
  uint64_t without_message = 0;    // entries with no MESSAGE field (skipped)
  uint64_t unreadable = 0;         // MESSAGE present but unreadable (corrupt, bad compression)
};

// What Process() found.
enum class JournalChange {
  kNone,          // nothing changed (a spurious wake-up)
  kAppended,      // entries may have been appended: Read() until at_end
  kFilesChanged,  // files were added or removed (rotation, vacuuming): Read() until at_end
  kError,         // sd_journal_process failed: last_error(); poll again later
};

class JournalReader {
 public:
  explicit JournalReader(JournalSpec spec);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // Opens the journal the spec names (closing any open one), applies the
  // unit and identifier matches and sets up change notification. Positioned
  // at the head. Returns "" or what failed, naming the directory or file
  // ("journal directory /x: cannot open: Permission denied").
  //
  // spec.directory that does not exist yet: returns "" with is_open() false
  // and directory_missing() true. The caller calls Open() again on its poll
  // tick until is_open(), then SeekHead(): the directory appeared after the
  // source started, so everything in it is new, even for a start-at-end
  // source. (sd-journal cannot watch for a directory that is not there.)
  std::string Open();
  bool is_open() const { return journal_ != nullptr; }
  // Whether the open journal has any file this process can read. The
  // system journal opened without the rights to read it (not root, not in
  // the systemd-journal group) opens fine and holds nothing: this tells.
  bool HasReadableFiles() const;
  bool directory_missing() const { return directory_missing_; }

  // Positioning; each returns "" or what failed. The next Read() hands on:
  //   SeekHead(): the oldest entry still there, onwards.
  //   SeekTail(): only entries added after this call. cursor() becomes the
  //     last entry's, so a stop before anything new resumes here. With
  //     nothing there yet (that the matches select) it is SeekHead(): from
  //     sd-journal's tail position, the first file to appear would be read
  //     from its last entry on, losing the ones before.
  //   SeekCursor(): the entry after the one `cursor` names, when that entry
  //     is still there (*found = true). When it is gone (vacuumed or rotated
  //     away while errpulse was stopped, or the journal was replaced),
  //     *found = false and reading resumes at the oldest entry still there:
  //     the caller logs and counts that entries may have been lost. A
  //     cursor saved under other units/identifiers may not be found either
  //     (the matches apply to the search). A malformed cursor returns an
  //     error and leaves the reader at the head, as for a gone one.
  std::string SeekHead();
  std::string SeekTail();
  std::string SeekCursor(const std::string& cursor, bool* found);

  // Hands up to `max_entries` entries to `sink`, in journal order. No
  // allocation per entry; one sd_journal_get_cursor per batch that consumed
  // anything. Entries without a readable MESSAGE are consumed and counted,
  // not handed on.
  JournalRead Read(size_t max_entries, const JournalEntrySink& sink);

  // The cursor of the last entry consumed (or sought to); "" before any.
  const std::string& cursor() const { return cursor_; }

  // The descriptor to poll for POLLIN; -1 when not open or opened on
  // `files` (read once to their end, `replay`: following a fixed list of
  // files would miss the file a rotation starts).
  int fd() const { return fd_; }
  // How long the caller may wait on fd() before calling Process() anyway,
  // in ms; -1: no limit (inotify is reliable here).
  int PollTimeoutMs() const;
  // Call when fd() is readable (or the timeout passed). For kAppended and
  // kFilesChanged call Read() until at_end: reading goes on from the
  // current position through the new set of files, so entries of a file
  // that appeared (rotation) are read in journal order; entries of a file
  // that was removed before they were read are lost (only vacuuming removes
  // files, oldest first). No re-seek is needed for either.
  JournalChange Process();

  const JournalReadStats& stats() const { return stats_; }
  // What the last failed call failed at, naming the journal.
  const std::string& last_error() const { return last_error_; }
  // "journal directory /x", "journal file /a.journal", "system journal".
  std::string Describe() const;

 private:
  struct Closer {
    void operator()(sd_journal* journal) const;
  };

  std::string AddMatches();
  // Sets last_error_ to "<Describe()>: <what>: <strerror(-negative_errno)>".
  std::string Fail(const std::string& what, int negative_errno);
  // Opening several files failed: which one (each on its own) fails.
  std::string DescribeFailingFile(int negative_errno) const;
  // Takes the current entry's cursor into cursor_; false on failure.
  bool TakeCursor();

  JournalSpec spec_;
  std::unique_ptr<sd_journal, Closer> journal_;
  int fd_ = -1;
  bool directory_missing_ = false;
  std::string cursor_;
  JournalReadStats stats_;
  std::string last_error_;
};

}  // namespace errpulse
