# Shell helpers for the tests that build a Debian 12 root with debootstrap
# (tests/fresh_machine/debootstrap_check.sh, tests/package/debootstrap_install.sh).
# Sourced, not run. Each function works on the root it is given; nothing is shared.

# The Debian mirror this machine's apt already uses.
debian_mirror() {
  local mirror
  mirror=$(grep -h -m1 -o 'https\?://[^ ]*debian/\?$' /etc/apt/sources.list.d/*.sources \
             /etc/apt/sources.list 2>/dev/null | head -1 || true)
  [ -n "$mirror" ] || mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources)
  echo "$mirror"
}

# Mount points at or under ROOT, deepest first.
mounts_under() {
  awk -v root="$1" '$2 == root || index($2, root "/") == 1 {print $2}' /proc/self/mounts | sort -r
}

# Unmounts everything at or under ROOT (lazily if busy). Returns non-zero if
# something is still mounted there, so a caller never deletes a root with mounts.
unmount_under() {
  local m
  for m in $(mounts_under "$1"); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
  [ -z "$(mounts_under "$1")" ]
}

# Boots ROOT with systemd-nspawn (systemd as PID 1, its own network namespace
# is not used: the container shares the host's loopback), runs SCRIPT there
# once at boot as a oneshot unit, and waits for the container to power off.
# SCRIPT must write PASS or FAIL... to /root/errpulse-unit-result and power
# off (tests/systemd/inside_container.sh does). Prints the script's log;
# returns 0 only on PASS. Needs systemd-container.
boot_and_run() {
  local root=$1 script=$2 result
  command -v systemd-nspawn >/dev/null || apt-get install -y -qq systemd-container >/dev/null
  install -m 0755 "$script" "$root/root/inside_container.sh"
  rm -f "$root/root/errpulse-unit-result" "$root/root/errpulse-unit.log"
  cat > "$root/etc/systemd/system/errpulse-unit-test.service" <<'UNIT'
[Unit]
Description=errpulse unit test (runs once at boot, then powers off)
After=errpulse.service network.target
[Service]
Type=oneshot
ExecStart=/root/inside_container.sh
[Install]
WantedBy=multi-user.target
UNIT
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/errpulse-unit-test.service \
    "$root/etc/systemd/system/multi-user.target.wants/errpulse-unit-test.service"
  timeout 300 systemd-nspawn --quiet -D "$root" --boot --register=no --keep-unit \
    --console=pipe </dev/null > "$root/../nspawn-console.log" 2>&1 || true
  rm -f "$root/etc/systemd/system/multi-user.target.wants/errpulse-unit-test.service" \
    "$root/etc/systemd/system/errpulse-unit-test.service"
  grep -v '^+' "$root/root/errpulse-unit.log" 2>/dev/null | tail -40
  result=$(cat "$root/root/errpulse-unit-result" 2>/dev/null ||
           echo "no result: the container did not run the test (see $root/../nspawn-console.log)")
  echo "result under systemd: $result"
  [ "$result" = PASS ]
}
