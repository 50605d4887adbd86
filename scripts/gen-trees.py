#!/usr/bin/python3
"""gen-trees.py - write Hacker News shaped comment trees as static files.

    scripts/gen-trees.py --sizes 2000,1500,1000,500,250 --seed 1 --out DIR
                         [--rank time|size]

One story per size, each with that many reachable comments (live, deleted
and dead together), written in the layout of the official API so that any
static web server can play it:

    DIR/v0/item/<id>.json     one item, exactly as the API shapes it
    DIR/v0/topstories.json    the story ids, in the order of --sizes
    DIR/null.json             the body `null`: the server answers it (HTTP 200)
                              for every id without a file, as the API does
    DIR/truth.json            what a correct crawl must report per story
    DIR/fetch-ids.txt         every id a full crawl fetches (stories, comments
                              and the kids that answer null), one per line

Shape of a thread (deterministic for a given seed and size list):
- about a third of the comments are top-level (kids of the story);
- the others reply to earlier comments, picked with a preference for
  comments that already have replies (conversations attract replies), and
  now and then a burst: a back-and-forth chain of 3-14 replies that makes the
  thread deep;
- about 3% are deleted (no `by`, no `text`, but they keep their kids) and 2%
  dead (`dead: true`, text kept); a deleted comment that is also dead counts
  as deleted only;
- about 1% of the kids lists point to ids that have no file (the server
  answers `null`: a missing item). They never hang below the deepest
  comment, so the critical path of the crawl stays depth + 1 item fetches;
- each `kids` list is in time order, newest first half of the time
  (--rank time, the default), or ranked as the site ranks replies (--rank
  size): by the size of each kid's subthread times a random factor, so the
  big subthreads come first but not always in size order. The recorded
  threads in tests/fixtures rank that way: in the 10 stories there with 50
  or more comments and 5 or more kids, the deepest subthread (the first
  of equals) is at place 0-5 of 7-237 kids (0 or 1 in 5 of them, 5 of 8
  the latest). --rank size writes the same trees (same ids, items and
  truth.json); only the order of the lists differs.

truth.json holds, per story: comments (live: neither deleted nor dead),
deleted, dead, missing, reachable, depth (longest chain of reachable comments
below the story; 0 without comments) and fetches (1 + reachable + missing:
what a crawl that fetches each item once requests for the story).
"""

import argparse
import json
import os
import random
import sys

WORDS = ("the of and to a in is it you that he was for on are with as I his "
         "they be at one have this from or had by hot word but what some we "
         "can out other were all there when up use your how said an each "
         "she which do their time if will way about many then them write "
         "would like so these her long make thing see him two has look more "
         "day could go come did number sound no most people my over know "
         "water than call first who may down side been now find latency "
         "kernel compiler rust cache thread mutex queue allocator benchmark "
         "startup database postgres sqlite curl http tls socket").split()

ROOT_BASE = 39_000_000          # story ids start here (shifted by the seed)


def sentence(rng):
    n = rng.randint(4, 22)
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    s = " ".join(w)
    r = rng.random()
    if r < 0.08:
        s = s.replace(" it ", " it&#x27;s ", 1)
    elif r < 0.12:
        s += " &quot;" + rng.choice(WORDS) + "&quot;"
    elif r < 0.15:
        s += ' <a href="https:&#x2F;&#x2F;example.com&#x2F;' + \
             rng.choice(WORDS) + '" rel="nofollow">link</a>'
    return s + rng.choice(".....?!")


def comment_text(rng):
    paras = []
    for _ in range(1 if rng.random() < 0.55 else rng.randint(2, 5)):
        paras.append(" ".join(sentence(rng)
                              for _ in range(rng.randint(1, 4))))
    return "<p>".join(paras)


def build_tree(rng, n):
    """Parents of n comments: parent[i] is -1 (the story) or an earlier
    index. Returns (parent, level) where level[i] >= 1."""
    parent = [0] * n
    level = [0] * n
    top = max(1, round(n / 3 * rng.uniform(0.85, 1.15))) if n else 0
    top = min(top, n)
    # Slots picked with probability proportional to (1 + replies): each
    # comment enters the pool once when created and once per reply it gets.
    pool = []
    # Top-level comments and replies interleave in time, as on the site.
    order = [False] * (n - top) + [True] * max(0, top - 1)
    rng.shuffle(order)
    order = [True] * min(n, 1) + order   # the first comment is top-level
    burst = 0                        # replies left in the current burst
    tip = -1                         # the comment the burst answers next
    for i in range(n):
        if order[i] or not pool:
            parent[i], level[i] = -1, 1
        elif burst > 0:
            parent[i], level[i] = tip, level[tip] + 1
            burst -= 1
            tip = i
        else:
            p = rng.choice(pool)
            parent[i], level[i] = p, level[p] + 1
            pool.append(p)
            if rng.random() < 0.025:
                burst, tip = rng.randint(3, 14), i
        pool.append(i)
    return parent, level


def rank_by_size(rrng, ids, parent, lists):
    """Orders each kids list in lists as the site ranks replies: by the
    size of the subthread below each kid times a random factor (lognormal,
    sigma 0.7), largest first, so big subthreads rank high but not always
    first. A missing kid counts as a lone comment. rrng is its own
    generator: the trees and every other field stay as --rank time writes
    them."""
    sub = [1] * len(ids)
    for i in range(len(ids) - 1, -1, -1):    # replies come after parents
        if parent[i] >= 0:
            sub[parent[i]] += sub[i]
    size_of = dict(zip(ids, sub))
    for k in lists:
        if len(k) > 1:
            score = {c: size_of.get(c, 1) * rrng.lognormvariate(0, 0.7)
                     for c in k}
            k.sort(key=lambda c: -score[c])


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", required=True,
                    help="comments per story, comma separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--rank", choices=("time", "size"), default="time",
                    help="order of each kids list: time (newest or oldest "
                    "first, half each; the default) or size (largest "
                    "subthreads first, with noise, as the site ranks them)")
    a = ap.parse_args()
    try:
        sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    except ValueError:
        sys.exit("gen-trees: --sizes: not a list of numbers: " + a.sizes)
    if not sizes or min(sizes) < 0:
        sys.exit("gen-trees: --sizes: need one or more counts >= 0")

    rng = random.Random(a.seed)
    itemdir = os.path.join(a.out, "v0", "item")
    os.makedirs(itemdir, exist_ok=True)
    next_id = ROOT_BASE + (a.seed % 1000) * 1000
    t = 1_700_000_000 + a.seed * 1000
    roots, truth, fetch_ids = [], [], []

    for size in sizes:
        root = next_id
        next_id += 1
        parent, level = build_tree(rng, size)
        # Ids in creation order, with gaps: some ids belong to other
        # stories' comments on the real site, and some become missing kids.
        ids = []
        for _ in range(size):
            next_id += 1 if rng.random() < 0.9 else rng.randint(2, 4)
            ids.append(next_id)
        kids = [[] for _ in range(size)]
        root_kids = []
        for i in range(size):
            (root_kids if parent[i] < 0 else kids[parent[i]]).append(ids[i])
        depth = max(level) if size else 0
        # Missing kids: about 1% of all kid entries, on the story or on a
        # comment above the deepest level.
        nmissing = round(size * 0.01)
        used = set(ids)
        used.add(root)
        hosts = [i for i in range(size) if level[i] < depth]
        missing = []
        for _ in range(nmissing):
            mid = rng.randint(root + 1, next_id + 50)
            while mid in used:
                mid += 1
            used.add(mid)
            missing.append(mid)
            if hosts and rng.random() < 0.85:
                h = rng.choice(hosts)
                kids[h].insert(rng.randint(0, len(kids[h])), mid)
            else:
                root_kids.insert(rng.randint(0, len(root_kids)), mid)
        next_id = max([next_id] + missing) + 10
        # Kids in time order, half of the lists newest first (the order
        # since the first bench; it drew from rng, so it stays for the
        # trees to stay the same); --rank size then ranks them.
        for k in kids + [root_kids]:
            if len(k) > 1 and rng.random() < 0.5:
                k.reverse()
        if a.rank == "size":
            rank_by_size(random.Random(a.seed * 1_000_003 + root), ids,
                         parent, kids + [root_kids])
        live = deleted = dead = 0
        tstory = t
        for i in range(size):
            t += rng.randint(1, 40)
            it = {"id": ids[i], "parent": root if parent[i] < 0
                  else ids[parent[i]], "time": t, "type": "comment"}
            r = rng.random()
            if r < 0.03:
                it["deleted"] = True
                if rng.random() < 0.1:
                    it["dead"] = True
                deleted += 1
            else:
                it["by"] = "user%d" % rng.randint(1, 5000)
                it["text"] = comment_text(rng)
                if r < 0.05:
                    it["dead"] = True
                    dead += 1
                else:
                    live += 1
            if kids[i]:
                it["kids"] = kids[i]
            write(os.path.join(itemdir, "%d.json" % ids[i]),
                  dict(sorted(it.items())))
        title = "Show HN: a generated thread of %d comments (seed %d)" % (
            size, a.seed)
        story = {"by": "user%d" % rng.randint(1, 5000),
                 "descendants": live + dead, "id": root, "score":
                 rng.randint(5, 2500), "time": tstory, "title": title,
                 "type": "story", "url": "https://example.com/%d" % root}
        if root_kids:
            story["kids"] = root_kids
        write(os.path.join(itemdir, "%d.json" % root),
              dict(sorted(story.items())))
        roots.append(root)
        fetch_ids.append(root)
        fetch_ids.extend(ids)
        fetch_ids.extend(missing)
        truth.append({"id": root, "title": title, "comments": live,
                      "deleted": deleted, "dead": dead,
                      "missing": len(missing), "reachable": size,
                      "depth": depth, "top_level": sum(
                          1 for p in parent if p < 0),
                      "fetches": 1 + size + len(missing)})

    write(os.path.join(a.out, "v0", "topstories.json"), roots)
    with open(os.path.join(a.out, "null.json"), "w") as f:
        f.write("null")
    with open(os.path.join(a.out, "fetch-ids.txt"), "w") as f:
        f.write("".join("%d\n" % i for i in fetch_ids))
    write(os.path.join(a.out, "truth.json"),
          {"seed": a.seed, "sizes": sizes, "roots": truth,
           "fetches": len(fetch_ids),
           "max_depth": max((r["depth"] for r in truth), default=0)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
