#include "tail/rotated_files.h"

#include "common/paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>

namespace errpulse {
namespace {

int64_t MtimeMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

}  // namespace

std::vector<std::string> RotationCandidates(const std::string& path, const char* suffix) {
  // logrotate's names: app.log.1, app.log-20261126 (base + anything), and
  // with `dateext` + `extension .log`: app-20261126.log (stem + '-' + digit).
  const std::string dir = DirName(path);
  const std::string base = path.substr(path.rfind('/') + 1);
  const std::string stem = base.substr(0, base.find('.'));
  std::vector<std::string> names = ExpandPattern(dir + "/" + base + "*" + suffix);
  if (!stem.empty() && stem != base) {
    for (auto& n : ExpandPattern(dir + "/" + stem + "-[0-9]*" + suffix)) names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<std::pair<int64_t, std::string>> found;
  for (auto& candidate : names) {
    struct stat st;
    if (candidate == path || ::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    found.emplace_back(MtimeMs(st), std::move(candidate));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

bool ReadFilePrefix(const std::string& path, FilePrefix* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  out->inode = static_cast<uint64_t>(st.st_ino);
  out->mtime_ms = MtimeMs(st);
  // zlib reads plain files as they are (gzdirect), so one reader serves both.
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return false;
  char buffer[kFingerprintBytes];
  size_t size = 0;
  while (size < kFingerprintBytes) {
    int n = gzread(file, buffer + size, static_cast<unsigned>(kFingerprintBytes - size));
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  out->compressed = !gzdirect(file);
  gzclose(file);
  out->bytes.assign(buffer, size);
  return true;
}

bool PrefixMatches(const FilePrefix& prefix, const Fingerprint& fingerprint) {
  return fingerprint.length > 0 && prefix.bytes.size() >= fingerprint.length &&
         FingerprintHash(prefix.bytes.data(), fingerprint.length) == fingerprint.hash;
}

std::string FindRenamed(const FileRecord& record) {
  for (const auto& path : ExpandPattern(DirName(record.path) + "/*")) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<uint64_t>(st.st_dev) != record.identity.device ||
        static_cast<uint64_t>(st.st_ino) != record.identity.inode)
      continue;
    // Same inode: the same file only if it still starts the same (inodes are
    // reused as soon as a rotated file is compressed and deleted).
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // An empty fingerprint identifies nothing: an inode alone is not enough.
    const bool same = record.fingerprint.length > 0 && FingerprintMatches(fd, record.fingerprint);
    ::close(fd);
    if (same) return path;
  }
  return "";
}

}  // namespace errpulse
