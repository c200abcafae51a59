#!/bin/bash
# Checks systemd/errpulse.service the way systemd itself reads it:
#   1. `systemd-analyze security --offline=true` scores its sandbox at 2.0 or
#      lower ("OK"); the score is printed for the record.
#   2. `systemd-analyze verify` in a scratch root holding the real errpulsed,
#      /bin/kill and the distribution's units accepts it without a single
#      warning (unknown keys, bad values, missing commands all print one).
# Usage: unit_check.sh SOURCE_DIR ERRPULSED
set -euo pipefail
source_dir=$1
errpulsed=$2
unit=$source_dir/systemd/errpulse.service
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

echo "== systemd-analyze security (threshold 2.0)"
out=$(cd "$(dirname "$unit")" && systemd-analyze security --offline=true --threshold=20 \
      "$(basename "$unit")" 2>&1) || { echo "$out"; echo "FAIL: exposure above 2.0"; exit 1; }
score=$(grep -o 'Overall exposure level for errpulse.service: [0-9.]*' <<<"$out" | awk '{print $NF}')
[ -n "$score" ] || { echo "$out"; echo "FAIL: no score printed"; exit 1; }
echo "exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "FAIL: $score > 2.0"; exit 1; }

echo "== systemd-analyze verify"
mkdir -p "$root/usr/sbin" "$root/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
ln "$errpulsed" "$root/usr/sbin/errpulsed" 2>/dev/null || cp "$errpulsed" "$root/usr/sbin/errpulsed"
cp /bin/kill "$root/bin/kill"
cp -r /lib/systemd/system "$root/usr/lib/systemd/"
cp "$unit" "$root/etc/systemd/system/errpulse.service"
verify=$(systemd-analyze verify --root="$root" errpulse.service 2>&1) || {
  echo "$verify"; echo "FAIL: verify exited non-zero"; exit 1; }
if [ -n "$verify" ]; then
  echo "$verify"
  echo "FAIL: verify printed warnings"
  exit 1
fi
echo "ok"
