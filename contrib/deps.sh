#!/bin/sh
# deps.sh - install the Debian 12 packages Tillit builds, runs and is tested with.
# Installs only what is missing; uses sudo when not root.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
  liblasso3-dev libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1 libssl-dev openssl
  libmicrohttpd-dev liblmdb-dev lmdb-utils libjansson-dev check
  opensaml-schemas xmltooling-schemas shibboleth-sp-common shibboleth-sp-utils
  curl wrk time python3 bc"
missing=""
for p in $PKGS; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing" >&2
$SUDO apt-get update -qq
# shibboleth-sp-common pulls in shibd; keep it from starting as a service.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
