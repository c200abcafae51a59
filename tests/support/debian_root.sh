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
