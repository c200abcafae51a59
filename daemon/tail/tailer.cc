// Tailer, part one: following files — opening, rotation and truncation at a
// path, retiring, and the fair read loop. See tailer.h for the guarantees.
#include "tail/tailer.h"

#include "common/paths.h"
#include "common/time_format.h"
#include "tail/rotated_files.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace errpulse {

Tailer::Tailer(boost::asio::io_context& io, const Config& config, ChunkSink sink,
               RoundDone round_done)
    : io_(io),
      config_(config),
      sink_(std::move(sink)),
      round_done_(std::move(round_done)),
      stats_(config.sources.size()),
      round_ms_(config.commit_interval_ms),
      drain_timer_(io),
      known_(config.sources.size()),
      inotify_tick_(io),
      poll_timer_(io) {}

Tailer::~Tailer() { Stop(); }

int64_t Tailer::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<FileTailer> Tailer::MakeFile(const std::string& path, size_t source) const {
  const SourceConfig& config = config_.sources[source];
  auto file = std::make_shared<FileTailer>(path, source,
                                           static_cast<size_t>(config_.max_line_bytes),
                                           config.format);
  if (config.kubernetes_labels) {
    if (auto labels = ContainerLabelsFromPath(path)) {
      file->set_labels(std::make_shared<const ContainerLabels>(std::move(*labels)));
    } else {
      spdlog::warn("source '{}': {} is not named like a container log (<pod>_<namespace>_"
                   "<container>-<id>.log, or pods/<namespace>_<pod>_<uid>/<container>/N.log): "
                   "counted without container labels", config.name, path);
    }
  }
  return file;
}

template <typename Visit>
void Tailer::ForEachFileOf(size_t source, Visit&& visit) const {
  for (const auto& [key, file] : active_)
    if (key.first == source) visit(*file, /*retired=*/false);
  for (const auto& file : retired_)
    if (file->source() == source) visit(*file, /*retired=*/true);
}

std::vector<FileRecord> Tailer::Records(size_t source, bool only_changed) const {
  std::vector<FileRecord> records;
  ForEachFileOf(source, [&](FileTailer& file, bool retired) {
    file.pending_signature = file.RecordSignature(retired);
    if (only_changed && file.pending_signature == file.committed_signature) return;
    records.push_back(file.Record(retired));
  });
  return records;
}

SourceCheckpoint Tailer::TakeCheckpoint(size_t source, bool only_changed) const {
  SourceCheckpoint checkpoint;
  checkpoint.files = Records(source, only_changed);
  checkpoint.files_partial = only_changed;
  checkpoint.known.assign(known_[source].begin(), known_[source].end());
  return checkpoint;
}

uint64_t Tailer::CheckpointSignature(size_t source) const {
  const auto& known = known_[source];
  return known.size() + (known.empty() ? 0 : known.back().hash);
}

void Tailer::MarkCommitted(size_t source) {
  ForEachFileOf(source, [](FileTailer& file, bool) {
    file.committed_signature = file.pending_signature;
  });
}

std::vector<FollowedFile> Tailer::Followed(size_t source) const {
  std::vector<FollowedFile> files;
  ForEachFileOf(source, [&](const FileTailer& file, bool retired) {
    files.push_back({file.path(), file.read_offset(), file.known_size, retired, file.parked(),
                     std::string(LogFormatName(file.format()))});
  });
  return files;
}

uint64_t Tailer::PendingBytes(size_t source) const {
  uint64_t pending = 0;
  ForEachFileOf(source, [&](const FileTailer& file, bool) { pending += file.pending_bytes(); });
  return pending;
}

void Tailer::Start(const std::vector<SourceStart>& starts) {
  started_wall_ms_ = WallClockMs();
  buffers_.raw.resize(static_cast<size_t>(config_.max_line_bytes + config_.read_chunk_bytes));
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    spdlog::warn("inotify unavailable ({}); following files by polling every {} ms",
                 std::strerror(errno), config_.poll_interval_ms);
  } else {
    inotify_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, inotify_fd_);
    inotify_buffer_.resize(64 * 1024);
    ReadInotify();
  }
  for (size_t s = 0; s < config_.sources.size(); ++s) {
    const bool resume = s < starts.size() && starts[s].mode == SourceStart::Mode::kResume;
    if (!resume) {
      MarkRotationsKnown(s);
      continue;
    }
    for (const auto& fp : starts[s].checkpoint.known) RememberKnown(s, fp);
    for (const auto& record : starts[s].checkpoint.files) Reattach(s, record);
    CatchUpRotated(s, starts[s].committed_at_ms);
  }
  // Files the state does not know: for a resumed source they appeared while
  // errpulse was stopped, so they are read from their beginning.
  for (size_t s = 0; s < config_.sources.size(); ++s) {
    const auto mode = s < starts.size() ? starts[s].mode : SourceStart::Mode::kStartAt;
    const bool at_end = mode == SourceStart::Mode::kEnd ||
                        (mode == SourceStart::Mode::kStartAt && config_.sources[s].start_at_end);
    ScanSource(s, at_end);
  }
  UpdateGauges(/*stat_active=*/true, /*stat_retired=*/true);
  last_poll_ms_ = NowMs();
  next_full_poll_ms_ =
      last_poll_ms_ + std::max(config_.rescan_interval_ms, config_.poll_interval_ms);
  SchedulePoll();
  ScheduleDrain();
  running_ = true;
}

void Tailer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  poll_timer_.cancel();
  drain_timer_.cancel();
  inotify_tick_.cancel();
  if (inotify_) {
    boost::system::error_code ignored;
    if (inotify_->is_open()) {
      inotify_->close(ignored);  // closes inotify_fd_
    } else {
      ::close(inotify_fd_);  // released while busy (see ReadInotify)
    }
    inotify_.reset();
  }
}

void Tailer::ScanSource(size_t source, bool new_at_end) {
  std::set<std::string> seen;
  for (const auto& pattern : config_.sources[source].paths) {
    const std::string dir = DirName(pattern);
    if (!HasGlobChars(dir)) WatchDirectory(dir);
    for (const auto& path : ExpandPattern(pattern)) {
      if (!seen.insert(path).second) continue;
      if (HasGlobChars(dir)) WatchDirectory(DirName(path));
      CheckPath(source, path, new_at_end);
    }
  }
  // Paths we follow that the globs no longer produce were removed or renamed.
  std::vector<std::string> gone;
  for (const auto& [key, file] : active_) {
    if (key.first == source && !seen.count(key.second)) gone.push_back(key.second);
  }
  for (const auto& path : gone) CheckPath(source, path, false);
}

void Tailer::CheckPath(size_t source, const std::string& path, bool new_at_end) {
  const Key key{source, path};
  auto it = active_.find(key);
  SourceStats& stats = stats_[source];
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    // A symlink whose target is not there (yet) raises no event in this
    // directory when the target appears: the quick poll looks again.
    struct stat link;
    if (err != ENOENT || (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode))) {
      if (retry_.insert(key).second) WantQuickPoll();
    } else {
      retry_.erase(key);
    }
    if (it != active_.end()) {
      // Renamed away or removed: read what is left in it, then let it go. A
      // file that appears at the path later completes a rotation.
      auto file = it->second;
      active_.erase(it);
      vanished_[key] = WallClockMs();
      if (file->parked()) {
        ++generation_;
        Reattach(source, file->Record(/*retired=*/false));  // closed: find it again
      } else {
        Retire(file);
      }
    }
    if (err != ENOENT && warned_.insert(path).second) {
      ++stats.read_errors;
      spdlog::warn("source '{}': cannot stat {}: {}", config_.sources[source].name, path,
                   std::strerror(err));
    }
    return;
  }
  if (!S_ISREG(st.st_mode)) return;
  if (it != active_.end()) {
    auto& file = it->second;
    const FileIdentity now{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    if (!file->identity().SameInode(now) && file->parked()) {
      // Rotated while closed: find where it went, then open the new file.
      auto parked = file;
      active_.erase(it);
      ++generation_;
      Reattach(source, parked->Record(/*retired=*/false));
      it = active_.end();
    } else if (!file->identity().SameInode(now)) {
      ++stats.rotations;
      spdlog::info("source '{}': {} was rotated; finishing the old file, reading the new one",
                   config_.sources[source].name, path);
      const int64_t last_seen = file->last_seen_wall_ms;
      Retire(file);
      active_.erase(it);
      // A file may have been created there and rotated away in between.
      CatchUpRotated(source, last_seen, path);
      // Fall through to open the new file from its beginning.
    } else {
      file->last_seen_wall_ms = WallClockMs();
      const uint64_t size = static_cast<uint64_t>(st.st_size);
      file->known_size = size;
      if (size < file->read_offset() ||
          (!file->StatUnchangedSinceCheck(st) && file->ContentReplaced(size))) {
        HandleTruncation(file, file->Record(false).offset);
        return;
      }
      file->MarkContentChecked(st);
      if (size != file->read_offset()) Queue(file);
      return;
    }
  }
  if (active_.count(key)) return;  // Reattach() above found it still there
  MakeRoom(1);
  auto file = MakeFile(path, source);
  const bool at_end = new_at_end;
  if (int err = file->Open(at_end); err != 0) {
    if (err == ENOENT) {  // renamed away again between stat() and open(): a rotation
      vanished_.emplace(key, WallClockMs());
      retry_.erase(key);
      return;
    }
    if (retry_.insert(key).second) WantQuickPoll();
    ++stats.read_errors;
    if (warned_.insert(path).second)
      spdlog::warn("source '{}': cannot open {}: {} (retrying every {} ms)",
                   config_.sources[source].name, path, std::strerror(err),
                   config_.poll_interval_ms);
    return;
  }
  int64_t catch_up_since = -1;  // the path had vanished: look for files in between
  if (auto gone = vanished_.find(key); gone != vanished_.end()) {
    ++stats.rotations;
    catch_up_since = gone->second;
    vanished_.erase(gone);
  }
  file->last_seen_wall_ms = WallClockMs();
  retry_.erase(key);
  if (warned_.erase(path)) spdlog::info("source '{}': {} is readable now",
                                        config_.sources[source].name, path);
  spdlog::info("source '{}': following {} from {}", config_.sources[source].name, path,
               at_end ? "its end" : "its beginning");
  active_[key] = file;
  ++generation_;
  if (file->real_path() != path) {  // through a symlink: watch where the file is
    WatchDirectory(DirName(file->real_path()));
    aliases_[file->real_path()].insert(key);
  }
  if (!FileCovered(*file)) WantQuickPoll();
  Queue(file);
  // A path that appears while running may have had a file before this one
  // that was written and rotated away between two looks.
  if (catch_up_since < 0 && running_ && !new_at_end) catch_up_since = started_wall_ms_;
  if (catch_up_since >= 0) CatchUpRotated(source, catch_up_since, path);
}

void Tailer::Retire(std::shared_ptr<FileTailer> file) {
  ++generation_;
  file->last_growth_ms = NowMs();
  Queue(file);
  retired_.push_back(std::move(file));
  WantQuickPoll();  // it is let go by the quick poll
}

void Tailer::Queue(const std::shared_ptr<FileTailer>& file, bool now) {
  if (file->queued || (!file->is_open() && !file->parked())) return;
  file->queued = true;
  queue_.push_back(file);
  ScheduleDrain(now);
}

void Tailer::ScheduleDrain(bool now) {
  if (stopped_ || queue_.empty()) return;
  // A round due within a fifth of a round is due now: the tick that brings
  // it would otherwise arm a timer for the last millisecond (a wake-up).
  int64_t wait = now ? 0 : last_drain_ms_ + round_ms_ - NowMs();
  if (wait <= round_ms_ / 5) wait = 0;
  // The next inotify tick (at most a round away) runs it, or arms this timer
  // when it finds the directories quiet.
  if (wait > 0 && InotifyTicking()) return;
  if (drain_scheduled_) {
    if (wait > 0) return;
    // A backlog (or a round already due) while a later round is armed: now.
    if (drain_timer_.cancel() == 0) return;  // already posted, or firing
  }
  drain_scheduled_ = true;
  if (wait <= 0 && in_tick_) {
    drain_in_tick_ = true;
    return;
  }
  if (wait <= 0) {
    boost::asio::post(io_, [this] { Drain(); });
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(wait));
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: re-posted by ScheduleDrain, or stopped
    Drain();
  });
}

void Tailer::Drain() {
  drain_scheduled_ = false;
  if (stopped_) return;
  last_drain_ms_ = NowMs();
  std::vector<std::shared_ptr<FileTailer>> batch;
  batch.swap(queue_);
  const int64_t now = NowMs();
  const int64_t wall_now = WallClockMs();
  for (auto& file : batch) file->queued = false;
  for (auto& file : batch) {
    if (file->parked()) {
      MakeRoom(1);
      if (!file->Unpark()) {
        ReplaceParked(file);
        continue;
      }
    }
    if (!file->is_open()) continue;
    SourceStats& stats = stats_[file->source()];
    file->set_vouched(FileCovered(*file));
    auto status = file->ReadSome(static_cast<size_t>(config_.read_chunk_bytes), &buffers_, sink_,
                                 &stats);
    if (status == FileTailer::ReadStatus::kData) {
      file->last_growth_ms = now;
      file->last_seen_wall_ms = wall_now;
      file->known_size = std::max(file->known_size, file->read_offset());
      read_since_poll_ = true;  // the quick poll refreshes the lag gauge
      // Fair: one chunk per file per turn, come back for more at once. A
      // read that reached the end waits for the next event (or poll).
      if (!file->read_to_end()) Queue(file, /*now=*/true);
    } else if (status == FileTailer::ReadStatus::kReplaced) {
      HandleTruncation(file, file->Record(false).offset);
    } else if (status == FileTailer::ReadStatus::kEndOfFile) {
      // Shrunk below our offset (copytruncate) shows up as end-of-file here.
      struct stat st;
      const bool stated = ::fstat(file->fd(), &st) == 0;
      if (stated) file->known_size = static_cast<uint64_t>(st.st_size);
      if (file->known_size < file->read_offset() || file->ContentReplaced(file->known_size)) {
        HandleTruncation(file, file->Record(false).offset);
      } else if (stated) {
        // Checked as of `st`: the full poll reads the first bytes again only
        // if the file changed since.
        file->MarkContentChecked(st);
      }
    }
  }
  MakeRoom(0);
  UpdateGauges(/*stat_active=*/false, /*stat_retired=*/false);
  if (read_since_poll_) WantQuickPoll();
  round_done_();
  ScheduleDrain();
}

}  // namespace errpulse
