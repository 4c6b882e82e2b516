#!/bin/sh
# deps.sh - install the Debian 12 packages Tillit builds, runs and is tested with.
# Installs only what is missing; uses sudo when not root.
set -eu
# build and run
PKGS="build-essential autoconf automake libtool pkg-config
  liblasso3-dev libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1 libssl-dev openssl
  libmicrohttpd-dev liblmdb-dev lmdb-utils libjansson-dev zlib1g-dev check
  opensaml-schemas xmltooling-schemas shibboleth-sp-common shibboleth-sp-utils
  curl wrk time python3 bc procps"
# interop tests: the services (mod_auth_mellon, Shibboleth SP) and the member
# IdP (SimpleSAMLphp) the SSO hub is tested against, and the scripted browser
# (php8.2-xml and php8.2-mbstring are needed by SimpleSAMLphp but are not
# dependencies of its package)
PKGS="$PKGS apache2 libapache2-mod-php8.2 php8.2-xml php8.2-mbstring simplesamlphp
  libapache2-mod-auth-mellon libapache2-mod-shib python3-requests"
missing=""
for p in $PKGS; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing" >&2
# The apache2 and shibd packages start their system services from their
# maintainer scripts; the tests run their own instances on loopback ports,
# so keep the system ones from starting (unless a policy is already there).
POLICY=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
	$SUDO chmod 755 "$POLICY"
	made_policy=1
fi
trap '[ "$made_policy" = 1 ] && $SUDO rm -f "$POLICY"' EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
