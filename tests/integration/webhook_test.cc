// Webhooks: the robot formats and the Alertmanager webhook body reach an
// HTTPS receiver whose certificate comes from a test CA (given as ca_file);
// a receiver with a certificate the CA did not issue is refused. The URL
// (which would hold a robot key) is read from a file and never logged.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_certs.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// An HTTPS server on 127.0.0.1 that records the bodies POSTed to it.
class HttpsReceiver {
 public:
  HttpsReceiver(const std::string& cert, const std::string& key)
      : context_(ssl::context::tls_server), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    context_.use_certificate_chain_file(cert);
    context_.use_private_key_file(key, ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpsReceiver() {
    stop_ = true;
    // Wake the blocking accept() with a connection of our own.
    boost::asio::io_context io;
    tcp::socket poke(io);
    beast::error_code ignored;
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)}, ignored);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  void Serve() {
    while (!stop_) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      beast::ssl_stream<tcp::socket> stream(std::move(socket), context_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;  // e.g. the client refused our certificate
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(stream, buffer, request, ec);
      if (ec) continue;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        bodies_.push_back(request.body());
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = "{}";
      response.prepare_payload();
      http::write(stream, response, ec);
      stream.shutdown(ec);
    }
  }

  boost::asio::io_context io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

TEST(Webhook, HttpsWithTestCaDeliversEveryFormatAndAWrongCertificateIsRefused) {
  t::TempDir dir;
  t::MakeCertificates(dir);
  if (::testing::Test::HasFatalFailure()) return;
  HttpsReceiver good(dir.File("server.pem"), dir.File("server.key"));
  HttpsReceiver rogue(dir.File("rogue.pem"), dir.File("rogue.key"));
  const std::string base = "https://127.0.0.1:" + std::to_string(good.port());
  t::WriteFile(dir.File("wecom.url"), base + "/cgi-bin/webhook/send?key=SECRET-ROBOT-KEY\n");
  std::string hooks;
  // group_wait 0s: each receiver's first (grouped) message leaves at once.
  hooks += "    - { name: wecom, url_file: " + dir.File("wecom.url") + ", format: wecom, ca_file: " +
           dir.File("ca.pem") + ", group_wait: 0s }\n";
  for (const char* format : {"dingtalk", "feishu", "slack", "alertmanager"})
    hooks += std::string("    - { name: ") + format + ", url: " + base + "/" + format +
             ", format: " + format + ", ca_file: " + dir.File("ca.pem") + ", group_wait: 0s }\n";
  hooks += "    - { name: rogue, url: https://127.0.0.1:" + std::to_string(rogue.port()) +
           "/x, format: slack, ca_file: " + dir.File("ca.pem") + ", group_wait: 0s }\n";
  const int port = t::FreePort();
  t::WriteFile(dir.File("errpulse.yaml"),
               "listen: 127.0.0.1:" + std::to_string(port) + "\nstate_dir: " + dir.File("state") +
                   "\nalerting:\n  timeout: 2s\n  host: edge-7\n  webhooks:\n" + hooks +
                   "alerts:\n  - alert: RestSurge\n    match: { codes: [60007] }\n"
                   "    by: [code, source]\n    window: 5s\n    threshold: 3\n"
                   "    annotations: { summary: \"{{count}} x {{code}} {{name}}\", "
                   "runbook_url: \"https://runbooks.example/60007\" }\n"
                   "sources:\n  - name: rest\n    paths: [" + dir.File("app.log") +
                   "]\n    start_at: beginning\n");
  t::WriteFile(dir.File("app.log"), "");
  t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; })) << daemon.Log();
  // One line carries a credential, as REST request logs do: nothing of a log
  // line's text may reach a label, an annotation or a message.
  t::AppendFile(dir.File("app.log"),
                "POST /v4/live_engine_http_srv/create_room?sdkappid=1400000000&identifier=admin"
                "&usersig=SECRET-USERSIG-VALUE -> {\"ErrorCode\":60007}\n"
                "{\"ErrorCode\":60007}\n{\"ErrorCode\":60007}\n{\"ErrorCode\":60007}\n");
  ASSERT_TRUE(t::WaitFor([&] { return good.bodies().size() >= 5; }, std::chrono::seconds(5)))
      << daemon.Log();
  std::map<std::string, nlohmann::json> by_shape;
  for (const auto& body : good.bodies()) {
    auto j = nlohmann::json::parse(body);
    if (j.contains("msgtype") && j.contains("markdown") && j["markdown"].contains("content"))
      by_shape["wecom"] = j;
    else if (j.contains("msgtype") && j.contains("markdown"))
      by_shape["dingtalk"] = j;
    else if (j.contains("msg_type"))
      by_shape["feishu"] = j;
    else if (j.contains("version"))
      by_shape["alertmanager"] = j;
    else if (j.contains("text"))
      by_shape["slack"] = j;
  }
  ASSERT_EQ(by_shape.size(), 5u);
  const std::string text = by_shape["slack"]["text"];
  for (const char* want : {"[FIRING] RestSurge", "60007", "RestApiError.REST_API_RATE_LIMITED",
                           "host: edge-7", "Runbook: https://runbooks.example/60007"})
    EXPECT_NE(text.find(want), std::string::npos) << want << " in " << text;
  EXPECT_NE(std::string(by_shape["wecom"]["markdown"]["content"]).find("**[FIRING] RestSurge**"),
            std::string::npos);
  EXPECT_EQ(by_shape["alertmanager"]["version"], "4");
  EXPECT_EQ(by_shape["alertmanager"]["alerts"][0]["labels"]["alertname"], "RestSurge");
  EXPECT_EQ(by_shape["alertmanager"]["alerts"][0]["status"], "firing");

  // The rogue receiver's certificate is not from the CA: nothing delivered.
  EXPECT_TRUE(t::WaitFor([&] {
    return t::MetricValue(t::HttpGet(port, "/metrics").body, "errpulse_notifications_total",
                          {"receiver=\"rogue\"", "outcome=\"failed\""}) >= 1;
  }));
  EXPECT_TRUE(rogue.bodies().empty());
  for (const auto& body : good.bodies())
    EXPECT_EQ(body.find("SECRET-USERSIG-VALUE"), std::string::npos) << body;
  // The robot key never appears in the log or the metrics.
  EXPECT_EQ(daemon.Log().find("SECRET-ROBOT-KEY"), std::string::npos);
  EXPECT_EQ(t::HttpGet(port, "/metrics").body.find("SECRET-ROBOT-KEY"), std::string::npos);
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0);
}

}  // namespace
}  // namespace errpulse
