#!/usr/bin/env python3
"""same_fields.py TEXT JSON: the text form of an mwctl command and its -j
form carry the same fields.  Text form: "key: value" or "key:" lines
(indented for nesting); JSON: the keys of every object.  A time shown as
RFC 3339 in both ("key") may carry its exact unix ns beside it in JSON
only ("key_ns"): json.h's jp_time.  Prints the
difference and exits 1 when the key sets differ, or when the JSON does
not parse."""
import json
import re
import sys


def text_keys(path):
    keys = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*([A-Za-z0-9_]+):(\s|$)", line)
        if m:
            keys.add(m.group(1))
    return keys


def json_keys(v, keys):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            json_keys(x, keys)
    elif isinstance(v, list):
        for x in v:
            json_keys(x, keys)
    return keys


def main():
    t = text_keys(sys.argv[1])
    try:
        j = json_keys(json.load(open(sys.argv[2], encoding="utf-8")), set())
    except ValueError as e:
        print("not JSON: %s" % e)
        return 1
    j -= {k for k in j if k.endswith("_ns") and k[:-3] in t and k not in t}
    if t == j and t:
        return 0
    print("only in text: %s; only in JSON: %s" % (sorted(t - j), sorted(j - t)))
    return 1


sys.exit(main())
