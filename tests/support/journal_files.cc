#include "support/journal_files.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace errpulse::testing {
namespace {

// A realtime in December 2025, far from 0 and from journald's upper bound.
constexpr uint64_t kBaseRealtimeUsec = 1765000000000000ULL;
constexpr uint64_t kBaseMonotonicUsec = 1000000ULL;
constexpr uint64_t kStepUsec = 1000;

bool Printable(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 32 && c != '\t') || c == 127) return false;
  }
  return true;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "Finishing after writing N entries": what journal-remote says it stored.
long EntriesWritten(const std::string& log) {
  const std::string marker = "Finishing after writing ";
  const size_t at = log.rfind(marker);
  if (at == std::string::npos) return -1;
  return std::strtol(log.c_str() + at + marker.size(), nullptr, 10);
}

}  // namespace

uint64_t JournalTestRealtime(uint64_t sequence) {
  return kBaseRealtimeUsec + sequence * kStepUsec;
}

JournalTestEntry MakeJournalEntry(uint64_t sequence, std::string message, std::string unit,
                                  std::string identifier) {
  JournalTestEntry entry;
  entry.message = std::move(message);
  entry.realtime_usec = JournalTestRealtime(sequence);
  entry.monotonic_usec = kBaseMonotonicUsec + sequence * kStepUsec;
  entry.unit = std::move(unit);
  entry.identifier = std::move(identifier);
  return entry;
}

void AppendExportField(std::string* out, std::string_view name, std::string_view value,
                       bool force_binary) {
  out->append(name);
  if (!force_binary && Printable(value)) {
    out->push_back('=');
    out->append(value);
    out->push_back('\n');
    return;
  }
  out->push_back('\n');
  uint64_t size = value.size();
  for (int i = 0; i < 8; ++i) {
    out->push_back(static_cast<char>(size & 0xff));  // little-endian, whatever the host
    size >>= 8;
  }
  out->append(value);
  out->push_back('\n');
}

std::string ToJournalExport(const std::vector<JournalTestEntry>& entries) {
  std::string out;
  for (const JournalTestEntry& entry : entries) {
    AppendExportField(&out, "__REALTIME_TIMESTAMP", std::to_string(entry.realtime_usec));
    AppendExportField(&out, "__MONOTONIC_TIMESTAMP", std::to_string(entry.monotonic_usec));
    AppendExportField(&out, "_BOOT_ID", entry.boot_id);
    if (entry.has_message) AppendExportField(&out, "MESSAGE", entry.message);
    if (!entry.unit.empty()) AppendExportField(&out, "_SYSTEMD_UNIT", entry.unit);
    if (!entry.identifier.empty()) AppendExportField(&out, "SYSLOG_IDENTIFIER", entry.identifier);
    for (const auto& [name, value] : entry.fields) AppendExportField(&out, name, value);
    out.push_back('\n');  // the blank line that ends the entry
  }
  return out;
}

std::string JournalRemotePath() {
  // Debian 12 ships it in /lib/systemd; merged-/usr systems also see it under /usr.
  for (const char* path :
       {"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string WriteJournalFile(const std::string& path,
                             const std::vector<JournalTestEntry>& entries) {
  LiveJournalFile writer(path);
  if (!writer.Append(entries)) return writer.error();
  return writer.Close();
}

LiveJournalFile::LiveJournalFile(std::string path) : path_(std::move(path)) {
  const std::string tool = JournalRemotePath();
  if (tool.empty()) {
    error_ = "systemd-journal-remote is not installed";
    return;
  }
  // A journal-remote that died must fail the test (EPIPE), not kill the
  // whole test binary with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  char log_pattern[] = "/tmp/errpulse-journal-remote-XXXXXX";
  const int log_fd = ::mkstemp(log_pattern);
  if (log_fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(log_fd);
  log_path_ = log_pattern;

  int pipe_fds[2];
  // O_CLOEXEC: no other child may inherit the write end, or journal-remote
  // would never see the end of its input.
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const std::string output = "--output=" + path_;
  std::vector<char*> args = {const_cast<char*>(tool.c_str()), const_cast<char*>(output.c_str()),
                             const_cast<char*>("-"), nullptr};
  const int rc = ::posix_spawn(&pid_, tool.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  if (rc != 0) {
    ::close(pipe_fds[1]);
    pid_ = -1;
    error_ = "cannot start " + tool + ": " + std::strerror(rc);
    return;
  }
  input_ = pipe_fds[1];
}

LiveJournalFile::~LiveJournalFile() {
  Close();
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
}

bool LiveJournalFile::Append(const std::vector<JournalTestEntry>& entries) {
  if (input_ < 0) {
    if (error_.empty()) error_ = "journal-remote's input is closed";
    return false;
  }
  const std::string data = ToJournalExport(entries);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(input_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = std::string("writing to journal-remote: ") + std::strerror(errno) + "; its log: " +
               Log();
      return false;
    }
    done += static_cast<size_t>(n);
  }
  appended_ += entries.size();
  return true;
}

bool LiveJournalFile::WaitForEntries(size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (CountJournalEntries(path_) >= static_cast<long>(count)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string LiveJournalFile::Close() {
  if (pid_ < 0) return error_;
  if (input_ >= 0) {
    ::close(input_);
    input_ = -1;
  }
  // journal-remote exits at the end of its input; give it 10 s.
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 1000 && !exited; ++i) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  const std::string log = Log();
  if (!exited) {
    error_ = "systemd-journal-remote did not exit at the end of its input; its log: " + log;
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error_ = "systemd-journal-remote failed (status " + std::to_string(status) + "): " + log;
  } else if (EntriesWritten(log) != static_cast<long>(appended_)) {
    error_ = "systemd-journal-remote stored " + std::to_string(EntriesWritten(log)) + " of " +
             std::to_string(appended_) + " entries: " + log;
  }
  return error_;
}

std::string LiveJournalFile::Log() const { return log_path_.empty() ? "" : ReadWhole(log_path_); }

long CountJournalEntries(const std::string& path) {
  const char* paths[] = {path.c_str(), nullptr};
  sd_journal* journal = nullptr;
  if (sd_journal_open_files(&journal, paths, 0) < 0) return -1;
  long count = 0;
  int r;
  while ((r = sd_journal_next(journal)) > 0) ++count;
  sd_journal_close(journal);
  return r < 0 ? -1 : count;
}

}  // namespace errpulse::testing
