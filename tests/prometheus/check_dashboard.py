#!/usr/bin/env python3
# check_dashboard: checks every query of the Grafana dashboard
# (data/dashboards/errpulse.json) against promtool and a real errpulse fleet.
#
#   check_dashboard.py ERRPULSED SOURCE_DIR [DASHBOARD.json]
#
# 1. Structure: a `datasource` variable of type prometheus that every query
#    uses (no data source UID written in), a multi-value `host` variable over
#    the instance label, unique panel ids.
# 2. Every expr (panels, panels inside collapsed rows, template variable
#    queries, annotations), with Grafana's variables replaced by valid values,
#    becomes a recording rule in a temp rule file: `promtool check rules`.
# 3. Two real errpulsed daemons are started (fleet_harness) and scraped: every
#    metric and label a query names must be in that scrape.
# 4. A real Prometheus scrapes both; every query must evaluate without error
#    and return at least one series (catches many-to-many joins, `=` used with
#    a multi-value variable, misspelt label values).
# Exits 1 with every problem listed, 0 when all hold. Single-threaded.
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_harness  # noqa: E402
import promql_names  # noqa: E402

# Values for Grafana's built-in variables: durations where Grafana puts durations.
BUILTIN_VALUES = {
    "__rate_interval": "5m", "__interval": "1m", "__range": "1h",
    "__range_s": "3600", "__range_ms": "3600000", "__interval_ms": "60000",
}
# Dashboard variables become a regex that matches every value: queries must
# use them with =~, as Grafana substitutes a multi-value selection as a regex.
DASHBOARD_VARIABLE_VALUE = ".+"
_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")


class Query:
    def __init__(self, where, expr, label=None):
        self.where = where      # e.g. 'panel 7 "Errors by domain" target A'
        self.template = expr    # as written in the dashboard
        self.label = label      # for label_values(metric, label): the label it lists
        self.promql = None


def collect_queries(dash):
    """Every query in the dashboard, and the number of "expr" keys anywhere in it."""
    queries = []

    def panel_queries(panels):
        for p in panels:
            where = f'panel {p.get("id")} "{p.get("title", "")}"'
            for t in p.get("targets", []):
                if "expr" in t:
                    queries.append(Query(f'{where} target {t.get("refId")}', t["expr"]))
            panel_queries(p.get("panels", []))  # a collapsed row holds its panels

    panel_queries(dash.get("panels", []))
    for legacy_row in dash.get("rows", []):
        panel_queries(legacy_row.get("panels", []))
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            q = var.get("query")
            q = q.get("query", "") if isinstance(q, dict) else q or ""
            where = f'variable ${var.get("name")}'
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q, re.S)
            if m:
                queries.append(Query(where, m.group(1), label=m.group(2)))
            elif (m := re.fullmatch(r"\s*query_result\((.*)\)\s*", q, re.S)):
                queries.append(Query(where, m.group(1)))
            else:
                queries.append(Query(where, q))  # plain PromQL or a form we cannot check: promtool decides
    for a in dash.get("annotations", {}).get("list", []):
        if "expr" in a:
            queries.append(Query(f'annotation "{a.get("name")}"', a["expr"]))
    return queries, _count_expr_keys(dash)


def _count_expr_keys(node):
    if isinstance(node, dict):
        return sum(1 for k in node if k == "expr") + sum(_count_expr_keys(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_expr_keys(v) for v in node)
    return 0


def structure_problems(dash):
    problems = []
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dash.get('schemaVersion')!r}: want 36 or later")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no template variable `datasource` of type datasource, query prometheus")
    host = variables.get("host")
    if not host or host.get("type") != "query" or not host.get("multi") or not host.get("includeAll"):
        problems.append("no multi-value `host` query variable with All")
    elif "instance" not in json.dumps(host.get("query")):
        problems.append("the `host` variable does not list the instance label")
    ids = []

    def walk(node, path):
        if isinstance(node, dict):
            if "gridPos" in node and "id" in node:
                ids.append(node["id"])
            d = node.get("datasource")
            if isinstance(d, dict) and d.get("type") == "prometheus" and d.get("uid") != "${datasource}":
                problems.append(f"{path}: data source uid {d.get('uid')!r}, want ${{datasource}}")
            elif isinstance(d, str) and d != "${datasource}":
                problems.append(f"{path}: data source {d!r}, want ${{datasource}}")
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
    walk(dash.get("panels", []), "panels")
    walk(variables.get("host", {}), "templating.host")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"panel ids used more than once: {duplicates}")
    return problems


def substitute(q, variable_names):
    """Replaces Grafana variables in the query; returns a problem or None."""
    unknown = []

    def value(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTIN_VALUES:
            return BUILTIN_VALUES[name]
        if name in variable_names:
            return DASHBOARD_VARIABLE_VALUE
        unknown.append(name)
        return m.group(0)
    q.promql = _VARIABLE.sub(value, q.template)
    return f"{q.where}: unknown variable ${', $'.join(unknown)}" if unknown else None


def promtool_problems(queries, workdir):
    """`promtool check rules` on every query as a recording rule."""
    rules = []
    by_record = {}
    for i, q in enumerate(queries):
        record = f"dashboard:query_{i + 1:02d}"
        by_record[record] = q
        rules.append({"record": record, "expr": q.promql})
    path = os.path.join(workdir, "dashboard-queries.rules.json")  # JSON is YAML
    with open(path, "w") as f:
        json.dump({"groups": [{"name": "errpulse-dashboard", "rules": rules}]}, f, indent=1)
    r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
    if r.returncode == 0:
        return [], len(rules)
    problems = []
    for line in (r.stdout + r.stderr).splitlines():
        m = re.search(r'"(dashboard:query_\d+)": (.*)', line)
        if m:
            q = by_record[m.group(1)]
            problems.append(f"{q.where}: promtool: {m.group(2)}\n    expr: {q.promql}")
    return problems or [f"promtool check rules failed:\n{r.stdout}{r.stderr}"], len(rules)


def fleet_problems(fleet, queries):
    """Names against a real scrape, then evaluation on a real Prometheus."""
    problems = []
    series = fleet.scrape()
    print(f"real scrape of {len(fleet.daemons)} errpulsed hosts: {len(series)} metric names")
    every_label = set().union(*series.values(), fleet_harness.TARGET_LABELS)
    for q in queries:
        problems += [f"{q.where}: {p}\n    expr: {q.promql}" for p in promql_names.name_problems(
            q.promql, series, fleet_harness.PROMETHEUS_TARGET_SERIES, fleet_harness.TARGET_LABELS)]
        if q.label and q.label not in every_label:
            problems.append(f"{q.where}: label_values lists {q.label}, which errpulsed does not export")
    fleet.start_prometheus()
    empty = 0
    for q in queries:
        status, result = fleet.query(q.promql)
        if status != "success":
            problems.append(f"{q.where}: Prometheus: {result}\n    expr: {q.promql}")
        elif not result:
            empty += 1
            problems.append(f"{q.where}: no series on a real two-host fleet\n    expr: {q.promql}")
    print(f"evaluated on a real Prometheus scraping both hosts: {len(queries)} queries, {empty} empty")
    return problems


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: check_dashboard.py ERRPULSED SOURCE_DIR [DASHBOARD.json]", file=sys.stderr)
        return 2
    errpulsed, source_dir = argv[1], argv[2]
    path = argv[3] if len(argv) == 4 else os.path.join(source_dir, "data", "dashboards", "errpulse.json")
    try:
        with open(path) as f:
            dash = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"{path}: {e}")
        return 1

    problems = structure_problems(dash)
    queries, expr_keys = collect_queries(dash)
    panel_exprs = sum(1 for q in queries if q.where.startswith("panel"))
    annotation_exprs = sum(1 for q in queries if q.where.startswith("annotation"))
    if panel_exprs + annotation_exprs != expr_keys:
        problems.append(f"{expr_keys} expr keys in the file but {panel_exprs + annotation_exprs} "
                        "found in panels and annotations: a query is somewhere this check does not look")
    variable_names = {v.get("name") for v in dash.get("templating", {}).get("list", [])}
    problems += [p for q in queries if (p := substitute(q, variable_names))]

    with tempfile.TemporaryDirectory(prefix="errpulse-dashboard-") as workdir:
        promtool, rules = promtool_problems(queries, workdir)
    problems += promtool
    print(f"promtool check rules: {rules} queries ({len(promtool)} problems)")

    problems += fleet_harness.check_on_fleet(errpulsed, source_dir, lambda fleet: fleet_problems(fleet, queries))
    return fleet_harness.report(path, problems, f"ok: {len(queries)} queries in {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
