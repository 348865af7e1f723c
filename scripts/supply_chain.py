"""Supply-chain check, run by scripts/test.sh: every dependency comes from crates.io (no git
or path sources but our own workspace crates) and is under a licence compatible with sagescale's
Apache-2.0. Reads `cargo metadata` on stdin.

Advisories (cargo audit / cargo deny check advisories) need the RustSec database from GitHub,
which this build environment cannot reach; run `cargo audit` where it can (docs/security.md).
"""
import json
import re
import sys

ALLOWED = {
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "Unicode-3.0",
    "Unlicense", "0BSD", "CC0-1.0", "MIT-0", "BSL-1.0", "LLVM-exception",
}


def allowed(expr: str) -> bool:
    """Evaluate an SPDX expression: OR needs one side allowed, AND (and WITH) both."""
    tokens = re.findall(r"\(|\)|[A-Za-z0-9.+-]+", expr.replace("/", " OR "))
    pos = 0

    def parse_or():
        nonlocal pos
        ok = parse_and()
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            ok = parse_and() or ok
        return ok

    def parse_and():
        nonlocal pos
        ok = parse_atom()
        while pos < len(tokens) and tokens[pos] in ("AND", "WITH"):
            pos += 1
            ok = parse_atom() and ok
        return ok

    def parse_atom():
        nonlocal pos
        if pos >= len(tokens):
            return False
        t = tokens[pos]
        pos += 1
        if t == "(":
            ok = parse_or()
            pos += 1  # ")"
            return ok
        return t in ALLOWED

    return parse_or()


meta = json.load(sys.stdin)
problems = []
for p in meta["packages"]:
    source = p.get("source")
    if source is None:
        # The workspace's own crates (the root and crates/*) are the only path dependencies.
        if p["name"] != "sagescale" and not p["name"].startswith("sagescale-"):
            problems.append(f"{p['name']} {p['version']}: a path dependency")
        continue
    if not source.startswith("registry+https://github.com/rust-lang/crates.io-index"):
        problems.append(f"{p['name']} {p['version']}: from {source}, not crates.io")
    lic = p.get("license")
    if not lic:
        problems.append(f"{p['name']} {p['version']}: no SPDX licence")
    elif not allowed(lic):
        problems.append(f"{p['name']} {p['version']}: licence {lic} is not on the allow list")
for line in problems:
    print(f"supply chain: {line}")
print(f"supply chain: {len(meta['packages'])} packages, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
