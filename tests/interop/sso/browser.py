#!/usr/bin/env python3
"""browser.py - a scripted web browser without JavaScript, for SAML tests.

It GETs the start URL(s), follows redirects itself (so that every hop can be
traced), keeps cookies, and on each HTML page:
  * a form with a password field      -> fills in --user/--password, submits
  * a discovery page (a form with <button type=submit name=idp value=ENTITYID>)
                                       -> submits the button chosen by --idp
                                          (entityID) or --idp-name (its text)
  * a SAML POST form (SAMLRequest/SAMLResponse) or a POST form of hidden
    fields only (what JavaScript would auto-submit)            -> submits it
  * anything else                      -> the final page
The final page's body goes to stdout, its status and URL to stderr
("[browser] final: STATUS URL").

The POST of a SAMLResponse to the hub's ACS (a form action matching --acs)
can be saved (--save-acs), held back (--no-post-acs), modified first
(--tamper) or be the last step (--no-follow-after-acs); --post replays a
saved one.

Exit status: 0 the flow ended as expected (--expect-status, default 2xx back
on the start URL's origin; every --expect matched); 1 an expectation failed;
2 the flow broke (HTTP error, loop, login refused, no discovery choice, no ACS
post to act on, ...), with a message naming what.
"""
import argparse
import base64
import html.parser
import json
import re
import sys
import urllib.parse
import zlib

import requests

SAML_FIELDS = ("SAMLRequest", "SAMLResponse")
USER_FIELDS = ("username", "user", "j_username", "login", "uid", "email")
EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
P = r"(?:[\w.-]+:)?"   # an optional namespace prefix
SIG_RE = re.compile(r"<(%s)Signature\b[^>]*>.*?</\1Signature>" % P, re.S)
ASSERTION_RE = re.compile(r"<(%s)Assertion\b[^>]*>.*?</\1Assertion>" % P, re.S)
TAMPER_MODES = ("none", "attr", "drop-signature", "wrap", "wrap-nested")


class BrowserError(Exception):
    pass


# ------------------------------------------------------------------- forms --

class Form:
    def __init__(self, attrs):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.fields = []    # (name, value, type), in document order
        self.submits = []   # (name, value, text) of named submit buttons

    def names(self):
        return [f[0] for f in self.fields]

    def has_type(self, t):
        return any(f[2] == t for f in self.fields)


class FormParser(html.parser.HTMLParser):
    """The <form>s of a page with their inputs, buttons, selects, textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.title = ""
        self._cur = None
        self._select = None
        self._textarea = None
        self._button = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "form":
            self._cur = Form(a)
            self.forms.append(self._cur)
        elif self._cur is None:
            return
        elif tag == "input":
            t = (a.get("type") or "text").lower()
            name = a.get("name")
            if t in ("submit", "image"):
                if name:
                    self._cur.submits.append((name, a.get("value", ""), a.get("value", "")))
            elif t in ("checkbox", "radio") and "checked" not in a:
                pass
            elif t not in ("button", "reset", "file") and name:
                self._cur.fields.append((name, a.get("value", ""), t))
        elif tag == "button":
            if (a.get("type") or "submit").lower() == "submit" and a.get("name"):
                self._button = [a["name"], a.get("value", ""), ""]
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, None]   # name, first, selected
        elif tag == "option" and self._select is not None:
            v = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = v
            if "selected" in a:
                self._select[2] = v
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._cur = None
        elif self._cur is None:
            return
        elif tag == "button" and self._button is not None:
            self._button[2] = " ".join(self._button[2].split())
            self._cur.submits.append(tuple(self._button))
            self._button = None
        elif tag == "select" and self._select is not None:
            name, first, sel = self._select
            self._cur.fields.append((name, sel if sel is not None else (first or ""), "select"))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._cur.fields.append((self._textarea[0], self._textarea[1], "textarea"))
            self._textarea = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._textarea is not None:
            self._textarea[1] += data
        if self._button is not None:
            self._button[2] += data


# -------------------------------------------------------------------- SAML --

def b64decode(value):
    return base64.b64decode(value + "=" * (-len(value) % 4))


def saml_xml(value, deflated):
    raw = b64decode(value)
    if deflated:
        raw = zlib.decompress(raw, -15)
    return raw.decode("utf-8", "replace")


def describe_saml(xml):
    """One line about a SAML message, for a human reading the trace (regular
    expressions, not a parser: this is no security check)."""
    m = re.search(r"<%s(AuthnRequest|Response|LogoutRequest|LogoutResponse)\b([^>]*)>" % P, xml)
    kind, head = (m.group(1), m.group(2)) if m else ("?", "")
    out = [kind]
    for attr in ("ID", "InResponseTo", "Destination", "AssertionConsumerServiceURL", "ProtocolBinding",
                 "ForceAuthn", "IsPassive"):
        am = re.search(r"\b%s=\"([^\"]*)\"" % attr, head)
        if am:
            out.append("%s=%s" % (attr, am.group(1)))
    im = re.search(r"<%sIssuer[^>]*>([^<]*)<" % P, xml)
    if im:
        out.append("Issuer=" + im.group(1).strip())
    sigs = re.findall(r"<%sSignatureMethod Algorithm=\"([^\"]*)\"" % P, xml)
    out.append("xml-signatures=%d" % len(sigs))
    for st in re.findall(r"<%sStatusCode Value=\"([^\"]*)\"" % P, xml):
        out.append("Status=" + st.rsplit(":", 1)[-1])
    ac = re.findall(r"<%sAuthnContextClassRef>([^<]*)<" % P, xml)
    if ac:
        out.append("AuthnContextClassRef=" + ",".join(a.strip() for a in ac))
    if kind == "Response":
        out.append("EncryptedAssertion=%s" % ("yes" if "EncryptedAssertion" in xml else "no"))
        am = ASSERTION_RE.search(xml)
        if am:
            out.append("assertion-signed=%s" % ("yes" if SIG_RE.search(am.group(0)) else "no"))
        nf = sorted(set(re.findall(r"<%sAttribute [^>]*NameFormat=\"([^\"]*)\"" % P, xml)))
        if nf:
            out.append("attr-NameFormat=" + ",".join(x.rsplit(":", 1)[-1] for x in nf))
        names = re.findall(r"<%sAttribute [^>]*Name=\"([^\"]*)\"" % P, xml)
        if names:
            out.append("attrs=" + ",".join(names))
    return " ".join(out)


def _first_value(xml, name):
    """(start, end) of the first AttributeValue of attribute name, or of any."""
    m = re.search(r"<%sAttribute\b[^>]*\bName=\"%s\"[^>]*>\s*<(%s)AttributeValue\b[^>]*>([^<]*)</\1AttributeValue>"
                  % (P, re.escape(name), P), xml)
    if not m:
        m = re.search(r"<(%s)AttributeValue\b[^>]*>([^<]*)</\1AttributeValue>" % P, xml)
    if not m:
        raise BrowserError("tamper: the assertion has no attribute value to change")
    return m.start(2), m.end(2)


def change_value(xml):
    """Change the eduPersonPrincipalName (else the first attribute) value:
    x@scope becomes admin@scope, anything else gets '-tampered'."""
    s, e = _first_value(xml, EPPN)
    old = xml[s:e]
    new = "admin@" + old.split("@", 1)[1] if "@" in old else old + "-tampered"
    return xml[:s] + new + xml[e:], "%r -> %r" % (old, new)


def tamper(xml, mode):
    """The Response xml changed as mode says, and a line saying how."""
    if mode == "none":
        return xml, "unchanged (decoded and encoded again)"
    if mode == "drop-signature":
        n = len(SIG_RE.findall(xml))
        if not n:
            raise BrowserError("tamper drop-signature: the Response has no signature")
        return SIG_RE.sub("", xml), "%d signature(s) removed" % n
    am = ASSERTION_RE.search(xml)
    if not am:
        what = "an EncryptedAssertion" if "EncryptedAssertion" in xml else "no Assertion"
        raise BrowserError("tamper %s: the Response carries %s" % (mode, what))
    if mode == "attr":
        out, how = change_value(xml)
        return out, "attribute value changed in place: " + how
    # Signature wrapping: the signed assertion is kept intact (its signature
    # still verifies) but moved out of the way, and an unsigned copy with a
    # new ID and a changed value takes its place. The Response's own
    # signature, which would cover the move, is removed.
    orig = am.group(0)
    head = SIG_RE.sub("", xml[:am.start()])
    tail = SIG_RE.sub("", xml[am.end():])
    evil = SIG_RE.sub("", orig)
    evil = re.sub(r'\bID="_?([^"]*)"', r'ID="_evil\1"', evil, count=1)
    evil, how = change_value(evil)
    if mode == "wrap-nested":
        im = re.search(r"</%sIssuer>" % P, evil)
        if not im:
            raise BrowserError("tamper wrap-nested: the assertion has no Issuer")
        evil = evil[:im.end()] + orig + evil[im.end():]
        return head + evil + tail, "signed assertion nested in an unsigned copy (%s)" % how
    rm = re.search(r"<(%s)Response\b[^>]*>" % P, head)
    if not rm:
        raise BrowserError("tamper wrap: no Response element")
    ext = "<%sExtensions>%s</%sExtensions>" % (rm.group(1), orig, rm.group(1))
    im = re.compile(r"</%sIssuer>" % P).search(head, rm.end())
    at = im.end() if im else rm.end()
    head = head[:at] + ext + head[at:]
    return head + evil + tail, "signed assertion moved into Response/Extensions, unsigned copy in its place (%s)" % how


# ----------------------------------------------------------------- tracing --

class Tracer:
    def __init__(self, enabled, dump_dir=None):
        self.enabled = enabled
        self.dump_dir = dump_dir
        self.n = 0

    def __call__(self, msg):
        if self.enabled:
            print("[browser] " + msg, file=sys.stderr)

    def url(self, url):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        for f in SAML_FIELDS:
            if f in q:
                self._saml(f, q[f][0], True, "HTTP-Redirect, " +
                           ("SigAlg=" + q["SigAlg"][0] if "SigAlg" in q else "no query signature"))

    def form(self, data):
        for name, value in data:
            if name in SAML_FIELDS:
                self._saml(name, value, False, "HTTP-POST")

    def _saml(self, name, value, deflated, how):
        if not (self.enabled or self.dump_dir):
            return
        try:
            xml = saml_xml(value, deflated)
        except (ValueError, zlib.error) as e:
            self("    %s (%s): undecodable: %s" % (name, how, e))
            return
        self("    %s via %s: %s" % (name, how, describe_saml(xml)))
        if self.dump_dir:
            self.n += 1
            with open("%s/%02d-%s.xml" % (self.dump_dir, self.n, name), "w", encoding="utf-8") as fh:
                fh.write(xml)


def note(msg):
    print("[browser] " + msg, file=sys.stderr)


# ----------------------------------------------------------------- browser --

class AcsStop(Exception):
    """The flow stops at the ACS post (held back, or its answer is final)."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class Browser:
    def __init__(self, args):
        self.a = args
        self.s = requests.Session()
        self.s.headers["User-Agent"] = "tillit-interop-browser/2 (python-requests, no JavaScript)"
        self.s.headers["Accept-Language"] = args.lang
        self.t = Tracer(args.trace, args.dump_saml)
        self.acs_re = re.compile(args.acs)
        self.hops = 0
        self.logins = 0
        self.acs_posts = 0
        self.discovery = []   # (offered values, chosen value) per page

    def _send(self, method, url, data=None):
        self.hops += 1
        if self.hops > self.a.max_hops:
            raise BrowserError("more than %d hops (a redirect or form loop?)" % self.a.max_hops)
        if method == "GET":
            r = self.s.get(url, allow_redirects=False, timeout=self.a.timeout)
        else:
            r = self.s.post(url, data=data, allow_redirects=False, timeout=self.a.timeout)
        self.t("%s %s -> %d" % (method, _short(url), r.status_code))
        return r

    def request(self, method, url, data=None):
        """One request and its redirects; the last response."""
        while True:
            r = self._send(method, url, data)
            if r.status_code not in (301, 302, 303, 307, 308):
                return r
            loc = r.headers.get("Location")
            if not loc:
                raise BrowserError("redirect without Location from " + url)
            url = urllib.parse.urljoin(r.url, loc)
            self.t.url(url)
            if r.status_code in (301, 302, 303):
                method, data = "GET", None

    def run(self, url):
        return self.follow(self.request("GET", url))

    def follow(self, r):
        """Act on pages until one is final."""
        submitted_login = None
        while True:
            if "html" not in r.headers.get("Content-Type", ""):
                return r
            p = FormParser()
            p.feed(r.text)
            form, kind = self._pick(p.forms)
            if form is None:
                return r
            if kind == "login":
                sig = (urllib.parse.urlsplit(r.url).path, tuple(form.names()))
                if submitted_login == sig:
                    raise BrowserError("the login form came back after submitting it (wrong user or "
                                       "password?) at " + r.url)
                submitted_login = sig
                if self.a.user is None:
                    raise BrowserError("a login form at %s but no --user given" % r.url)
                self.logins += 1
            data = self._fill(form, kind)
            action = urllib.parse.urljoin(r.url, form.action).split("#")[0]
            self.t("form (%s, %r) -> %s %s fields=%s" % (kind, p.title.strip()[:40], form.method.upper(),
                                                         _short(action), ",".join(n for n, _ in data)))
            if form.method == "post" and "SAMLResponse" in dict(data) and self.acs_re.search(action):
                r = self.acs(action, data)
            elif form.method == "post":
                self.t.form(data)
                r = self.request("POST", action, data)
            else:
                # as browsers do: the form data replaces the action's query
                r = self.request("GET", action.split("?")[0] + "?" + urllib.parse.urlencode(data))

    def acs(self, action, data):
        """The POST of a SAMLResponse to the hub's ACS."""
        self.acs_posts += 1
        if self.a.tamper:
            data = [(n, v) for n, v in data]
            i = [n for n, _ in data].index("SAMLResponse")
            xml, how = tamper(saml_xml(data[i][1], False), self.a.tamper)
            data[i] = ("SAMLResponse", base64.b64encode(xml.encode("utf-8")).decode("ascii"))
            note("acs: tampered (%s): %s" % (self.a.tamper, how))
        self.t.form(data)
        if self.a.save_acs:
            cookies = [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                       for c in self.s.cookies]
            with open(self.a.save_acs, "w", encoding="utf-8") as fh:
                json.dump({"url": action, "fields": data, "cookies": cookies}, fh, indent=1)
            note("acs: saved the POST to %s in %s" % (action, self.a.save_acs))
        if self.a.no_post_acs:
            note("acs: not posted (--no-post-acs)")
            raise AcsStop(None)
        r = self._send("POST", action, data)
        note("acs: POST %s -> %d" % (action, r.status_code))
        if self.a.no_follow_after_acs:
            raise AcsStop(r)
        if r.status_code in (301, 302, 303, 307, 308):
            loc = urllib.parse.urljoin(r.url, r.headers.get("Location", ""))
            self.t.url(loc)
            return self.request("GET", loc)
        return r

    def replay(self, path):
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
        for c in saved.get("cookies", []):
            self.s.cookies.set(c["name"], c["value"], domain=c["domain"], path=c["path"])
        data = [tuple(f) for f in saved["fields"]]
        note("post: replaying the saved POST to %s" % saved["url"])
        return self.follow(self.acs(saved["url"], data))

    def _pick(self, forms):
        for f in forms:
            if f.has_type("password"):
                return f, "login"
        for f in forms:
            if any(name == "idp" for name, _, _ in f.submits):
                return f, "discovery"
        for f in forms:
            if any(n in SAML_FIELDS for n in f.names()):
                return f, "saml-autopost"
        for f in forms:
            if f.method == "post" and f.fields and all(t == "hidden" for _, _, t in f.fields):
                return f, "hidden-autopost"
        return None, None

    def _fill(self, form, kind):
        data = []
        user_done = False
        for name, value, t in form.fields:
            if kind == "login":
                if t == "password":
                    value = self.a.password or ""
                elif not user_done and t != "hidden" and (t in ("text", "email") or name.lower() in USER_FIELDS):
                    value = self.a.user
                    user_done = True
            data.append((name, value))
        if kind == "discovery":
            data.append(self._choose(form))
        elif form.submits:
            data.append(form.submits[0][:2])
        return data

    def _choose(self, form):
        """The submit button for the IdP asked for on a discovery page."""
        buttons = [(v, text) for n, v, text in form.submits if n == "idp"]
        offered = [v for v, _ in buttons]
        chosen = None
        if self.a.idp:
            chosen = next((v for v, _ in buttons if v == self.a.idp), None)
        elif self.a.idp_name:
            want = self.a.idp_name.casefold()
            chosen = next((v for v, text in buttons if want in text.casefold()), None)
        else:
            raise BrowserError("a discovery page offers %s but no --idp or --idp-name was given" %
                               ", ".join(offered))
        if chosen is None:
            raise BrowserError("the discovery page does not offer %r; it offers: %s" % (
                self.a.idp or self.a.idp_name, "; ".join("%s (%s)" % b for b in buttons)))
        self.discovery.append((offered, chosen))
        note("discovery: offered %d: %s; chose %s" % (len(offered), " ".join(offered), chosen))
        return ("idp", chosen)


def _origin(url):
    u = urllib.parse.urlsplit(url)
    return "%s://%s" % (u.scheme, u.netloc)


def _short(url, n=120):
    return url if len(url) <= n else url[:n] + "..."


def status_ok(spec, code):
    """spec: 'any', '2xx', '4xx', '403', or a comma-separated list of these."""
    for s in spec.split(","):
        s = s.strip().lower()
        if s == "any" or (s.endswith("xx") and s[0] == str(code)[0]) or s == str(code):
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("url", nargs="*", help="start URL(s), visited in order in one browser session")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--idp", help="on a discovery page, the IdP entityID to choose")
    ap.add_argument("--idp-name", help="on a discovery page, choose the first IdP whose button text "
                    "contains this (case-insensitive)")
    ap.add_argument("--lang", default="sv, en;q=0.8", help="Accept-Language (default: %(default)s)")
    ap.add_argument("--acs", default=r"/sp/acs$", metavar="REGEX",
                    help="form actions that are the hub's ACS (default: %(default)s)")
    ap.add_argument("--save-acs", metavar="FILE",
                    help="save the URL, fields and cookies of the POST to the ACS (then post it)")
    ap.add_argument("--no-post-acs", action="store_true",
                    help="with --save-acs: do not post it; stop there")
    ap.add_argument("--post", metavar="FILE", help="post a saved ACS POST again (no start URL needed)")
    ap.add_argument("--tamper", choices=TAMPER_MODES,
                    help="change the SAMLResponse before posting it to the ACS: none (re-encoded "
                         "only), attr (an attribute value), drop-signature (every signature), wrap "
                         "(signed assertion moved into Response/Extensions, an unsigned changed copy "
                         "in its place), wrap-nested (signed assertion inside the unsigned copy)")
    ap.add_argument("--no-follow-after-acs", action="store_true",
                    help="the answer to the ACS post is the final page")
    ap.add_argument("--expect", action="append", default=[], metavar="REGEX",
                    help="must match the final page (multiline); repeatable")
    ap.add_argument("--expect-not", action="append", default=[], metavar="REGEX",
                    help="must not match the final page; repeatable")
    ap.add_argument("--expect-status", default="2xx",
                    help="final status: any, 2xx, 4xx, 403, or a list (default: 2xx)")
    ap.add_argument("--expect-origin", help="the final page's origin (default with 2xx: the start "
                    "URL's, since SimpleSAMLphp shows errors with status 200)")
    ap.add_argument("--expect-html", action="store_true", help="the final page is text/html")
    ap.add_argument("--max-logins", type=int, help="fail if more login forms had to be submitted")
    ap.add_argument("--trace", action="store_true", help="every hop and SAML message to stderr")
    ap.add_argument("--dump-saml", metavar="DIR", help="write every decoded SAML message to DIR")
    ap.add_argument("--quiet", action="store_true", help="do not print the final page")
    ap.add_argument("--timeout", type=float, default=15)
    ap.add_argument("--max-hops", type=int, default=40)
    a = ap.parse_args()
    if not a.url and not a.post:
        ap.error("give a start URL or --post FILE")
    if a.no_post_acs and not a.save_acs:
        ap.error("--no-post-acs goes with --save-acs")

    b = Browser(a)
    r = None
    try:
        if a.post:
            r = b.replay(a.post)
        for url in a.url:
            r = b.run(url)
    except AcsStop as stop:
        r = stop.response
    except (BrowserError, requests.RequestException, OSError, ValueError) as e:
        print("browser.py: ERROR: %s" % e, file=sys.stderr)
        return 2
    if (a.tamper or a.save_acs or a.no_follow_after_acs) and not b.acs_posts:
        print("browser.py: ERROR: no POST of a SAMLResponse to an ACS matching %r happened" % a.acs,
              file=sys.stderr)
        return 2
    if r is None:   # held back at the ACS
        return 0
    body = r.text
    if not a.quiet:
        sys.stdout.write(body if body.endswith("\n") or not body else body + "\n")
    note("final: %d %s (%d hops, %d login form(s))" % (r.status_code, r.url, b.hops, b.logins))
    if not status_ok(a.expect_status, r.status_code):
        print("browser.py: ERROR: final status %d, expected %s (at %s)" % (r.status_code, a.expect_status,
                                                                          r.url), file=sys.stderr)
        return 2
    origin = a.expect_origin
    if origin is None and a.expect_status == "2xx" and a.url:
        origin = _origin(a.url[-1])
    if origin and _origin(r.url) != origin.rstrip("/"):
        p = FormParser()
        p.feed(body if "html" in r.headers.get("Content-Type", "") else "")
        print("browser.py: ERROR: the flow ended at %s (HTTP %d, title %r), not on %s" % (
            r.url, r.status_code, p.title.strip(), origin), file=sys.stderr)
        return 2
    failed = 0
    if a.expect_html and "text/html" not in r.headers.get("Content-Type", ""):
        note("FAIL the final page is %r, not text/html" % r.headers.get("Content-Type", "(no type)"))
        failed += 1
    if a.max_logins is not None and b.logins > a.max_logins:
        note("FAIL %d login forms submitted, at most %d allowed" % (b.logins, a.max_logins))
        failed += 1
    for rx in a.expect:
        if not re.search(rx, body, re.M):
            note("FAIL expected %s" % rx)
            failed += 1
    for rx in a.expect_not:
        if re.search(rx, body, re.M):
            note("FAIL unexpected %s" % rx)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
