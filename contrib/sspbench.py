#!/usr/bin/env python3
"""sspbench.py - SimpleSAMLphp's IdP CPU per login: the client of sspbench.sh.

What it measures: the CPU time (utime+stime from /proc/PID/stat) that one
Apache instance - the parent and each of its prefork children - spends while
C client threads run N SAML logins against the IdP, and the wall time of
those logins. Two modes, measured separately, each after W warm-up logins
that are not counted:
  full     a new cookie jar per login: GET SSOService with a fresh unsigned
           AuthnRequest (HTTP-Redirect: raw DEFLATE, base64, URL-encoded) ->
           the login form -> POST user and password -> the page with the
           SAMLResponse form
  session  each thread logs in once (not counted), then sends N fresh
           AuthnRequests with its session cookies; SSP answers each from the
           session with one page (one thread per session, because PHP's file
           sessions lock: requests of one session run one after the other)
A login counts only if its last page holds a SAMLResponse form aimed at the
ACS that decodes to a samlp:Response with Status Success, InResponseTo = the
request's ID, an Assertion (or EncryptedAssertion) and the signatures asked
for; any failure makes the exit status 1.

CPU: the sum over the Apache parent and every child of utime+stime, before
and after, plus the change in the parent's cutime+cstime (children that exit
and are reaped during the run; sspbench.sh runs a fixed set of children, so
this should stay 0 and is reported when it does not). Ticks / CLK_TCK.

Output, stdout, one line per mode (the concurrency given):
  ssp full: N logins, concurrency C, CPU X.X ms/login, Y.Y logins/s
  ssp session: N logins, concurrency C, CPU X.X ms/login, Y.Y logins/s
and --sequential adds the same two lines for concurrency 1 on stderr.
Diagnostics on stderr: HTTP requests per login, the client's own CPU (it
shares the cores with the IdP), the IdP-bound ceiling (cores / CPU per
login), how busy the machine was (/proc/stat: other processes and steal make
logins/s move between runs; CPU per login moves far less), and, from the
access log (%D, microseconds), the mean time per SSP script.

Usage: sspbench.py --sso URL --sp ENTITYID --acs URL --pidfile FILE
       [--access-log FILE] [--clk-tck N] [-n N] [--warmup W] [-c C]
       [--sequential] [--user U --password P]
"""
import argparse
import base64
import datetime
import itertools
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib

import requests

# the harness's form parser and SAML decoding
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop", "sso"))
from browser import FormParser, saml_xml  # noqa: E402

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
B_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
TIMEOUT = 30   # seconds per HTTP request


class LoginError(Exception):
    pass


# ----------------------------------------------------------------- the SP --

def authn_request(a):
    """A fresh unsigned AuthnRequest as an HTTP-Redirect URL, and its ID."""
    rid = "_" + uuid.uuid4().hex
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = ('<samlp:AuthnRequest xmlns:samlp="%s" xmlns:saml="%s" ID="%s" Version="2.0"'
           ' IssueInstant="%s" Destination="%s" AssertionConsumerServiceURL="%s"'
           ' ProtocolBinding="%s"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>'
           % (NS["samlp"], NS["saml"], rid, now, a.sso, a.acs, B_POST, a.sp))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)   # raw DEFLATE (RFC 1951)
    deflated = c.compress(xml.encode()) + c.flush()
    q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(deflated).decode()})
    return a.sso + ("&" if "?" in a.sso else "?") + q, rid


def short(url, n=100):
    return url if len(url) <= n else url[:n] + "..."


def forms(r):
    p = FormParser()
    p.feed(r.text)
    return p.forms


def check_response(a, r, rid):
    """The page r must carry a SAMLResponse for request rid (raises LoginError)."""
    for f in forms(r):
        fields = dict((n, v) for n, v, _ in f.fields)
        if "SAMLResponse" in fields:
            break
    else:
        title = re.search(r"<title>(.*?)</title>", r.text, re.S)
        raise LoginError("no SAMLResponse on %s (HTTP %d, %s)"
                         % (short(r.url), r.status_code, title.group(1).strip() if title else "no title"))
    if urllib.parse.urljoin(r.url, f.action) != a.acs:
        raise LoginError("SAMLResponse form posts to %s, not the ACS" % f.action)
    try:
        root = ET.fromstring(saml_xml(fields["SAMLResponse"], False))
    except (ValueError, ET.ParseError) as e:
        raise LoginError("SAMLResponse does not decode: %s" % e)
    if root.tag != "{%s}Response" % NS["samlp"]:
        raise LoginError("SAMLResponse is a %s, not a samlp:Response" % root.tag)
    code = root.find("samlp:Status/samlp:StatusCode", NS)
    if code is None or code.get("Value") != SUCCESS:
        raise LoginError("status %s" % (code.get("Value") if code is not None else "missing"))
    if root.get("InResponseTo") != rid:
        raise LoginError("InResponseTo %s, not %s" % (root.get("InResponseTo"), rid))
    assertion = root.find("saml:Assertion", NS)
    if assertion is None and root.find("saml:EncryptedAssertion", NS) is None:
        raise LoginError("no Assertion or EncryptedAssertion")
    if a.signed_response and root.find("ds:Signature", NS) is None:
        raise LoginError("the Response is not signed")
    if a.signed_assertion and assertion is not None and assertion.find("ds:Signature", NS) is None:
        raise LoginError("the Assertion is not signed")


def get(s, url, counter):
    r = s.get(url, timeout=TIMEOUT)
    counter[0] += 1 + len(r.history)
    if r.status_code != 200:
        raise LoginError("HTTP %d from %s" % (r.status_code, short(r.url)))
    return r


def full_login(a, s, counter):
    """AuthnRequest -> login form -> credentials -> SAMLResponse page."""
    url, rid = authn_request(a)
    r = get(s, url, counter)
    login = [f for f in forms(r) if any(t == "password" for _, _, t in f.fields)]
    if not login:
        raise LoginError("no login form at %s" % short(r.url))
    data = []
    for name, value, t in login[0].fields:
        if t == "password":
            value = a.password
        elif name == "username":
            value = a.user
        data.append((name, value))
    r2 = s.post(urllib.parse.urljoin(r.url, login[0].action), data=data, timeout=TIMEOUT)
    counter[0] += 1 + len(r2.history)
    if r2.status_code != 200:
        raise LoginError("HTTP %d from %s" % (r2.status_code, short(r2.url)))
    check_response(a, r2, rid)


def session_login(a, s, counter):
    """One AuthnRequest answered from the session."""
    url, rid = authn_request(a)
    check_response(a, get(s, url, counter), rid)


# ---------------------------------------------------------------- Apache --

def stat_times(pid):
    """(ppid, utime+stime, cutime+cstime) of pid in clock ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    # the fields after "(comm)", which may itself hold spaces and parentheses
    v = s[s.rindex(")") + 2:].split()
    return int(v[1]), int(v[11]) + int(v[12]), int(v[13]) + int(v[14])


def apache_cpu(pidfile):
    """(ticks, children): the parent's and its live children's utime+stime,
    plus the parent's cutime+cstime (the children it has reaped)."""
    with open(pidfile) as f:
        parent = int(f.read().strip())
    p = stat_times(parent)
    if p is None:
        raise RuntimeError("Apache (pid %d from %s) is not running" % (parent, pidfile))
    ticks, children = p[1] + p[2], set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            c = stat_times(int(d))
            if c is not None and c[0] == parent:
                ticks += c[1]
                children.add(int(d))
    return ticks, children


def machine_ticks():
    """(busy, steal) clock ticks of all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6], v[7]


def access_log_offset(path):
    try:
        return os.path.getsize(path)
    except (OSError, TypeError):
        return None


def access_log_summary(path, start):
    """Mean %D (the last field, microseconds) per script since offset start."""
    if start is None:
        return ""
    per = {}
    with open(path, "rb") as f:
        f.seek(start)
        for line in f.read().decode("utf-8", "replace").splitlines():
            m = re.search(r'"([A-Z]+) ([^ ?"]+)[^"]*" (\d+) \S+ (\d+)$', line)
            if m:
                k = "%s %s %s" % (m.group(1), m.group(2).rsplit("/", 1)[-1], m.group(3))
                n, t = per.get(k, (0, 0))
                per[k] = (n + 1, t + int(m.group(4)))
    return ", ".join("%s x%d %.1f ms" % (k, n, t / n / 1000.0)
                     for k, (n, t) in sorted(per.items(), key=lambda i: -i[1][0]))


# ------------------------------------------------------------------- runs --

def run(a, mode, n, conc, warmup):
    """Warm up, then n logins on conc threads; returns the figures."""
    login = full_login if mode == "full" else session_login
    sessions = [requests.Session() for _ in range(conc)]
    for s in sessions:
        s.trust_env = False   # no proxy look-ups in os.environ on every request (~1 ms each)
    counters = [[0] for _ in range(conc)]
    failures, errors, lock = [0], [], threading.Lock()

    def worker(i, todo):
        s = sessions[i]
        for _ in todo:
            if mode == "full":
                s.cookies.clear()   # a new browser; the connection stays
            try:
                login(a, s, counters[i])
            except (LoginError, requests.RequestException) as e:
                with lock:
                    failures[0] += 1
                    if len(errors) < 5:
                        errors.append("%s login: %s" % (mode, e))

    def on_threads(count):
        todo = iter(range(count))
        nextlock = threading.Lock()

        def take():
            with nextlock:
                return next(todo, None)
        ts = [threading.Thread(target=worker, args=(i, iter(take, None))) for i in range(conc)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    if mode == "session":
        for i in range(conc):   # each thread's own session (not counted)
            full_login(a, sessions[i], counters[i])
    on_threads(warmup)
    if failures[0]:
        return dict(failures=failures[0], errors=errors)
    time.sleep(0.2)   # the last warm-up requests' logging done before the first reading
    for c in counters:
        c[0] = 0
    log_at = access_log_offset(a.access_log)
    t0c = os.times()
    m0 = machine_ticks()
    cpu0, kids0 = apache_cpu(a.pidfile)
    t0 = time.monotonic()
    on_threads(n)
    wall = time.monotonic() - t0
    t1c = os.times()
    time.sleep(0.2)   # and the last requests' logging before the second
    cpu1, kids1 = apache_cpu(a.pidfile)
    m1 = machine_ticks()
    for s in sessions:
        s.close()
    cpu = (cpu1 - cpu0) / a.clk_tck
    return dict(mode=mode, n=n, conc=conc, cpu=cpu, wall=wall, failures=failures[0], errors=errors,
                requests=sum(c[0] for c in counters), children=(len(kids0), len(kids1 - kids0), len(kids0 - kids1)),
                client=(t1c.user + t1c.system) - (t0c.user + t0c.system),
                machine=((m1[0] - m0[0]) / a.clk_tck, (m1[1] - m0[1]) / a.clk_tck),
                log=access_log_summary(a.access_log, log_at) if a.access_log else "")


def line(r):
    return "ssp %s: %d logins, concurrency %d, CPU %.1f ms/login, %.1f logins/s" % (
        r["mode"], r["n"], r["conc"], 1000.0 * r["cpu"] / r["n"], r["n"] / r["wall"])


def diag(r):
    kids, new, gone = r["children"]
    cores = os.cpu_count()
    busy, steal = r["machine"]
    span = r["wall"] + 0.2   # the readings are 0.2 s after the end
    d = ("[sspbench] %s c%d: %.2f s wall, IdP CPU %.2f s (%.2f cores busy), %.1f HTTP requests/login, "
         "client CPU %.1f ms/login, %d Apache children; the IdP alone could do %.0f logins/s on %d cores\n"
         "[sspbench]   machine: %.2f of %d cores busy, %.2f of them other processes, steal %.2f"
         % (r["mode"], r["conc"], r["wall"], r["cpu"], r["cpu"] / r["wall"], r["requests"] / r["n"],
            1000.0 * r["client"] / r["n"], kids, cores * r["n"] / r["cpu"], cores,
            busy / span, cores, max(0.0, busy - r["cpu"] - r["client"]) / span, steal / span))
    if new or gone:
        d += " (%d started, %d gone during the run: their CPU is counted through the parent's cutime)" % (new, gone)
    if r["log"]:
        d += "\n[sspbench]   per request (access log %%D): %s" % r["log"]
    return d


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sso", required=True, help="the IdP's SSOService URL (HTTP-Redirect)")
    p.add_argument("--sp", required=True, help="the SP's entityID (the Issuer)")
    p.add_argument("--acs", required=True, help="the SP's HTTP-POST AssertionConsumerService URL")
    p.add_argument("--pidfile", required=True, help="the Apache instance's PidFile")
    p.add_argument("--access-log", help="its access log (LogFormat ending in %%D)")
    p.add_argument("--clk-tck", type=int, default=os.sysconf("SC_CLK_TCK"), help="getconf CLK_TCK")
    p.add_argument("-n", type=int, default=300, help="logins per mode (300)")
    p.add_argument("--warmup", type=int, default=20, help="warm-up logins per mode, not counted (20)")
    p.add_argument("-c", "--concurrency", type=int, default=2, help="client threads (2)")
    p.add_argument("--sequential", action="store_true", help="also run both modes at concurrency 1")
    p.add_argument("--modes", default="full,session")
    p.add_argument("--user", default="anna")
    p.add_argument("--password", default="anna-secret")
    p.add_argument("--no-signed-response", dest="signed_response", action="store_false")
    p.add_argument("--no-signed-assertion", dest="signed_assertion", action="store_false")
    a = p.parse_args()
    if a.n < 1 or a.concurrency < 1 or a.warmup < 0:
        p.error("-n and -c must be positive, --warmup not negative")

    plan = [(m, a.concurrency) for m in a.modes.split(",")]
    if a.sequential and a.concurrency != 1:
        plan += [(m, 1) for m in a.modes.split(",")]
    failed = 0
    for mode, conc in plan:
        if mode not in ("full", "session"):
            p.error("unknown mode '%s'" % mode)
        try:
            r = run(a, mode, a.n, conc, a.warmup)
        except LoginError as e:
            r = dict(failures=1, errors=["%s: the login before the run: %s" % (mode, e)])
        except (requests.RequestException, OSError, RuntimeError) as e:
            r = dict(failures=1, errors=["%s: %s" % (mode, e)])
        for e in r["errors"]:
            print("[sspbench] FAIL %s" % e, file=sys.stderr)
        if r["failures"]:
            failed += r["failures"]
            print("[sspbench] %s c%d: %d failed logins" % (mode, conc, r["failures"]), file=sys.stderr)
            continue
        print(diag(r), file=sys.stderr)
        print(line(r), file=sys.stdout if conc == a.concurrency else sys.stderr, flush=True)
    if failed:
        print("[sspbench] ERROR: %d logins failed" % failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
