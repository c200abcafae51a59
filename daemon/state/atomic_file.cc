#include "state/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace errpulse {
namespace {

std::string Failed(const char* step, const std::string& path) {
  return std::string(step) + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string WriteFileAtomically(const std::string& path, std::string_view content, int dir_fd,
                                bool* replaced) {
  if (replaced) *replaced = false;
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("cannot create", temp);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = Failed("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return error;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string error = Failed("cannot fsync", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return error;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string error = Failed("cannot rename onto", path);
    ::unlink(temp.c_str());
    return error;
  }
  if (replaced) *replaced = true;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const bool borrowed = dir_fd >= 0;
  if (!borrowed) dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Failed("cannot open directory", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  std::string error = synced ? "" : Failed("cannot fsync directory", dir);
  if (!borrowed) ::close(dir_fd);
  return error;
}

}  // namespace errpulse
