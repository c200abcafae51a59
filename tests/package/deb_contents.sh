#!/usr/bin/env bash
# package.deb_contents: builds the .deb with cpack from a configured build tree and
# checks it without installing it on this machine:
#   - its files are exactly the ones cmake/packaging.cmake promises (the rules,
#     fleet rules and dashboards as they are in the source tree now);
#   - its control data: name, version, section, priority, maintainer, a Depends from
#     dpkg-shlibdeps, the conffile, the maintainer scripts;
#   - the extracted errpulsed runs `check` on the packaged config at its real
#     paths (/etc/errpulse, /usr/share/errpulse): in a private mount namespace,
#     chrooted into the extracted tree with only this machine's libraries bound
#     in; then again with the catalog moved away, which must fail.
# When no mount namespace can be made, the check runs outside with
# ERRPULSE_SHARE_DIR pointing into the extracted tree, and says so.
# Usage: deb_contents.sh SOURCE_DIR BUILD_DIR PROJECT_VERSION
set -euo pipefail
src=$1 build=$2 version=$3

fail() { echo "FAIL: $*" >&2; exit 1; }

# Outside the build tree: errpulsed takes its data from the source tree when it
# runs from under the build tree, which would make the check below vacuous.
tmp=$(mktemp -d /tmp/errpulse-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "== cpack"
cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" > "$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
debs=("$tmp"/out/errpulse_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one errpulse_*.deb, got: ${debs[*]}"
deb=${debs[0]}
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "errpulse_${version}-1_${arch}.deb" ] || fail "file name $(basename "$deb")"
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"

echo "== files (dpkg-deb -c)"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\./#/#' | sort > "$tmp/actual"
(
  echo /usr/sbin/errpulsed
  echo /usr/share/errpulse/data/catalog.yaml
  echo /usr/share/doc/errpulse/README.md
  echo /etc/errpulse/errpulse.yaml
  echo /lib/systemd/system/errpulse.service
  echo /usr/lib/sysusers.d/errpulse.conf
  # Fleet rules and dashboards only once they exist in the source tree.
  cd "$src"
  find rules -maxdepth 1 -name '*.yaml'
  [ ! -d rules/prometheus ] || find rules/prometheus -maxdepth 1 \( -name '*.yml' -o -name '*.yaml' \) \
                                ! -name '*_test.yml' ! -name '*_test.yaml'
  [ ! -d data/dashboards ] || find data/dashboards -maxdepth 1 -name '*.json'
) | sed 's#^rules/\|^data/#/usr/share/errpulse/&#' | sort > "$tmp/expected"
diff -u "$tmp/expected" "$tmp/actual" || fail "the package's files differ from the expected list (- expected, + in the .deb)"
echo "$(wc -l < "$tmp/actual") files, as expected"

echo "== control (dpkg-deb -f / -I)"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = errpulse ] || fail "Package: $(field Package)"
[ "$(field Version)" = "${version}-1" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
[ "$(field Section)" = admin ] || fail "Section: $(field Section)"
[ "$(field Priority)" = optional ] || fail "Priority: $(field Priority)"
field Maintainer | grep -q '^[^<]\+ <[^>]\+@[^>]\+>$' || fail "Maintainer: $(field Maintainer)"
depends=$(field Depends)
echo "Depends: $depends"
# adduser and procps by hand; the libraries only by dpkg-shlibdeps, with versions.
for dep in adduser procps 'libc6 (>=' 'libstdc++6 (>=' 'libre2-' 'libyaml-cpp' 'libprometheus-cpp-core' \
           'libspdlog' 'libssl3 (>=' 'zlib1g (>='; do
  case ", $depends" in *", $dep"*) ;; *) fail "Depends lacks '$dep'" ;; esac
done
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/errpulse/errpulse.yaml ] ||
  fail "conffiles: $(cat "$tmp/control/conffiles")"
for script in postinst prerm postrm; do
  [ -x "$tmp/control/$script" ] || fail "no executable $script"
  sh -n "$tmp/control/$script" || fail "$script: syntax error"
done
grep -q 'systemd-sysusers /usr/lib/sysusers.d/errpulse.conf' "$tmp/control/postinst" ||
  fail "postinst does not create the user from the sysusers file"
dpkg-deb -I "$deb" | grep -E '^ +[0-9]+ bytes'

echo "== extracted files match the source"
dpkg-deb -x "$deb" "$tmp/root"
root=$tmp/root
cmp "$src/systemd/errpulse.service" "$root/lib/systemd/system/errpulse.service" || fail "unit differs"
cmp "$src/systemd/errpulse.sysusers" "$root/usr/lib/sysusers.d/errpulse.conf" || fail "sysusers differs"
cmp "$src/config/errpulse.yaml" "$root/etc/errpulse/errpulse.yaml" || fail "config differs"
cmp "$src/data/catalog.yaml" "$root/usr/share/errpulse/data/catalog.yaml" || fail "catalog differs"

echo "== errpulsed in the extracted root"
multiarch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH)
# Runs errpulsed ARGS... chrooted into $root, this machine's libraries bound in
# (read-only, in a private mount namespace that ends with the command).
in_root() {
  mkdir -p "$root/usr/lib/$multiarch" "$root/lib/$multiarch" "$root/usr/lib64" "$root/dev"
  [ -e "$root/lib64" ] || ln -s usr/lib64 "$root/lib64"
  touch "$root/dev/null"
  unshare --mount --propagation private /bin/sh -ec '
    root=$1 multiarch=$2; shift 2
    for dir in "usr/lib/$multiarch" "lib/$multiarch" usr/lib64; do
      lib=/usr/${dir#usr/}
      [ -d "$lib" ] || continue
      mount --bind "$lib" "$root/$dir"
      mount -o remount,bind,ro "$root/$dir"
    done
    mount --bind /dev/null "$root/dev/null"
    exec chroot "$root" /usr/sbin/errpulsed "$@"' in_root "$root" "$multiarch" "$@"
}
if in_root --version > "$tmp/version" 2>&1; then
  mode="chroot into the extracted root (private mount namespace)"
  run() { in_root "$@"; }
  config=/etc/errpulse/errpulse.yaml
else
  cat "$tmp/version"
  mode="outside, ERRPULSE_SHARE_DIR=<root>/usr/share/errpulse (no mount namespace here)"
  run() { ERRPULSE_SHARE_DIR="$root/usr/share/errpulse" "$root/usr/sbin/errpulsed" "$@"; }
  config=$root/etc/errpulse/errpulse.yaml
  run --version > "$tmp/version" 2>&1 || { cat "$tmp/version"; fail "errpulsed --version"; }
fi
echo "mode: $mode"
cat "$tmp/version"
grep -q "^errpulsed $version " "$tmp/version" || fail "--version does not say $version"
run check --config "$config" > "$tmp/check" 2>&1 || { cat "$tmp/check"; fail "errpulsed check failed"; }
cat "$tmp/check"
grep -q 'ok: .* rule(s) from .* catalogued code(s)' "$tmp/check" || fail "check did not say ok"

# The same check must fail once the shipped catalog is gone: it really read it.
mv "$root/usr/share/errpulse/data/catalog.yaml" "$root/catalog.yaml.away"
if run check --config "$config" > "$tmp/check" 2>&1; then
  cat "$tmp/check"; fail "check passed without /usr/share/errpulse/data/catalog.yaml"
fi
grep -q 'usr/share/errpulse/data/catalog.yaml' "$tmp/check" || { cat "$tmp/check"; fail "no word of the missing catalog"; }
echo "without the catalog, check fails as it should: $(head -1 "$tmp/check")"
echo "PASS"
