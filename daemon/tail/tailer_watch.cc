// Tailer, part three: noticing change. inotify events on the watched
// directories, the safety-net poll, the gauges, and the bound on open files.
// See tailer.h for the guarantees.
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include "common/paths.h"
#include "tail/tailer.h"

namespace errpulse {
namespace {

constexpr uint32_t kDirectoryEvents = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF |
                                      IN_MOVE_SELF;

}  // namespace

void Tailer::WatchDirectory(const std::string& dir) {
  if (inotify_fd_ < 0 || watched_.count(dir)) return;
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kDirectoryEvents | IN_ONLYDIR);
  if (wd < 0) return;  // not there yet: the poll tries again
  watched_.insert(dir);
  watch_dirs_[wd] = dir;
}

size_t Tailer::OpenCount() const {
  size_t open = retired_.size();
  for (const auto& [key, file] : active_) open += file->parked() ? 0 : 1;
  return open;
}

void Tailer::MakeRoom(size_t needed) {
  const size_t bound = static_cast<size_t>(config_.max_open_files);
  for (size_t open = OpenCount(); open + needed > bound; --open) {
    FileTailer* idlest = nullptr;
    for (const auto& [key, file] : active_) {
      if (file->parked() || file->queued) continue;
      if (!idlest || file->last_growth_ms < idlest->last_growth_ms) idlest = file.get();
    }
    if (!idlest) return;  // everything open is busy: go over for a moment
    idlest->Park();
  }
}

void Tailer::ReplaceParked(const std::shared_ptr<FileTailer>& file) {
  const size_t source = file->source();
  const std::string path = file->path();
  active_.erase({source, path});
  ++generation_;
  Reattach(source, file->Record(/*retired=*/false));
  CheckPath(source, path, /*new_at_end=*/false);
}

void Tailer::ReadInotify() {
  inotify_->async_read_some(
      boost::asio::buffer(inotify_buffer_),
      [this](const boost::system::error_code& ec, size_t bytes) {
        if (ec == boost::asio::error::operation_aborted || stopped_) return;
        if (ec) {
          spdlog::warn("reading inotify events failed: {}; relying on the poll", ec.message());
          return;
        }
        HandleInotifyBuffer(bytes);
        ReadInotify();
      });
}

void Tailer::HandleInotifyBuffer(size_t bytes) {
  bool rescan = false;
  for (size_t at = 0; at + sizeof(inotify_event) <= bytes;) {
    const auto* event = reinterpret_cast<const inotify_event*>(inotify_buffer_.data() + at);
    at += sizeof(inotify_event) + event->len;
    if (event->mask & IN_Q_OVERFLOW) {
      rescan = true;
      continue;
    }
    auto dir = watch_dirs_.find(event->wd);
    if (dir == watch_dirs_.end()) continue;
    if (event->mask & IN_IGNORED) {
      watched_.erase(dir->second);
      watch_dirs_.erase(dir);
      continue;
    }
    if (event->len == 0) continue;
    const std::string path = dir->second + "/" + event->name;
    const bool content_only = (event->mask & ~IN_ISDIR) == IN_MODIFY;
    for (size_t s = 0; s < config_.sources.size(); ++s) {
      auto it = active_.find({s, path});
      if (it != active_.end() && content_only) {
        Queue(it->second);  // the common case: no stat, just read
        continue;
      }
      bool wanted = it != active_.end();
      for (const auto& pattern : config_.sources[s].paths)
        wanted = wanted || ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0;
      if (wanted) CheckPath(s, path, false);
    }
    // A symlink's target, in a directory of its own.
    if (auto alias = aliases_.find(path); alias != aliases_.end()) {
      auto it = active_.find(alias->second);
      if (it == active_.end()) {
        aliases_.erase(alias);
      } else if (content_only) {
        Queue(it->second);
      } else {
        CheckPath(alias->second.first, alias->second.second, false);
      }
    }
  }
  // A rotated-away file may still be written under its new name.
  for (auto& file : retired_) Queue(file);
  if (rescan) Poll();
}

void Tailer::SchedulePoll() {
  poll_timer_.expires_after(std::chrono::milliseconds(config_.poll_interval_ms));
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Poll();
    SchedulePoll();
  });
}

void Tailer::Poll() {
  for (size_t s = 0; s < config_.sources.size(); ++s) ScanSource(s, /*new_at_end=*/false);
  // Let go of rotated-away files that reached their end and stopped growing.
  const int64_t grace_ms = std::max<int64_t>(5000, 2 * config_.poll_interval_ms);
  const int64_t now = NowMs();
  for (auto it = retired_.begin(); it != retired_.end();) {
    auto& file = *it;
    struct stat st;
    const bool at_end = ::fstat(file->fd(), &st) != 0 ||
                        static_cast<uint64_t>(st.st_size) <= file->read_offset();
    if (at_end && now - file->last_growth_ms >= grace_ms && !file->queued) {
      file->FlushPartial(sink_);
      RememberKnown(file->source(), file->fingerprint());
      it = retired_.erase(it);
      ++generation_;
    } else {
      if (!at_end) Queue(file);
      ++it;
    }
  }
  // The paths were just stat()ed by ScanSource (CheckPath sets known_size):
  // only rotated-away files need an fstat for their size.
  UpdateGauges(/*stat_active=*/false, /*stat_retired=*/true);
  round_done_();
}

void Tailer::UpdateGauges(bool stat_active, bool stat_retired) {
  for (auto& stats : stats_) stats.files_open = stats.lag_bytes = 0;
  auto account = [&](FileTailer& file, bool stat_files) {
    TailStats& stats = stats_[file.source()];
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
