// Tailer, part three: noticing change through inotify. The watches on the
// directories, what their filesystems let inotify see (coverage, which
// decides what the quick poll must stat instead), the events, and the bound
// on open files. See tailer.h for the guarantees.
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/paths.h"
#include "tail/filesystem_kind.h"
#include "tail/tailer.h"

namespace errpulse {
namespace {

constexpr uint32_t kDirectoryEvents = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF |
                                      IN_MOVE_SELF;

}  // namespace

void Tailer::WatchDirectory(const std::string& dir) {
  if (inotify_fd_ < 0 || watched_.count(dir)) return;
  // The directory's identity before the watch: if the path is swapped in
  // between, the full poll sees a mismatch and watches it again.
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return;  // not there yet: the quick poll tries again
  const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kDirectoryEvents | IN_ONLYDIR);
  if (wd < 0) {
    if (errno == ENOSPC && !warned_watch_limit_) {
      warned_watch_limit_ = true;
      spdlog::warn("out of inotify watches (fs.inotify.max_user_watches) at {}: directories "
                   "without one are polled every {} ms",
                   dir, config_.poll_interval_ms);
    }
    return;  // not watched: the quick poll stats its files
  }
  const auto fs = FilesystemOf(dir);
  const bool complete = fs && fs->inotify_complete;
  watched_[dir] = {wd, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   complete};
  auto& names = watch_dirs_[wd];
  if (std::find(names.begin(), names.end(), dir) == names.end()) names.push_back(dir);
  fresh_watches_.insert(dir);
  WantQuickPoll();
  if (!complete)
    spdlog::info("{} is on {}: inotify does not see every write there (other hosts', a FUSE "
                 "server's); its files are stat()ed every {} ms",
                 dir, fs ? fs->name : "a filesystem statfs cannot name", config_.poll_interval_ms);
}

void Tailer::Unwatch(int wd) {
  auto it = watch_dirs_.find(wd);
  if (it == watch_dirs_.end()) return;
  for (const auto& dir : it->second) watched_.erase(dir);
  watch_dirs_.erase(it);
  ::inotify_rm_watch(inotify_fd_, wd);  // its IN_IGNORED finds no directory: skipped
}

void Tailer::DropStaleWatches() {
  std::vector<int> stale;
  for (const auto& [dir, watch] : watched_) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_dev) != watch.device ||
        static_cast<uint64_t>(st.st_ino) != watch.inode)
      stale.push_back(watch.wd);
  }
  for (int wd : stale) Unwatch(wd);
}

bool Tailer::DirCovered(std::string_view dir) const {
  if (!inotify_ || inotify_failed_ || fresh_watches_.count(dir)) return false;
  auto it = watched_.find(dir);
  return it != watched_.end() && it->second.inotify_complete;
}

bool Tailer::FileCovered(const FileTailer& file) const {
  // Called for every file at every read round: views, no allocation.
  return DirCovered(DirNameView(file.path())) &&
         (file.real_path() == file.path() || DirCovered(DirNameView(file.real_path())));
}

bool Tailer::PatternCovered(const std::string& pattern) const {
  // A glob in the directory part can match directories that appear later,
  // in a parent nobody watches.
  const std::string dir = DirName(pattern);
  return !HasGlobChars(dir) && DirCovered(dir);
}

void Tailer::SettleWatches(const DirSet& fresh_at_start) {
  for (const auto& dir : fresh_at_start) fresh_watches_.erase(dir);
}

size_t Tailer::OpenCount() const {
  size_t open = retired_.size();
  for (const auto& [key, file] : active_) open += file->parked() ? 0 : 1;
  return open;
}

void Tailer::MakeRoom(size_t needed) {
  const size_t bound = static_cast<size_t>(config_.max_open_files);
  // Every file followed fits: no need to count the open ones (a walk over
  // all files, at every read round).
  if (active_.size() + retired_.size() + needed <= bound) return;
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
        if (ec) return InotifyFailed("reading inotify events failed: " + ec.message());
        HandleInotifyBuffer(bytes);
        // More may follow soon (a writer appending continuously): look at
        // the queue again after one read round rather than waking for each
        // event; InotifyTick() goes back to waiting once it is quiet. The
        // descriptor leaves the reactor meanwhile: registered (edge-
        // triggered), every event would still wake the thread.
        inotify_->release();
        ArmInotifyTick();
      });
}

void Tailer::ArmInotifyTick() {
  inotify_tick_.expires_after(std::chrono::milliseconds(round_ms_));
  inotify_tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) InotifyTick();
  });
}

void Tailer::InotifyFailed(const std::string& why) {
  spdlog::warn("{}; stat()ing every file every {} ms", why, config_.poll_interval_ms);
  inotify_failed_ = true;
  WantQuickPoll();
  ScheduleDrain();  // what waited for a tick
}

void Tailer::InotifyTick() {
  // The whole queue, a buffer at a time (bounded: a flood is read on at the
  // next round, and an overflow is caught by the full poll).
  constexpr int kMaxReadsPerRound = 32;
  bool got_events = false;
  in_tick_ = true;
  for (int reads = 0; reads < kMaxReadsPerRound; ++reads) {
    ssize_t n;
    do {
      n = ::read(inotify_fd_, inotify_buffer_.data(), inotify_buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      in_tick_ = false;
      InotifyFailed(std::string("reading inotify events failed: ") +
                    (n < 0 ? std::strerror(errno) : "end of file"));
      if (drain_in_tick_) {  // what the events before the failure queued
        drain_in_tick_ = false;
        Drain();
      }
      return;
    }
    got_events = true;
    HandleInotifyBuffer(static_cast<size_t>(n));
    // Room was left for another event of the longest name: the queue was
    // empty (what comes now is read at the next round).
    if (static_cast<size_t>(n) + sizeof(inotify_event) + NAME_MAX + 1 <= inotify_buffer_.size())
      break;
  }
  // Files queued before (by an earlier tick or a poll) waited for this one.
  if (got_events) ScheduleDrain();
  in_tick_ = false;
  if (!got_events) {
    // Quiet: back in the reactor, wait for the next event.
    boost::system::error_code ec;
    inotify_->assign(inotify_fd_, ec);
    if (ec) return InotifyFailed("watching inotify failed: " + ec.message());
    ReadInotify();
    ScheduleDrain();  // files queued meanwhile by a poll waited for this tick
    return;
  }
  ArmInotifyTick();
  if (drain_in_tick_) {
    drain_in_tick_ = false;
    Drain();
  }
}

void Tailer::HandleInotifyBuffer(size_t bytes) {
  bool rescan = false;
  for (size_t at = 0; at + sizeof(inotify_event) <= bytes;) {
    const auto* event = reinterpret_cast<const inotify_event*>(inotify_buffer_.data() + at);
    at += sizeof(inotify_event) + event->len;
    if (event->mask & IN_Q_OVERFLOW) {  // events were lost: look at everything
      rescan = true;
      continue;
    }
    auto dir = watch_dirs_.find(event->wd);
    if (dir == watch_dirs_.end()) continue;
    if (event->mask & IN_IGNORED) {  // deleted or unmounted: the quick poll takes over
      for (const auto& name : dir->second) watched_.erase(name);
      watch_dirs_.erase(dir);
      WantQuickPoll();
      continue;
    }
    if (event->mask & IN_MOVE_SELF) {
      // Renamed: the watch follows the directory, but its path names
      // another one (or none) now. Look at every path again.
      Unwatch(event->wd);
      rescan = true;
      continue;
    }
    if (event->len == 0) continue;
    const bool content_only = (event->mask & ~IN_ISDIR) == IN_MODIFY;
    // Copied: HandlePathEvent may add names to this watch.
    const std::vector<std::string> names = dir->second;
    for (const auto& name : names) HandlePathEvent(name + "/" + event->name, content_only);
  }
  // A rotated-away file may still be written under its new name.
  for (auto& file : retired_) Queue(file);
  if (rescan) Poll();
}

void Tailer::HandlePathEvent(const std::string& path, bool content_only) {
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
  auto alias = aliases_.find(path);
  if (alias == aliases_.end()) return;
  const std::vector<Key> keys(alias->second.begin(), alias->second.end());
  std::vector<Key> stale;
  for (const auto& key : keys) {
    auto it = active_.find(key);
    if (it == active_.end()) {
      stale.push_back(key);
    } else if (content_only) {
      Queue(it->second);
    } else {
      CheckPath(key.first, key.second, false);
    }
  }
  if (alias = aliases_.find(path); alias != aliases_.end()) {
    for (const auto& key : stale) alias->second.erase(key);
    if (alias->second.empty()) aliases_.erase(alias);
  }
}

}  // namespace errpulse
