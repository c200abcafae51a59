#!/usr/bin/env bash
# The status page in a real browser: runs the real errpulsed on two sources
# fed with the shipped sample logs and a 60007 surge (the shipped
# RestApiRateLimited rule fires on it after 30 s), then loads / in headless
# Chromium and checks the DOM it built: both sources, a file path with its
# offset, code 60007 with its catalog name and meaning, the firing alert, a
# hostile file name shown as text, and no external URL in the page. Keeps a
# screenshot as a test artifact.
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

# The surge: 60 REST responses with 60007, stamped now (UTC).
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
for i in $(seq 1 60); do
  echo "$now WARN  [http-nio-8080-exec-$((i % 8))] c.e.live.rest.RoomRestClient - get_room_info <- {\"ActionStatus\":\"FAIL\",\"ErrorInfo\":\"rate limited\",\"ErrorCode\":60007,\"RequestId\":\"Id-$i\"}"
done >> "$dir/logs/rest/app-server.log"

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
echo "status page: DOM checks passed; screenshot $shot ($dims, $bytes bytes)"
