// Tailer, part four: the safety-net polls and the gauges. The full poll
// (every rescan_interval, or at once after an inotify overflow) stats every
// path; the quick poll (every poll_interval, only while there is something
// inotify cannot vouch for) stats just that. See tailer.h for the guarantees.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "common/paths.h"
#include "tail/tailer.h"

namespace errpulse {

void Tailer::SchedulePoll() {
  if (stopped_) return;
  int64_t delay = std::max<int64_t>(0, next_full_poll_ms_ - NowMs());
  if (NeedsQuickPoll()) delay = std::min(delay, config_.poll_interval_ms);
  ArmPollTimer(delay);
}

void Tailer::ArmPollTimer(int64_t delay_ms) {
  poll_due_ms_ = NowMs() + delay_ms;
  poll_timer_.expires_after(std::chrono::milliseconds(delay_ms));  // cancels a pending wait
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;  // operation_aborted: re-armed or stopped
    OnPollTimer();
  });
}

void Tailer::OnPollTimer() {
  // A millisecond's slack: the timer and NowMs() round differently.
  if (NowMs() + 1 >= next_full_poll_ms_) {
    Poll();
  } else {
    QuickPoll();
  }
  SchedulePoll();
}

void Tailer::WantQuickPoll() {
  if (stopped_ || poll_due_ms_ == 0) return;  // Start() schedules the first poll
  if (poll_due_ms_ > NowMs() + config_.poll_interval_ms) ArmPollTimer(config_.poll_interval_ms);
}

bool Tailer::NeedsQuickPoll() const {
  if (!inotify_ || inotify_failed_ || read_since_poll_ || !retired_.empty() || !retry_.empty())
    return true;
  for (const auto& source : config_.sources)
    for (const auto& pattern : source.paths)
      if (!PatternCovered(pattern)) return true;
  for (const auto& [key, file] : active_)
    if (!FileCovered(*file)) return true;
  return false;
}

void Tailer::Poll() {
  const auto fresh = fresh_watches_;
  DropStaleWatches();
  for (size_t s = 0; s < config_.sources.size(); ++s) ScanSource(s, /*new_at_end=*/false);
  // Watches lost for the directories of symlinks' targets.
  for (const auto& [key, file] : active_)
    if (file->real_path() != file->path()) WatchDirectory(DirName(file->real_path()));
  // The paths were just stat()ed by ScanSource (CheckPath sets known_size).
  EndPollRound(fresh);
  next_full_poll_ms_ =
      last_poll_ms_ + std::max(config_.rescan_interval_ms, config_.poll_interval_ms);
  round_done_();
}

void Tailer::QuickPoll() {
  const auto fresh = fresh_watches_;
  for (size_t s = 0; s < config_.sources.size(); ++s) {
    std::set<std::string> checked;
    for (const auto& pattern : config_.sources[s].paths) {
      if (PatternCovered(pattern)) continue;  // new files there raise events
      const std::string dir = DirName(pattern);
      if (!HasGlobChars(dir)) WatchDirectory(dir);
      for (const auto& path : ExpandPattern(pattern)) {
        if (HasGlobChars(dir)) WatchDirectory(DirName(path));
        auto it = active_.find({s, path});
        if (it != active_.end() && FileCovered(*it->second)) continue;
        if (checked.insert(path).second) CheckPath(s, path, /*new_at_end=*/false);
      }
    }
    // Followed files inotify cannot vouch for that the globs above did not
    // produce: under a covered pattern but through a symlink elsewhere, or
    // gone.
    std::vector<std::string> unvouched;
    for (const auto& [key, file] : active_)
      if (key.first == s && !checked.count(key.second) && !FileCovered(*file))
        unvouched.push_back(key.second);
    for (const auto& path : unvouched) CheckPath(s, path, /*new_at_end=*/false);
  }
  const std::vector<Key> retry(retry_.begin(), retry_.end());  // CheckPath updates retry_
  for (const auto& [source, path] : retry) CheckPath(source, path, /*new_at_end=*/false);
  // Files read since the last poll may still be behind: their size for the
  // lag gauge (an idle file's size is known from the read that reached its end).
  if (read_since_poll_) {
    for (const auto& [key, file] : active_) {
      struct stat st;
      if (file->last_growth_ms >= last_poll_ms_ && file->is_open() &&
          ::fstat(file->fd(), &st) == 0)
        file->known_size = static_cast<uint64_t>(st.st_size);
    }
  }
  EndPollRound(fresh);
  round_done_();
}

void Tailer::EndPollRound(const DirSet& fresh) {
  LetGoFinishedFiles();
  UpdateGauges(/*stat_active=*/false, /*stat_retired=*/true);
  SettleWatches(fresh);
  last_poll_ms_ = NowMs();
  read_since_poll_ = false;
}

void Tailer::LetGoFinishedFiles() {
  const int64_t grace_ms = std::max<int64_t>(5000, 2 * config_.poll_interval_ms);
  const int64_t now = NowMs();
  for (auto it = retired_.begin(); it != retired_.end();) {
    auto& file = *it;
    struct stat st;
    const bool at_end = ::fstat(file->fd(), &st) != 0 ||
                        static_cast<uint64_t>(st.st_size) <= file->read_offset();
    // format: auto still undecided (too few bytes to tell): a file rotated
    // away grows no more, so decide on what it has and read it.
    if (file->format() == LogFormat::kAuto && now - file->last_growth_ms >= grace_ms &&
        file->DecideFormat(/*complete=*/true)) {
      Queue(file);
      ++it;
      continue;
    }
    if (at_end && now - file->last_growth_ms >= grace_ms && !file->queued) {
      file->FlushPartial(&buffers_, sink_, &stats_[file->source()]);
      RememberKnown(file->source(), file->fingerprint());
      it = retired_.erase(it);
      ++generation_;
    } else {
      if (!at_end) Queue(file);
      ++it;
    }
  }
}

void Tailer::UpdateGauges(bool stat_active, bool stat_retired) {
  for (auto& stats : stats_) stats.files_open = stats.lag_bytes = 0;
  auto account = [&](FileTailer& file, bool stat_files) {
    SourceStats& stats = stats_[file.source()];
    if (!file.parked()) ++stats.files_open;
    struct stat st;
    if (stat_files && ::fstat(file.fd(), &st) == 0)
      file.known_size = static_cast<uint64_t>(st.st_size);
    if (file.known_size > file.read_offset())
      stats.lag_bytes += static_cast<int64_t>(file.known_size - file.read_offset());
  };
  for (const auto& [key, file] : active_) account(*file, stat_active);
  for (const auto& file : retired_) account(*file, stat_retired);
}

}  // namespace errpulse
