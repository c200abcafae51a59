#!/usr/bin/env bash
# Tries the README's two set-up commands as a newcomer would: in a clean
# Debian 12 root made with debootstrap, on a fresh clone of this repository.
# Slow (a full build and test run inside the root), so not part of CTest.
# Run as root: bash tests/fresh_machine/debootstrap_check.sh [ROOT_DIR]
# The Debian mirror is the one this machine's apt already uses.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:-/var/tmp/errpulse-deb12}
. "$repo/tests/support/debian_root.sh"
mirror=$(debian_mirror)
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap

trap 'unmount_under "$root"' EXIT

if [ ! -x "$root/bin/bash" ]; then
  debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
rm -rf "$root/root/errpulse"
git clone -q "$repo" "$root/root/errpulse.git-src"
# git is not in a minbase root yet: copy the clone in as plain files plus .git.
mv "$root/root/errpulse.git-src" "$root/root/errpulse"

echo "== README command 1: the demo (runs 20 s, then metrics are checked)"
chroot "$root" /bin/bash -c '
  cd /root/errpulse
  bash tests/bootstrap.sh demo > /tmp/demo.out 2>&1 &
  pid=$!   # bootstrap.sh execs errpulsed, so this becomes the daemon
  for i in $(seq 1 1800); do grep -q "listening on" /tmp/demo.out && break; sleep 1; done
  sleep 15
  metrics=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/9464; printf \"GET /metrics HTTP/1.0\r\n\r\n\" >&3; cat <&3")
  kill -INT $pid; wait $pid; echo "demo exit status: $?"
  echo "$metrics" | grep -E "^errpulse_(errors|lines)_total" | grep -v " 0$" | head -20
  echo "$metrics" | grep "code=\"60007\"" | grep -qv " 0$" || { echo "no 60007 counted"; exit 1; }'
echo "== README command 2: the tests"
chroot "$root" /bin/bash -c 'cd /root/errpulse && bash tests/bootstrap.sh test'
