# Recorded by scripts/record-traces (python3 with PYTHONMALLOC=malloc, so
# every object allocation reaches malloc): builds dicts of strings, joins,
# splits and formats text, sorts, and drops most of it again - the churn of
# a typical scripting workload.
import json

words = [f"word{i:05d}-{'x' * (i % 17)}" for i in range(20000)]
index = {}
for i, w in enumerate(words):
    index.setdefault(w[:6], []).append(i)

counts = {}
text = " ".join(words)
for token in text.split(" "):
    key = token.rsplit("-", 1)[0]
    counts[key] = counts.get(key, 0) + len(token)

records = [{"id": i, "name": words[i], "tags": [words[(i * 7) % len(words)]] * (i % 4)}
           for i in range(0, len(words), 3)]
blob = json.dumps(records)
back = json.loads(blob)
assert len(back) == len(records)

top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
report = "\n".join(f"{k:>12} {v:8d}" for k, v in top)
del records, back, blob, index
print(len(report), len(counts))
