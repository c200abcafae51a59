#include "journal/journal_reader.h"

#include <systemd/sd-journal.h>
#include <time.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace errpulse {
namespace {

constexpr std::string_view kMessagePrefix = "MESSAGE=";

// sd_journal_set_data_threshold's value for `max_message_bytes`. The
// threshold is a hint for how much of a compressed field sd-journal needs to
// decompress (uncompressed fields come whole from the memory map whatever
// it is). 0 would ask for whole fields: a 100 MB MESSAGE (a core dump's
// backtrace, a program logging a blob) decompressed in full on every read,
// only to be cut. The default (64 KiB including "MESSAGE=") may cut below
// max_line_bytes without us knowing. So: the prefix, the most we hand on,
// and one byte more, so that a longer message comes back longer than the
// maximum and the cut is seen and counted. The library may return more than
// asked (libsystemd 252 decompresses zstd fields whole, threshold or not),
// never less than a whole short field; Read() cuts to the maximum itself.
size_t DataThreshold(size_t max_message_bytes) {
  if (max_message_bytes == 0) return 0;  // no limit asked for
  return kMessagePrefix.size() + max_message_bytes + 1;
}

std::string ErrnoText(int negative_errno) { return std::strerror(-negative_errno); }

}  // namespace

void JournalReader::Closer::operator()(sd_journal* journal) const { sd_journal_close(journal); }

JournalReader::JournalReader(JournalSpec spec) : spec_(std::move(spec)) {}

JournalReader::~JournalReader() = default;

std::string JournalReader::Describe() const {
  if (spec_.files.size() == 1) return "journal file " + spec_.files.front();
  if (!spec_.files.empty()) {
    std::string text = "journal files ";
    for (size_t i = 0; i < spec_.files.size(); ++i) {
      if (i > 0) text += ", ";
      text += spec_.files[i];
    }
    return text;
  }
  if (!spec_.directory.empty()) return "journal directory " + spec_.directory;
  return "system journal";
}

std::string JournalReader::Fail(const std::string& what, int negative_errno) {
  last_error_ = Describe() + ": " + what + ": " + ErrnoText(negative_errno);
  return last_error_;
}

std::string JournalReader::DescribeFailingFile(int negative_errno) const {
  // sd_journal_open_files fails as a whole; open each file alone to name
  // the one at fault (only on this error path, so the cost does not matter).
  for (const std::string& file : spec_.files) {
    const char* one[] = {file.c_str(), nullptr};
    sd_journal* probe = nullptr;
    const int r = sd_journal_open_files(&probe, one, 0);
    if (r < 0) return "journal file " + file + ": cannot open: " + ErrnoText(r);
    sd_journal_close(probe);
  }
  return Describe() + ": cannot open: " + ErrnoText(negative_errno);
}

std::string JournalReader::Open() {
  journal_.reset();
  fd_ = -1;
  directory_missing_ = false;
  cursor_.clear();
  stats_ = JournalReadStats();
  last_error_.clear();

  sd_journal* opened = nullptr;
  int r;
  if (!spec_.files.empty()) {
    std::vector<const char*> paths;
    paths.reserve(spec_.files.size() + 1);
    for (const std::string& file : spec_.files) paths.push_back(file.c_str());
    paths.push_back(nullptr);
    r = sd_journal_open_files(&opened, paths.data(), 0);
    if (r < 0) {
      last_error_ = DescribeFailingFile(r);
      return last_error_;
    }
  } else if (!spec_.directory.empty()) {
    r = sd_journal_open_directory(&opened, spec_.directory.c_str(), 0);
    if (r == -ENOENT) {
      // Not there yet (a container not started, persistent storage not set
      // up): the caller retries Open() later.
      directory_missing_ = true;
      return "";
    }
  } else {
    // LOCAL_ONLY: this machine's journal, not files other machines'
    // journal-remote put into /var/log/journal/remote.
    r = sd_journal_open(&opened, SD_JOURNAL_LOCAL_ONLY);
  }
  if (r < 0) return Fail("cannot open", r);
  journal_.reset(opened);

  r = sd_journal_set_data_threshold(journal_.get(), DataThreshold(spec_.max_message_bytes));
  if (r < 0) {
    journal_.reset();
    return Fail("cannot set the data threshold", r);
  }
  std::string error = AddMatches();
  if (!error.empty()) {
    journal_.reset();
    return error;
  }
  if (spec_.files.empty()) {
    // Asking for the fd now sets up the inotify watches now: a change made
    // between Open() and the first poll is then still reported.
    r = sd_journal_get_fd(journal_.get());
    if (r < 0) {
      journal_.reset();
      return Fail("cannot watch for changes (inotify)", r);
    }
    fd_ = r;
  }
  return "";
}

std::string JournalReader::AddMatches() {
  // sd-journal's match terms: matches on the same field are OR'ed by
  // themselves, and sd_journal_add_conjunction() ANDs what came before with
  // what comes after. So (unit1 OR unit2) AND (ident1 OR ident2) is the
  // units, a conjunction, the identifiers. (sd_journal_add_disjunction()
  // would OR the two groups: an entry of any listed unit OR any listed
  // identifier.)
  sd_journal* j = journal_.get();
  auto add_group = [&](const char* field, const std::vector<std::string>& values) -> std::string {
    std::string match;
    for (const std::string& value : values) {
      match.assign(field);
      match += '=';
      match += value;
      const int r = sd_journal_add_match(j, match.data(), match.size());
      if (r < 0) return Fail("cannot add match " + match, r);
    }
    return "";
  };
  std::string error = add_group("_SYSTEMD_UNIT", spec_.units);
  if (!error.empty()) return error;
  if (!spec_.units.empty() && !spec_.identifiers.empty()) {
    const int r = sd_journal_add_conjunction(j);
    if (r < 0) return Fail("cannot add a conjunction", r);
  }
  return add_group("SYSLOG_IDENTIFIER", spec_.identifiers);
}

std::string JournalReader::SeekHead() {
  if (!journal_) return Fail("cannot seek", -EBADF);
  cursor_.clear();
  const int r = sd_journal_seek_head(journal_.get());
  if (r < 0) return Fail("cannot seek to the head", r);
  return "";
}

std::string JournalReader::SeekTail() {
  if (!journal_) return Fail("cannot seek", -EBADF);
  cursor_.clear();
  sd_journal* j = journal_.get();
  int r = sd_journal_seek_tail(j);
  if (r < 0) return Fail("cannot seek to the tail", r);
  // seek_tail only sets a position after the newest entry; stepping back
  // onto that entry makes it the current one, so the next sd_journal_next()
  // returns the first entry added after it, and its cursor is ours.
  r = sd_journal_previous(j);
  if (r < 0) return Fail("cannot step back from the tail", r);
  if (r == 0) {
    // Nothing there (that the matches select): the head is the same place,
    // and reading on from it is sd-journal's plainest case.
    return SeekHead();
  }
  if (!TakeCursor()) return last_error_;
  return "";
}

std::string JournalReader::SeekCursor(const std::string& cursor, bool* found) {
  *found = false;
  if (!journal_) return Fail("cannot seek", -EBADF);
  cursor_.clear();
  sd_journal* j = journal_.get();
  int r = sd_journal_seek_cursor(j, cursor.c_str());
  if (r < 0) {
    // A malformed cursor (a damaged state file): report it, and be at the
    // head like for a cursor whose entry is gone, so the caller can go on.
    std::string error = Fail("cannot seek to cursor '" + cursor + "'", r);
    SeekHead();
    last_error_ = error;
    return error;
  }
  // seek_cursor only sets a position; sd_journal_next() moves onto the
  // entry there, or the closest one after it when it is gone.
  r = sd_journal_next(j);
  if (r < 0) return Fail("cannot move to the cursor's entry", r);
  if (r > 0 && sd_journal_test_cursor(j, cursor.c_str()) > 0) {
    // On the entry itself, which was consumed before the stop: the next
    // sd_journal_next() returns the one after it.
    *found = true;
    cursor_ = cursor;
    return "";
  }
  // Gone. "The closest entry after it" is judged by sequence number, boot
  // and monotonic time or wall clock, which say little across journal files
  // of other writers or a stepped clock; what vacuuming leaves is newer than
  // what it removed, so the oldest entry still there loses nothing.
  return SeekHead();
}

bool JournalReader::TakeCursor() {
  char* text = nullptr;
  const int r = sd_journal_get_cursor(journal_.get(), &text);
  if (r < 0) {
    Fail("cannot get the cursor", r);
    return false;
  }
  cursor_.assign(text);
  std::free(text);
  return true;
}

JournalRead JournalReader::Read(size_t max_entries, const JournalEntrySink& sink) {
  JournalRead result;
  if (!journal_) {
    result.at_end = true;
    return result;
  }
  sd_journal* j = journal_.get();
  const size_t max_bytes = spec_.max_message_bytes;
  while (result.consumed < max_entries) {
    const int r = sd_journal_next(j);
    if (r < 0) {
      result.error = r;
      Fail("cannot move to the next entry", r);
      break;
    }
    if (r == 0) {
      result.at_end = true;
      break;
    }
    ++result.consumed;

    const void* data = nullptr;
    size_t size = 0;
    const int got = sd_journal_get_data(j, "MESSAGE", &data, &size);
    if (got == -ENOENT) {
      ++stats_.without_message;
      continue;
    }
    if (got < 0 || size < kMessagePrefix.size()) {
      ++stats_.unreadable;
      continue;
    }
    std::string_view message(static_cast<const char*>(data) + kMessagePrefix.size(),
                             size - kMessagePrefix.size());
    if (max_bytes > 0 && message.size() > max_bytes) {
      message = message.substr(0, max_bytes);
      ++stats_.messages_cut;
    }
    JournalEntry entry;
    entry.message = message;
    // Every entry has one (the entry header's); a failure here would be a
    // corrupt entry, whose message is still worth counting, at time 0.
    if (sd_journal_get_realtime_usec(j, &entry.realtime_usec) < 0) entry.realtime_usec = 0;
    sink(entry);
    ++result.entries;
    ++stats_.entries;
  }
  // Once per batch, while the current entry is surely there: after a
  // Process() that closed its file, sd_journal_get_cursor could not.
  if (result.consumed > 0) TakeCursor();
  return result;
}

bool JournalReader::HasReadableFiles() const {
  if (!journal_) return false;
  return sd_journal_has_runtime_files(journal_.get()) > 0 ||
         sd_journal_has_persistent_files(journal_.get()) > 0;
}

int JournalReader::PollTimeoutMs() const {
  if (!journal_ || fd_ < 0) return -1;
  uint64_t until_usec = 0;
  if (sd_journal_get_timeout(journal_.get(), &until_usec) < 0 || until_usec == UINT64_MAX) {
    return -1;
  }
  // An absolute CLOCK_MONOTONIC time in µs; poll() wants relative ms.
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t now_usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  if (until_usec <= now_usec) return 0;
  const uint64_t ms = (until_usec - now_usec + 999) / 1000;
  return ms > static_cast<uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(ms);
}

JournalChange JournalReader::Process() {
  if (!journal_ || fd_ < 0) return JournalChange::kNone;
  const int r = sd_journal_process(journal_.get());
  if (r < 0) {
    Fail("cannot process changes", r);
    return JournalChange::kError;
  }
  switch (r) {
    case SD_JOURNAL_APPEND:
      return JournalChange::kAppended;
    case SD_JOURNAL_INVALIDATE:
      return JournalChange::kFilesChanged;
    default:
      return JournalChange::kNone;
  }
}

}  // namespace errpulse
