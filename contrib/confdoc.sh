#!/bin/sh
# confdoc.sh - rewrite the key tables of docs/configuration.md and
# docs/tillit.conf.5 from the table in the code (tillitctl config keys), so
# that the documentation cannot drift from it (tests/docs.test checks).
#   contrib/confdoc.sh [TILLITCTL]
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
ctl=${1:-$top/tillitctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ctl" config keys >"$tmp/keys"
# markdown: replace the rows of the table (lines starting with "| `")
awk -F'\t' '{ printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$tmp/keys" >"$tmp/rows"
awk -v rows="$tmp/rows" '
	/^\| `/ { if (!done) { while ((getline l < rows) > 0) print l; done = 1 } next }
	{ print }' "$top/docs/configuration.md" >"$tmp/md"
mv "$tmp/md" "$top/docs/configuration.md"
# man page: replace everything between .SH KEYS and the next .SH
awk -F'\t' '{ printf ".TP\n.B %s\n%s\n.br\nType: %s; range: %s; default: %s.\n", $1, $5, $2, $3, $4 }' "$tmp/keys" >"$tmp/man"
awk -v keys="$tmp/man" '
	/^\.SH KEYS/ { print; while ((getline l < keys) > 0) print l; skip = 1; next }
	/^\.SH / { skip = 0 }
	!skip { print }' "$top/docs/tillit.conf.5" >"$tmp/5"
mv "$tmp/5" "$top/docs/tillit.conf.5"
