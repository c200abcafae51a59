# promql_names: finds the metric names and label names a PromQL expression
# refers to, so the dashboard and fleet-rule checks can hold them against a
# real scrape of errpulsed. Syntax itself is promtool's job; this module only
# needs to tell names apart, and refuses what it cannot classify.
# Pure functions over strings; no state, safe to use from anywhere.
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'''
   (?P<ws>\s+)
 | (?P<comment>\#[^\n]*)
 | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
 | (?P<number>(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)(?:[a-zA-Z]+(?:\d+[a-zA-Z]+)*)?)
 | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
 | (?P<punct>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],@:])
''', re.X)

# Words that are never metric names where they stand.
_AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                 "count_values", "bottomk", "topk", "quantile"}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"}
# Followed by a parenthesised list of label names.
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Functions whose string argument (by position) names a label they create.
_LABEL_MAKERS = {"label_replace": 1, "label_join": 1, "count_values": 0}


class PromQLNameError(ValueError):
    """An expression this module cannot take apart (a stray character, a selector without a name)."""


@dataclass
class Names:
    # metric name -> label names used in its {matchers}
    metrics: dict = field(default_factory=dict)
    # label names in by/without/on/ignoring/group_left/group_right lists
    grouping_labels: set = field(default_factory=set)
    # label names the expression itself creates (label_replace, label_join, count_values)
    created_labels: set = field(default_factory=set)


def _tokens(expr):
    pos = 0
    out = []
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise PromQLNameError(f"unexpected character {expr[pos]!r} at offset {pos}")
        pos = m.end()
        if m.lastgroup not in ("ws", "comment"):
            out.append((m.lastgroup, m.group()))
    return out


def names_in(expr):
    """Returns the Names an expression uses."""
    toks = _tokens(expr)
    names = Names()
    calls = []  # stack of [function name or None, argument index]
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident":
            word = text.lower()
            if word in _GROUPING:
                i = _grouping_list(toks, i + 1, names.grouping_labels)
                continue
            if nxt == "(":
                calls.append([text, 0])
                i += 2
                continue
            if word not in _AGGREGATIONS and word not in _KEYWORDS:
                labels = names.metrics.setdefault(text, set())
                if nxt == "{":
                    i = _matchers(toks, i + 2, labels)
                    continue
        elif text == "{":
            raise PromQLNameError("a selector without a metric name ({...}) cannot be checked")
        elif text == "[":
            i = _skip_to(toks, i + 1, "]")
            continue
        elif text == "(":
            calls.append([None, 0])
        elif text == ")":
            if calls:
                calls.pop()
        elif text == "," and calls:
            calls[-1][1] += 1
        elif kind == "string" and calls:
            fn, arg = calls[-1]
            if fn in _LABEL_MAKERS and arg == _LABEL_MAKERS[fn]:
                names.created_labels.add(text[1:-1])
        i += 1
    return names


def name_problems(expr, series, extra_metrics=(), extra_labels=()):
    """What in `expr` a real errpulse fleet does not have, as a list of messages.

    series: metric name -> label names, from a real scrape. Metrics in
    extra_metrics (Prometheus' own `up`, recording rules) are accepted with any
    label; extra_labels (instance, job) are accepted everywhere.
    """
    try:
        names = names_in(expr)
    except PromQLNameError as e:
        return [str(e)]
    problems = []
    every_label = set().union(*series.values(), extra_labels, names.created_labels)
    for metric, labels in sorted(names.metrics.items()):
        if metric in extra_metrics:
            continue
        if metric not in series:
            problems.append(f"metric \"{metric}\" is not in a scrape of errpulsed")
            continue
        for label in sorted(labels - series[metric] - set(extra_labels) - {"__name__"}):
            problems.append(f"label \"{label}\" is not a label of {metric}")
    for label in sorted(names.grouping_labels - every_label):
        problems.append(f"label \"{label}\" (in by/on/...) is not a label errpulsed exports")
    return problems


def _grouping_list(toks, i, into):
    """Reads an optional (label, ...) list starting at toks[i]; returns the index after it."""
    if i >= len(toks) or toks[i][1] != "(":
        return i
    i += 1
    while i < len(toks) and toks[i][1] != ")":
        kind, text = toks[i]
        if kind == "ident":
            into.add(text)
        elif text != ",":
            raise PromQLNameError(f"unexpected {text!r} in a label list")
        i += 1
    return i + 1


def _matchers(toks, i, into):
    """Reads label matchers up to the closing brace; returns the index after it."""
    expect_label = True
    while i < len(toks) and toks[i][1] != "}":
        kind, text = toks[i]
        if expect_label and kind in ("ident", "string"):
            into.add(text if kind == "ident" else text[1:-1])
            expect_label = False
        elif text == ",":
            expect_label = True
        i += 1
    return i + 1


def _skip_to(toks, i, closing):
    while i < len(toks) and toks[i][1] != closing:
        i += 1
    return i + 1
