# lib.sh - helpers for the shell tests (sourced).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
TILLITCTL="$top_builddir/tillitctl"
TILLITD="$top_builddir/tillitd"
XMLSEC1=${XMLSEC1:-xmlsec1}
XMLLINT=${XMLLINT:-xmllint}
SAML_DIR=${TL_SAML_SCHEMA_DIR:-/usr/share/xml/opensaml}
XT_DIR=${TL_XMLTOOLING_SCHEMA_DIR:-/usr/share/xml/xmltooling}
SHIB_DIR=${TL_SHIB_SCHEMA_DIR:-/usr/share/xml/shibboleth}
T=$(mktemp -d "${TMPDIR:-/tmp}/tillit-sh-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# expect STATUS DESCRIPTION -- COMMAND...: run, compare exit status.
expect() {
	want=$1; desc=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$desc: exit $got, wanted $want; stderr: $(cat "$T/err")"
	else
		ok
	fi
}

# expect_err SUBSTRING: the last command's stderr contains it, on one line.
expect_err() {
	if ! grep -qF -- "$1" "$T/err"; then
		fail "stderr lacks '$1': $(cat "$T/err")"
	elif [ "$(wc -l <"$T/err")" -gt 1 ]; then
		fail "stderr has more than one line: $(cat "$T/err")"
	else
		ok
	fi
}

expect_out() {
	if ! grep -qF -- "$1" "$T/out"; then
		fail "stdout lacks '$1': $(head -c 2000 "$T/out")"
	else
		ok
	fi
}

# A wrapper schema importing the SAML metadata schema set by absolute path.
write_schema() {
	cat >"$1" <<XSD
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:tillit:wrapper" elementFormDefault="qualified">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="$XT_DIR/xml.xsd"/>
  <xs:import namespace="http://www.w3.org/2000/09/xmldsig#" schemaLocation="$XT_DIR/xmldsig-core-schema.xsd"/>
  <xs:import namespace="http://www.w3.org/2001/04/xmlenc#" schemaLocation="$XT_DIR/xenc-schema.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:2.0:assertion" schemaLocation="$SAML_DIR/saml-schema-assertion-2.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:2.0:metadata" schemaLocation="$SAML_DIR/saml-schema-metadata-2.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:metadata:ui" schemaLocation="$SAML_DIR/sstc-saml-metadata-ui-v1.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:metadata:rpi" schemaLocation="$SAML_DIR/saml-metadata-rpi-v1.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:metadata:attribute" schemaLocation="$SAML_DIR/sstc-metadata-attr.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:metadata:algsupport" schemaLocation="$SAML_DIR/sstc-saml-metadata-algsupport-v1.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol" schemaLocation="$SAML_DIR/sstc-saml-idp-discovery.xsd"/>
  <xs:import namespace="urn:mace:shibboleth:metadata:1.0" schemaLocation="$SHIB_DIR/shibboleth-metadata-1.0.xsd"/>
</xs:schema>
XSD
}

# Set up a demo data directory in $1 with members and approved entities.
demo_setup() {
	d=$1
	"$TILLITCTL" -d "$d" init --name "Test federation" --base-url https://hub.example.se \
		--registration-authority https://hub.example.se/ >/dev/null || return 1
	grep -v '^#' "$top_srcdir/metadata/members.tsv" | while IFS="	" read -r org name contact files; do
		"$TILLITCTL" -d "$d" member add "$org" --name "$name" --contact "$contact" >/dev/null || exit 1
		for f in $files; do
			"$TILLITCTL" -d "$d" entity submit "$org" "$top_srcdir/metadata/$f" >/dev/null || exit 1
		done
	done || return 1
	for id in https://idp.alvby.example.se/idp https://idp.bergsjo.example.se/idp \
		https://skolportalen.example.se/sp https://bibliotek.norrbo.example.se/shibboleth \
		https://login.norrbo.example.se/saml; do
		"$TILLITCTL" -d "$d" entity approve "$id" >/dev/null || return 1
	done
}

finish() {
	echo "$checks checks, $failures failures"
	[ "$failures" -eq 0 ]
}
