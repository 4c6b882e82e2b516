#!/bin/bash
# selfcheck.sh - the harness checks itself, without the hub: SSP IdPs a and
# b and the SPs talk directly (mellon main and mellon loa trust IdP a, shib
# trusts IdP b), and browser.py logs in through each. It shows that the pieces
# sso.test relies on work: the exact attribute pages, UTF-8, two IdP
# instances side by side (b signs only the assertion and encrypts it), the
# NoAuthnContext reports of both SPs, and that the tampering, wrapping and
# replaying browser.py does is refused by a real SP while an untouched
# re-encoded response is accepted. Not part of make check.
#
# Usage: tests/interop/sso/selfcheck.sh    (root or not; about 15 s)
# Environment: KEEP_WORK=1 keeps the work dir, TRACE=1 prints every browser
# trace, and every variable of run-*.sh and lib.sh (ports) passes through.
# Last line: "selfcheck: N passed, M failed"; exit 0 only if all passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T0=$(date +%s.%N)

if ! msg=$("$HERE/harness.sh" check-deps); then
	echo "selfcheck: $msg" >&2
	exit 77
fi
eval "$("$HERE/harness.sh" env)"
# (read-only: flock does not need more, and a lock file made by another user works too)
[ -e "$INTEROP_LOCK" ] || { : >"$INTEROP_LOCK" && chmod 666 "$INTEROP_LOCK"; }
exec 9<"$INTEROP_LOCK"
flock -w 300 9 || die "another interop run holds $INTEROP_LOCK"
"$HERE/harness.sh" leftovers
"$HERE/harness.sh" ports-free $INTEROP_PORTS >&2 || exit 1
W=$(mktemp -d /tmp/tillit-interop.XXXXXX)
mkdir -p "$W/out"
log "work dir $W"

PASS=0 FAIL=0 FAILED=""
pass() { PASS=$((PASS + 1)); log "PASS  $1"; }
failed() {
	FAIL=$((FAIL + 1))
	FAILED="$FAILED
  $1"
	log "FAIL  $1"
	shift
	for f in "$@"; do [ -s "$f" ] && sed 's/^/      /' "$f" | tail -40 >&2; done
}
cleanup() {
	trap - EXIT
	[ "${SETUP:-0}" = 1 ] || failed "setting up the IdPs and SPs"
	if "$HERE/harness.sh" stop-all "$W" >&2; then pass "clean shutdown: nothing left running"; else failed "clean shutdown"; fi
	[ $FAIL -gt 0 ] && "$HERE/harness.sh" logs "$W" 12 >&2
	if [ "${KEEP_WORK:-0}" = 1 ]; then touch "$W/.keep"; log "kept $W"; else rm -rf "$W"; fi
	log "took $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
	[ -n "$FAILED" ] && echo "failed:$FAILED" >&2
	echo "selfcheck: $PASS passed, $FAIL failed"
	# (a bare exit in an EXIT trap would keep the status from before the trap)
	[ $FAIL = 0 ]
	exit $?
}
trap cleanup EXIT
trap 'log interrupted; exit 1' INT TERM

# browse SLUG ARGS...: run browser.py; page in out/SLUG.page, trace in out/SLUG.trace
browse() {
	local slug=$1
	shift
	python3 "$HERE/browser.py" --trace "$@" >"$W/out/$slug.page" 2>"$W/out/$slug.trace"
	local rc=$?
	[ "${TRACE:-0}" = 1 ] && sed 's/^/      /' "$W/out/$slug.trace" >&2
	return $rc
}
attrs() { grep -v '^[#@]' "$1" | LC_ALL=C sort; }

# login NAME SLUG EXPECTED ARGS...: the login succeeds and the page lists
# exactly the attribute lines EXPECTED
login() {
	local name=$1 slug=$2 want=$3
	shift 3
	browse "$slug" "$@"
	local rc=$?
	if [ $rc != 0 ]; then
		failed "$name (browser exit $rc)" "$W/out/$slug.trace" "$W/out/$slug.page"
	elif [ "$(attrs "$W/out/$slug.page")" != "$want" ]; then
		printf '%s\n' "$want" >"$W/out/$slug.want"
		attrs "$W/out/$slug.page" | diff -u "$W/out/$slug.want" - >"$W/out/$slug.diff"
		failed "$name: attributes differ" "$W/out/$slug.diff"
	else
		pass "$name"
	fi
}

# refused NAME SLUG ARGS...: browser.py ends without error at a 4xx/5xx page
refused() {
	local name=$1 slug=$2
	shift 2
	browse "$slug" --expect-status 4xx,5xx "$@"
	local rc=$?
	if [ $rc = 0 ]; then pass "$name"; else
		failed "$name (browser exit $rc)" "$W/out/$slug.trace" "$W/out/$slug.page"
	fi
}

LOA2=http://id.elegnamnden.se/loa/1.0/loa2
LOA3=http://id.elegnamnden.se/loa/1.0/loa3
M="$W/metadata"
SETUP=0
set -e
IDP=a IDP_SP_METADATA="$M/sp-mellon-main.xml $M/sp-mellon-loa.xml" IDP_AUTHN_CONTEXT=$LOA2 \
	IDP_ENFORCE_AUTHN_CONTEXT=1 "$HERE/run-idp.sh" configure "$W" &
IDP=b IDP_SP_METADATA="$M/sp-shib.xml" IDP_SIGN_RESPONSE=0 IDP_ENCRYPT_ASSERTIONS=1 \
	IDP_ENFORCE_AUTHN_CONTEXT=1 "$HERE/run-idp.sh" configure "$W" &
MELLON=main IDP_METADATA="$M/idp-a.xml" MELLON_REQUEST_ATTRS="uid,mail" "$HERE/run-mellon-sp.sh" configure "$W" &
MELLON=loa IDP_METADATA="$M/idp-a.xml" MELLON_AUTHN_CONTEXT=$LOA3 "$HERE/run-mellon-sp.sh" configure "$W" &
IDP_METADATA="$M/idp-b.xml" SHIB_IDP_ENTITYID=$IDP_B_ENTITYID SHIB_ACR_PAGES="loa3=$LOA3" \
	SHIB_REQUEST_ATTRS="mail eduPersonPrincipalName" "$HERE/run-shib-sp.sh" configure "$W" &
pids=$(jobs -p)
for job in $pids; do wait "$job"; done
IDP=a "$HERE/run-idp.sh" start "$W"
IDP=b "$HERE/run-idp.sh" start "$W"
MELLON=main "$HERE/run-mellon-sp.sh" start "$W"
MELLON=loa "$HERE/run-mellon-sp.sh" start "$W"
"$HERE/run-shib-sp.sh" start "$W"
set +e
SETUP=1

ANNA_A="displayName=Anna Andersson
eduPersonPrincipalName=anna@kommun-a.example.se
eduPersonScopedAffiliation=member@kommun-a.example.se
eduPersonScopedAffiliation=staff@evil.example.org
givenName=Anna
mail=anna.andersson@kommun-a.example.se
sn=Andersson
uid=anna"
ASA_A="displayName=Åsa Öberg
eduPersonPrincipalName=asa@kommun-a.example.se
eduPersonScopedAffiliation=employee@kommun-a.example.se
eduPersonScopedAffiliation=member@kommun-a.example.se
givenName=Åsa
mail=asa.oberg@kommun-a.example.se
sn=Öberg
uid=asa"
# shib drops the value outside IdP b's shibmd:Scope itself
ANNA_B_SHIB="displayName=Anna Andersson
eduPersonPrincipalName=anna@kommun-b.example.se
eduPersonScopedAffiliation=member@kommun-b.example.se
givenName=Anna
mail=anna.andersson@kommun-b.example.se
sn=Andersson
uid=anna"
EVE_B_SHIB="displayName=Eve Outside
eduPersonScopedAffiliation=member@kommun-b.example.se
givenName=Eve
mail=eve@kommun-b.example.se
sn=Outside
uid=eve"

MP="$MELLON_MAIN_BASE/protected/"
SP="$SHIB_BASE/secure/"
login "mellon <- IdP a: anna, exact attributes" mellon-anna "$ANNA_A" "$MP" --user anna --password anna-secret \
	--expect "^@idp=$IDP_A_ENTITYID\$"
grep -q "AuthnContextClassRef=$LOA2" "$W/out/mellon-anna.trace" && grep -q 'EncryptedAssertion=no assertion-signed=yes' \
	"$W/out/mellon-anna.trace" && pass "IdP a states $LOA2, signs the assertion, does not encrypt" ||
	failed "IdP a's Response" "$W/out/mellon-anna.trace"
login "mellon <- IdP a: asa, UTF-8 values" mellon-asa "$ASA_A" "$MP" --user asa --password asa-secret
login "shib <- IdP b: anna, out-of-scope value dropped by shib" shib-anna "$ANNA_B_SHIB" "$SP" \
	--user anna --password anna-secret --expect "^@idp=$IDP_B_ENTITYID\$" \
	--expect '^@authn_context=urn:oasis:names:tc:SAML:2.0:ac:classes:Password$' \
	--expect '^@remote_user=anna@kommun-b.example.se$'
grep -q 'EncryptedAssertion=yes' "$W/out/shib-anna.trace" && grep -q 'SAMLResponse via HTTP-POST: Response .*xml-signatures=0' \
	"$W/out/shib-anna.trace" && pass "IdP b encrypts the assertion and does not sign the Response" ||
	failed "IdP b's Response" "$W/out/shib-anna.trace"
login "shib <- IdP b: eve, out-of-scope eduPersonPrincipalName dropped by shib" shib-eve "$EVE_B_SHIB" "$SP" \
	--user eve --password eve-secret
if browse wrong-password "$MP" --user anna --password wrong; then failed "a wrong password got through"; else
	[ $? = 2 ] && grep -q 'login form came back' "$W/out/wrong-password.trace" &&
		pass "a wrong password is refused" || failed "wrong password: unexpected failure" "$W/out/wrong-password.trace"
fi

# NoAuthnContext: the IdPs refuse classes they do not state; where each SP reports it
browse mellon-loa3 "$MELLON_LOA_BASE/protected/" --user anna --password anna-secret --expect-status any
if grep -q 'StatusCode2="urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"' "$W/mellon-loa/logs/error.log"; then
	pass "mellon asking for loa3: NoAuthnContext in its error.log"
else
	failed "mellon asking for loa3: no NoAuthnContext in error.log" "$W/out/mellon-loa3.trace" "$W/mellon-loa/logs/error.log"
fi
if browse shib-loa3 "$SHIB_BASE/loa3/" --user anna \
	--password anna-secret --expect-status any --expect 'Sub-Status:.*NoAuthnContext'; then
	pass "shib asking for loa3: NoAuthnContext on its error page ($(sed -n 's/.*final: \([0-9]*\) .*/\1/p' "$W/out/shib-loa3.trace"))"
else
	failed "shib asking for loa3: NoAuthnContext not shown" "$W/out/shib-loa3.trace" "$W/out/shib-loa3.page"
fi

# browser.py's attacks, against a real SP (here the ACS is the SP's own)
MACS='/mellon/postResponse$'
login "tamper none (re-encoded only) is accepted" tamper-none "$ANNA_A" "$MP" --user anna --password anna-secret \
	--acs "$MACS" --tamper none
for mode in attr drop-signature wrap wrap-nested; do
	refused "tamper $mode: mellon refuses" "tamper-$mode" "$MP" --user anna --password anna-secret \
		--acs "$MACS" --tamper "$mode" --no-follow-after-acs
done
SACS='/Shibboleth.sso/SAML2/POST$'
login "shib login saving its ACS post" shib-save "$ANNA_B_SHIB" "$SP" --user anna --password anna-secret \
	--acs "$SACS" --save-acs "$W/out/shib.acs"
refused "replay: shib refuses the saved post" shib-replay --post "$W/out/shib.acs" --no-follow-after-acs
grep -qi 'replay' "$W/out/shib-replay.page" "$W/shibd/logs/shibd.log" && pass "shib names the replay" ||
	failed "shib does not name the replay" "$W/out/shib-replay.page"
browse held "$SP" --user asa --password asa-secret --acs "$SACS" --save-acs "$W/out/held.acs" --no-post-acs &&
	browse held-post --post "$W/out/held.acs" --expect '^uid=asa$' --expect-origin "$SHIB_BASE" &&
	pass "a held-back ACS post, posted later with its cookies, logs in" ||
	failed "held-back ACS post" "$W/out/held.trace" "$W/out/held-post.trace"
exit
