#!/bin/bash
# Runs inside a booted Debian 12 container (systemd as PID 1), started by
# tests/systemd/nspawn_unit_test.sh: drives the real errpulse.service with
# systemctl and checks what systemd and errpulsed do. Writes PASS or FAIL to
# /root/errpulse-unit-result, then powers the container off.
exec > /root/errpulse-unit.log 2>&1
set -x
finish() { echo "$1" > /root/errpulse-unit-result; systemctl poweroff; exit 0; }
fail() { echo "FAIL: $*"; journalctl -u errpulse --no-pager | tail -40; finish "FAIL: $*"; }
metric() {  # metric NAME_WITH_LABELS -> value (0 when absent)
  curl -s 127.0.0.1:9464/metrics | awk -v m="$1" '$1 == m {print $2; f=1} END {if (!f) print 0}'
}
wait_metric() {  # wait_metric SERIES VALUE
  for _ in $(seq 1 100); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
  echo "$1 is $(metric "$1"), expected $2"; return 1
}
series='errpulse_errors_total{category="rate_limit",code="60007",domain="rest_common",source="sdk"}'
line='{"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"over limit"}'
log=/var/log/liveroom/sdk/room.log

# Installed from the .deb, the unit is enabled and came up at boot; the test
# starts it again on logs it makes, from an empty state.
if systemctl is-enabled -q errpulse; then
  systemctl is-active errpulse || fail "enabled, but not running after boot"
fi
systemctl stop errpulse
rm -rf /var/lib/errpulse/*

# Logs as Debian keeps them: root:adm, not world-readable.
mkdir -p /var/log/liveroom/sdk
chown root:adm /var/log/liveroom /var/log/liveroom/sdk
chmod 0750 /var/log/liveroom /var/log/liveroom/sdk
echo "$line" > $log
chown root:adm $log
chmod 0640 $log

systemctl start errpulse || fail "systemctl start"
systemctl is-active errpulse || fail "not active after start (Type=notify READY)"
status=$(systemctl show -p StatusText --value errpulse)
echo "STATUS: $status"
grep -q "file(s) followed" <<<"$status" || fail "no STATUS= line: '$status'"
[ "$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9464/-/ready)" = 200 ] || fail "not ready"

for i in 1 2 3 4 5; do echo "$line" >> $log; done   # start_at: end, so 5 are new
wait_metric "$series" 5 || fail "sandboxed daemon did not count the adm-readable log"
[ "$(stat -c %U /var/lib/errpulse/state)" = errpulse ] || fail "state not owned by errpulse"
[ "$(stat -c %a /var/lib/errpulse)" = 750 ] || fail "state dir mode $(stat -c %a /var/lib/errpulse)"

# Reload: valid, then invalid (kept running on the old config).
systemctl reload errpulse || fail "systemctl reload"
wait_metric 'errpulse_config_reloads_total{result="success"}' 1 || fail "reload not applied"
cp /etc/errpulse/errpulse.yaml /root/errpulse.yaml.good
echo "commit_interval: soon" >> /etc/errpulse/errpulse.yaml
systemctl reload errpulse
wait_metric errpulse_config_last_reload_successful 0 || fail "bad reload not reported"
systemctl is-active errpulse || fail "a bad reload stopped the service"
journalctl -u errpulse --no-pager | grep -q "errpulse.yaml:.*commit_interval" \
  || fail "journal does not say what is wrong"
cp /root/errpulse.yaml.good /etc/errpulse/errpulse.yaml
echo "$line" >> $log
wait_metric "$series" 6 || fail "not counting after a refused reload"

# Watchdog: a stopped (hung) daemon is killed and restarted; counts survive.
mkdir -p /run/systemd/system/errpulse.service.d
printf '[Service]\nWatchdogSec=2s\n' > /run/systemd/system/errpulse.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart errpulse || fail "restart with WatchdogSec=2s"
pid=$(systemctl show -p MainPID --value errpulse)
kill -STOP "$pid"
for _ in $(seq 1 100); do
  new=$(systemctl show -p MainPID --value errpulse)
  [ "$new" != "$pid" ] && [ "$new" != 0 ] && systemctl is-active -q errpulse && break
  sleep 0.2
done
[ "$new" != "$pid" ] || fail "watchdog did not restart the hung daemon"
journalctl -u errpulse --no-pager | grep -qi "watchdog timeout" || fail "no watchdog timeout logged"
echo "$line" >> $log
wait_metric "$series" 7 || fail "counts after the watchdog restart"

systemctl stop errpulse || fail "systemctl stop"
journalctl -u errpulse --no-pager | tail -30
finish PASS
