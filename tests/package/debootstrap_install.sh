#!/usr/bin/env bash
# Installs the errpulse .deb in a clean Debian 12 (bookworm) minbase root, as apt
# would on a new host, and checks what the package promises:
#   1. without systemd in the root (a container or chroot): apt-get install of the
#      .deb pulls its Depends from Debian; errpulsed --version and `errpulsed check`
#      on /etc/errpulse/errpulse.yaml work; the errpulse user (made by adduser here)
#      is in adm; the unit, sysusers file and state dir are there; the unit is
#      enabled (deb-systemd-helper); remove keeps the conffile, purge removes it,
#      /var/lib/errpulse and the enablement.
#   2. with systemd installed (not running, as in an image build): the same, with
#      the user made by systemd-sysusers from the shipped file; the unit passes
#      `systemd-analyze verify`; errpulsed run as errpulse (as the unit runs it)
#      counts a sample log that only root and adm may read and writes its state.
#   3. booted with systemd-nspawn (systemd as PID 1): the installed, enabled unit
#      driven by systemctl (tests/systemd/inside_container.sh): Type=notify start
#      and STATUS=, counting a root:adm log inside the sandbox, reload good and
#      bad, the watchdog restarting a hung daemon, stop.
#   4. booted again: the installed unit, sandbox and all, with a journal source
#      counts a real systemd unit's entries from the system journal, exactly
#      (tests/package/journal_inside_container.sh: journald running, a
#      oneshot unit writing "ErrorCode: 60007" lines to its stdout, another
#      unit's lines and earlier ones left out, /metrics scraped until the
#      counts are there, a restart resuming from the cursor), the daemon
#      holding the unit's SupplementaryGroups=systemd-journal.
# Root, network (Debian packages only); 1-1.5 minutes with a warm cache, about 2 cold
# (step 4 adds a few seconds; a slow or busy machine takes longer).
# Exits 77 (skipped) when not run as root, except under CI (CI=true or CI=1),
# where that fails like everything else: a tool that is missing (debootstrap,
# systemd-nspawn) is installed with apt-get, and a failure to do so fails.
# The root is made under BUILD_DIR/debootstrap/ from a cached tarball of the .debs
# debootstrap needs (--make-tarball once, --unpack-tarball every run); the .debs
# apt fetches are kept there too. Nothing is mounted in the root (apt, dpkg and
# systemd-analyze verify work without /proc); a root with anything mounted under
# it (say, by an aborted run of another script) is unmounted or left alone, never
# deleted.
# Usage: bash tests/package/debootstrap_install.sh [BUILD_DIR]   (default: build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$repo/build}")
started=$(date +%s)

step() { echo "== $(($(date +%s) - started))s: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
under_ci() { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }
# Skips (77), except under CI, where a test that cannot run has failed.
skip() {
  under_ci && fail "$* (CI=$CI: not skipped)"
  echo "skipped: $*"
  exit 77
}
# Installs the Debian package PACKAGE when TOOL is not on PATH; fails if it cannot.
need_tool() {
  command -v "$1" >/dev/null && return 0
  apt-get install -y -qq "$2" >/dev/null || true
  command -v "$1" >/dev/null || fail "$1 is missing and apt-get install $2 did not provide it"
}

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, systemd-nspawn)"
[ -f "$build/CPackConfig.cmake" ] || { echo "$build is not a configured build dir" >&2; exit 2; }
. "$repo/tests/support/debian_root.sh"
need_tool debootstrap debootstrap
need_tool systemd-nspawn systemd-container

work=$build/debootstrap
root=$work/root
tarball=$work/cache/bookworm-minbase.tgz
apt_cache=$work/cache/apt-archives
mkdir -p "$apt_cache" "$work/out"
chroot_env=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
            DEBIAN_FRONTEND=noninteractive)
in_root() { "${chroot_env[@]}" "$@"; }
apt_in_root() { in_root apt-get -q -y -o Dpkg::Use-Pty=0 "$@"; }

daemon_pid=
on_exit() {
  [ -z "$daemon_pid" ] || { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; } || true
  unmount_under "$root" || echo "WARNING: still mounted under $root" >&2
}
trap on_exit EXIT

step "the .deb"
rm -f "$work"/out/errpulse_*.deb
cpack --config "$build/CPackConfig.cmake" -B "$work/out" > "$work/out/cpack.log" 2>&1 ||
  { cat "$work/out/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/out/errpulse_*.deb)
version=$(dpkg-deb -f "$deb" Version)
echo "$(basename "$deb")"

step "a clean bookworm minbase root in $root"
unmount_under "$root" || fail "cannot unmount what is under $root; not deleting it"
rm -rf "$root"
mirror=$(debian_mirror)
if [ ! -f "$tarball" ]; then
  debootstrap --variant=minbase --make-tarball="$tarball" bookworm "$work/tarball-tmp" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap --make-tarball"; }
  rm -rf "$work/tarball-tmp"
fi
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" "$mirror" \
  > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$apt_cache"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
apt_in_root update > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get update"; }
cp "$deb" "$root/tmp/"
debname=/tmp/$(basename "$deb")

# Checks what every install must have given, whichever way the user was made.
check_installed() {
  in_root dpkg-query -W -f='${Status} ${Version}\n' errpulse | grep -qx "install ok installed $version" ||
    fail "errpulse $version is not installed"
  local passwd said
  said=$(in_root errpulsed --version) || fail "errpulsed --version"
  echo "$said"
  case "$said" in "errpulsed ${version%-*} "*) ;; *) fail "--version does not say ${version%-*}" ;; esac
  in_root errpulsed check --config /etc/errpulse/errpulse.yaml || fail "errpulsed check"
  in_root dpkg-query -W -f='${Conffiles}\n' errpulse | grep -q '^ /etc/errpulse/errpulse.yaml ' ||
    fail "/etc/errpulse/errpulse.yaml is not a conffile"
  passwd=$(in_root getent passwd errpulse) || fail "no user errpulse"
  echo "user: $passwd; groups: $(in_root id -nG errpulse)"
  [ "$(echo "$passwd" | cut -d: -f6)" = /var/lib/errpulse ] || fail "home is not /var/lib/errpulse"
  case "$(echo "$passwd" | cut -d: -f7)" in */nologin|*/false) ;; *) fail "errpulse has a login shell" ;; esac
  [ "$(echo "$passwd" | cut -d: -f3)" -lt 1000 ] || fail "errpulse is not a system user"
  in_root id -nG errpulse | tr ' ' '\n' | grep -qx adm || fail "errpulse is not in adm"
  [ "$(in_root stat -c %U:%G /var/lib/errpulse)" = errpulse:errpulse ] || fail "/var/lib/errpulse owner"
  # deb-systemd-helper (init-system-helpers, in minbase) enables without systemd running.
  [ -L "$root/etc/systemd/system/multi-user.target.wants/errpulse.service" ] ||
    fail "errpulse.service is not enabled"
  for f in /lib/systemd/system/errpulse.service /usr/lib/sysusers.d/errpulse.conf \
           /usr/share/errpulse/data/catalog.yaml /usr/share/doc/errpulse/README.md; do
    [ -f "$root$f" ] || fail "$f missing"
  done
}

# Removes, checks what stays, purges, checks that it is gone.
remove_and_purge() {
  apt_in_root remove errpulse > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get remove"; }
  in_root dpkg-query -W -f='${Status}\n' errpulse | grep -qx 'deinstall ok config-files' ||
    fail "after remove: $(in_root dpkg-query -W -f='${Status}' errpulse)"
  [ ! -e "$root/usr/sbin/errpulsed" ] && [ ! -e "$root/lib/systemd/system/errpulse.service" ] ||
    fail "files left after remove"
  [ -f "$root/etc/errpulse/errpulse.yaml" ] || fail "remove deleted the conffile"
  apt_in_root purge errpulse > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get purge"; }
  local status
  status=$(in_root dpkg-query -W -f='${Status}' errpulse 2>/dev/null || true)
  case "$status" in ''|*not-installed) ;; *) fail "after purge: $status" ;; esac
  [ ! -e "$root/etc/errpulse" ] || fail "/etc/errpulse left after purge: $(ls -A "$root/etc/errpulse")"
  [ ! -e "$root/var/lib/errpulse" ] || fail "/var/lib/errpulse left after purge"
  [ ! -e "$root/etc/systemd/system/multi-user.target.wants/errpulse.service" ] ||
    fail "errpulse.service still enabled after purge"
  echo "remove kept /etc/errpulse/errpulse.yaml; purge removed it, /var/lib/errpulse and the enablement"
}

# Runs the installed errpulsed as errpulse (uid, gid, supplementary groups as the
# unit gives them) on the installed config with its own port and start_at:
# beginning, on data/samples/app-server-rest.log installed as the config's REST
# log, readable only by root and adm; /metrics must count its 11 60007 errors,
# and the state must be written to /var/lib/errpulse.
run_as_errpulse() {
  in_root install -d -o root -g adm -m 0750 /var/log/liveroom
  cp "$repo/data/samples/app-server-rest.log" "$root/var/log/liveroom/app-server.log"
  in_root chown root:adm /var/log/liveroom/app-server.log
  in_root chmod 0640 /var/log/liveroom/app-server.log
  sed -e 's/^listen: .*/listen: 127.0.0.1:0/' -e 's/start_at: end/start_at: beginning/' \
    "$root/etc/errpulse/errpulse.yaml" > "$root/tmp/run.yaml"
  # exec: chroot, env and setpriv exec each other, so $! is errpulsed itself.
  exec "${chroot_env[@]}" setpriv --reuid=errpulse --regid=errpulse --init-groups \
    errpulsed --config /tmp/run.yaml > "$work/daemon.log" 2>&1 &
  daemon_pid=$!
  local port="" metrics="" i
  for i in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$work/daemon.log")
    [ -z "$port" ] && kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$port" ] || { cat "$work/daemon.log"; fail "errpulsed as errpulse did not start"; }
  for i in $(seq 1 100); do
    metrics=$(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) || true
    echo "$metrics" | grep -q '^errpulse_errors_total{.*code="60007".*} 11$' && break
    sleep 0.2
  done
  echo "$metrics" | grep '^errpulse_errors_total{.*code="60007"' ||
    { cat "$work/daemon.log"; fail "no 60007 counted"; }
  echo "$metrics" | grep -q '^errpulse_errors_total{.*code="60007".*} 11$' ||
    { cat "$work/daemon.log"; fail "60007 not counted 11 times"; }
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || { cat "$work/daemon.log"; fail "errpulsed did not stop cleanly on SIGTERM"; }
  daemon_pid=
  [ "$(in_root stat -c %U /var/lib/errpulse/state 2>/dev/null)" = errpulse ] ||
    fail "no state written by errpulse to /var/lib/errpulse: $(ls -ln "$root/var/lib/errpulse")"
  echo "stopped on SIGTERM; $(in_root ls -l /var/lib/errpulse/state)"
}

step "1. apt-get install ./$(basename "$deb") (no systemd in the root)"
[ ! -e "$root/usr/bin/systemd-sysusers" ] || fail "minbase root already has systemd"
apt_in_root install "$debname" > "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; fail "apt-get install"; }
echo "set up: $(awk '/^Setting up/ {print $3}' "$work/apt.log" | tr '\n' ' ')"
check_installed
[ -z "$(in_root getent passwd errpulse | cut -d: -f5)" ] ||
  fail "expected the adduser fallback here, but errpulse has a GECOS (sysusers?)"
step "1. remove, purge"
remove_and_purge

step "2. with systemd installed (not running): install again"
apt_in_root install --no-install-recommends systemd > "$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log"; fail "apt-get install systemd"; }
in_root userdel errpulse
apt_in_root install "$debname" > "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; fail "apt-get install"; }
check_installed
[ "$(in_root getent passwd errpulse | cut -d: -f5)" = "errpulse daemon" ] ||
  fail "the user was not made by systemd-sysusers from /usr/lib/sysusers.d/errpulse.conf"
echo "user made by systemd-sysusers"
# The unit's SupplementaryGroups=adm systemd-journal: systemd would refuse to
# start it (216/GROUP) if a group did not exist. systemd's package makes
# systemd-journal (sysusers basic.conf); the errpulse package does not.
in_root getent group systemd-journal >/dev/null || fail "no group systemd-journal with systemd installed"
in_root systemd-analyze verify /lib/systemd/system/errpulse.service > "$work/verify.log" 2>&1 ||
  { cat "$work/verify.log"; fail "systemd-analyze verify"; }
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log"; fail "systemd-analyze verify printed warnings"; }
# The same verify on a broken copy must complain: it works here (no /proc needed).
sed 's#^ExecStart=.*#ExecStart=errpulsed-not-here#; $a NoSuchSetting=1' \
  "$root/lib/systemd/system/errpulse.service" > "$root/tmp/broken.service"
if in_root systemd-analyze verify /tmp/broken.service > "$work/verify.log" 2>&1 &&
   [ ! -s "$work/verify.log" ]; then
  fail "systemd-analyze verify found nothing wrong in a broken unit"
fi
echo "systemd-analyze verify: clean (and it does flag a broken copy: $(head -1 "$work/verify.log"))"
step "2. errpulsed as the errpulse user on a root:adm 0640 log in /var/log"
run_as_errpulse
step "2. remove, purge"
remove_and_purge

step "3. booted under systemd (systemd-nspawn): the installed unit, driven by systemctl"
apt_in_root install --no-install-recommends systemd-sysv curl > "$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log"; fail "apt-get install systemd-sysv curl"; }
apt_in_root install "$debname" > "$work/apt.log" 2>&1 || { tail -30 "$work/apt.log"; fail "apt-get install"; }
boot_and_run "$root" "$repo/tests/systemd/inside_container.sh" || fail "the unit under systemd"
unmount_under "$root" || fail "cannot unmount what nspawn left under $root"
step "4. booted again: the installed unit counts a systemd unit's journal entries"
boot_and_run "$root" "$repo/tests/package/journal_inside_container.sh" ||
  fail "the journal source under the installed unit"
unmount_under "$root" || fail "cannot unmount what nspawn left under $root"
step "4. remove, purge"
remove_and_purge

cp -n "$root"/var/cache/apt/archives/*.deb "$apt_cache/" 2>/dev/null || true
unmount_under "$root" || fail "cannot unmount what is under $root"
rm -rf "$root"
step "PASS"
