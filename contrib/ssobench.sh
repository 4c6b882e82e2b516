#!/bin/sh
# ssobench.sh - complete logins through tillitd's SSO hub (contrib/ssobench.c)
# on the data directory DIR; prints tillit-ssobench's figures.
#   contrib/ssobench.sh DIR [SERVICES] [LOGINS] [TILLIT-SSOBENCH-OPTIONS...]
# tillitd runs alone for the measurement (log level warning); the load
# generator shares the cores with it, so logins/s is a floor, while the
# hub's CPU per login (from /proc) is its own.
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
D=$1
SPS=${2:-1000}
LOGINS=${3:-4000}
if [ $# -gt 3 ]; then shift 3; else set --; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=$(sed -n 's/^base_url *= *//p' "$D/tillit.conf" | head -1)
[ -n "$base" ] || base="http://127.0.0.1:8440"
"$top/tillitd" -d "$D" --listen "127.0.0.1:$port" -L warning 2>"$D/ssobench-tillitd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for i in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "hub_rss_before $(sed -n 's/^VmRSS: *//p' /proc/$pid/status)"
"$top/contrib/tillit-ssobench" -d "$D" --url "http://127.0.0.1:$port" --base-url "$base" --pid "$pid" \
	--sps "$SPS" --logins "$LOGINS" --threads 2 "$@"
