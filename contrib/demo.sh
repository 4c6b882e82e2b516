#!/bin/sh
# demo.sh - install what is missing, build, register the demo federation in
# metadata/ (members, entities, approvals), publish it and run tillitd on it.
#   contrib/demo.sh [DATA_DIR]      (default: ./demo; port from TILLIT_LISTEN)
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
"$top/contrib/deps.sh"
"$top/contrib/build.sh"
dir="${1:-$top/demo}"
listen="${TILLIT_LISTEN:-127.0.0.1:8440}"
ctl() { "$top/tillitctl" -d "$dir" "$@"; }
if [ ! -f "$dir/tillit.conf" ]; then
	ctl init --name "Tillit demo federation" --base-url "http://$listen" \
		--registration-authority "http://$listen/"
	grep -v '^#' "$top/metadata/members.tsv" | while IFS="	" read -r org name contact files; do
		ctl member add "$org" --name "$name" --contact "$contact"
		for f in $files; do
			ctl entity submit "$org" "$top/metadata/$f"
		done
	done
	ctl --json entity list --state pending | sed -n 's/.*"entity_id": "\(.*\)".*/\1/p' |
	while read -r id; do
		ctl entity approve "$id"
	done
	ctl publish
fi
echo "serving the demo federation on http://$listen/metadata/federation.xml (Ctrl-C stops)"
exec "$top/tillitd" -d "$dir" --listen "$listen"
