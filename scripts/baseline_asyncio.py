#!/usr/bin/python3
"""baseline_asyncio.py - the original design of hnbatch, as the bench's peer.

    /usr/bin/python3 scripts/baseline_asyncio.py --api URL --top N [--cacert FILE]
    /usr/bin/python3 scripts/baseline_asyncio.py --api URL --id ID [--id ID ...]

One aiohttp.ClientSession with its default limits (a TCPConnector of 100
connections, HTTP/1.1 only), and a recursive coroutine: fetch(id) fetches an
item, then asyncio.gather()s itself over the item's kids. 10 s timeout per
fetch (aiohttp.ClientTimeout(total=10)), no retries. Certificates are always
verified; --cacert adds a CA file to trust.

Prints one JSON line per root with hnbatch's jsonl keys (id, title, comments,
deleted, dead, missing, failed, depth, descendants, fetches, elapsed_ms,
status), so the bench can check its counts like hnbatch's. Needs Debian's
python3-aiohttp: run it with /usr/bin/python3.
"""

import argparse
import asyncio
import json
import ssl
import sys
import time

import aiohttp


class Counts:
    __slots__ = ("comments", "deleted", "dead", "missing", "failed",
                 "fetches")

    def __init__(self):
        self.comments = self.deleted = self.dead = 0
        self.missing = self.failed = self.fetches = 0


async def get_json(session, api, what, ssl_ctx, timeout):
    async with session.get("%s/%s.json" % (api, what), ssl=ssl_ctx,
                           timeout=timeout) as r:
        if r.status != 200:
            raise aiohttp.ClientResponseError(
                r.request_info, r.history, status=r.status,
                message="HTTP %d" % r.status)
        return json.loads(await r.read())


async def fetch(session, api, item_id, ssl_ctx, timeout, c, level):
    """Fetch one item and, recursively, its kids. Returns (item, depth),
    depth being the longest chain of comments below and including this one
    (level 0 is the story)."""
    c.fetches += 1
    try:
        item = await get_json(session, api, "item/%d" % item_id, ssl_ctx,
                              timeout)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
        print("baseline: item %d: %s" % (item_id, str(e) or type(e).__name__),
              file=sys.stderr)
        c.failed += 1
        return None, 0
    if item is None:
        c.missing += 1
        return None, 0
    if level > 0:
        if item.get("deleted"):
            c.deleted += 1
        elif item.get("dead"):
            c.dead += 1
        else:
            c.comments += 1
    kids = item.get("kids") or []
    below = await asyncio.gather(*(fetch(session, api, k, ssl_ctx, timeout,
                                         c, level + 1) for k in kids))
    # A kid that answered null or failed adds no level.
    depth = max((d for (it, d) in below if it is not None), default=0)
    return item, (depth + 1 if level > 0 else depth)


async def crawl_root(session, api, root, ssl_ctx, timeout):
    c = Counts()
    t0 = time.monotonic()
    item, depth = await fetch(session, api, root, ssl_ctx, timeout, c, 0)
    ms = int((time.monotonic() - t0) * 1000)
    if item is None:
        status = "partial" if c.failed else "missing"
    else:
        status = "partial" if c.failed else "complete"
    rec = {"id": root, "title": (item or {}).get("title"),
           "comments": c.comments, "deleted": c.deleted, "dead": c.dead,
           "missing": c.missing - (1 if status == "missing" else 0),
           "failed": c.failed, "depth": depth,
           "descendants": (item or {}).get("descendants"),
           "fetches": c.fetches, "elapsed_ms": ms, "status": status}
    return rec


async def run(a):
    ssl_ctx = ssl.create_default_context(cafile=a.cacert) \
        if a.cacert else ssl.create_default_context()
    timeout = aiohttp.ClientTimeout(total=10)
    api = a.api.rstrip("/")
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as session:   # default limits
        roots = list(dict.fromkeys(a.id))
        if a.top:
            top = await get_json(session, api, "topstories", ssl_ctx,
                                 timeout)
            roots += [i for i in top[:a.top] if i not in roots]
        recs = await asyncio.gather(*(crawl_root(session, api, r, ssl_ctx,
                                                 timeout) for r in roots))
    for r in recs:
        print(json.dumps(r, ensure_ascii=False))
    secs = time.monotonic() - t0
    items = sum(r["fetches"] for r in recs)
    print("baseline: %d roots, %d fetches, %.2fs, %.0f items/s"
          % (len(recs), items, secs, items / secs if secs else 0),
          file=sys.stderr)
    return 0 if all(r["status"] == "complete" for r in recs) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--api", default="https://hacker-news.firebaseio.com/v0")
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--id", type=int, action="append", default=[])
    ap.add_argument("--cacert")
    a = ap.parse_args()
    if not a.top and not a.id:
        ap.error("give --top N or --id ID")
    return asyncio.run(run(a))


if __name__ == "__main__":
    sys.exit(main())
