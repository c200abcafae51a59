#!/usr/bin/env bash
# The status page in a real browser: runs the real errpulsed on two sources
# fed with the shipped sample logs and a 60007 surge (the shipped
# RestApiRateLimited rule fires on it after 30 s), then loads / in headless
# Chromium and checks the DOM it built: both sources, a file path with its
# offset, code 60007 with its catalog name and meaning, the firing alert, a
# hostile file name shown as text, and no external URL in the page. Keeps a
# screenshot as a test artifact.
# The charts of the last hour: every inline SVG's points are its counts
# drawn (x per minute, y scaled to the peak); 60007's chart sums to the
# errors counted since the start (none before it), the alert's to the
# errors of its code and source (/metrics); and after a restart (SIGTERM,
# start on the same state) 5 more errors add to the same chart.
# Usage: status_page_chromium.sh ERRPULSED ARTIFACT_DIR
set -euo pipefail
. "$(dirname "$0")/errpulsed_lib.sh"
errpulsed=$1
artifacts=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${CHROMIUM:-chromium}
command -v "$chromium" >/dev/null || { echo "chromium is not installed (apt-get install chromium)"; exit 1; }

dir=$(mktemp -d)
pid=
chrome=
cleanup() {
  # Chromium runs in its own process group (setsid): end the whole group.
  if [ -n "$chrome" ]; then kill -- "-$chrome" 2>/dev/null || true; wait "$chrome" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- daemon log"; cat "$dir/log" || true
  exit 1
}

# Headless Chromium on `url`, with its own profile, never phoning home;
# `timeout` bounds a hung browser.
browse() {
  setsid timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$dir/chrome-profile" --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions "$@" 2>>"$dir/chrome.log" &
  chrome=$!
  wait "$chrome"
  local status=$?
  chrome=
  return $status
}

# Two sources, real sample lines; one file name that is an HTML tag.
mkdir -p "$dir/logs/rest" "$dir/logs/sdk"
cp "$src/data/samples/app-server-rest.log" "$dir/logs/rest/app-server.log"
cp "$src/data/samples/sdk-android-logcat.log" "$dir/logs/sdk/android.log"
cp "$src/data/samples/sdk-ios-console.log" "$dir/logs/sdk/ios.log"
hostile='<img src=x onerror=alert(1)>.log'
printf '%s\n' 'onError(-1101, "camera denied")' > "$dir/logs/sdk/$hostile"
cat > "$dir/errpulse.yaml" <<YAML
listen: 127.0.0.1:0
state_dir: $dir/state
sources:
  - name: rest-api
    paths: [$dir/logs/rest/*.log]
    start_at: beginning
  - name: sdk-client
    paths: [$dir/logs/sdk/*.log]
    start_at: beginning
YAML

# Port 0: the daemon picks a free port and logs it.
start_errpulsed "$errpulsed" "$dir/errpulse.yaml" "$dir/log" || fail "daemon did not start"
base="http://127.0.0.1:$port"

# rate_limited N ID: N REST responses with 60007, stamped now (UTC).
rate_limited() {
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  for i in $(seq 1 "$1"); do
    echo "$now WARN  [http-nio-8080-exec-$((i % 8))] c.e.live.rest.RoomRestClient - get_room_info <- {\"ActionStatus\":\"FAIL\",\"ErrorInfo\":\"rate limited\",\"ErrorCode\":60007,\"RequestId\":\"$2-$i\"}"
  done >> "$dir/logs/rest/app-server.log"
}

# The surge: 60 of them.
rate_limited 60 Id

# RestApiRateLimited: >= 50 in 1 m for 30 s. Wait for firing (up to 90 s).
firing=
for _ in $(seq 1 450); do
  if curl -sf "$base/metrics" |
     grep -q '^errpulse_alerts{alertname="RestApiRateLimited",state="firing"} 1'; then
    firing=1
    break
  fi
  sleep 0.2
done
[ -n "$firing" ] || { curl -s "$base/api/v1/alerts"; fail "RestApiRateLimited never fired"; }
sleep 1.5  # the status snapshot is taken every second

# The page as curl sees it: self-contained, no external URL.
curl -sf "$base/" -o "$dir/page.html" || fail "GET / failed"
external=$(grep -oE 'https?://[^"'"'"' <>]*' "$dir/page.html" | grep -v "^$base" || true)
[ -z "$external" ] || fail "the page references external URLs: $external"
grep -qi '<script\|<link\|<img\|<iframe\|@import\|url(' "$dir/page.html" &&
  fail "the page loads something (script, link, img, iframe, @import or url())"

# The DOM as Chromium builds it.
browse --dump-dom "$base/" > "$dir/dom-raw.html" ||
  fail "chromium --dump-dom failed: $(tail -5 "$dir/chrome.log")"
[ -s "$dir/dom-raw.html" ] || fail "chromium dumped an empty DOM"
# Paths and names carry line-break hints (<wbr>); the checks read the text.
sed 's/<wbr>//g' "$dir/dom-raw.html" > "$dir/dom.html"

expect() {  # expect DESCRIPTION FIXED-STRING
  grep -qF -- "$2" "$dir/dom.html" || fail "the DOM lacks $1: $2"
}
expect "source rest-api" '>rest-api<'
expect "source sdk-client" '>sdk-client<'
rest_file="$dir/logs/rest/app-server.log"
expect "the REST file path" ">$rest_file<"
size=$(stat -c %s "$rest_file")
grouped=$(echo "$size" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
expect "the REST file's offset (read to its end)" "data-offset=\"$size\">$grouped<"
expect "code 60007" '>60007<'
name=$("$errpulsed" explain --json 60007 | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
meaning=$("$errpulsed" explain --json 60007 | sed -n 's/.*"meaning_en":"\([^"]*\)".*/\1/p')
[ -n "$name" ] && [ -n "$meaning" ] || fail "errpulsed explain gave no name or meaning for 60007"
expect "60007's catalog name" "$name"
expect "60007's meaning" "$meaning"
expect "the firing alert" '>RestApiRateLimited<'
expect "the firing state" 'class="chip firing">firing<'
expect "the firing section" 'id="alerts" class="firing"'
expect "the hostile file name, as text" '&lt;img src=x onerror=alert(1)&gt;.log'
grep -q '<img' "$dir/dom.html" && fail "a file name became an element"
external=$(grep -oE 'https?://[^"'"'"' <>]*' "$dir/dom.html" | grep -v "^$base" || true)
[ -z "$external" ] || fail "the DOM references external URLs: $external"

# The JSON endpoint has the same data.
curl -sf "$base/api/v1/status" -o "$dir/status.json" || fail "GET /api/v1/status failed"
grep -qF "\"offset\":$size" "$dir/status.json" || fail "/api/v1/status lacks the offset $size"
grep -qF '"alertname":"RestApiRateLimited"' "$dir/status.json" || fail "/api/v1/status lacks the alert"

# The charts: the DOM's SVGs against their counts, and the counts against
# /api/v1/status and /metrics.
# charts DOM STATUS_JSON [METRICS]: checks the charts, prints the sum of
# 60007's. With METRICS (one daemon since the start of the state): also its
# sum against its count, the alert's against /metrics, zeros before the start.
charts() {
  python3 - "$@" <<'PY'
import json, re, sys
dom = open(sys.argv[1]).read()
data = json.load(open(sys.argv[2]))["data"]
LEFT, STEP, TOP, BOTTOM = 1, 2.5, 3, 30  # daemon/status/sparkline.h
def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)
svgs = re.findall(r'<svg class="spark"[^>]*data-counts="([^"]*)"[^>]*>.*?'
                  r'<polyline points="([^"]*)"', dom, re.S)
for counts, points in svgs:
    c = [int(v) for v in counts.split(",")]
    pts = [tuple(map(float, p.split(","))) for p in points.split()]
    if len(c) != 60 or len(pts) != 60:
        fail("a chart without 60 points: %d counts, %d points" % (len(c), len(pts)))
    peak = max(c)
    for i, (x, y) in enumerate(pts):
        want = BOTTOM if peak == 0 else BOTTOM - c[i] * (BOTTOM - TOP) / peak
        if abs(x - (LEFT + i * STEP)) > 0.06 or abs(y - want) > 0.06:
            fail("point %d is (%s, %s), its count %d says (%s, %s)"
                 % (i, x, y, c[i], LEFT + i * STEP, want))
code = next((c for c in data["top_codes"]["15m"]["codes"] if c["code"] == "60007"), None)
if code is None:
    fail("60007 is not among the top codes of /api/v1/status")
series = code["per_minute"]
if ",".join(map(str, series)) not in [c for c, _ in svgs]:
    fail("no chart on the page draws 60007's per_minute %s" % series)
print(sum(series), series[-1])
if len(sys.argv) > 3:
    # The top codes' window reaches back to the start: the chart holds them all.
    if sum(series) != code["count"]:
        fail("60007's chart sums to %d, its count is %d" % (sum(series), code["count"]))
    # The chart of the firing alert (by code and source): that source's 60007s.
    metrics = open(sys.argv[3]).read()
    m = re.search(r'^errpulse_errors_total\{[^}]*code="60007"[^}]*source="rest-api"[^}]*\} (\S+)|'
                  r'^errpulse_errors_total\{[^}]*source="rest-api"[^}]*code="60007"[^}]*\} (\S+)',
                  metrics, re.M)
    if not m:
        fail("/metrics has no 60007 count for rest-api")
    counted = int(float(m.group(1) or m.group(2)))
    alert = next(a for a in data["alerts"] if a["alertname"] == "RestApiRateLimited")
    if sum(alert["per_minute"]) != counted:
        fail("the alert's chart sums to %d, /metrics counts %d" % (sum(alert["per_minute"]), counted))
    if counted < 60:
        fail("only %d 60007s counted on rest-api" % counted)
    # Nothing before this daemon started: the first minutes of the hour are 0.
    started = data["uptime_seconds"] // 60 + 2
    if any(series[:60 - started]):
        fail("60007's chart has errors before the daemon started: %s" % series)
PY
}
# A minute may end between the page and the JSON: a few tries.
before=
for _ in 1 2 3; do
  browse --dump-dom "$base/?refresh=off" | sed 's/<wbr>//g' > "$dir/dom.html" ||
    fail "chromium --dump-dom failed: $(tail -5 "$dir/chrome.log")"
  curl -sf "$base/api/v1/status" -o "$dir/status.json" || fail "GET /api/v1/status failed"
  curl -sf "$base/metrics" -o "$dir/metrics.txt" || fail "GET /metrics failed"
  read -r before _ < <(charts "$dir/dom.html" "$dir/status.json" "$dir/metrics.txt") || before=
  [ -n "$before" ] && break
  sleep 1
done
[ -n "$before" ] || fail "the charts do not match their counts (see above)"
expect "a chart in the alert's row" 'Last hour, per minute'

# The screenshot, kept under the build tree.
mkdir -p "$artifacts"
shot="$artifacts/status-page.png"
rm -f "$shot"
browse --screenshot="$shot" --window-size=1280,2000 --hide-scrollbars "$base/?refresh=off" ||
  fail "chromium --screenshot failed: $(tail -5 "$dir/chrome.log")"
[ -s "$shot" ] || fail "no screenshot written"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "the screenshot is not a PNG"
# IHDR: width and height, big-endian, at bytes 16..23.
dims=$(od -An -tu1 -j16 -N8 "$shot" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
[ "$dims" = "1280x2000" ] || fail "the screenshot is $dims, not 1280x2000"
# A blank or nearly blank page compresses to a few KiB; a page of tables does not.
bytes=$(stat -c %s "$shot")
[ "$bytes" -ge 40000 ] || fail "the screenshot is only $bytes bytes: a blank page?"

# A restart keeps the charts: SIGTERM (a last commit), start on the same
# state, 5 more 60007s; the chart now sums to what it did plus 5.
kill "$pid"
wait "$pid" || fail "errpulsed did not stop cleanly"
pid=
start_errpulsed "$errpulsed" "$dir/errpulse.yaml" "$dir/log2" || fail "daemon did not restart"
base="http://127.0.0.1:$port"
sleep 1.5  # the first status refresh is the base of what is counted next
rate_limited 5 Again
after=
for _ in $(seq 1 50); do
  sleep 0.2
  curl -sf "$base/api/v1/status" -o "$dir/status2.json" || continue
  grep -q '"code":"60007"' "$dir/status2.json" || continue
  browse --dump-dom "$base/?refresh=off" | sed 's/<wbr>//g' > "$dir/dom2.html" || continue
  curl -sf "$base/api/v1/status" -o "$dir/status2.json" || continue
  read -r after _ < <(charts "$dir/dom2.html" "$dir/status2.json") || after=
  [ "$after" = "$((before + 5))" ] && break
done
[ "$after" = "$((before + 5))" ] ||
  fail "after a restart 60007's chart sums to ${after:-nothing}, not $before + 5"

echo "status page: DOM checks passed; charts match their counts ($before, then $after after a restart); screenshot $shot ($dims, $bytes bytes)"
