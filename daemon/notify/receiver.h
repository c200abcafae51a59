// Receiver: delivers JSON bodies by HTTP POST to one endpoint (an
// Alertmanager's /api/v2/alerts) from a thread of its own, so a slow or dead
// receiver never slows tailing or the other receivers.
//
// A bounded queue (the oldest body is dropped and counted when it is full);
// retries with exponential backoff (1 s doubling to 60 s) on connection
// errors, timeouts and 5xx. The answer is read as its robot means it
// (robot_answer.h): a chat robot's "200 + error code" is not a delivery; a
// rate limit (the robot's code, or 429) waits as long as the robot asks (or
// the backoff) and sends again; any other refusal (4xx, a non-zero code) is
// not retried (sending it again cannot help), counted as rejected and logged
// once per distinct answer. Sends stay within a budget under the robot's
// documented limit (send_budget.h): over it, messages wait in the queue.
//
// Thread-safe: Enqueue() and the counters may be used from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <set>
#include <thread>

#include "notify/payload.h"
#include "notify/robot_answer.h"
#include "notify/send_budget.h"

namespace errpulse {

struct HttpUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query
};
// Parses http(s)://host[:port][/path][?query]. Returns false for anything else.
bool ParseHttpUrl(const std::string& url, HttpUrl* out);

class Receiver {
 public:
  // `path` is appended to the URL's (Alertmanager: /api/v2/alerts). HTTPS
  // verifies the server's certificate and name against the system's CAs, or
  // against `ca_file` when given. The URL may hold a secret (a robot key): it
  // is never logged; `name` is.
  // `format`: how its answers are read; `limits`: its send budget.
  Receiver(std::string name, HttpUrl url, std::string path, size_t max_queue,
           int64_t timeout_ms, std::string ca_file = "",
           PayloadFormat format = PayloadFormat::kAlertmanagerApi, SendLimits limits = {});
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  void Enqueue(std::string body);
  void Stop();

  const std::string& name() const { return name_; }
  uint64_t sent() const { return sent_; }
  uint64_t failed() const { return failed_; }      // attempts that failed (retried)
  uint64_t rejected() const { return rejected_; }  // refused (4xx, a robot's error code): dropped
  uint64_t throttled() const { return throttled_; }  // rate-limited by the robot: sent again later
  uint64_t dropped() const { return dropped_; }    // queue full: oldest dropped
  size_t queue_length() const;

 private:
  void Run();
  // The answer; status 0 when the request did not complete.
  HttpAnswer Post(const std::string& body);
  // Logs `detail` at warn level the first time it is seen.
  void WarnOnce(const std::string& what, const std::string& detail);

  const std::string name_;
  const HttpUrl url_;
  const std::string path_;
  const size_t max_queue_;
  const int64_t timeout_ms_;
  const std::string ca_file_;
  const PayloadFormat format_;
  SendBudget budget_;                 // the receiver thread's
  std::set<std::string> warned_;      // answers already logged (the receiver thread's)

  mutable std::mutex mutex_;  // guards queue_ and stopping_
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;

  std::atomic<uint64_t> sent_{0}, failed_{0}, rejected_{0}, dropped_{0}, throttled_{0};
  std::thread thread_;
};

}  // namespace errpulse
