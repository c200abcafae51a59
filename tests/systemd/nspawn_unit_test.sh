#!/bin/bash
# The unit under a real systemd: boots a Debian 12 root (debootstrap) with
# systemd-nspawn, installs errpulsed, the unit and the default config in it,
# and runs tests/systemd/inside_container.sh there (start with Type=notify,
# STATUS=, reading root:adm logs inside the sandbox, reload good and bad, the
# watchdog restarting a hung daemon, stop). Needs root, systemd-container and
# debootstrap; slow the first time (debootstrap), so not in CTest.
# Usage: nspawn_unit_test.sh ERRPULSED [ROOT_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
errpulsed=$(realpath "$1")
root=${2:-/var/tmp/errpulse-nspawn}
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
command -v systemd-nspawn >/dev/null || apt-get install -y -qq systemd-container debootstrap

if [ ! -x "$root/lib/systemd/systemd" ]; then
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$root" "$mirror"
fi
# The daemon's shared libraries and curl, from Debian.
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
trap 'umount -l "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" bash -c 'dpkg -s curl libre2-9 libspdlog1.10 libyaml-cpp0.7 libprometheus-cpp-core1.0 >/dev/null 2>&1 ||
  { apt-get update -qq && apt-get install -y -qq curl libre2-9 libspdlog1.10 libfmt9 libyaml-cpp0.7 libprometheus-cpp-core1.0 libssl3 zlib1g; }'
umount -l "$root/proc"
trap - EXIT

install -m 0755 "$errpulsed" "$root/usr/sbin/errpulsed"
install -m 0644 "$repo/systemd/errpulse.service" "$root/etc/systemd/system/errpulse.service"
mkdir -p "$root/etc/errpulse" "$root/usr/share/errpulse/data" "$root/usr/share/errpulse/rules"
# The default config, pointed at where this script puts the catalog and rules
# (a binary built with another prefix looks elsewhere by default).
{ cat "$repo/config/errpulse.yaml"
  echo "catalog: [/usr/share/errpulse/data/catalog.yaml]"
  echo "rules: [/usr/share/errpulse/rules/codes.yaml, /usr/share/errpulse/rules/alerts.yaml]"
} > "$root/etc/errpulse/errpulse.yaml"
install -m 0644 "$repo/data/catalog.yaml" "$root/usr/share/errpulse/data/"
install -m 0644 "$repo"/rules/*.yaml "$root/usr/share/errpulse/rules/"
chroot "$root" bash -c 'id errpulse >/dev/null 2>&1 || useradd --system --home-dir /var/lib/errpulse --no-create-home --shell /usr/sbin/nologin errpulse; usermod -a -G adm errpulse'
rm -rf "$root/var/lib/errpulse" "$root/root/errpulse-unit-result"
install -m 0755 "$repo/tests/systemd/inside_container.sh" "$root/root/inside_container.sh"
cat > "$root/etc/systemd/system/errpulse-unit-test.service" <<'UNIT'
[Unit]
Description=errpulse unit test (runs once at boot, then powers off)
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/root/inside_container.sh
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/errpulse-unit-test.service \
  "$root/etc/systemd/system/multi-user.target.wants/errpulse-unit-test.service"

timeout 300 systemd-nspawn --quiet -D "$root" --boot --register=no --keep-unit \
  --console=pipe </dev/null > /tmp/errpulse-nspawn-console.log 2>&1 || true
cat "$root/root/errpulse-unit.log" 2>/dev/null | tail -60
result=$(cat "$root/root/errpulse-unit-result" 2>/dev/null || echo "no result (container did not run the test)")
echo "result: $result"
[ "$result" = PASS ]
