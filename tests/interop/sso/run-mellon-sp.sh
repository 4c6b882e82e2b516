#!/bin/bash
# run-mellon-sp.sh - Apache + mod_auth_mellon 0.18 as a SAML SP protecting
# /protected/, a page that prints the attributes received (see lib.sh
# attr_page). Plain HTTP, its own Apache; several instances can run.
#
# Usage: MELLON=NAME run-mellon-sp.sh configure|start|stop|status WORKDIR
#   configure  key, Apache config; writes the SP metadata to
#              WORKDIR/metadata/sp-mellon-NAME.xml
#   start      start Apache (mellon reads the IdP metadata at the first request)
# A SAML error status from the IdP (e.g. NoAuthnContext) is reported in
# WORKDIR/mellon-NAME/logs/error.log ("StatusCode2=...").
# Environment (read at configure; see README.md):
#   MELLON=main                instance name (main, loa, unknown, suspended
#                              have default ports: base+1, +4, +5, +6)
#   MELLON_<NAME>_PORT         its port; INTEROP_HOST, INTEROP_PORT_BASE
#   IDP_METADATA               the IdP metadata trusted
#                              (default WORKDIR/metadata/hub-idp.xml: the hub)
#   MELLON_REQUEST_ATTRS       friendly names listed as RequestedAttribute
#                              in the metadata (space or comma separated)
#   MELLON_AUTHN_CONTEXT       AuthnContextClassRef(s) to request (and that
#                              mellon then requires in the assertion)
#   MELLON_AUTHN_COMPARISON    exact (default), minimum, maximum, better
#   MELLON_WANT_ASSERTIONS_SIGNED=1  WantAssertionsSigned in the metadata
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

instance mellon "${MELLON:-main}" "mellon-${MELLON:-main}" "sp-mellon-${MELLON:-main}.xml" "$@"
IDP_MD=${IDP_METADATA:-$WORK/metadata/hub-idp.xml}

configure() {
	need_work
	mkdir -p "$D"/{conf,keys,run,logs,htdocs,page,post}
	chmod 755 "$D"
	give "$WEB_USER:$WEB_GROUP" "$D/post" "$D/logs"
	chmod 700 "$D/post"
	gen_cert "$D/keys/sp.key" "$D/keys/sp.crt" "interop-mellon-$NAME"
	attr_page "$D/page/attrs.php" mellon "$NAME"

	local n o setenv="" acr="" u
	while read -r n o; do setenv="$setenv    MellonSetEnv \"$n\" \"$o\"
"; done <<<"$ATTRS"
	for u in ${MELLON_AUTHN_CONTEXT:-}; do acr="$acr    MellonAuthnContextClassRef \"$u\"
"; done
	[ -n "$acr" ] && acr="$acr    MellonAuthnContextComparisonType ${MELLON_AUTHN_COMPARISON:-exact}
"

	{ apache_conf "$D" "$PORT"
		cat <<EOF

LoadModule auth_mellon_module $APACHE_MODDIR/mod_auth_mellon.so
# server-wide mellon settings (the defaults point into /var/run)
MellonCacheSize 100
MellonLockFile "$D/run/mellon.lock"
MellonPostDirectory "$D/post"

# The endpoint path (/mellon/metadata, /mellon/postResponse, /mellon/login)
# must lie inside the location that carries the configuration.
<Location />
    MellonEndpointPath "/mellon"
    MellonSPentityId "$ENTITYID"
    MellonSPMetadataFile "$MD"
    MellonSPPrivateKeyFile "$D/keys/sp.key"
    MellonSPCertFile "$D/keys/sp.crt"
    MellonIdPMetadataFile "$IDP_MD"
    MellonSignatureMethod rsa-sha256
    # plain HTTP: no Secure flag, or the cookie never comes back
    MellonSecureCookie Off
    MellonCookieSameSite lax
    MellonVariable "mellon_$NAME"
    MellonUser "NAME_ID"
    # the IdP's entityID as MELLON_IDP
    MellonIdP "IDP"
    MellonSessionLength 3600
$setenv$acr</Location>
<Location /protected/>
    AuthType "Mellon"
    MellonEnable "auth"
    Require valid-user
</Location>
$(attr_page_conf /protected/ "$D/page/attrs.php")
EOF
	} >"$D/conf/httpd.conf"
	echo "mellon SP $NAME: $BASE/protected/" >"$D/htdocs/index.html"

	{ entity_open
		cat <<EOF
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"
      AuthnRequestsSigned="true" WantAssertionsSigned="$(b "${MELLON_WANT_ASSERTIONS_SIGNED:-1}")">
    <md:Extensions>
$(uiinfo "Testtjänst mellon $NAME" "Test service mellon $NAME")
    </md:Extensions>
$(key_descriptor signing "$D/keys/sp.crt")
$(key_descriptor encryption "$D/keys/sp.crt")
    <md:SingleLogoutService Binding="$B_REDIRECT" Location="$BASE/mellon/logout"/>
    <md:NameIDFormat>$TRANSIENT</md:NameIDFormat>
    <md:AssertionConsumerService index="0" isDefault="true" Binding="$B_POST"
        Location="$BASE/mellon/postResponse"/>
EOF
		sp_close "Test service mellon $NAME" "${MELLON_REQUEST_ATTRS:-}"
	} >"$MD"
	chmod -R a+rX "$D/conf" "$D/htdocs" "$D/page"
	configured mellon "$D" "$IDP_MD" "mellon $NAME: configured in $D (entityID $ENTITYID, trusts $IDP_MD)"
}

start() {
	[ -f "$D/conf/httpd.conf" ] || die "mellon $NAME: not configured (run: MELLON=$NAME $0 configure $WORK)"
	. "$D/instance.env"
	[ -f "$TRUSTS" ] || die "mellon $NAME: IdP metadata $TRUSTS missing"
	apache_start "$D" "mellon $NAME"
}

stop() { apache_stop "$D" "mellon $NAME"; }
status() { apache_status "$D" "mellon $NAME"; }

dispatch "$CMD"
