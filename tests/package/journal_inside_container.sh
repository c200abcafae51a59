#!/bin/bash
# Runs inside the booted Debian 12 root (systemd as PID 1, journald running),
# started once at boot by tests/package/debootstrap_install.sh through
# boot_and_run (tests/support/debian_root.sh): the installed errpulse.service,
# sandbox and all, counts a real systemd unit's journal entries.
#   - /etc/errpulse/errpulse.yaml gets one journal source, "probe", selecting
#     _SYSTEMD_UNIT=ep-journal-probe.service, start_at: end;
#   - the started errpulsed has the group systemd-journal (/proc/PID/status);
#   - entries of that unit written before errpulse starts are not counted
#     (start_at: end), nor are those of another unit (ep-journal-other, the
#     same script, so the same SYSLOG_IDENTIFIER: only the unit differs);
#   - the probe unit (a oneshot service) writes N lines "call failed
#     ErrorCode: 60007" and a last marker line to its stdout, which journald
#     records with _SYSTEMD_UNIT=ep-journal-probe.service;
#   - /metrics must reach errpulse_lines_total{source="probe"} N+1 and then
#     show exactly N errors of code 60007 for the source and that many lines;
#   - after `systemctl restart errpulse` (resuming from its journal cursor)
#     a second run of M lines gives exactly N+M: nothing lost, nothing
#     counted twice.
# Every wait is for a condition, with a deadline (60 s). Nothing is skipped:
# a missing tool or a journal errpulse cannot read is a failure.
# Writes PASS or FAIL... to /root/errpulse-unit-result, then powers off.
exec > /root/errpulse-unit.log 2>&1
set -x
finish() { echo "$1" > /root/errpulse-unit-result; systemctl poweroff; exit 0; }
fail() {
  set +x
  echo "FAIL: $*"
  echo "--- /metrics (source probe)"; curl -s 127.0.0.1:9464/metrics | grep 'source="probe"' | grep -v ' 0$'
  echo "--- journalctl -b -u errpulse"; journalctl -b -u errpulse --no-pager | tail -40
  echo "--- the probe's entries"
  journalctl _SYSTEMD_UNIT=ep-journal-probe.service -o short-precise --no-pager | tail -20
  echo "--- journal directories"; ls -ln /run/log/journal /var/log/journal 2>&1
  finish "FAIL: $*"
}
n=7 m=4
unit=ep-journal-probe
deadline=60

for tool in curl journalctl; do
  command -v $tool >/dev/null || fail "$tool is not installed in the root"
done
systemctl is-active -q systemd-journald || fail "systemd-journald is not running"

# sum_metric NAME LABEL... -> the sum of NAME's series having every LABEL (0 if none)
cat > /root/ep-sum.awk <<'AWK'
BEGIN { n = split(labels, want, " ") }
index($1, name "{") == 1 {
  ok = 1
  for (i = 1; i <= n; i++) if (index($1, want[i]) == 0) ok = 0
  if (ok) s += $NF
}
END { print s + 0 }
AWK
sum_metric() {
  local name=$1; shift
  curl -s 127.0.0.1:9464/metrics | awk -v name="$name" -v labels="$*" -f /root/ep-sum.awk
}
errors() { sum_metric errpulse_errors_total 'source="probe"' 'code="60007"'; }
all_errors() { sum_metric errpulse_errors_total 'source="probe"'; }
lines() { sum_metric errpulse_lines_total 'source="probe"'; }
wait_lines() {  # wait_lines COUNT: until lines() reaches COUNT, or the deadline
  local end=$(($(date +%s) + deadline))
  while [ "$(lines)" -lt "$1" ]; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}
# probe UNIT COUNT [TAG]: starts UNIT.service, a oneshot unit that prints
# COUNT error lines and, with a TAG, a marker line, then exits; `systemctl
# start` returns once it has. Units in /run/systemd/system, not systemd-run:
# systemd-run needs D-Bus, which a minbase root has not. The waits that
# prove something are on /metrics, not on this.
cat > /root/ep-journal-probe.sh <<'SH'
#!/bin/sh
read -r count tag < "$1"
i=0
while [ "$i" -lt "$count" ]; do echo "call failed ErrorCode: 60007"; i=$((i + 1)); done
[ -z "$tag" ] || echo "ep-journal-probe marker $tag"
SH
chmod 0755 /root/ep-journal-probe.sh
for u in ep-journal-probe ep-journal-other; do
  cat > /run/systemd/system/$u.service <<UNIT
[Unit]
Description=errpulse test: error lines to the journal
[Service]
Type=oneshot
ExecStart=/root/ep-journal-probe.sh /run/$u.args
UNIT
done
systemctl daemon-reload || fail "systemctl daemon-reload"
probe() {
  echo "$2 ${3:-}" > "/run/$1.args"
  systemctl start "$1.service" || fail "systemctl start $1.service failed"
}
# Waits until journald has the marker of TAG for UNIT.
wait_in_journal() {
  local end=$(($(date +%s) + deadline))
  until journalctl -q -o cat _SYSTEMD_UNIT="$1.service" | grep -qx "ep-journal-probe marker $2"; do
    [ "$(date +%s)" -lt "$end" ] || fail "journald never recorded $1's marker $2"
    sleep 0.2
  done
}

# Entries of the probe unit from before errpulse runs: start_at: end skips them.
probe $unit 3 before
wait_in_journal $unit before

systemctl stop errpulse || fail "systemctl stop"
rm -rf /var/lib/errpulse/*
cp /etc/errpulse/errpulse.yaml /root/errpulse.yaml.shipped
cat > /etc/errpulse/errpulse.yaml <<'YAML'
listen: 127.0.0.1:9464
state_dir: /var/lib/errpulse
sources:
  - name: probe
    journal:
      units: [ep-journal-probe.service]
    start_at: end
YAML
errpulsed check --config /etc/errpulse/errpulse.yaml || fail "errpulsed check on the journal config"
# Type=notify: start returns once errpulsed says READY=1, i.e. its sources are
# open and positioned at the journal's end.
systemctl start errpulse || fail "systemctl start with the journal source"
systemctl is-active -q errpulse || fail "not active after start"
# The daemon itself runs with the group (not only the unit asking for it).
pid=$(systemctl show -p MainPID --value errpulse)
gid=$(getent group systemd-journal | cut -d: -f3)
[ -n "$gid" ] || fail "no group systemd-journal"
grep '^Groups:' "/proc/$pid/status"
grep -qE "^Groups:.*[[:space:]]$gid([[:space:]]|\$)" "/proc/$pid/status" ||
  fail "errpulsed (pid $pid) is not in systemd-journal ($gid)"
[ "$(lines)" = 0 ] || fail "start_at: end, yet $(lines) line(s) counted before the probe wrote"

# Another unit's lines, the same text: not selected. No marker, so that if they
# were read (before the probe's, in journal order), the first N+1 lines read
# would all be errors and the count below could not come out right.
probe ep-journal-other 5
probe $unit $n first
wait_lines $((n + 1)) || fail "lines_total{source=\"probe\"} is $(lines) after ${deadline}s, expected $((n + 1))"
[ "$(lines)" = $((n + 1)) ] || fail "lines_total is $(lines), expected $((n + 1)) (other units' or earlier entries read)"
[ "$(errors)" = $n ] || fail "errors_total{code=60007} is $(errors), expected exactly $n"
[ "$(all_errors)" = $n ] || fail "errors of other codes counted: all $(all_errors), 60007 $(errors)"
echo "counted $n of $n from the journal, sandboxed"
said=$(journalctl -b -u errpulse -o cat --no-pager | grep "source 'probe'")
echo "$said"
! grep -qiE "no system journal|may read|cannot|denied" <<<"$said" || fail "errpulse logged a problem with the journal"

# A restart resumes after the committed cursor.
systemctl restart errpulse || fail "systemctl restart"
probe $unit $m second
wait_lines $((n + m + 2)) || fail "after a restart lines_total is $(lines), expected $((n + m + 2))"
[ "$(lines)" = $((n + m + 2)) ] || fail "after a restart lines_total is $(lines), expected $((n + m + 2))"
[ "$(errors)" = $((n + m)) ] || fail "after a restart errors_total is $(errors), expected $((n + m))"
echo "restart: $((n + m)) in all, none lost or counted twice"

systemctl stop errpulse || fail "systemctl stop"
cp /root/errpulse.yaml.shipped /etc/errpulse/errpulse.yaml
rm -rf /var/lib/errpulse/*
journalctl -b -u errpulse --no-pager | tail -20
finish PASS
