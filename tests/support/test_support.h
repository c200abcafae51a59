// Test support: temporary directories, files, running the real errpulsed
// binary as a child process, and a minimal HTTP GET against 127.0.0.1.
//
// For tests only; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace errpulse::testing {

// The source tree (rules, catalog, samples) and the built errpulsed binary.
std::string SourcePath(const std::string& relative);
std::string ErrpulsedPath();

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);
void AppendFile(const std::string& path, const std::string& text);

// Runs a command to completion; returns its exit status and output.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv);

// Whether the tests run under CI (CI=true or 1), where a missing tool or
// privilege is a failure rather than a reason to skip.
bool RunningUnderCi();

// A port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
int FreePort();
// A TCP socket listening on 127.0.0.1 on a free port (for servers a test
// plays); returns its descriptor and sets *port.
int ListenOnLoopback(int* port);

// The real daemon as a child process; stopped (SIGTERM, then SIGKILL) on destruction.
class DaemonProcess {
 public:
  explicit DaemonProcess(std::vector<std::string> args);
  ~DaemonProcess();
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the exit; returns the exit status (or 128+signal).
  int StopWith(int signal);
  std::string Log() const;  // what it wrote to stderr so far

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// GET http://127.0.0.1:port/path; returns the status code (0 on connection
// failure) and body.
struct HttpResult {
  int status = 0;
  std::string body;
};
HttpResult HttpGet(int port, const std::string& path);
// Sends `request` as written (any method, headers, body) and returns the
// status code (0 on failure) and the whole response, headers included.
HttpResult HttpRaw(int port, const std::string& request);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Parses a Prometheus text exposition into "name{labels}" -> value, with the
// labels as printed by the exposition.
std::map<std::string, double> ParseMetrics(const std::string& text);
// The value of the series whose name is `name` and whose labels include all
// of `labels` ("k=\"v\"" fragments); sums when several match; 0 when none.
double MetricValue(const std::string& text, const std::string& name,
                   const std::vector<std::string>& labels = {});

}  // namespace errpulse::testing
