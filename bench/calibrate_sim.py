#!/usr/bin/env python3
"""Fits the simulator's world (`foryou simulate`, docs/design/sim.md "Calibration") to KuaiRand.

Usage: bench/calibrate_sim.py [DEMO_DIR] > config/sim_world.json
       (DEMO_DIR: demo/kuairand; reads the log, the users' histories and the video table)

Fits, from the real log, and prints as JSON:
  * categories: the 20 primary video tags with the most long views become cat00..cat19;
    category_share is each one's share of the catalog's videos (the world's videos follow it);
  * taste_profiles: 400 users, evenly spaced in user-id order, among those with >= 10 long
    views in those categories before the log (their histories): each user's long views per
    category divided by their top category's, so the top category is 1 (the world's users are
    drawn from these);
  * activity: the deciles of the log's views per user, divided by their mean (the world's
    background users browse in these proportions);
  * popularity: the slope of a logistic regression of each view's long_view on ln(1 + the
    video's views in the log): how much the long-view rate rises with the audience (the world
    adds popularity x ln(1 + the video's views so far) to every user's logit);
  * age_slope_per_day: the same regression on the video's age in days. Every video of this log
    is 14 to 21 days old, so it says nothing about younger videos; it is printed with that range.
Standard library only; zstd files are read through `zstdcat`.
"""
import collections
import csv
import datetime
import json
import math
import subprocess
import sys

demo = sys.argv[1] if len(sys.argv) > 1 else "demo/kuairand"


def rows(name):
    path = f"{demo}/{name}"
    with subprocess.Popen(["zstdcat", path], stdout=subprocess.PIPE, text=True) as p:
        yield from csv.DictReader(p.stdout)
        if p.wait() != 0:
            sys.exit(f"calibrate_sim: cannot read {path}")


def primary(tag):
    return tag.split(",")[0] if tag and tag != "unknown" else None


def logistic_slope(xs, ys):  # P(y) = sigmoid(a + b x), fitted by Newton's method; returns b
    a = b = 0.0
    for _ in range(30):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys):
            p = 1 / (1 + math.exp(-(a + b * x)))
            w = p * (1 - p)
            ga += y - p
            gb += (y - p) * x
            haa += w
            hab += w * x
            hbb += w * x * x
        det = haa * hbb - hab * hab
        a += (hbb * ga - hab * gb) / det
        b += (haa * gb - hab * ga) / det
    return b


videos = {v["video_id"]: v for v in rows("video_features_basic_pure.csv.zst")}
log = list(rows("log_standard_20220425_20220430.csv.zst"))

# Categories: the 20 primary tags with the most long views in the log.
long_by_tag = collections.Counter(primary(r["tag"]) for r in log if r["long_view"] == "1")
long_by_tag.pop(None, None)
tags = [t for t, _ in long_by_tag.most_common(20)]
index = {t: i for i, t in enumerate(tags)}
video_cat = {vid: index.get(primary(v["tag"])) for vid, v in videos.items()}
in_world = [c for c in video_cat.values() if c is not None]
share = [in_world.count(i) / len(in_world) for i in range(len(tags))]

# Taste profiles from the histories before the log.
profiles = []
for u in rows("user_sequences_before_20220425.csv.zst"):
    counts = [0] * len(tags)
    for vid in u["long_watch_seq"].split():
        c = video_cat.get(vid)
        if c is not None:
            counts[c] += 1
    if sum(counts) >= 10:
        top = max(counts)
        profiles.append([round(n / top, 3) for n in counts])

qualified = len(profiles)
profiles = [profiles[k * qualified // 400] for k in range(min(400, qualified))]

# Activity: views per user in the log, deciles over their mean.
per_user = sorted(collections.Counter(r["user_id"] for r in log).values())
mean = sum(per_user) / len(per_user)
activity = [round(per_user[min(len(per_user) - 1, (2 * k + 1) * len(per_user) // 20)] / mean, 3)
            for k in range(10)]

# Popularity and age: each view's long_view against its video's audience and age.
views = collections.Counter(r["video_id"] for r in log)
long_view = [1 if r["long_view"] == "1" else 0 for r in log]
popularity = logistic_slope([math.log1p(views[r["video_id"]]) for r in log], long_view)
ages, age_long = [], []
for r, y in zip(log, long_view):
    try:
        day = datetime.datetime.strptime(r["date"], "%Y%m%d").date()
        ages.append((day - datetime.date.fromisoformat(r["upload_dt"])).days)
        age_long.append(y)
    except ValueError:
        continue
age_slope = logistic_slope(ages, age_long)
total_long = sum(long_view)

json.dump({
    "source": f"{demo}: KuaiRand-Pure, {len(log)} views of {len(views)} videos by "
              f"{len(per_user)} users, Apr 25-30 2022",
    "categories": [f"kuairand tag {t}" for t in tags],
    "category_share": [round(s, 4) for s in share],
    "long_view_rate": round(total_long / len(log), 4),
    "taste_profiles": profiles,
    "activity": activity,
    "popularity": round(popularity, 4),
    "age_slope_per_day": round(age_slope, 4),
    "age_days_seen": [min(ages), max(ages)],
}, sys.stdout, separators=(",", ":"))
print()
print(f"calibrate_sim: {len(tags)} categories, {len(profiles)} taste profiles of {qualified} "
      f"qualified users, activity deciles "
      f"{activity}, popularity {popularity:.4f} per ln(1 + views), age slope "
      f"{age_slope:.4f} per day over ages {min(ages)}-{max(ages)}", file=sys.stderr)
