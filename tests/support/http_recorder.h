// HttpRecorder: a plain HTTP server on 127.0.0.1 (a free port) that answers
// every request 200 "{}" and records what was POSTed, in arrival order: the
// receiver errpulse sends alerts to, for tests that check what was sent and
// what was not (a sequence proves nothing came in between).
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
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace errpulse::testing {

class HttpRecorder {
 public:
  HttpRecorder() {
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
      if (body_at != std::string::npos && request.size() >= body_at + length) {
        std::lock_guard<std::mutex> lock(mutex_);
        bodies_.push_back(request.substr(body_at, length));
      }
      const std::string reply =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
          "Connection: close\r\n\r\n{}";
      ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace errpulse::testing
