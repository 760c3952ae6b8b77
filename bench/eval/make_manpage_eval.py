#!/usr/bin/env python3
"""Builds the labelled retrieval set used by `./loopline bench retrieval`.

Each entry is one man page from this Debian machine: the query is the one-line summary of its
NAME section (e.g. "list directory contents"), the answer passage is the rest of the page
(DESCRIPTION, OPTIONS, ... without NAME and SYNOPSIS, so the summary line itself is not in the
corpus). A search "finds" the page when one of its chunks is in the top 5. Man pages are public
documentation distributed by Debian; each entry names its page so its licence can be traced.

Usage: python3 bench/eval/make_manpage_eval.py > bench/src/main/resources/eval/manpages.jsonl
"""
import gzip, json, os, re, subprocess, sys

MAN = "/usr/share/man/man1"
STRIDE, WANT, MAX_CHARS = 3, 300, 6000

def render(path):
    env = dict(os.environ, MANWIDTH="100000", LANG="C.UTF-8")
    out = subprocess.run(["man", "-P", "cat", "-l", path], capture_output=True, text=True, env=env, timeout=20)
    return out.stdout

def sections(text):
    parts, name, buf = {}, None, []
    for line in text.splitlines()[1:]:
        if re.fullmatch(r"[A-Z][A-Z /]+", line.strip()) and not line.startswith(" "):
            if name:
                parts[name] = "\n".join(buf).strip()
            name, buf = line.strip(), []
        else:
            buf.append(line.strip())
    if name:
        parts[name] = "\n".join(buf).strip()
    return parts

seen, out = set(), []
pages = [f for f in sorted(os.listdir(MAN)) if not f.startswith(("gcloud", "bq"))]  # thousands of near-identical CLI pages
for i, f in enumerate(pages):
    if i % STRIDE or not f.endswith(".1.gz"):
        continue
    s = sections(render(os.path.join(MAN, f)))
    m = re.match(r"(.+?)\s+[-\u2010\u2013\u2014]+\s+(.+)", s.get("NAME", "").replace("\n", " "))
    if not m:
        continue
    summary = m.group(2).strip().rstrip(".")
    body = "\n\n".join(v for k, v in s.items() if k not in ("NAME", "SYNOPSIS") and v)
    body = re.sub(r"\n{3,}", "\n\n", body)[:MAX_CHARS]
    if len(summary.split()) < 3 or len(body) < 300 or summary.lower() in seen:
        continue
    seen.add(summary.lower())
    out.append({"id": f[:-3], "query": summary, "text": body})
    if len(out) >= WANT:
        break
for e in out:
    print(json.dumps(e, ensure_ascii=False))
print(f"{len(out)} entries", file=sys.stderr)
