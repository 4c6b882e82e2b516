#!/bin/sh
# bench.sh - Tillit's benchmarks, each reported as a ratio against a
# baseline run in the same invocation on the same files.
#   contrib/bench.sh [N]      (N entities, default 10000; output in bench-out/)
# Baselines: xmlsec1 --sign / --verify and xmllint --schema of the same
# aggregate, `openssl speed` for the raw signing rate of the same key size.
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
N=${1:-10000}
B="$top/bench-out"
rm -rf "$B"; mkdir -p "$B"
. "$top/tests/lib.sh" 2>/dev/null || true
trap - EXIT
D="$B/data"
ctl() { "$top/tillitctl" -d "$D" "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }
# The machine's CPU ticks so far, all and stolen (/proc/stat: time the
# hypervisor ran something else while this machine had work); stolen()
# prints the stolen share between two readings in percent.
ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }
stolen() { echo "$1 $2" | awk '{ d = $3 - $1; s = (d > 0) ? 100 * ($4 - $2) / d : 0; printf "%.0f", s }'; }
maxrss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
# p99 latency of a wrk --latency report, in milliseconds
p99ms() { awk '$1=="99%" { v=$2; if (v ~ /us$/) { sub(/us$/, "", v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v*=1000 } print v }' "$1"; }
cores=$(nproc)
R="$B/results.md"
echo "# Tillit benchmarks: $N entities, $cores cores, $(date -u +%Y-%m-%dT%H:%MZ)" >"$R"
echo >>"$R"

echo "generating $N entities" >&2
t0=$(now)
"$top/contrib/tillit-genfed" --count "$N" --seed 1 --out-dir "$B/entities" --aggregate "$B/aggregate.tmpl.xml" \
	--valid-until "$(date -u -d '+20 days' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
echo "- generated $N entities, $(du -m "$B/aggregate.tmpl.xml" | cut -f1) MB aggregate, in $(secs "$t0" "$(now)") s" >>"$R"

ctl init --name "Bench federation" --base-url https://fed.example.se >/dev/null
ctl member add bench --name "Bench" >/dev/null
t0=$(now)
ls "$B/entities"/entity-*.xml | xargs -n 500 "$top/tillitctl" -d "$D" entity submit bench >/dev/null
t1=$(now)
cut -f2 "$B/entities/index.tsv" | xargs -n 500 "$top/tillitctl" -d "$D" entity approve >/dev/null
echo "- submitted (validated) $N entities in $(secs "$t0" "$t1") s, approved in $(secs "$t1" "$(now)") s" >>"$R"

# --- 0. evaluating every framework for every entity -----------------------
# The shipped frameworks, against the 10,000 submitted (and approved)
# entities: recomputing everything (--force), then again with nothing stale.
nfw=$(ctl framework list | grep -c .)
nreq=$(ctl --json framework list | grep -o '"requirements": [0-9]*' | awk '{ s += $2 } END { print s }')
best=""
for run in 1 2 3; do
	/usr/bin/time -v -o "$B/eval.time" "$top/tillitctl" -d "$D" --json evaluate --all --summary --force >"$B/eval.json"
	e=$(sed -n 's/.*"seconds": \([0-9.e-]*\).*/\1/p' "$B/eval.json" | tail -1)
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$B/eval.time")
	echo "$e $wall $(maxrss "$B/eval.time")" >>"$B/eval.runs"
done
t0=$(now)
ctl --json evaluate --all --summary >"$B/eval-fresh.json"
fresh=$(secs "$t0" "$(now)")
echo >>"$R"
echo "## Evaluating $nfw frameworks ($nreq requirements) for $N entities on $cores cores" >>"$R"
echo "- tillitctl evaluate --all --summary --force, three runs (evaluation seconds, process wall time, peak RSS KB): $(tr '\n' ';' <"$B/eval.runs")" >>"$R"
echo "- median evaluation: $(cut -d' ' -f1 "$B/eval.runs" | sort -g | sed -n 2p) s (must be < 1 s); evaluated: $(grep -o '"evaluated": [0-9]*' "$B/eval.json" | tail -1)" >>"$R"
echo "- with nothing stale (fingerprints only): $fresh s for the whole command" >>"$R"

# --- 1. aggregate signing vs xmlsec1 --sign with the same key ----------
KEY="$D/keys/metadata-signing.key"; CRT="$D/keys/metadata-signing.crt"
t0=$(now)
xmlsec1 --sign --privkey-pem "$KEY,$CRT" --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor \
	--output "$B/aggregate.xmlsec.xml" "$B/aggregate.tmpl.xml"
xs_sign=$(secs "$t0" "$(now)")
t0=$(now)
ctl --json publish >"$B/publish-full.json"
full=$(secs "$t0" "$(now)")
agg=$(sed -n 's/.*"aggregate_seconds": \([0-9.e-]*\).*/\1/p' "$B/publish-full.json")
sign=$(sed -n 's/.*"sign_seconds": \([0-9.e-]*\).*/\1/p' "$B/publish-full.json")
prep=$(sed -n 's/.*"prepare_seconds": \([0-9.e-]*\).*/\1/p' "$B/publish-full.json")
bits=$(openssl rsa -in "$KEY" -noout -text 2>/dev/null | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')
echo >>"$R"
echo "## Signing the aggregate (RSA-$bits, same key)" >>"$R"
echo "- xmlsec1 --sign of the $N-entity aggregate: $xs_sign s" >>"$R"
echo "- tillit: assemble from prepared pieces, digest, sign, write: $agg s (ratio tillit/xmlsec1 = $(ratio "$agg" "$xs_sign"); must be <= 1)" >>"$R"
echo "- (first publication in all: $full s, of which preparing pieces $prep s and MDQ signing $sign s)" >>"$R"

# --- 2. MDQ signing rate vs raw RSA signing rate on all cores ----------
openssl speed -multi "$cores" -seconds 3 "rsa$bits" >"$B/openssl-speed.txt" 2>/dev/null
raw=$(awk -v b="$bits" '$1=="rsa" && $2==b" bits" || ($1=="rsa" && $2==b) {print $(NF-1)}' "$B/openssl-speed.txt" | tail -1)
[ -n "$raw" ] || raw=$(grep -E "^rsa *$bits bits" "$B/openssl-speed.txt" | awk '{print $(NF-1)}' | tail -1)
ours=$(echo "$N / $sign" | bc -l)
echo >>"$R"
echo "## Signing $N MDQ documents on $cores cores" >>"$R"
echo "- openssl speed -multi $cores rsa$bits: $raw signatures/s" >>"$R"
echo "- tillit: $(printf %.0f "$ours") documents/s (parse, exclusive C14N, SHA-256, RSA, serialise)" >>"$R"
echo "- overhead over the raw signing rate: $(awk -v r="$raw" -v o="$ours" 'BEGIN { printf "%.1f", (r / o - 1) * 100 }') % (must be <= 25 %)" >>"$R"

# --- 3. republish after one change vs xmlsec1 --sign --------------------
one=$(sed -n 1p "$B/entities/index.tsv" | cut -f1)
id=$(sed -n 1p "$B/entities/index.tsv" | cut -f2)
sed 's|<md:GivenName>|<md:GivenName>Ny |' "$B/entities/$one" >"$B/changed.xml"
ctl entity submit bench "$B/changed.xml" >/dev/null
ctl entity approve "$id" >/dev/null
t0=$(now)
ctl --json publish >"$B/publish-one.json"
re=$(secs "$t0" "$(now)")
echo >>"$R"
echo "## Republishing after one entity changed" >>"$R"
echo "- tillit publish (one piece prepared, one MDQ document signed, aggregate rebuilt): $re s" >>"$R"
echo "- ratio to xmlsec1 --sign of the aggregate: $(ratio "$re" "$xs_sign") (must be < 0.25)" >>"$R"
grep -o '"signed_mdq": [0-9]*' "$B/publish-one.json" | sed 's/^/- /' >>"$R"

# --- 4. import vs xmlsec1 --verify + xmllint --schema -------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=bench-federation \
	-keyout "$B/fed.key" -out "$B/fed.crt" 2>/dev/null
xmlsec1 --sign --privkey-pem "$B/fed.key,$B/fed.crt" --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor \
	--output "$B/import.xml" "$B/aggregate.tmpl.xml"
write_schema "$B/schema.xsd"
/usr/bin/time -v -o "$B/xmlsec-verify.time" xmlsec1 --verify --trusted-pem "$B/fed.crt" \
	--id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor "$B/import.xml" 2>/dev/null
/usr/bin/time -v -o "$B/xmllint.time" xmllint --noout --nonet --schema "$B/schema.xsd" "$B/import.xml" 2>/dev/null
# three alternating rounds; each side's median counts (the machine's noise hits both)
: >"$B/import.rounds"
for round in 1 2 3; do
	t0=$(now); xmlsec1 --verify --trusted-pem "$B/fed.crt" --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor "$B/import.xml" 2>/dev/null
	t1=$(now); xmllint --noout --nonet --schema "$B/schema.xsd" "$B/import.xml" 2>/dev/null
	t2=$(now)
	rm -rf "$B/import-data"; cp -a "$D" "$B/import-data"
	t3=$(now)
	/usr/bin/time -v -o "$B/import.time" "$top/tillitctl" -d "$B/import-data" --json import "$B/import.xml" --trust "$B/fed.crt" --source bench >"$B/import.json"
	t4=$(now)
	echo "$(secs "$t0" "$t1") $(secs "$t1" "$t2") $(secs "$t0" "$t2") $(secs "$t3" "$t4") $(maxrss "$B/import.time")" >>"$B/import.rounds"
done
median() { sort -g | sed -n 2p; }
xs_verify=$(cut -d' ' -f1 "$B/import.rounds" | median)
xl_schema=$(cut -d' ' -f2 "$B/import.rounds" | median)
base=$(cut -d' ' -f3 "$B/import.rounds" | median)
imp=$(cut -d' ' -f4 "$B/import.rounds" | median)
rss=$(cut -d' ' -f5 "$B/import.rounds" | sort -g | tail -1)
echo >>"$R"
echo "## Importing the signed $N-entity aggregate ($(du -m "$B/import.xml" | cut -f1) MB), median of three alternating rounds" >>"$R"
echo "- baseline: xmlsec1 --verify $xs_verify s + xmllint --schema $xl_schema s = $base s; peak RSS $(maxrss "$B/xmlsec-verify.time") KB and $(maxrss "$B/xmllint.time") KB" >>"$R"
echo "- tillitctl import (signature, schema and rules per entity, stored in a fresh copy of the store): $imp s, peak RSS $rss KB" >>"$R"
echo "- rounds (verify, schema, baseline, tillit): $(cut -d' ' -f1-4 "$B/import.rounds" | tr '\n' ';')" >>"$R"
echo "- ratio tillit/baseline: $(ratio "$imp" "$base") (must be <= 1); peak RSS must be < 256000 KB" >>"$R"
grep -o '"accepted": [0-9]*\|"rejected": [0-9]*' "$B/import.json" | sed 's/^/- /' >>"$R"

# --- 5. MDQ over HTTP with wrk ------------------------------------------
# wrk shares the two cores with tillitd.  Two loads: saturation (as many
# requests as wrk can make: throughput) and paced (each of the 64
# connections waits 2 ms between requests, about 20,000 requests/s in
# all: latency at the required rate).  Each with the default
# http_threads and with one server thread, which leaves wrk the other core.
head -n 1000 "$B/entities/index.tsv" | cut -f2 | python3 -c '
import sys, urllib.parse
ids = [l.strip() for l in sys.stdin if l.strip()]
print("local paths = {")
for i in ids: print("  \"/entities/%s\"," % urllib.parse.quote(i, safe=""))
print("}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(\"GET\", paths[(n % #paths) + 1])\nend")
' >"$B/mdq.lua"
{ cat "$B/mdq.lua"; printf 'delay = function()\n  return 2\nend\n'; } >"$B/mdq-paced.lua"
mdq_runs() { # $1 = label, $2 = http_threads (empty: the default)
	cp "$D/tillit.conf" "$B/tillit.conf.saved"
	[ -z "$2" ] || sed -i "s/^#* *http_threads = .*/http_threads = $2/" "$D/tillit.conf"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$top/tillitd" -d "$D" --listen "127.0.0.1:$port" 2>"$B/tillitd.log" &
	pid=$!
	for i in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
	curl -fs -o /dev/null "http://127.0.0.1:$port$(sed -n 2p "$B/mdq.lua" | cut -d'"' -f2)" ||
		echo "- WARNING: the first MDQ path of the load does not answer 200" >>"$R"
	for load in saturated paced; do
		script="$B/mdq.lua"
		[ "$load" = paced ] && script="$B/mdq-paced.lua"
		: >"$B/wrk.runs"
		for run in 1 2 3; do
			out="$B/wrk.$1.$load.$run.txt"
			t0=$(ticks)
			wrk -t2 -c64 -d10s --latency -s "$script" "http://127.0.0.1:$port" >"$out" 2>&1 || true
			st=$(stolen "$t0" "$(ticks)")
			echo "$(p99ms "$out") $(sed -n 's/^Requests\/sec: *//p' "$out") $st $(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$out")" >>"$B/wrk.runs"
		done
		echo "- $1, $load: $(awk '{ sep = (NR > 1) ? "; " : ""; bad = ($4 != "") ? " (" $4 " non-2xx)" : ""; printf "%s%.0f req/s p99 %.2f ms, %d%% stolen%s", sep, $2, $1, $3, bad }' "$B/wrk.runs");" \
			"median p99 $(sort -g "$B/wrk.runs" | sed -n 2p | cut -d' ' -f1) ms" >>"$R"
	done
	kill -TERM "$pid"; wait "$pid" || true
	cp "$B/tillit.conf.saved" "$D/tillit.conf"
}
echo >>"$R"
echo "## MDQ over loopback: wrk -t2 -c64 -d10s --latency, 1,000 different entities, three runs each" >>"$R"
echo "(must serve >= 20,000 requests/s with p99 < 5 ms, every response 200)" >>"$R"
mdq_runs "default http_threads ($(sed -n 's/^#* *http_threads = //p' "$D/tillit.conf" | head -1))" ""
mdq_runs "http_threads = 1" 1

# --- 6. SSO: complete logins through the hub, against SimpleSAMLphp ------
# tillit-ssobench plays 1,000 services and two member IdPs (registered in
# the same store as the N entities above) and drives complete logins:
# the service's AuthnRequest in, the hub's signed AuthnRequest out, the
# IdP's signed Response in, the signed assertion out.  The hub's CPU per
# login is read from /proc; the load generator shares the two cores.  The
# baseline, in the same run: a SimpleSAMLphp IdP issuing assertions
# (contrib/sspbench.sh, the interop harness's IdP).
echo >>"$R"
echo "## SSO: complete logins through the hub, $N entities registered, 1,000 services in use, three alternating rounds" >>"$R"
# Hub and baseline alternate (hub, SSP, hub, SSP, hub, SSP) so that the
# machine's drift falls on both; the ratio is of the medians.  Round 1's
# hub is the one whose memory counts (it registers and loads everything).
med() { sort -g | sed -n 2p; }
for r in 1 2 3; do
	t0=$(ticks)
	"$top/contrib/ssobench.sh" "$D" 1000 4000 --signatures 2 >"$B/sso.$r.txt" 2>"$B/sso.$r.err" ||
		echo "- WARNING: ssobench round $r failed: $(tail -3 "$B/sso.$r.err")" >>"$R"
	t1=$(ticks)
	"$top/contrib/sspbench.sh" >"$B/ssp.$r.txt" 2>"$B/ssp.$r.err" ||
		echo "- WARNING: sspbench round $r failed: $(tail -3 "$B/ssp.$r.err")" >>"$R"
	echo "$(stolen "$t0" "$t1") $(stolen "$t1" "$(ticks)")" >"$B/stolen.$r"
done
sso() { awk -v k="$2" '$1 == k { print $2 }' "$B/sso.$1.txt"; }
ssp() { sed -n "s/^ssp $2: .*CPU \([0-9.]*\) ms.*/\1/p" "$B/ssp.$1.txt"; }
for r in 1 2 3; do
	echo "- round $r: hub warm $(sso $r warm_hub_cpu_ms_per_login) ms CPU/login, of it $(sso $r warm_hub_sys_ms_per_login) ms in the kernel ($(sso $r warm_logins) logins, $(sso $r warm_failed) failed, $(sso $r warm_logins_per_s) logins/s; cold $(sso $r cold_hub_cpu_ms_per_login) ms; tillitd's maintenance thread, not counted: $(sso $r cold_hub_maintenance_cpu_s) s + $(sso $r warm_hub_maintenance_cpu_s) s); SimpleSAMLphp full $(ssp $r full) ms, session $(ssp $r session) ms; CPU stolen by the hypervisor: $(cut -d' ' -f1 "$B/stolen.$r")% during the hub's round, $(cut -d' ' -f2 "$B/stolen.$r")% during SimpleSAMLphp's" >>"$R"
done
hub_m=$(for r in 1 2 3; do sso $r warm_hub_cpu_ms_per_login; done | med)
full_m=$(for r in 1 2 3; do ssp $r full; done | med)
sess_m=$(for r in 1 2 3; do ssp $r session; done | med)
sed 's/^/- (round 1) /' "$B/ssp.1.txt" >>"$R"
# What this machine's RSA costs: the hub makes three RSA-2048 signatures
# per login (its upstream AuthnRequest, the assertion, the Response),
# SimpleSAMLphp two (assertion, Response).  Not part of the ratio; it shows
# how much of each side is the one operation neither can make cheaper.
openssl speed -seconds 3 rsa2048 >"$B/openssl-speed-2048.txt" 2>/dev/null || true
sign_ms=$(awk '$1 == "rsa" && $2 == "2048" { sub(/s$/, "", $4); print $4 * 1000 }' "$B/openssl-speed-2048.txt")
echo "- medians: hub $hub_m ms CPU/login (the load generator used $(sso 1 warm_generator_cpu_ms_per_login) ms/login of the same cores in round 1); SimpleSAMLphp full login $full_m ms, from its session $sess_m ms" >>"$R"
[ -n "$full_m" ] && [ -n "$hub_m" ] &&
	echo "- ratio hub/SimpleSAMLphp CPU per login (medians): full login $(ratio "$hub_m" "$full_m"), from its session $(ratio "$hub_m" "$sess_m") (must be <= 0.167)" >>"$R"
[ -n "$sign_ms" ] && [ -n "$hub_m" ] && [ -n "$full_m" ] &&
	echo "- this machine's RSA-2048 signature (openssl speed, one core): $sign_ms ms; without them the hub spends $(echo "$hub_m - 3 * $sign_ms" | bc -l | cut -c1-5) ms per login (three signatures: $(ratio "3 * $sign_ms" "$hub_m") of its CPU) and SimpleSAMLphp $(echo "$full_m - 2 * $sign_ms" | bc -l | cut -c1-5) ms (two: $(ratio "2 * $sign_ms" "$full_m") of its CPU); the three signatures alone are $(ratio "3 * $sign_ms" "$full_m") of SimpleSAMLphp's full login" >>"$R"
echo "- hub resident memory at the end of round 1: VmRSS $(sso 1 hub_vmrss) KB (anonymous $(sso 1 hub_rss_anon) KB, file-backed $(sso 1 hub_rss_file) KB), peak VmHWM $(sso 1 hub_vmhwm) KB (must be < 153600 KB)" >>"$R"
# Not the default, for comparison only: sign_assertions = no and services
# whose metadata does not ask for signed assertions (the Shibboleth IdP's
# default policy): two signatures a login (the upstream request, the
# Response) instead of three.  One round, against the median above.
cp "$D/tillit.conf" "$B/tillit.conf.saved"
sed 's/^sign_assertions = .*/sign_assertions = no/' "$B/tillit.conf.saved" >"$D/tillit.conf"
grep -qx 'sign_assertions = no' "$D/tillit.conf" || echo 'sign_assertions = no' >>"$D/tillit.conf"
"$top/contrib/ssobench.sh" "$D" 1000 4000 --unsigned-assertions --signatures 1 >"$B/sso.4.txt" 2>"$B/sso.4.err" ||
	echo "- WARNING: ssobench round 4 (sign_assertions = no) failed: $(tail -3 "$B/sso.4.err")" >>"$R"
cp "$B/tillit.conf.saved" "$D/tillit.conf"
hub2=$(sso 4 warm_hub_cpu_ms_per_login)
[ -n "$hub2" ] && [ -n "$full_m" ] &&
	echo "- not the default, for comparison: with sign_assertions = no (services not asking for signed assertions; two signatures a login) the hub spends $hub2 ms CPU/login ($(sso 4 warm_logins) logins, $(sso 4 warm_failed) failed), $(ratio "$hub2" "$full_m") of SimpleSAMLphp's full login (which still signs twice)" >>"$R"
cat "$R"
