// Tailer: the file source (a LogSource, see source/log_source.h). Follows
// every configured source's paths (files or globs) and feeds their new lines
// to a ChunkSink. A configured source without paths (a journal source) is
// read by another LogSource and never looked at here.
//
// - inotify on the directories that hold the paths wakes it the moment a file
//   grows, appears, is renamed or removed. Two stat polls are the safety net:
//   the quick poll (every poll_interval, and only while it has work) stats
//   what inotify cannot vouch for: paths in directories on network or FUSE
//   filesystems (see filesystem_kind.h), globs whose directories are not
//   watched (not there yet, a glob in the directory part, out of watches, no
//   inotify), files that could not be opened, rotated-away files being
//   finished, and files read since the last poll (for the lag gauge). The
//   full poll (every rescan_interval, and at once after an inotify queue
//   overflow) re-expands every glob and stats every path, for what even a
//   local filesystem does not report (writes through mmap or a hard link in
//   another directory, a watched directory's parent renamed).
// - A path that is renamed away or removed (rotation) keeps its open file
//   until that file has been read to its end and has stopped growing for a
//   grace period; its partial last line is then handed on. The new file at the
//   path is read from its beginning.
// - A file that shrinks below the read offset was truncated in place
//   (copytruncate): reading restarts at its beginning.
// - Files that exist at start are read from their end (start_at: end) or
//   beginning; files that appear later are always read from their beginning.
// - Reading is fair: at most read_chunk_bytes per file per turn, then the next
//   file; the event loop runs other work between turns.
// - Wake-ups are few: an idle tailer waits on inotify alone; the first event
//   is read at once. While events keep coming, the tailer stops waiting on
//   inotify and reads its queue once per read round (commit_interval), so a
//   writer's hundred writes a second cost forty rounds, each one pread per
//   file that grew and no stat.
// - Files that cannot be opened (permission denied), and symlinks whose
//   target does not exist yet, are retried at every quick poll; open failures
//   are counted in read_errors and logged once.
// - Identity is device + inode + a fingerprint of the first bytes (see
//   file_identity.h): a file whose first bytes changed was truncated and
//   rewritten, even when it is now longer than the offset.
// - After copytruncate, the copy (a sibling with the old fingerprint) is read
//   from the old offset to its end, so lines not yet read when the original
//   was truncated are not lost.
// - Restarted with the FileRecords of the last commit, it resumes each file at
//   its offset; a file rotated away while errpulse was stopped is found by
//   its identity among the files of its directory and read to its end.
//
// Ownership: owns its FileTailers and inotify descriptor; runs on the
// io_context it is given, which must be run by one thread (the pipeline).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "source/log_source.h"
#include "tail/file_tailer.h"
#include "tail/rotated_files.h"

namespace errpulse {

class Tailer : public LogSource {
 public:
  Tailer(boost::asio::io_context& io, const Config& config, ChunkSink sink, RoundDone round_done);
  ~Tailer();

  // LogSource (see log_source.h). Start() opens the files that exist now
  // and starts watching.
  void Start(const std::vector<SourceStart>& starts) override;
  void Stop() override;
  void RestoreStats(size_t source, const SourceStats& stats) override { stats_[source] = stats; }
  const SourceStats& Stats(size_t source) const override { return stats_[source]; }
  // Bytes of unfinished last lines, summed over the source's files.
  uint64_t PendingBytes(size_t source) const override;
  // The followed files' records and the known fingerprints.
  SourceCheckpoint TakeCheckpoint(size_t source, bool only_changed) const override;
  void MarkCommitted(size_t source) override;
  // The known files (how many, and the newest's hash).
  uint64_t CheckpointSignature(size_t source) const override;
  // Changes whenever a file is opened, retired or let go.
  uint64_t generation() const override { return generation_; }
  // Every followed file of `source` with its offset and size.
  std::vector<FollowedFile> Followed(size_t source) const override;


 private:
  // Every followed file of `source`, as the state file keeps it; with
  // `only_changed`, only those whose record changed since MarkCommitted().
  std::vector<FileRecord> Records(size_t source, bool only_changed = false) const;
  // Directory paths, looked up by string_view as well (no allocation).
  using DirSet = std::set<std::string, std::less<>>;
  using Key = std::pair<size_t, std::string>;  // (source, path)

  // The polls (tailer_poll.cc). Poll() is the full one.
  void Poll();
  void QuickPoll();
  // What both end with: finished rotated files let go, the gauges (only
  // rotated-away files need an fstat: the polls know the others' sizes), the
  // watches settled against those `fresh` at the start, the poll time noted.
  void EndPollRound(const DirSet& fresh);
  // Arms the poll timer for the next full poll, or poll_interval when the
  // quick poll has work (NeedsQuickPoll()).
  void SchedulePoll();
  void ArmPollTimer(int64_t delay_ms);
  void OnPollTimer();
  // Something the quick poll must look after appeared (a retired file, a
  // path to retry, a file being read): bring the timer forward.
  void WantQuickPoll();
  bool NeedsQuickPoll() const;
  // Lets go of rotated-away files that reached their end and stopped growing.
  void LetGoFinishedFiles();
  void ReadInotify();
  void HandleInotifyBuffer(size_t bytes);
  // What happened at `path` (an event's directory + name).
  void HandlePathEvent(const std::string& path, bool content_only);
  // Whether inotify reports every change in `dir` (watched, on a local
  // filesystem), in a file's directories, or in every file a pattern can match.
  bool DirCovered(std::string_view dir) const;
  bool FileCovered(const FileTailer& file) const;
  bool PatternCovered(const std::string& pattern) const;
  // End of a poll: the directories that were fresh when it began are covered.
  void SettleWatches(const DirSet& fresh_at_start);
  // Looks at a path: rotation, truncation, growth, or a new file to open
  // (from its end when `new_at_end`, else from its beginning).
  void CheckPath(size_t source, const std::string& path, bool new_at_end);
  void Reattach(size_t source, const FileRecord& record);
  // The file was truncated or rewritten in place: read the rest of its
  // copytruncate copy, if there is one, then restart it at 0.
  void HandleTruncation(const std::shared_ptr<FileTailer>& file, uint64_t offset);
  // Whether a source follows `path` under its own name (then it is no rotation).
  bool IsFollowedPath(const std::string& path) const;
  // Rotations of `source`'s files on disk (tailer_recovery.cc).
  std::vector<std::string> RotationsOf(size_t source) const;
  // First start: the rotations already there are old news.
  void MarkRotationsKnown(size_t source);
  // Count rotations of `source` that errpulse never saw: written after
  // `since_wall_ms` and neither followed nor known. At restart (since the
  // commit) and whenever a rotation is noticed (since the path was last seen:
  // a file created and rotated away between two looks).
  // With `only_path`, only that path's rotations are looked at (a file that
  // just appeared or rotated); else all of the source's (at restart).
  void CatchUpRotated(size_t source, int64_t since_wall_ms, const std::string& only_path = "");
  void RememberKnown(size_t source, const Fingerprint& fingerprint);
  bool IsKnown(size_t source, const FilePrefix& prefix) const;
  // Reads a copytruncate copy of `original` from where `at` says (its
  // fingerprint, inode, offset and, for a decoded format, the decoder's
  // position); whether one was found.
  bool ReadCopyFrom(const std::string& original, const FileRecord& at, size_t source);
  // A rotated copy of `record` compressed while errpulse was stopped: counts
  // the rest of it. Returns whether one was found.
  bool ReadCompressedCopy(size_t source, const FileRecord& record);
  void ScanSource(size_t source, bool new_at_end);
  void WatchDirectory(const std::string& dir);
  void Unwatch(int wd);
  // Full poll: drops the watches of directories whose path now names another
  // directory (it or a parent was renamed), so that they are watched again.
  void DropStaleWatches();
  void Retire(std::shared_ptr<FileTailer> file);
  // `now`: drain at once (a backlog being read), instead of at the next
  // read round.
  void Queue(const std::shared_ptr<FileTailer>& file, bool now = false);
  void ScheduleDrain(bool now = false);
  void Drain();
  // inotify while lines arrive continuously: instead of waking for every
  // event, the queue is read once per read round (see ReadInotify).
  void InotifyTick();
  void ArmInotifyTick();
  // Reading inotify failed (`why`): from now on only the polls look.
  void InotifyFailed(const std::string& why);
  // Recomputes files_open and lag_bytes from each file's known size,
  // refreshed first by fstat for the active and/or the retired files (at
  // start: all; every poll: retired only, as the full poll's stat of each
  // path and the quick poll's fstat of the files read since the last poll
  // refreshed the active ones; every read round: none).
  void UpdateGauges(bool stat_active, bool stat_retired);
  // Calls visit(FileTailer&, bool retired) for every followed file of
  // `source`: the active ones, then those rotated away.
  template <typename Visit>
  void ForEachFileOf(size_t source, Visit&& visit) const;
  // Bounded open files (max_open_files): how many are open, and parking the
  // least recently active idle ones to stay under the bound.
  size_t OpenCount() const;
  void MakeRoom(size_t needed);
  // A parked file whose path no longer names it: find where it went.
  void ReplaceParked(const std::shared_ptr<FileTailer>& file);
  int64_t NowMs() const;
  // A FileTailer for `path` with its source's format.
  std::shared_ptr<FileTailer> MakeFile(const std::string& path, size_t source) const;

  boost::asio::io_context& io_;
  const Config& config_;
  ChunkSink sink_;
  RoundDone round_done_;
  std::vector<SourceStats> stats_;
  ReadBuffers buffers_;  // shared by all files: raw is max_line_bytes + read_chunk_bytes

  std::map<Key, std::shared_ptr<FileTailer>> active_;
  std::vector<std::shared_ptr<FileTailer>> retired_;  // rotated away, being drained
  std::vector<std::shared_ptr<FileTailer>> queue_;    // files with data to read
  bool drain_scheduled_ = false;
  // Read rounds are at least round_ms_ apart (commit_interval: counts reach
  // /metrics only at a commit, so reading more often only costs wake-ups),
  // except while a backlog is read.
  int64_t round_ms_ = 0;
  int64_t last_drain_ms_ = 0;
  // InotifyTick() is queueing files: a drain due now is run by it directly,
  // not posted (one scheduler round trip less per read round).
  bool in_tick_ = false;
  bool drain_in_tick_ = false;
  boost::asio::steady_timer drain_timer_;
  std::set<std::string> warned_;  // paths we already logged an open failure for
  // Per source: files read to their end (or deliberately skipped), by
  // fingerprint, so their compressed rotations are not counted again.
  std::vector<std::deque<Fingerprint>> known_;
  // Followed paths that disappeared, with when (wall clock, ms): a new file
  // there is a rotation.
  std::map<Key, int64_t> vanished_;

  int inotify_fd_ = -1;
  bool inotify_failed_ = false;  // reading events failed: only the polls are left
  std::unique_ptr<boost::asio::posix::stream_descriptor> inotify_;
  boost::asio::steady_timer inotify_tick_;  // armed while events keep coming
  // Events are read by InotifyTick() once per round: the descriptor is out of
  // the reactor (released, not failed). A round due later then waits for a
  // tick instead of arming a timer of its own, whose wake-up would come a
  // moment off the tick's.
  bool InotifyTicking() const { return inotify_ && !inotify_failed_ && !inotify_->is_open(); }
  std::vector<char> inotify_buffer_;
  // A watched directory: its inotify watch, the directory the path named
  // when it was added, and whether its filesystem reports every change.
  struct WatchedDir {
    int wd = -1;
    uint64_t device = 0;
    uint64_t inode = 0;
    bool inotify_complete = false;
  };
  std::map<std::string, WatchedDir, std::less<>> watched_;  // directory path -> its watch
  // Watch descriptor -> every path it was added under (one directory can be
  // reached by several, through symlinks; the kernel gives one watch).
  std::map<int, std::vector<std::string>> watch_dirs_;
  // Directories watched since the last poll began: what appeared or changed
  // in them before the watch raised no event, so they count as not covered
  // until a poll that began after the watch has stat()ed their files.
  DirSet fresh_watches_;
  bool warned_watch_limit_ = false;
  // Files followed through a symlink: real path -> the followed paths' keys,
  // so writes seen in the target's directory wake the right files.
  std::map<std::string, std::set<Key>> aliases_;
  // Paths the quick poll tries again: open or stat failed (not ENOENT), or a
  // symlink whose target does not exist (yet).
  std::set<Key> retry_;
  boost::asio::steady_timer poll_timer_;
  int64_t poll_due_ms_ = 0;      // when poll_timer_ fires (steady clock)
  int64_t next_full_poll_ms_ = 0;
  int64_t last_poll_ms_ = 0;     // files read since then need an fstat for the lag gauge
  bool read_since_poll_ = false;
  bool stopped_ = false;
  bool running_ = false;           // Start() is done: files appearing now are new
  int64_t started_wall_ms_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace errpulse
