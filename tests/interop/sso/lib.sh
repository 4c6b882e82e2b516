# shellcheck shell=bash
# lib.sh - shared by the SSO interop harness (run-idp.sh, run-mellon-sp.sh,
# run-shib-sp.sh, harness.sh, selfcheck.sh). Sourced by bash scripts only;
# POSIX sh callers (tests/interop/sso.test) use harness.sh instead.
#
# Every component is one named instance with its own directory below WORK:
#   WORK/idp-NAME        SimpleSAMLphp IdP (Apache + mod_php)      IDP=a|b|...
#   WORK/mellon-NAME     Apache + mod_auth_mellon SP               MELLON=main|...
#   WORK/shib, WORK/shibd  Apache + mod_shib, and shibd            (one instance)
#   WORK/metadata/       the metadata files the components exchange:
#                        idp-NAME.xml, sp-mellon-NAME.xml, sp-shib.xml (written
#                        at configure), hub-idp.xml, hub-sp.xml (the hub's,
#                        fetched by the runner)
# Identifiers are computed from names and ports by the functions below, so any
# script can name any component without asking it.

# The runner holds its lock on fd 9; the daemons started from here must not
# inherit it, or a killed run's lock would outlive it in them.
exec 9>&-

INTEROP_HOST=${INTEROP_HOST:-127.0.0.1}
INTEROP_PORT_BASE=${INTEROP_PORT_BASE:-18080}
HUB_PORT=${HUB_PORT:-18440}
HUB_BASE=${HUB_BASE:-http://127.0.0.1:${HUB_PORT}}
HUB_IDP_ENTITYID="$HUB_BASE/idp/metadata"
HUB_SP_ENTITYID="$HUB_BASE/sp/metadata"

APACHE_BIN=${APACHE_BIN:-/usr/sbin/apache2}
APACHE_MODDIR=${APACHE_MODDIR:-/usr/lib/apache2/modules}
SHIBD_BIN=${SHIBD_BIN:-/usr/sbin/shibd}
SSP_DIR=${SSP_DIR:-/usr/share/simplesamlphp}
SHIB_ETC=${SHIB_ETC:-/etc/shibboleth}

# As root, Apache children drop to www-data and shibd to _shibd (Debian's
# accounts); as another user everything runs as that user.
if [ "$(id -u)" = 0 ]; then
	AS_ROOT=1
	WEB_USER=${WEB_USER:-www-data} WEB_GROUP=${WEB_GROUP:-www-data}
	SHIBD_USER=${SHIBD_USER:-_shibd} SHIBD_GROUP=${SHIBD_GROUP:-_shibd}
else
	AS_ROOT=0
	WEB_USER=$(id -un) WEB_GROUP=$(id -gn) SHIBD_USER=$(id -un) SHIBD_GROUP=$(id -gn)
fi

SHA256_SIG="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256_DIGEST="http://www.w3.org/2001/04/xmlenc#sha256"
NF_URI="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
TRANSIENT="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
B_REDIRECT="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
B_POST="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# The attributes the harness knows: friendly name and SAML name (NameFormat
# uri). The SPs export them under the friendly name, the IdPs map their users'
# friendly names to these.
ATTRS="uid urn:oid:0.9.2342.19200300.100.1.1
mail urn:oid:0.9.2342.19200300.100.1.3
displayName urn:oid:2.16.840.1.113730.3.1.241
givenName urn:oid:2.5.4.42
sn urn:oid:2.5.4.4
eduPersonPrincipalName urn:oid:1.3.6.1.4.1.5923.1.1.1.6
eduPersonScopedAffiliation urn:oid:1.3.6.1.4.1.5923.1.1.1.9"
SCOPED_ATTRS="eduPersonPrincipalName eduPersonScopedAffiliation"

attr_oid() {
	local n o
	while read -r n o; do
		[ "$n" = "$1" ] && { echo "$o"; return 0; }
	done <<<"$ATTRS"
	die "unknown attribute '$1' (known: $(attr_names))"
}
attr_names() { while read -r n _; do printf '%s ' "$n"; done <<<"$ATTRS"; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
upper() { printf '%s' "$1" | tr 'a-z-' 'A-Z_'; }
b() { [ "${1:-0}" = 1 ] && echo true || echo false; }

# ---- names, ports and identifiers ------------------------------------------

# Default ports: offsets from INTEROP_PORT_BASE; each can be set on its own
# (IDP_A_PORT, MELLON_MAIN_PORT, SHIB_PORT, ...). Other instance names need
# their port variable.
port_of() { # KIND NAME
	local var def=""
	case "$1" in
	idp) var="IDP_$(upper "$2")_PORT"
		case "$2" in a) def=0 ;; b) def=3 ;; esac ;;
	mellon) var="MELLON_$(upper "$2")_PORT"
		case "$2" in main) def=1 ;; loa) def=4 ;; unknown) def=5 ;; suspended) def=6 ;; esac ;;
	shib) var=SHIB_PORT def=2 ;;
	*) die "unknown component kind '$1'" ;;
	esac
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
	elif [ -n "$def" ]; then
		echo $((INTEROP_PORT_BASE + def))
	else
		die "no default port for $1 '$2': set $var"
	fi
}
base_of() { echo "http://${INTEROP_HOST}:$(port_of "$1" "${2:-}")"; }
entityid_of() { # KIND NAME
	case "$1" in
	idp) echo "$(base_of idp "$2")/simplesaml/saml2/idp/metadata.php" ;;
	mellon) echo "$(base_of mellon "$2")/mellon/metadata" ;;
	shib) echo "$(base_of shib)/shibboleth" ;;
	esac
}
valid_name() {
	case "$1" in '' | *[!a-z0-9]*) die "instance name '$1': use lower-case letters and digits" ;; esac
}

# instance KIND NAME DIR METADATA-FILE "$@": the command line of a run-*.sh
# (CMD WORKDIR) and the instance's globals NAME, D, PORT, BASE, ENTITYID, MD
instance() {
	local kind=$1
	NAME=$2 D=$3 MD=$4
	shift 4
	CMD=${1:-}
	WORK=${2:-${WORK:-}}
	[ -n "$WORK" ] || dispatch
	valid_name "$NAME"
	D="$WORK/$D"
	MD="$WORK/metadata/$MD"
	PORT=$(port_of "$kind" "$NAME")
	BASE=$(base_of "$kind" "$NAME")
	ENTITYID=$(entityid_of "$kind" "$NAME")
}

# ---- work directory, keys ----------------------------------------------------

need_work() {
	[ -n "${WORK:-}" ] || die "WORK (work directory) not given"
	mkdir -p "$WORK/metadata"
	# Workers run as www-data/_shibd: they must traverse the work dir
	# (mktemp -d makes it 0700).
	chmod 755 "$WORK" "$WORK/metadata"
}

# gen_cert KEY CRT CN: self-signed RSA-2048/SHA-256, 10 years; kept when present
# so that configure can be run again.
gen_cert() {
	[ -f "$1" ] && [ -f "$2" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-subj "/CN=$3" -keyout "$1" -out "$2" >/dev/null 2>&1 || die "openssl failed for $3"
	# Test-only keys, readable by the unprivileged worker users.
	chmod 644 "$1" "$2"
}
cert_b64() { sed -e '/-----BEGIN/d' -e '/-----END/d' "$1" | tr -d '\n'; }

give() { # OWNER:GROUP PATH...: chown when running as root
	[ "$AS_ROOT" = 1 ] || return 0
	chown "$@"
}

# ---- processes ----------------------------------------------------------------

port_free() { ! (exec 3<>"/dev/tcp/${INTEROP_HOST}/$1") 2>/dev/null; }

# wait_http URL [SECONDS]: until the URL answers with any HTTP status
wait_http() {
	local i=0 code
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)
		[ "$code" != 000 ] && return 0
		i=$((i + 1))
		[ $i -ge $((${2:-20} * 10)) ] && return 1
		sleep 0.1
	done
}

# pid_alive PID: running and not a zombie (daemons are re-parented to PID 1,
# which in a container may reap late or never, and kill -0 succeeds on a zombie).
pid_alive() {
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)
	[ "$st" != Z ] && [ "$st" != X ]
}
pidfile_alive() { [ -f "$1" ] && pid_alive "$(cat "$1" 2>/dev/null)"; }

# stop_pid PIDFILE NAME [SECONDS]: SIGTERM, wait, SIGKILL
stop_pid() {
	local pid i=0
	[ -f "$1" ] || return 0
	pid=$(cat "$1" 2>/dev/null || true)
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		while pid_alive "$pid"; do
			i=$((i + 1))
			if [ $i -ge $((${3:-10} * 10)) ]; then
				log "$2 (pid $pid) did not stop in ${3:-10}s, sending SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
				sleep 0.2
				break
			fi
			sleep 0.1
		done
	fi
	rm -f "$1"
}

# pids_under DIR: live processes whose command line names DIR/ (every daemon
# started here has its config path on its command line).
pids_under() {
	local p
	for p in /proc/[0-9]*; do
		[ -r "$p/cmdline" ] || continue
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$1/"; then
			pid_alive "${p#/proc/}" && echo "${p#/proc/}"
		fi
	done
	return 0
}
kill_under() { # DIR: SIGTERM, then SIGKILL what is left
	local p left
	left=$(pids_under "$1")
	[ -n "$left" ] || return 0
	for p in $left; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $(pids_under "$1"); do kill -KILL "$p" 2>/dev/null || true; done
}

# ---- Apache -------------------------------------------------------------------

# apache_conf DIR PORT: the head of one instance's httpd.conf. Each instance
# has its own ServerRoot, pid file, mutexes and logs and uses Debian's binary
# and modules; prefork (mod_php needs it; mod_shib and mellon are fine with it).
# Debian's apache2.conf is not used: it needs the envvars file.
apache_conf() {
	cat <<EOF
# generated by tests/interop/sso/lib.sh
ServerRoot "$1"
ServerName ${INTEROP_HOST}:$2
Listen ${INTEROP_HOST}:$2
PidFile "$1/run/httpd.pid"
DefaultRuntimeDir "$1/run"
Mutex file:$1/run default
ErrorLog "$1/logs/error.log"
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b %D" timed
CustomLog "$1/logs/access.log" timed
Timeout 30
KeepAlive On
EOF
	[ "$AS_ROOT" = 1 ] && printf 'User %s\nGroup %s\n' "$WEB_USER" "$WEB_GROUP"
	cat <<EOF

LoadModule mpm_prefork_module $APACHE_MODDIR/mod_mpm_prefork.so
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 16
MaxConnectionsPerChild 0

LoadModule authn_core_module $APACHE_MODDIR/mod_authn_core.so
LoadModule authz_core_module $APACHE_MODDIR/mod_authz_core.so
LoadModule authz_user_module $APACHE_MODDIR/mod_authz_user.so
LoadModule authz_host_module $APACHE_MODDIR/mod_authz_host.so
LoadModule mime_module $APACHE_MODDIR/mod_mime.so
LoadModule dir_module $APACHE_MODDIR/mod_dir.so
LoadModule alias_module $APACHE_MODDIR/mod_alias.so
LoadModule env_module $APACHE_MODDIR/mod_env.so
LoadModule php_module $APACHE_MODDIR/libphp8.2.so
TypesConfig /etc/mime.types
php_admin_value error_log "$1/logs/php-error.log"
php_admin_flag display_errors off

DocumentRoot "$1/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$1/htdocs">
    Options None
    Require all granted
</Directory>
EOF
}

# apache_start DIR NAME [ENV=VALUE...]: start, wait until it answers
apache_start() {
	local dir=$1 name=$2 port
	shift 2
	port=$(sed -n 's/^Listen .*:\([0-9]*\)$/\1/p' "$dir/conf/httpd.conf")
	if pidfile_alive "$dir/run/httpd.pid"; then
		log "$name: already running (pid $(cat "$dir/run/httpd.pid"))"
		return 0
	fi
	port_free "$port" || die "$name: port ${INTEROP_HOST}:$port is already in use"
	env "$@" "$APACHE_BIN" -f "$dir/conf/httpd.conf" -k start >>"$dir/logs/startup.log" 2>&1 ||
		{ cat "$dir/logs/startup.log" >&2; die "$name: apache2 failed to start"; }
	wait_http "http://${INTEROP_HOST}:$port/" 15 ||
		{ tail -20 "$dir/logs/error.log" >&2; die "$name: not answering on port $port"; }
	log "$name: up on ${INTEROP_HOST}:$port (pid $(cat "$dir/run/httpd.pid"))"
}

apache_stop() { # DIR NAME
	stop_pid "$1/run/httpd.pid" "$2 apache2" 10
	kill_under "$1"
}

apache_status() { # DIR NAME
	if pidfile_alive "$1/run/httpd.pid"; then
		echo "$2 running (pid $(cat "$1/run/httpd.pid"))"
	else
		echo "$2 stopped"
		return 1
	fi
}

# ---- the service providers' common parts -----------------------------------------

# attr_page FILE KIND NAME: the SPs' protected page (PHP, so that it can print
# exactly the attributes, unescaped): one "name=value" line per value, sorted,
# then "@key=value" lines about the session. mellon exports attribute x as
# MELLON_x_0, MELLON_x_1...; mod_shib as x, values joined with ';' (a ';' in a
# value escaped as '\;').
attr_page() {
	local names="" n
	for n in $(attr_names); do names="$names'$n', "; done
	{
		printf '<?php\n// generated by tests/interop/sso/lib.sh: what the %s SP %s received\n' "$2" "$3"
		printf "\$kind = '%s';\n\$sp = '%s';\n\$names = [%s];\n" "$2" "$3" "$names"
		cat <<'EOF'
header('Content-Type: text/plain; charset=utf-8');
$attrs = [];
foreach ($_SERVER as $k => $v) {
    if ($kind === 'mellon') {
        if (!preg_match('/^MELLON_(.+)_([0-9]+)$/', $k, $m))
            continue;
        if (in_array($m[1], ['NAME_ID', 'IDP', 'SESSION', 'ASSERTION_ID'], true))
            continue;
        $attrs[] = $m[1] . '=' . $v;
    } elseif (in_array($k, $names, true)) {
        foreach (preg_split('/(?<!\\\\);/', $v) as $one)
            $attrs[] = $k . '=' . str_replace('\\;', ';', $one);
    }
}
sort($attrs, SORT_STRING);
$keys = $kind === 'mellon'
    ? ['idp' => 'MELLON_IDP', 'name_id' => 'MELLON_NAME_ID', 'remote_user' => 'REMOTE_USER']
    : ['idp' => 'Shib-Identity-Provider', 'authn_context' => 'Shib-AuthnContext-Class',
       'remote_user' => 'REMOTE_USER'];
echo "# attributes received by the $kind SP $sp\n";
foreach ($attrs as $a)
    echo $a, "\n";
echo "# session\n";
echo "@sp=$sp\n";
foreach ($keys as $label => $k)
    if (isset($_SERVER[$k]) && $_SERVER[$k] !== '')
        echo '@', $label, '=', $_SERVER[$k], "\n";
EOF
	} >"$1"
}

# attr_page_conf URLPATH FILE: map URLPATH* to the page
attr_page_conf() {
	cat <<EOF
AliasMatch "^$1" "$2"
<Directory "$(dirname "$2")">
    <Files "$(basename "$2")">
        SetHandler application/x-httpd-php
    </Files>
    Require all granted
</Directory>
EOF
}

# requested_attrs "NAME NAME..." SERVICENAME: an AttributeConsumingService
# (nothing for an empty list). Names may be separated by spaces or commas.
requested_attrs() {
	local n list
	list=$(printf '%s' "$1" | tr ',' ' ')
	[ -n "${list// /}" ] || return 0
	printf '    <md:AttributeConsumingService index="0" isDefault="true">\n'
	printf '      <md:ServiceName xml:lang="en">%s</md:ServiceName>\n' "$2"
	for n in $list; do
		printf '      <md:RequestedAttribute FriendlyName="%s" Name="%s" NameFormat="%s" isRequired="false"/>\n' \
			"$n" "$(attr_oid "$n")" "$NF_URI"
	done
	printf '    </md:AttributeConsumingService>\n'
}

# key_descriptor USE CERTFILE
key_descriptor() {
	cat <<EOF
    <md:KeyDescriptor use="$1">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>$(cert_b64 "$2")</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
EOF
}

# uiinfo SV-NAME EN-NAME: mdui:UIInfo with display names and descriptions
uiinfo() {
	cat <<EOF
      <mdui:UIInfo>
        <mdui:DisplayName xml:lang="sv">$1</mdui:DisplayName>
        <mdui:DisplayName xml:lang="en">$2</mdui:DisplayName>
        <mdui:Description xml:lang="sv">$1 (interoperabilitetstest)</mdui:Description>
        <mdui:Description xml:lang="en">$2 (interoperability test)</mdui:Description>
      </mdui:UIInfo>
EOF
}

# entity_open: the XML declaration and the EntityDescriptor of ENTITYID
entity_open() {
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"
    xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"
    entityID="$ENTITYID">
EOF
}

# entity_close SV-NAME EN-NAME: Organization, support and technical contacts,
# the end of the EntityDescriptor
entity_close() {
	cat <<EOF
  <md:Organization>
    <md:OrganizationName xml:lang="sv">$1</md:OrganizationName>
    <md:OrganizationName xml:lang="en">$2</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="sv">$1</md:OrganizationDisplayName>
    <md:OrganizationDisplayName xml:lang="en">$2</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="sv">$BASE/</md:OrganizationURL>
    <md:OrganizationURL xml:lang="en">$BASE/</md:OrganizationURL>
  </md:Organization>
  <md:ContactPerson contactType="support">
    <md:GivenName>Interop</md:GivenName>
    <md:EmailAddress>mailto:support@example.org</md:EmailAddress>
  </md:ContactPerson>
  <md:ContactPerson contactType="technical">
    <md:GivenName>Interop</md:GivenName>
    <md:EmailAddress>mailto:interop@example.org</md:EmailAddress>
  </md:ContactPerson>
</md:EntityDescriptor>
EOF
}

# sp_close SERVICENAME REQUESTED-ATTRS: the end of an SP's SPSSODescriptor and
# EntityDescriptor
sp_close() {
	requested_attrs "$2" "$1"
	echo '  </md:SPSSODescriptor>'
	entity_close "Interoperabilitetstest" "Interop test services"
}

# instance_env DIR KIND NAME BASE ENTITYID METADATA TRUSTS: what configure
# decided, for start and for harness.sh (sourceable by sh and bash)
instance_env() {
	cat >"$1/instance.env" <<EOF
KIND='$2'
NAME='$3'
BASE='$4'
ENTITYID='$5'
METADATA='$6'
TRUSTS='$7'
EOF
}

# configured KIND DIR TRUSTS MESSAGE: the end of every configure
configured() {
	chmod 644 "$MD"
	instance_env "$2" "$1" "$NAME" "$BASE" "$ENTITYID" "$MD" "$3"
	log "$4"
}

# dispatch "$@": the command line of every run-*.sh (functions configure,
# start, stop and status defined by the caller)
dispatch() {
	case "${1:-}" in
	configure | start | stop | status) "$1" ;;
	*) echo "usage: $0 configure|start|stop|status WORKDIR" >&2; exit 2 ;;
	esac
}
