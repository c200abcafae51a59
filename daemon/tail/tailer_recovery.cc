// Tailer, part two: getting back what happened while errpulse was not
// looking. Restarting from the committed FileRecords (Reattach), catching up
// with rotations that happened while it was stopped (CatchUpRotated), and
// recovering the unread rest of a file after copytruncate (HandleTruncation).
// See tailer.h for the guarantees.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "tail/compressed_rest.h"
#include "common/paths.h"
#include "common/time_format.h"
#include "tail/rotated_files.h"
#include "tail/tailer.h"

namespace errpulse {
namespace {

// How many fully read files per source are remembered (by fingerprint), so
// that their compressed rotations are not mistaken for unread ones.
constexpr size_t kKnownFilesKept = 1000;

// Clock and timestamp granularity: a file touched this long before the last
// commit may still hold lines written after it.
constexpr int64_t kMtimeSlackMs = 2000;

}  // namespace

void Tailer::RememberKnown(size_t source, const Fingerprint& fingerprint) {
  if (fingerprint.length == 0) return;
  auto& known = known_[source];
  if (std::find(known.begin(), known.end(), fingerprint) != known.end()) return;
  known.push_back(fingerprint);
  if (known.size() > kKnownFilesKept) known.pop_front();
}

bool Tailer::IsKnown(size_t source, const FilePrefix& prefix) const {
  for (const auto& fp : known_[source])
    if (PrefixMatches(prefix, fp)) return true;
  return false;
}

bool Tailer::IsFollowedPath(const std::string& path) const {
  for (const auto& source : config_.sources)
    for (const auto& pattern : source.paths)
      for (const auto& live : ExpandPattern(pattern))
        if (live == path) return true;
  return false;
}

std::vector<std::string> Tailer::RotationsOf(size_t source) const {
  std::vector<std::string> out;
  for (const auto& pattern : config_.sources[source].paths) {
    for (const auto& path : ExpandPattern(pattern)) {
      for (const char* suffix : {"", ".gz"})
        for (auto& c : RotationCandidates(path, suffix)) out.push_back(std::move(c));
    }
  }
  // A file one of the sources follows under its own name is not a rotation.
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const std::string& path) { return IsFollowedPath(path); }),
            out.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Tailer::MarkRotationsKnown(size_t source) {
  for (const auto& path : RotationsOf(source)) {
    FilePrefix prefix;
    if (ReadFilePrefix(path, &prefix) && !prefix.bytes.empty())
      RememberKnown(source, {static_cast<uint32_t>(prefix.bytes.size()),
                             FingerprintHash(prefix.bytes.data(), prefix.bytes.size())});
  }
}

void Tailer::CatchUpRotated(size_t source, int64_t since_wall_ms, const std::string& only_path) {
  const std::string only_dir = only_path.empty() ? "" : DirName(only_path);
  // Fingerprints taken while files were short (a rotation starts empty) are
  // extended first, or a file read from an open descriptor would not be
  // recognised in its compressed copy; and a file found rewritten under us is
  // restarted first, so that its new content is what gets compared.
  std::vector<std::shared_ptr<FileTailer>> rewritten;
  auto refresh = [&](const std::shared_ptr<FileTailer>& file) {
    struct stat st;
    if (file->source() != source) return;
    if (!only_dir.empty() && DirName(file->path()) != only_dir &&
        DirName(file->real_path()) != only_dir)
      return;
    if (::fstat(file->fd(), &st) != 0) return;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < file->read_offset() || file->ContentReplaced(size)) rewritten.push_back(file);
  };
  for (auto& [key, file] : active_) refresh(file);
  for (auto& file : retired_) refresh(file);
  for (auto& file : rewritten) {
    HandleTruncation(file, file->Record(false).offset);
    struct stat st;
    if (::fstat(file->fd(), &st) == 0) file->ContentReplaced(static_cast<uint64_t>(st.st_size));
  }
  const std::vector<FileRecord> records = Records(source);
  // The files at the followed paths now, opened or not yet: a sibling that
  // starts like one of them is a copytruncate copy in the making, not a file
  // we missed (the live file is read; the copy only past the offset).
  std::vector<std::string> live_prefixes;
  std::vector<std::string> live_paths;
  if (only_path.empty()) {
    for (const auto& pattern : config_.sources[source].paths)
      for (auto& path : ExpandPattern(pattern)) live_paths.push_back(std::move(path));
  } else {
    live_paths.push_back(only_path);
  }
  for (const auto& path : live_paths) {
    FilePrefix live;
    if (ReadFilePrefix(path, &live) && !live.bytes.empty()) live_prefixes.push_back(live.bytes);
  }
  auto starts_like_live = [&](const std::string& bytes) {
    for (const auto& live : live_prefixes) {
      // A few bytes in common (a timestamp's first digits) prove nothing.
      const size_t n = std::min(live.size(), bytes.size());
      const bool enough = n >= 64 || live.size() == bytes.size();
      if (enough && live.compare(0, n, bytes, 0, n) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> candidates;
  if (only_path.empty()) {
    candidates = RotationsOf(source);
  } else {
    for (const char* suffix : {"", ".gz"})
      for (auto& c : RotationCandidates(only_path, suffix))
        if (!IsFollowedPath(c)) candidates.push_back(std::move(c));
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  // Counted whole in this pass: gzip leaves the plain file beside the
  // finished .gz for a moment, and the twin must not be counted again.
  std::vector<Fingerprint> counted_now;
  for (const auto& path : candidates) {
    FilePrefix prefix;
    if (!ReadFilePrefix(path, &prefix) || prefix.bytes.empty()) continue;
    if (starts_like_live(prefix.bytes)) continue;
    if (prefix.mtime_ms < since_wall_ms - kMtimeSlackMs) continue;  // untouched since
    bool followed = false;
    for (const auto& file : retired_)
      followed = followed || (!prefix.compressed && file->identity().inode == prefix.inode);
    for (const auto& [key, file] : active_)
      followed = followed || (!prefix.compressed && file->identity().inode == prefix.inode);
    for (const auto& record : records) followed = followed || PrefixMatches(prefix, record.fingerprint);
    for (const auto& fp : counted_now) followed = followed || PrefixMatches(prefix, fp);
    if (followed || IsKnown(source, prefix)) continue;
    // Created and rotated away while errpulse was stopped: all of it is new.
    const Fingerprint fingerprint{static_cast<uint32_t>(prefix.bytes.size()),
                                  FingerprintHash(prefix.bytes.data(), prefix.bytes.size())};
    spdlog::info("source '{}': {} was created and rotated away before errpulse saw it; counting "
                 "all of it", config_.sources[source].name, path);
    counted_now.push_back(fingerprint);
    if (prefix.compressed) {
      FileRecord whole;
      whole.path = path;
      whole.fingerprint = fingerprint;
      if (ReadCompressedRest(path, whole, static_cast<size_t>(config_.max_line_bytes),
                             [&](std::string_view lines) { sink_(source, lines, ChunkMeta{}); },
                             &stats_[source]))
        RememberKnown(source, fingerprint);
    } else {
      auto file = MakeFile(path, source);
      if (file->OpenAt(0, false) == 0) Retire(file);
    }
  }
}

void Tailer::HandleTruncation(const std::shared_ptr<FileTailer>& file, uint64_t offset) {
  const size_t source = file->source();
  ++stats_[source].truncations;
  spdlog::info("source '{}': {} was truncated or rewritten at offset {}; reading it from the "
               "beginning", config_.sources[source].name, file->path(), offset);
  if (file->fingerprint().length > 0) {  // even at offset 0: the copy may hold lines not read yet
    // The copy: plain, or already compressed when we are more than a
    // rotation behind (delaycompress compresses it at the next one).
    FileRecord record = file->Record(/*retired=*/false);
    record.offset = offset;
    if (!ReadCopyFrom(file->path(), record, source)) ReadCompressedCopy(source, record);
  }
  RememberKnown(source, file->fingerprint());
  const int64_t last_seen = file->last_seen_wall_ms;
  file->Restart();
  Queue(file);
  // Truncated more than once since we last read it: the copies in between
  // start with bytes we never saw.
  if (!file->path().empty()) CatchUpRotated(source, last_seen, file->path());
}

bool Tailer::ReadCopyFrom(const std::string& original, const FileRecord& at, size_t source) {
  const uint64_t offset = at.offset;
  // copytruncate copied the file before truncating it: the copy is a sibling
  // that starts with the same bytes (newest first, in case older rotations
  // start the same way).
  for (const auto& path : RotationCandidates(original, "")) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_ino) == at.identity.inode ||
        static_cast<uint64_t>(st.st_size) < offset)
      continue;
    auto copy = MakeFile(path, source);
    FileRecord from = at;
    from.path = path;
    from.retired = true;
    if (copy->OpenAt(from) != 0 || !FingerprintMatches(copy->fd(), at.fingerprint)) continue;
    spdlog::info("source '{}': reading the rest of {} from its copy {} (offset {})",
                 config_.sources[source].name, original, path, offset);
    Retire(copy);
    return true;
  }
  return false;
}

bool Tailer::ReadCompressedCopy(size_t source, const FileRecord& record) {
  // Newest first: the copy is usually the most recent rotation.
  std::vector<std::string> candidates = RotationsOf(source);
  std::sort(candidates.begin(), candidates.end(), [](const std::string& a, const std::string& b) {
    struct stat sa, sb;
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_mtime > sb.st_mtime;
  });
  for (const auto& path : candidates) {
    if (path.size() < 3 || path.compare(path.size() - 3, 3, ".gz") != 0) continue;
    const bool read = ReadCompressedRest(
        path, record, static_cast<size_t>(config_.max_line_bytes),
        [&](std::string_view lines) { sink_(source, lines, ChunkMeta{}); }, &stats_[source]);
    if (read) {
      spdlog::info("source '{}': {} was rotated and compressed to {} while errpulse was stopped; "
                   "counted the rest of it from offset {}",
                   config_.sources[source].name, record.path, path, record.offset);
      RememberKnown(source, record.fingerprint);
      return true;
    }
  }
  return false;
}

void Tailer::Reattach(size_t source, const FileRecord& record) {
  const std::string& name = config_.sources[source].name;
  SourceStats& stats = stats_[source];
  // A rotated-away file that was still empty: nothing of it was counted and
  // nothing identifies it. If it got lines later, CatchUpRotated() finds it
  // as a file it never saw.
  if (record.retired && record.offset == 0 && record.fingerprint.length == 0) return;
  // Where is the file now? A followed path with the same inode is the same
  // file, truncated in place when its fingerprint changed (copytruncate) or
  // replaced by a new file that was given the inode: either way the content
  // there is new. Anywhere else, and for a file already rotated away, only
  // inode and fingerprint together identify it: inodes of deleted rotations
  // are reused at once.
  struct stat st;
  std::string found;
  if (!record.retired && ::stat(record.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_dev) == record.identity.device &&
      static_cast<uint64_t>(st.st_ino) == record.identity.inode) {
    found = record.path;
  } else {
    found = FindRenamed(record);
  }
  auto file = MakeFile(found.empty() ? record.path : found, source);
  file->last_seen_wall_ms = WallClockMs();
  if (found.empty() || file->OpenAt(record) != 0) {
    if (!record.retired) vanished_.emplace(Key{source, record.path}, WallClockMs());
    // Nothing read from it yet and nothing to recognise it by: if it was
    // rotated away, CatchUpRotated() finds it as a file it never saw.
    if (record.offset == 0 && record.fingerprint.length == 0) return;
    // Copied by copytruncate before the original was renamed, or compressed
    // (plain first: while gzip runs, the plain file is the complete one).
    if (ReadCopyFrom(record.path, record, source) ||
        ReadCompressedCopy(source, record))
      return;
    ++stats.files_lost;
    spdlog::warn("source '{}': {} is gone (deleted, or rotated and compressed while errpulse was "
                 "stopped); lines written to it after offset {}, if any, are not counted",
                 name, record.path, record.offset);
    return;
  }
  const uint64_t size = ::fstat(file->fd(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (size < record.offset || !FingerprintMatches(file->fd(), record.fingerprint)) {
    // Truncated or rewritten in place while we were stopped (copytruncate,
    // or the path's inode now holds another file).
    ++stats.truncations;
    spdlog::info("source '{}': {} was truncated or replaced while errpulse was stopped "
                 "(offset {}, size now {})",
                 name, file->path(), record.offset, size);
    if (record.fingerprint.length > 0) {  // even at offset 0: unread lines may be in a copy
      FileRecord copy = record;
      copy.path = file->path();
      if (!ReadCopyFrom(file->path(), record, source)) ReadCompressedCopy(source, copy);
    }
    RememberKnown(source, record.fingerprint);
    file->Restart();
    file->ContentReplaced(size);  // fingerprint the new content
  }
  if (!record.retired && found == record.path) {
    spdlog::info("source '{}': resuming {} at offset {}", name, found, file->read_offset());
    active_[{source, found}] = file;
    ++generation_;
    Queue(file);
    return;
  }
  if (!record.retired) {
    vanished_.emplace(Key{source, record.path}, WallClockMs());
    spdlog::info("source '{}': {} was rotated to {} while errpulse was stopped; reading the rest "
                 "of it", name, record.path, found);
  }
  Retire(file);
}

}  // namespace errpulse
