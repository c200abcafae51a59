#include "notify/receiver.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>

namespace errpulse {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool ParseHttpUrl(const std::string& url, HttpUrl* out) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    out->tls = false;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out->tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out->target = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out->target.empty() && out->target.back() == '/') out->target.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    out->host = authority.substr(0, colon);
    out->port = authority.substr(colon + 1);
  } else {
    out->host = authority;
    out->port = out->tls ? "443" : "80";
  }
  return !out->host.empty() && !out->port.empty();
}

Receiver::Receiver(std::string name, HttpUrl url, std::string path, size_t max_queue,
                   int64_t timeout_ms, std::string ca_file, PayloadFormat format,
                   SendLimits limits)
    : name_(std::move(name)),
      url_(std::move(url)),
      path_(std::move(path)),
      max_queue_(max_queue),
      timeout_ms_(timeout_ms),
      ca_file_(std::move(ca_file)),
      format_(format),
      budget_(limits),
      thread_([this] { Run(); }) {}

Receiver::~Receiver() { Stop(); }

void Receiver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Receiver::Enqueue(std::string body) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queue_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(body));
  }
  wake_.notify_one();
}

size_t Receiver::queue_length() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void Receiver::WarnOnce(const std::string& what, const std::string& detail) {
  if (warned_.size() > 100) warned_.clear();  // bounded; a new answer is worth a line again
  if (warned_.insert(detail).second) spdlog::warn("receiver '{}' {} ({})", name_, what, detail);
}

void Receiver::Run() {
  int64_t backoff_ms = 1000;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    if (const int64_t wait = budget_.WaitMs(SteadyMs()); wait > 0) {
      wake_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stopping_; });
      continue;
    }
    const std::string body = queue_.front();
    lock.unlock();
    const HttpAnswer answer = Post(body);
    const RobotVerdict verdict = ReadAnswer(format_, answer, WallMs());
    lock.lock();
    if (answer.status != 0) budget_.Note(SteadyMs());
    const bool done = verdict.outcome == RobotVerdict::kSent ||
                      verdict.outcome == RobotVerdict::kRejected;
    if (done && !queue_.empty() && queue_.front() == body) queue_.pop_front();
    switch (verdict.outcome) {
      case RobotVerdict::kSent:
        ++sent_;
        backoff_ms = 1000;
        continue;
      case RobotVerdict::kRejected:
        ++rejected_;
        WarnOnce("refused an alert; not sending it again", verdict.detail);
        continue;
      case RobotVerdict::kThrottled: {
        ++throttled_;
        const int64_t wait = verdict.retry_after_ms >= 0 ? verdict.retry_after_ms : backoff_ms;
        WarnOnce("is rate-limited; the alert is kept and sent again when the robot allows",
                 verdict.detail);
        wake_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait, 100)),
                       [&] { return stopping_; });
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 60000);
        continue;
      }
      case RobotVerdict::kFailed:
        ++failed_;
        if (failed_ == 1 || backoff_ms >= 60000)
          spdlog::warn("receiver '{}' unreachable ({}); retrying in {} s", name_, verdict.detail,
                       backoff_ms / 1000);
        wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; });
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 60000);
        continue;
    }
  }
}

HttpAnswer Receiver::Post(const std::string& body) {
  boost::asio::io_context io;
  const auto timeout = std::chrono::milliseconds(timeout_ms_);
  http::request<http::string_body> request{http::verb::post, url_.target + path_, 11};
  request.set(http::field::host, url_.host);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "errpulse");
  request.body() = body;
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  HttpAnswer answer;
  tcp::resolver resolver(io);

  // The exchange once connected (and, for HTTPS, after the handshake).
  auto exchange = [&](auto& stream) {
    http::async_write(stream, request, [&](beast::error_code ec, size_t) {
      if (ec) return;
      http::async_read(stream, buffer, response, [&](beast::error_code ec, size_t) {
        if (ec) return;
        answer.status = static_cast<int>(response.result_int());
        const auto retry_after = response[http::field::retry_after];
        answer.retry_after.assign(retry_after.data(), retry_after.size());
        answer.body = std::move(response.body());
      });
    });
  };

  if (!url_.tls) {
    beast::tcp_stream stream(io);
    resolver.async_resolve(url_.host, url_.port, [&](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return;
      stream.expires_after(timeout);
      stream.async_connect(r, [&](beast::error_code ec, tcp::endpoint) {
        if (!ec) exchange(stream);
      });
    });
    io.run_for(timeout * 3);
    return answer;
  }

  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_peer);
  beast::error_code ca_error;
  if (ca_file_.empty()) {
    context.set_default_verify_paths(ca_error);
  } else {
    context.load_verify_file(ca_file_, ca_error);
  }
  if (ca_error) {
    spdlog::warn("receiver '{}': cannot load CA certificates ({}): {}", name_,
                 ca_file_.empty() ? "system default" : ca_file_, ca_error.message());
    return answer;
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(url_.host));
  resolver.async_resolve(url_.host, url_.port, [&](beast::error_code ec, tcp::resolver::results_type r) {
    if (ec) return;
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).async_connect(r, [&](beast::error_code ec, tcp::endpoint) {
      if (ec) return;
      stream.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) {
          spdlog::warn("receiver '{}': TLS handshake failed: {}", name_, ec.message());
          return;
        }
        exchange(stream);
      });
    });
  });
  io.run_for(timeout * 3);
  return answer;
}

}  // namespace errpulse
