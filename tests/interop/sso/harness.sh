#!/bin/bash
# harness.sh - the harness's shared knowledge for callers in any shell
# (tests/interop/sso.test is POSIX sh and cannot source lib.sh).
#
# Usage: harness.sh COMMAND [ARGS]
#   env                 shell assignments of the identifiers and ports
#                       (eval "$(harness.sh env)"): IDP_A_BASE, IDP_A_ENTITYID,
#                       MELLON_MAIN_BASE, ..., SHIB_BASE, SHIB_ENTITYID, HUB_*,
#                       INTEROP_PORTS (every default port but the hub's)
#   check-deps          name every missing program, module or package; exit 1 if any
#   leftovers           stop the daemons of earlier runs that were killed (every
#                       /tmp/tillit-interop.* but the ones named in
#                       INTEROP_KEEP_DIRS); call it only while holding the lock
#   ports-free PORT...  exit 1 naming each port something listens on
#   stop-all WORK       stop every component configured in WORK; exit 1 naming
#                       the processes still running below WORK afterwards
#   logs WORK [N]       the last N (20) lines of every non-empty log below WORK
#   acs-count WORK mellon NAME | WORK shib
#                       POSTs the SP's ACS has received so far
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

LOCK=${INTEROP_LOCK:-/tmp/tillit-interop.lock}

cmd_env() {
	local k n v
	for n in a b; do
		k=IDP_$(upper $n)
		printf "%s_PORT='%s'\n%s_BASE='%s'\n%s_ENTITYID='%s'\n" "$k" "$(port_of idp $n)" "$k" \
			"$(base_of idp $n)" "$k" "$(entityid_of idp $n)"
	done
	for n in main loa unknown suspended; do
		k=MELLON_$(upper $n)
		printf "%s_PORT='%s'\n%s_BASE='%s'\n%s_ENTITYID='%s'\n" "$k" "$(port_of mellon $n)" "$k" \
			"$(base_of mellon $n)" "$k" "$(entityid_of mellon $n)"
	done
	printf "SHIB_PORT='%s'\nSHIB_BASE='%s'\nSHIB_ENTITYID='%s'\n" "$(port_of shib)" "$(base_of shib)" \
		"$(entityid_of shib)"
	printf "HUB_PORT='%s'\nHUB_BASE='%s'\nHUB_IDP_ENTITYID='%s'\nHUB_SP_ENTITYID='%s'\n" \
		"$HUB_PORT" "$HUB_BASE" "$HUB_IDP_ENTITYID" "$HUB_SP_ENTITYID"
	v=""
	for n in a b; do v="$v $(port_of idp $n)"; done
	for n in main loa unknown suspended; do v="$v $(port_of mellon $n)"; done
	printf "INTEROP_PORTS='%s'\nINTEROP_LOCK='%s'\n" "${v# } $(port_of shib)" "$LOCK"
}

cmd_check_deps() {
	local missing="" f p
	for f in "$APACHE_BIN" "$SHIBD_BIN" "$SSP_DIR/www/saml2/idp/SSOService.php" \
		"$APACHE_MODDIR/mod_auth_mellon.so" "$APACHE_MODDIR/mod_shib.so" \
		"$APACHE_MODDIR/libphp8.2.so" "$APACHE_MODDIR/mod_mpm_prefork.so" \
		"$SHIB_ETC/protocols.xml" "$SHIB_ETC/security-policy.xml"; do
		[ -e "$f" ] || missing="$missing $f"
	done
	for p in openssl curl flock python3 setsid; do
		command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	python3 -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
	# not dependencies of the simplesamlphp package, but it cannot run without them
	php_ext_missing() { ! ls /etc/php/8.2/apache2/conf.d/ 2>/dev/null | grep -q -- "-$1.ini"; }
	php_ext_missing dom && missing="$missing php8.2-xml"
	php_ext_missing mbstring && missing="$missing php8.2-mbstring"
	if [ -n "$missing" ]; then
		echo "missing (contrib/deps.sh installs them):$missing"
		return 1
	fi
}

cmd_leftovers() {
	local old keep p
	for old in /tmp/tillit-interop.*; do
		[ -d "$old" ] || continue
		for keep in ${INTEROP_KEEP_DIRS:-}; do [ "$old" = "$keep" ] && continue 2; done
		p=$(pids_under "$old")
		[ -n "$p" ] || continue
		log "stopping the leftovers of an earlier run in $old: $(echo $p)"
		kill_under "$old"
		[ -e "$old/.keep" ] || rm -rf "$old"
	done
}

cmd_ports_free() {
	local p busy=""
	for p in "$@"; do port_free "$p" || busy="$busy $p"; done
	[ -z "$busy" ] && return 0
	echo "ports in use on $INTEROP_HOST:$busy (set INTEROP_PORT_BASE, HUB_PORT or the *_PORT variables)"
	return 1
}

cmd_stop_all() {
	local w=$1 d left
	[ -d "$w" ] || return 0
	[ -d "$w/shib" ] && "$HERE/run-shib-sp.sh" stop "$w" || true
	for d in "$w"/mellon-*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		MELLON=${d##*/mellon-} "$HERE/run-mellon-sp.sh" stop "$w" || true
	done
	for d in "$w"/idp-*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		IDP=${d##*/idp-} "$HERE/run-idp.sh" stop "$w" || true
	done
	left=$(pids_under "$w")
	[ -z "$left" ] && return 0
	echo "processes still running below $w after stop:"
	ps -o pid,user,args -p "$(echo $left | tr ' ' ,)" || true
	kill_under "$w"
	return 1
}

cmd_logs() {
	local f
	find "$1" -name '*.log' -size +0 2>/dev/null | sort | while read -r f; do
		echo "----- $f"
		tail -n "${2:-20}" "$f"
	done
}

cmd_acs_count() {
	local f pat
	case "$2" in
	mellon) f="$1/mellon-$3/logs/access.log" pat='"POST /mellon/postResponse' ;;
	shib) f="$1/shib/logs/access.log" pat='"POST /Shibboleth.sso/SAML2/POST' ;;
	*) die "acs-count: mellon NAME or shib" ;;
	esac
	if [ -f "$f" ]; then grep -c -F "$pat" "$f" || true; else echo 0; fi
}

case "${1:-}" in
env) cmd_env ;;
check-deps) cmd_check_deps ;;
leftovers) cmd_leftovers ;;
ports-free) shift; cmd_ports_free "$@" ;;
stop-all) cmd_stop_all "${2:?WORK}" ;;
logs) cmd_logs "${2:?WORK}" "${3:-20}" ;;
acs-count) shift; cmd_acs_count "$@" ;;
*) sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
