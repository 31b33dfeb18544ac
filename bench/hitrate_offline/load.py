import csv, io, subprocess, numpy as np
def load(path):
    p = subprocess.run(['zstdcat', path], capture_output=True, text=True).stdout
    r = csv.DictReader(io.StringIO(p))
    rows = [(int(d['user_id']), int(d['video_id']), int(d['time_ms']), int(d['long_view']), int(d['is_click']), int(d['is_like']), int(d['is_follow']), int(d['is_comment']), int(d['is_forward']), int(d['is_rand']), int(d['tab']), int(d['author_id']) if d['author_id'] not in ('','unknown') else -1, int(d['date'])) for d in r]
    return np.array(rows, dtype=np.int64)
