#!/usr/bin/env bash
# errpulse's set-up in one command, for a fresh Debian 12 machine or a CI run:
# installs the Debian packages that are missing, builds, then
#   demo: runs errpulsed on its built-in demo (Ctrl-C stops it)
#   test: runs every test with CTest
# Usage: bash tests/bootstrap.sh demo|test
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
  demo|test) ;;
  *) echo "usage: bash tests/bootstrap.sh demo|test" >&2; exit 2 ;;
esac

# What the build needs, then what the tests need (promtool and prometheus, python3
# for the dashboard and fleet-rule checks and to write .clog/.xlog files the way
# the SDKs do (python3-zstandard for zstd xlog blocks), curl, htpasswd for bcrypt hashes,
# logrotate, clang and its libFuzzer runtime, chromium for the status page test,
# dpkg-dev and file for the .deb (CPack's shlibdeps needs both), debootstrap and
# systemd-container for clean Debian roots, bindfs for a FUSE mount that inotify
# cannot see into).
packages=(ca-certificates git cmake ninja-build g++ pkg-config
          libboost-dev libboost-system-dev libre2-dev libspdlog-dev prometheus-cpp-dev
          libyaml-cpp-dev nlohmann-json3-dev zlib1g-dev libzstd-dev libssl-dev libcrypt-dev libsystemd-dev
          libgtest-dev libgmock-dev)
if [ "$mode" = test ]; then
  packages+=(prometheus prometheus-alertmanager python3 python3-zstandard curl openssl apache2-utils logrotate gzip
             clang libclang-rt-14-dev chromium dpkg-dev file debootstrap systemd-container bindfs
             systemd-journal-remote)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build=${ERRPULSE_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

if [ "$mode" = demo ]; then
  exec "$build/errpulsed" demo
fi
cd "$build"
exec ctest --output-on-failure -j 2 --timeout 300
