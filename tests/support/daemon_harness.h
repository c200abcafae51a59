// Test support for tests that run the real daemon on a config of their own:
// a Daemon that writes the config (a free port, a state directory in the
// test's TempDir) and waits until it is ready, config snippets, and waiting
// for /metrics values.
//
// For tests only; not thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.h"

namespace errpulse::testing {

using std::chrono::milliseconds;

// Lines joined with (and each ended by) a newline; `line` repeated n times.
std::string Join(const std::vector<std::string>& lines);
std::string Repeat(const std::string& line, int n);

std::string Scrape(int port);  // GET /metrics
// Every series of `name` whose labels contain all `labels` fragments.
std::vector<std::pair<std::string, double>> Series(const std::string& text,
                                                   const std::string& name,
                                                   const std::vector<std::string>& labels);
std::string Label(const std::string& key, const std::string& value);  // key="value"
std::string Src(const std::string& source);                           // source="..."
// Exactly one errpulse_errors_total series for (source, code) exists, with the
// given domain and category labels, and its value is `want`.
::testing::AssertionResult ErrorSeriesIs(const std::string& text, const std::string& source,
                                         const std::string& code, const std::string& domain,
                                         const std::string& category, double want);
// Polls /metrics until `pred(value of name{labels})` holds.
::testing::AssertionResult WaitMetricPred(int port, const std::string& name,
                                          const std::vector<std::string>& labels,
                                          const std::function<bool(double)>& pred,
                                          const std::string& what,
                                          milliseconds timeout = milliseconds(8000));
::testing::AssertionResult WaitMetric(int port, const std::string& name,
                                      const std::vector<std::string>& labels, double want,
                                      milliseconds timeout = milliseconds(8000));
::testing::AssertionResult WaitMetricAtLeast(int port, const std::string& name,
                                             const std::vector<std::string>& labels,
                                             double want,
                                             milliseconds timeout = milliseconds(8000));
double Value(int port, const std::string& name, const std::vector<std::string>& labels);

// The real daemon on a config written into `dir`: `body` is everything but
// listen and state_dir. Retries with another port when the one FreePort()
// handed out was taken in between (tests may run in parallel).
class Daemon {
 public:
  Daemon(const TempDir& dir, const std::string& body)
      : dir_(dir), body_(body), config_path_(dir.File("errpulse.yaml")) {}

  // Writes the config and waits for /-/ready.
  ::testing::AssertionResult Start();

  int port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string Metrics() const { return Scrape(port_); }
  std::string Log() const { return process_ ? process_->Log() : ""; }
  int Stop(int signal) { return process_->StopWith(signal); }

 private:
  const TempDir& dir_;
  std::string body_;
  std::string config_path_;
  int port_ = 0;
  std::unique_ptr<DaemonProcess> process_;
};

// A `sources:` entry.
std::string SourceYaml(const std::string& name, const std::vector<std::string>& paths,
                       const std::string& start_at = "",
                       const std::vector<std::string>& rules = {});

}  // namespace errpulse::testing
