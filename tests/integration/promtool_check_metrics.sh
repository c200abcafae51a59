#!/usr/bin/env bash
# Runs `promtool check metrics` on a real scrape of the running daemon, after
# it has counted catalogued, unknown and success lines. Fails on any finding.
set -euo pipefail
. "$(dirname "$0")/errpulsed_lib.sh"
errpulsed=$1
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/errpulse.yaml" <<YAML
listen: 127.0.0.1:0
state_dir: $dir/state
sources:
  - name: app
    paths: [$dir/app.log]
    start_at: beginning
YAML
printf '%s\n' '{"ActionStatus":"FAIL","ErrorCode":60007}' 'onError(-2340, "x")' \
  'code: 8010' '{"ErrorCode":0}' 'plain line' > "$dir/app.log"
# Port 0: the daemon picks a free port and logs it.
start_errpulsed "$errpulsed" "$dir/errpulse.yaml" "$dir/log" ||
  { cat "$dir/log"; echo "daemon did not start"; exit 1; }
for _ in $(seq 1 250); do
  if curl -sf "http://127.0.0.1:$port/metrics" -o "$dir/scrape" &&
     grep -q '^errpulse_lines_total{source="app"} 5' "$dir/scrape"; then
    break
  fi
  sleep 0.04
done
grep -q '^errpulse_lines_total{source="app"} 5' "$dir/scrape" || { cat "$dir/log"; echo "daemon never counted the lines"; exit 1; }
grep -q 'errpulse_unknown_codes_total{source="app"} 1' "$dir/scrape"
findings=$(promtool check metrics < "$dir/scrape" 2>&1) || { echo "$findings"; exit 1; }
if [ -n "$findings" ]; then echo "promtool check metrics reported:"; echo "$findings"; exit 1; fi
echo "promtool check metrics: clean ($(grep -vc '^#' "$dir/scrape") series)"
