#!/usr/bin/env python3
# check_fleet_rules: checks rules/prometheus/errpulse-fleet.rules.yml.
#
#   check_fleet_rules.py ERRPULSED SOURCE_DIR [RULES.yml [TESTS.yml]]
#
# 1. `promtool check rules` on the rule file.
# 2. `promtool test rules` on tests/prometheus/errpulse-fleet.test.yml (every
#    alert firing and quiet, the recording rules' values).
# 3. A real fleet (fleet_harness: two errpulsed, a Prometheus scraping them
#    with the rule file loaded): every metric a rule reads is in the daemons'
#    scrape (or is `up`, or a recording rule of the file); every rule
#    evaluates without error; every recording rule yields series; no alert is
#    pending on the quiet fleet. Then 1,500 60007 lines on one host make
#    ErrpulseFleetRestApiRateLimited and ErrpulseHostErrorOutlier pending, and
#    stopping the other host's errpulsed makes ErrpulseDown pending for it.
# Exits 1 with every problem listed, 0 when all hold. Single-threaded.
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_harness  # noqa: E402
import promql_names  # noqa: E402

REST_60007 = '{"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"REST API call rate over limit"}'


def promtool(*args):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def unit_tests(rules_path, tests_path):
    """`promtool test rules`, with the test's rule_files pointed at rules_path."""
    with open(tests_path) as f:
        text = f.read()
    shipped = "../../rules/prometheus/errpulse-fleet.rules.yml"
    if shipped not in text:
        return 1, f"{tests_path}: does not load {shipped}"
    with tempfile.TemporaryDirectory(prefix="errpulse-fleet-test-") as d:
        tests_copy = os.path.join(d, os.path.basename(tests_path))
        with open(tests_copy, "w") as f:
            f.write(text.replace(shipped, os.path.abspath(rules_path)))
        return promtool("test", "rules", tests_copy)


def rules_of(fleet):
    return [r for g in fleet.api("/api/v1/rules")["groups"] for r in g["rules"]]


def active_alerts(fleet):
    return fleet.api("/api/v1/alerts")["alerts"]


def has_alert(fleet, name, **labels):
    return any(a["labels"].get("alertname") == name and
               all(a["labels"].get(k) == v for k, v in labels.items())
               for a in active_alerts(fleet))


def live_problems(fleet, series):
    problems = []
    fleet.wait_for("every rule to be evaluated",
                   lambda: all(r["health"] != "unknown" for r in rules_of(fleet)))
    rules = rules_of(fleet)
    records = {r["name"] for r in rules if r["type"] == "recording"}
    for r in rules:
        where = f'{r["type"]} rule {r["name"]}'
        if r["health"] != "ok":
            problems.append(f'{where}: Prometheus: {r.get("lastError")}')
        problems += [f"{where}: {p}" for p in promql_names.name_problems(
            r["query"], series, fleet_harness.PROMETHEUS_TARGET_SERIES | records,
            fleet_harness.TARGET_LABELS)]
    try:
        fleet.wait_for("every recording rule to yield series",
                       lambda: all(fleet.query(name)[1] for name in records))
    except fleet_harness.HarnessError:
        problems += [f"recording rule {n}: no series on a real two-host fleet"
                     for n in sorted(records) if not fleet.query(n)[1]]
    quiet = [f'{a["labels"]["alertname"]} {a["state"]} for {a["labels"].get("instance", "")}'
             for a in active_alerts(fleet)]
    problems += [f"alert active on a quiet fleet: {q}" for q in quiet]
    print(f"real Prometheus: {len(rules)} rules evaluated, {len(records)} recording rules "
          f"with series, {len(quiet)} alerts active on the quiet fleet")
    return problems


def end_to_end_problems(fleet):
    """Real errors and a real outage make the fleet alerts go pending."""
    problems = []
    host_a, host_b = fleet.daemons
    host_a.append("app-server-rest.log", [REST_60007] * 1500)
    expected = [("ErrpulseFleetRestApiRateLimited", {}),
                ("ErrpulseHostErrorOutlier", {"instance": fleet.instance(host_a)})]
    for name, labels in expected:
        try:
            fleet.wait_for(f"{name} {labels}", lambda: has_alert(fleet, name, **labels))
        except fleet_harness.HarnessError:
            problems.append(f"1,500 x 60007 on {fleet.instance(host_a)}: {name} did not go pending")
    host_b.stop()
    try:
        fleet.wait_for("ErrpulseDown", lambda: has_alert(
            fleet, "ErrpulseDown", instance=fleet.instance(host_b)))
    except fleet_harness.HarnessError:
        problems.append(f"errpulsed on {fleet.instance(host_b)} stopped: ErrpulseDown did not go pending")
    if not problems:
        print("real fleet: 60007 surge -> ErrpulseFleetRestApiRateLimited and ErrpulseHostErrorOutlier "
              "pending; errpulsed stopped -> ErrpulseDown pending")
    return problems


def fleet_problems(fleet, rules_path):
    series = fleet.scrape()
    rules_copy = os.path.join(fleet.root, "errpulse-fleet.rules.yml")
    shutil.copyfile(rules_path, rules_copy)
    fleet.start_prometheus([rules_copy])
    return live_problems(fleet, series) + end_to_end_problems(fleet)


def main(argv):
    if len(argv) not in (3, 4, 5):
        print("usage: check_fleet_rules.py ERRPULSED SOURCE_DIR [RULES.yml [TESTS.yml]]", file=sys.stderr)
        return 2
    errpulsed, source_dir = argv[1], argv[2]
    rules_path = argv[3] if len(argv) > 3 else os.path.join(
        source_dir, "rules", "prometheus", "errpulse-fleet.rules.yml")
    tests_path = argv[4] if len(argv) > 4 else os.path.join(
        source_dir, "tests", "prometheus", "errpulse-fleet.test.yml")
    problems = []

    rc, out = promtool("check", "rules", rules_path)
    print(out)
    loadable = rc == 0
    if not loadable:
        problems.append("promtool check rules failed")
    rc, out = unit_tests(rules_path, tests_path)
    print(out)
    if rc != 0:
        problems.append("promtool test rules failed")

    if loadable:  # the live checks need a rule file Prometheus can load
        problems += fleet_harness.check_on_fleet(
            errpulsed, source_dir, lambda fleet: fleet_problems(fleet, rules_path))
    return fleet_harness.report(rules_path, problems, f"ok: {rules_path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
