// Test support: real systemd journal files, written by systemd-journal-remote
// (Debian package systemd-journal-remote) from the Journal Export Format, so
// the journal reader is tested on the files journald itself would write,
// without a journald (there is none on CI).
//
// The export format (systemd.io/JOURNAL_EXPORT_FORMATS): an entry is its
// fields, one per line, and a blank line. A field is "NAME=value\n" when the
// value is printable text, else "NAME\n", the value's length as a
// little-endian 64-bit integer, the raw bytes, "\n". __REALTIME_TIMESTAMP and
// __MONOTONIC_TIMESTAMP set the entry's timestamps (journal-remote takes them
// from the stream; _BOOT_ID too, and stores it as a field as well).
//
// Visibility: journal-remote stores an entry as soon as it has read the blank
// line that ends it, and writes through a shared memory map, announcing each
// entry to inotify watchers (ftruncate to the same size, as journald does):
// a reader following the directory wakes up within milliseconds, with no
// flush to ask for. The write to the pipe returns before that, though, so a
// test that needs entries to be in the file (before a SeekTail, say) waits
// with LiveJournalFile::WaitForEntries().
//
// For tests only; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/test_support.h"

namespace errpulse::testing {

// The boot every test entry claims (any 128-bit id in hex).
inline constexpr const char* kTestBootId = "5f0e2a3c9b1d4e6f8a7b6c5d4e3f2a1b";

// One journal entry as a test writes it.
struct JournalTestEntry {
  std::string message;            // MESSAGE (any bytes)
  bool has_message = true;        // false: the entry has no MESSAGE field at all
  uint64_t realtime_usec = 0;     // __REALTIME_TIMESTAMP; must be > 0
  uint64_t monotonic_usec = 0;    // __MONOTONIC_TIMESTAMP
  std::string boot_id = kTestBootId;
  std::string unit;               // _SYSTEMD_UNIT; omitted when empty
  std::string identifier;         // SYSLOG_IDENTIFIER; omitted when empty
  std::vector<std::pair<std::string, std::string>> fields;  // any more, as given
};

// The `sequence`-th entry of a test: realtime and monotonic time grow with
// the sequence (1 ms apart), so entries written in sequence order, by one
// writer or several, are in that order in the journal too.
JournalTestEntry MakeJournalEntry(uint64_t sequence, std::string message, std::string unit = "",
                                  std::string identifier = "");
// The realtime MakeJournalEntry gives `sequence`.
uint64_t JournalTestRealtime(uint64_t sequence);

// Appends one field in the export format: text form when `value` is
// printable (bytes >= 32 but 127, and TAB), else (or with `force_binary`)
// the binary form.
void AppendExportField(std::string* out, std::string_view name, std::string_view value,
                       bool force_binary = false);
// `entries` in the export format.
std::string ToJournalExport(const std::vector<JournalTestEntry>& entries);

// The systemd-journal-remote binary; "" when not installed.
std::string JournalRemotePath();

// Writes `entries` into a new journal file `path` (its name must end in
// ".journal") with one run of systemd-journal-remote. Returns "" or what
// failed, with journal-remote's messages.
std::string WriteJournalFile(const std::string& path,
                             const std::vector<JournalTestEntry>& entries);

// systemd-journal-remote kept running on a pipe, writing to `path` (created
// if missing, appended to if it is a journal file already), so that a test
// can add entries while a reader follows. Close() (or the destructor) ends
// the input; journal-remote then stores what it has, marks the file offline
// and exits.
class LiveJournalFile {
 public:
  explicit LiveJournalFile(std::string path);
  ~LiveJournalFile();
  LiveJournalFile(const LiveJournalFile&) = delete;
  LiveJournalFile& operator=(const LiveJournalFile&) = delete;

  // "" while running; else why it could not start or stopped.
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

  // Writes `entries` to journal-remote's input. False (and error()) when it
  // is gone. Returns before they are stored: see WaitForEntries().
  bool Append(const std::vector<JournalTestEntry>& entries);
  // Waits until the file holds at least `count` entries, counted by a
  // reader of its own (sd-journal on the one file). False on timeout.
  bool WaitForEntries(size_t count,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Ends the input and waits for journal-remote to exit. Returns "" when it
  // exited 0 having stored every entry appended, else what went wrong.
  std::string Close();
  // What journal-remote wrote on stderr so far.
  std::string Log() const;

 private:
  std::string path_;
  std::string log_path_;
  pid_t pid_ = -1;
  int input_ = -1;  // the pipe's write end
  size_t appended_ = 0;
  std::string error_;
};

// How many entries the journal file `path` holds (-1: cannot be opened).
long CountJournalEntries(const std::string& path);

}  // namespace errpulse::testing

// Stops the test when systemd-journal-remote is not installed: a failure
// under CI (where tests/bootstrap.sh installs it), a skip elsewhere.
#define ERRPULSE_REQUIRE_JOURNAL_REMOTE()                                                  \
  do {                                                                                     \
    if (::errpulse::testing::JournalRemotePath().empty()) {                                \
      const char* why =                                                                    \
          "systemd-journal-remote is not installed (apt-get install systemd-journal-remote)"; \
      if (::errpulse::testing::RunningUnderCi()) FAIL() << why;                            \
      GTEST_SKIP() << why;                                                                 \
    }                                                                                      \
  } while (0)
