// --web.config.file with the real errpulsed: TLS (a test CA made by the
// openssl CLI), basic auth with a hash made by htpasswd, client certificates,
// a plain HTTP client on the TLS port, a slow partial header, the connection
// bound, and broken web configs refused by `check` and by the daemon.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/test_certs.h"
#include "support/test_support.h"

namespace {

namespace t = errpulse::testing;

constexpr const char* kUser = "prometheus";
constexpr const char* kPassword = "scrape secret 7";

// A bcrypt hash of `password`, made by htpasswd (apache2-utils), not by errpulse.
std::string Htpasswd(const std::string& user, const std::string& password) {
  auto r = t::RunCommand({"/usr/bin/htpasswd", "-nbB", "-C", "6", user, password});
  EXPECT_EQ(r.status, 0) << "htpasswd (apache2-utils) is needed: " << r.err;
  const std::string line = r.out.substr(0, r.out.find('\n'));
  return line.substr(line.find(':') + 1);
}

// A config of its own per daemon: two daemons never share a state_dir.
std::string DaemonConfig(const t::TempDir& dir, const std::string& name, int port) {
  t::WriteFile(dir.File("app.log"), "");
  return "listen: 127.0.0.1:" + std::to_string(port) + "\nstate_dir: " +
         dir.File("state-" + name) +
         "\nsources:\n  - name: app\n    paths: [" + dir.File("app.log") + "]\n";
}

// errpulsed with `web_yaml` as its web config (none when empty), listening.
struct Daemon {
  Daemon(const t::TempDir& dir, const std::string& name, const std::string& web_yaml)
      : port(t::FreePort()) {
    const std::string config = dir.File(name + ".yaml");
    t::WriteFile(config, DaemonConfig(dir, name, port));
    std::vector<std::string> args = {"--config", config};
    if (!web_yaml.empty()) {
      t::WriteFile(dir.File(name + "-web.yml"), web_yaml);
      args.push_back("--web.config.file=" + dir.File(name + "-web.yml"));
    }
    process = std::make_unique<t::DaemonProcess>(args);
    listening = t::WaitFor(
        [&] { return process->Log().find("errpulse listening on") != std::string::npos; });
  }
  ~Daemon() { EXPECT_EQ(process->StopWith(SIGTERM), 0) << process->Log(); }

  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }

  int port;
  std::unique_ptr<t::DaemonProcess> process;
  bool listening = false;
};

struct CurlResult {
  int exit = -1;
  int status = 0;  // 0: no HTTP answer
  std::string headers;
  std::string body;
  std::string err;
};

CurlResult Curl(const t::TempDir& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time", "20",
                                   "-o",            dir.File("curl.body"),
                                   "-D",            dir.File("curl.headers"),
                                   "-w",            "%{http_code}"};
  ::unlink(dir.File("curl.body").c_str());
  ::unlink(dir.File("curl.headers").c_str());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = t::RunCommand(argv);
  CurlResult out;
  out.exit = r.status;
  out.status = std::atoi(r.out.c_str());
  out.headers = t::ReadFile(dir.File("curl.headers"));
  out.body = t::ReadFile(dir.File("curl.body"));
  out.err = r.err;
  return out;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A raw TCP connection to 127.0.0.1:port.
int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd` (EOF or reset); bytes it sent are appended to `got`.
bool ClosedByServer(int fd, std::string* got) {
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 0) > 0) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    got->append(buf, static_cast<size_t>(n));
  }
  return false;
}

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t::MakeCertificates(dir_);
    ASSERT_FALSE(HasFatalFailure()) << "the test certificates could not be made";
  }
  t::TempDir dir_;
};

TEST_F(WebConfigTest, TlsAndBasicAuthGuardEveryPath) {
  // Relative paths: relative to the web config's directory, not errpulsed's.
  Daemon daemon(dir_, "auth",
                "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
                "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                "    X-Content-Type-Options: nosniff\n"
                "basic_auth_users:\n  " + std::string(kUser) + ": " + Htpasswd(kUser, kPassword) +
                    "\n  other: " + Htpasswd("other", "x") + "\n");
  ASSERT_TRUE(daemon.listening) << daemon.process->Log();
  const std::string ca = dir_.File("ca.pem");
  const std::string user = std::string(kUser) + ":" + kPassword;

  auto ok = Curl(dir_, {"--cacert", ca, "-u", user, daemon.Url("/metrics")});
  EXPECT_EQ(ok.status, 200) << ok.err;
  EXPECT_TRUE(Contains(ok.body, "errpulse_build_info")) << ok.body;
  EXPECT_TRUE(Contains(ok.headers, "X-Frame-Options: deny")) << ok.headers;
  EXPECT_TRUE(Contains(ok.headers, "X-Content-Type-Options: nosniff")) << ok.headers;
  // Again: served from the cache of verified credentials, same answer.
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-u", user, daemon.Url("/-/healthy")}).status, 200);

  auto none = Curl(dir_, {"--cacert", ca, daemon.Url("/metrics")});
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(Contains(none.headers, "WWW-Authenticate: Basic")) << none.headers;
  EXPECT_TRUE(Contains(none.headers, "X-Frame-Options: deny")) << none.headers;
  EXPECT_FALSE(Contains(none.body, "errpulse_")) << none.body;
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-u", std::string(kUser) + ":wrong-guess",
                        daemon.Url("/metrics")})
                .status,
            401);
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-u", std::string("mallory:") + kPassword,
                        daemon.Url("/metrics")})
                .status,
            401);
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-u", "other:" + std::string(kPassword),
                        daemon.Url("/metrics")})
                .status,
            401);
  for (const char* path : {"/-/healthy", "/-/ready", "/api/v1/alerts", "/", "/no-such-page"})
    EXPECT_EQ(Curl(dir_, {"--cacert", ca, daemon.Url(path)}).status, 401) << path;
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-X", "POST", daemon.Url("/-/reload")}).status, 401);

  // Plain HTTP on the TLS port: an answer saying so, then the connection
  // closes (HttpGet waits at most 5 s for it), never a hang.
  auto plain = t::HttpGet(daemon.port, "/metrics");
  EXPECT_EQ(plain.status, 0);
  auto raw = t::HttpRaw(daemon.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(Contains(raw.body, "400 Bad Request")) << raw.body;
  EXPECT_TRUE(Contains(raw.body, "Client sent an HTTP request to an HTTPS server")) << raw.body;
  EXPECT_FALSE(Contains(raw.body, "errpulse_")) << raw.body;
  // The server is fine afterwards.
  EXPECT_EQ(Curl(dir_, {"--cacert", ca, "-u", user, daemon.Url("/-/ready")}).status, 200);

  const std::string log = daemon.process->Log();
  EXPECT_FALSE(Contains(log, kPassword)) << log;
  EXPECT_FALSE(Contains(log, "wrong-guess")) << log;
  EXPECT_TRUE(Contains(log, "TLS on")) << log;
}

// As with the toolkit, which reads the file on every request: an edited web
// config, a renewed certificate and a broken file need no restart (a broken
// file is logged and the one in force stays).
TEST_F(WebConfigTest, ChangedFilesApplyWithoutRestart) {
  const std::string users = "basic_auth_users:\n  " + std::string(kUser) + ": " +
                            Htpasswd(kUser, kPassword) + "\n";
  const std::string tls =
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n";
  Daemon daemon(dir_, "live", tls + users);
  ASSERT_TRUE(daemon.listening) << daemon.process->Log();
  const std::string ca = dir_.File("ca.pem");
  auto status = [&](const std::string& user) {
    return Curl(dir_, {"--cacert", ca, "-u", user, daemon.Url("/-/healthy")}).status;
  };
  const std::string web = dir_.File("live-web.yml");
  auto replace = [&](const std::string& path, const std::string& text) {
    t::WriteFile(path + ".new", text);
    ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
  };
  EXPECT_EQ(status("grafana:dashboards"), 401);
  replace(web, tls + users + "  grafana: " + Htpasswd("grafana", "dashboards") + "\n");
  EXPECT_TRUE(t::WaitFor([&] { return status("grafana:dashboards") == 200; }))
      << daemon.process->Log();

  t::IssueCertificate(dir_, "renewed", "/CN=errpulse renewed", "subjectAltName=IP:127.0.0.1\n");
  ASSERT_FALSE(HasFatalFailure());
  replace(dir_.File("server.pem"), t::ReadFile(dir_.File("renewed.pem")));
  replace(dir_.File("server.key"), t::ReadFile(dir_.File("renewed.key")));
  EXPECT_TRUE(t::WaitFor([&] {
    auto r = Curl(dir_, {"-v", "--cacert", ca, "-u", std::string(kUser) + ":" + kPassword,
                         daemon.Url("/-/healthy")});
    return r.status == 200 && Contains(r.err, "errpulse renewed");
  })) << daemon.process->Log();

  replace(web, "basic_auth_users: [\n");
  EXPECT_TRUE(t::WaitFor([&] {
    return status(std::string(kUser) + ":" + kPassword) == 200 &&
           Contains(daemon.process->Log(), "changed on disk but is invalid");
  })) << daemon.process->Log();
  EXPECT_TRUE(Contains(daemon.process->Log(), web + ":2:1: YAML syntax error"))
      << daemon.process->Log();
  EXPECT_EQ(status("grafana:dashboards"), 200);
}

TEST_F(WebConfigTest, RequiredClientCertificate) {
  const std::string tls = "tls_server_config:\n  cert_file: " + dir_.File("server.pem") +
                          "\n  key_file: " + dir_.File("server.key") +
                          "\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: " +
                          dir_.File("ca.pem") + "\n";
  Daemon daemon(dir_, "mtls", tls + "  client_allowed_sans: [scraper@client.test]\n");
  ASSERT_TRUE(daemon.listening) << daemon.process->Log();
  const std::vector<std::string> ca = {"--cacert", dir_.File("ca.pem")};
  auto with = [&](std::vector<std::string> args, const Daemon& d) {
    args.insert(args.begin(), ca.begin(), ca.end());
    args.push_back(d.Url("/metrics"));
    return Curl(dir_, args);
  };

  auto without = with({}, daemon);
  EXPECT_NE(without.exit, 0);
  EXPECT_NE(without.status, 200) << without.body;
  auto client = with({"--cert", dir_.File("client.pem"), "--key", dir_.File("client.key")}, daemon);
  EXPECT_EQ(client.status, 200) << client.err;
  EXPECT_TRUE(Contains(client.body, "errpulse_build_info"));
  // A certificate the client CA did not issue.
  auto rogue = with({"--cert", dir_.File("rogue.pem"), "--key", dir_.File("rogue.key")}, daemon);
  EXPECT_NE(rogue.exit, 0);
  EXPECT_NE(rogue.status, 200);

  // The CA's certificate, but not one of the allowed SANs.
  Daemon strict(dir_, "sans", tls + "  client_allowed_sans: [other.test]\n");
  ASSERT_TRUE(strict.listening) << strict.process->Log();
  auto wrong_san =
      with({"--cert", dir_.File("client.pem"), "--key", dir_.File("client.key")}, strict);
  EXPECT_NE(wrong_san.exit, 0);
  EXPECT_NE(wrong_san.status, 200);
}

TEST_F(WebConfigTest, SlowPartialHeaderAndSilentTlsClientAreClosed) {
  Daemon plain(dir_, "plain", "");
  Daemon tls(dir_, "tls",
             "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n");
  ASSERT_TRUE(plain.listening && tls.listening) << plain.process->Log() << tls.process->Log();
  // Slowloris: a header that never ends, a byte every half second.
  const int slow = Connect(plain.port);
  ASSERT_GE(slow, 0);
  const std::string start = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  ASSERT_EQ(::send(slow, start.data(), start.size(), MSG_NOSIGNAL), static_cast<ssize_t>(start.size()));
  // A TLS client that never says hello.
  const int silent = Connect(tls.port);
  ASSERT_GE(silent, 0);
  std::string slow_got, silent_got;
  bool slow_closed = false, silent_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while ((!slow_closed || !silent_closed) && std::chrono::steady_clock::now() < deadline) {
    if (!slow_closed) {
      slow_closed = ClosedByServer(slow, &slow_got) ||
                    (::send(slow, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN);
    }
    if (!silent_closed) silent_closed = ClosedByServer(silent, &silent_got);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ::close(slow);
  ::close(silent);
  EXPECT_TRUE(slow_closed) << "a trickled header kept its connection open";
  EXPECT_TRUE(silent_closed) << "a silent TLS client kept its connection open";
  EXPECT_FALSE(Contains(slow_got, "errpulse_")) << slow_got;
  // Both servers go on serving.
  EXPECT_EQ(t::HttpGet(plain.port, "/-/healthy").status, 200);
  EXPECT_EQ(Curl(dir_, {"--cacert", dir_.File("ca.pem"), tls.Url("/-/healthy")}).status, 200);
}

TEST_F(WebConfigTest, ConnectionsAreBounded) {
  Daemon daemon(dir_, "bound", "");
  ASSERT_TRUE(daemon.listening) << daemon.process->Log();
  std::vector<int> idle;
  for (int i = 0; i < 64; ++i) {
    idle.push_back(Connect(daemon.port));
    ASSERT_GE(idle.back(), 0);
  }
  // The 65th is accepted after the 64 (the kernel's queue is in order) and
  // closed at once: a complete request gets no answer.
  auto refused = t::HttpGet(daemon.port, "/-/healthy");
  EXPECT_EQ(refused.status, 0) << refused.body;
  for (int fd : idle) ::close(fd);
  EXPECT_TRUE(t::WaitFor([&] { return t::HttpGet(daemon.port, "/-/healthy").status == 200; }));
}

TEST_F(WebConfigTest, PlainHttpWithBasicAuthAndRateLimit) {
  Daemon daemon(dir_, "limited",
                "basic_auth_users:\n  " + std::string(kUser) + ": " + Htpasswd(kUser, kPassword) +
                    "\nrate_limit:\n  interval: 1h\n  burst: 2\n");
  ASSERT_TRUE(daemon.listening) << daemon.process->Log();
  // "prometheus:scrape secret 7" in base64.
  const std::string authorization = "Authorization: Basic cHJvbWV0aGV1czpzY3JhcGUgc2VjcmV0IDc=\r\n";
  auto ok = t::HttpRaw(daemon.port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n" + authorization +
                                        "Connection: close\r\n\r\n");
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto denied = t::HttpGet(daemon.port, "/-/healthy");
  EXPECT_EQ(denied.status, 401);
  auto limited = t::HttpRaw(daemon.port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n" +
                                             authorization + "Connection: close\r\n\r\n");
  EXPECT_EQ(limited.status, 429) << limited.body;
}

TEST_F(WebConfigTest, CheckReportsEveryMistakeWithItsPosition) {
  const int port = t::FreePort();
  t::WriteFile(dir_.File("errpulse.yaml"), DaemonConfig(dir_, "check", port));
  t::WriteFile(dir_.File("broken.yml"),
               "tls_server_config:\n"
               "  cert_file: server.pem\n"
               "  key_file: server.key\n"
               "  client_auth_type: RequireCert\n"
               "http_server_config:\n"
               "  headers:\n"
               "    Server: errpulse\n"
               "basic_auth_users:\n"
               "  alice: plaintext-password\n"
               "http_server_confg: {}\n");
  auto r = t::RunCommand({t::ErrpulsedPath(), "check", "--config", dir_.File("errpulse.yaml"),
                          "--web.config.file", dir_.File("broken.yml")});
  // 2, as for every invalid configuration `check` reports (see the README).
  EXPECT_EQ(r.status, 2) << r.err;
  const std::string file = dir_.File("broken.yml");
  for (const std::string& want :
       {file + ":4:21: invalid client_auth_type 'RequireCert'",
        file + ":7:5: HTTP header 'Server' can not be configured",
        file + ":9:10: user 'alice': not a bcrypt hash",
        file + ":10:1: unknown key 'http_server_confg' in web config (did you mean "
               "'http_server_config'?)"})
    EXPECT_TRUE(Contains(r.err, want)) << "want: " << want << "\ngot:\n" << r.err;
  EXPECT_FALSE(Contains(r.err, "plaintext-password")) << r.err;

  // A well-formed file naming a certificate that is not there.
  t::WriteFile(dir_.File("nocert.yml"),
               "tls_server_config:\n  cert_file: certs/missing.pem\n  key_file: server.key\n");
  r = t::RunCommand({t::ErrpulsedPath(), "check", "--config", dir_.File("errpulse.yaml"),
                     "--web.config.file=" + dir_.File("nocert.yml")});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Contains(r.err, dir_.File("nocert.yml") + ":2:14: cannot read cert_file " +
                                  dir_.File("certs/missing.pem") + ": No such file or directory"))
      << r.err;

  t::WriteFile(dir_.File("good.yml"),
               "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n");
  r = t::RunCommand({t::ErrpulsedPath(), "check", "--config", dir_.File("errpulse.yaml"),
                     "--web.config.file", dir_.File("good.yml")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, dir_.File("good.yml") + ": ok: TLS on")) << r.out;
}

TEST_F(WebConfigTest, DaemonRefusesABrokenWebConfigAndSaysWhy) {
  const int port = t::FreePort();
  t::WriteFile(dir_.File("errpulse.yaml"), DaemonConfig(dir_, "check", port));
  t::WriteFile(dir_.File("broken.yml"),
               "tls_server_config:\n  cert_file: server.pem\n  key_file: rogue.key\n");
  auto r = t::RunCommand({t::ErrpulsedPath(), "--config", dir_.File("errpulse.yaml"),
                          "--web.config.file", dir_.File("broken.yml")});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Contains(r.err, dir_.File("broken.yml") + ":3:13: key_file " +
                                  dir_.File("rogue.key") + " does not belong to the certificate"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "invalid web config; not starting")) << r.err;
  EXPECT_EQ(t::HttpGet(port, "/-/healthy").status, 0);

  r = t::RunCommand({t::ErrpulsedPath(), "--config", dir_.File("errpulse.yaml"),
                     "--web.config.file", dir_.File("absent.yml")});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Contains(r.err, dir_.File("absent.yml") + ": cannot open: No such file or directory"))
      << r.err;
}

}  // namespace
