// errpulsed: entry point. Wiring only: picks the subcommand and sets up
// logging; everything else lives in cli/ and the pipeline stages.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace errpulse;
  // Logs go to stderr (journald under systemd); stdout is for command output.
  auto logger = spdlog::stderr_color_mt("errpulse");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_default_logger(logger);

  Args args(argv + 1, argv + argc);
  const std::string command = args.empty() ? "" : args[0];
  Args rest = args.empty() ? Args() : Args(args.begin() + 1, args.end());
  try {
    if (command == "--version" || command == "version") return VersionCommand();
    if (command == "--help" || command == "-h" || command == "help") return UsageCommand(0);
    if (command == "check") return CheckCommand(rest);
    if (command == "explain") return ExplainCommand(rest);
    if (command == "replay") return ReplayCommand(rest);
    if (command == "demo") return DemoCommand(rest);
    if (command.empty() || command.rfind("--", 0) == 0) return RunDaemonCommand(args);
    std::cerr << "errpulsed: unknown command '" << command << "'\n";
    return UsageCommand(2);
  } catch (const std::exception& e) {
    // Only programming errors get here; user errors are reported where they occur.
    spdlog::critical("unexpected error: {}", e.what());
    return 3;
  }
}
