# Shell helpers for the integration scripts (sourced, not run): start the
# real errpulsed on a config that listens on 127.0.0.1:0 and learn the port
# it picked from its log.

# start_errpulsed ERRPULSED CONFIG LOG: starts the daemon in the background,
# logging to LOG; sets $pid, and $port once it listens. Returns 1 when it
# has not logged its port within 10 s (the caller stops $pid in its trap).
start_errpulsed() {
  "$1" --config "$2" 2>"$3" &
  pid=$!
  port=
  for _ in $(seq 1 500); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$3")
    [ -n "$port" ] && return 0
    sleep 0.02
  done
  return 1
}
