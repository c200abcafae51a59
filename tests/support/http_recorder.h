// HttpRecorder: a plain HTTP server on 127.0.0.1 (a free port) that records
// what was POSTed, in arrival order, and answers each request 200 "{}" or as
// a script says (a chat robot's "200 + error code", 429 + Retry-After, an
// answer that takes long): the receiver errpulse sends alerts to, for tests
// that check what was sent and what was not (a sequence proves nothing came
// in between).
//
// Header-only so unit tests (tests/alert) and daemon tests
// (tests/integration) both use it. Thread-safe: the server runs a thread of
// its own; bodies() may be called from any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace errpulse::testing {

// How the recorder answers a request.
struct ScriptedAnswer {
  int status = 200;
  std::string retry_after;  // a Retry-After header when not empty
  std::string body = "{}";
};

class HttpRecorder {
 public:
  // `answer(n)`: the answer to the n-th request (from 0), called after its
  // body was recorded (it may sleep: requests are served one at a time).
  // None: 200 "{}".
  explicit HttpRecorder(std::function<ScriptedAnswer(size_t)> answer = nullptr)
      : answer_(std::move(answer)) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpRecorder() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    ::close(fd_);
    thread_.join();
  }
  HttpRecorder(const HttpRecorder&) = delete;
  HttpRecorder& operator=(const HttpRecorder&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[8192];
      size_t body_at = std::string::npos, length = 0;
      // Headers, then Content-Length bytes of body.
      while (body_at == std::string::npos || request.size() < body_at + length) {
        const ssize_t n = ::recv(client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        if (body_at == std::string::npos) {
          const size_t end = request.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          body_at = end + 4;
          for (const char* name : {"Content-Length:", "content-length:"}) {
            if (size_t at = request.find(name); at != std::string::npos && at < end)
              length = std::strtoul(request.c_str() + at + 15, nullptr, 10);
          }
        }
      }
      size_t number = 0;
      if (body_at != std::string::npos && request.size() >= body_at + length) {
        std::lock_guard<std::mutex> lock(mutex_);
        number = bodies_.size();
        bodies_.push_back(request.substr(body_at, length));
      }
      const ScriptedAnswer answer = answer_ ? answer_(number) : ScriptedAnswer{};
      std::string reply = "HTTP/1.1 " + std::to_string(answer.status) +
                          " Answer\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(answer.body.size()) + "\r\nConnection: close\r\n";
      if (!answer.retry_after.empty()) reply += "Retry-After: " + answer.retry_after + "\r\n";
      reply += "\r\n" + answer.body;
      ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  std::function<ScriptedAnswer(size_t)> answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace errpulse::testing
