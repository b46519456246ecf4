# program:python3 (stalloc-bench run): python3 with PYTHONMALLOC=malloc, so
# every object allocation reaches malloc. Builds dicts of strings, joins,
# splits and formats text, sorts, serialises to JSON and back, and drops most
# of it again, five rounds: the churn of a typical scripting workload.
import json

total = 0
for round_ in range(5):
    words = [f"word{i:05d}-{'x' * ((i + round_) % 17)}" for i in range(40000)]
    index = {}
    for i, w in enumerate(words):
        index.setdefault(w[:6], []).append(i)
    counts = {}
    for token in " ".join(words).split(" "):
        key = token.rsplit("-", 1)[0]
        counts[key] = counts.get(key, 0) + len(token)
    records = [{"id": i, "name": words[i], "tags": [words[(i * 7) % len(words)]] * (i % 4)}
               for i in range(0, len(words), 3)]
    back = json.loads(json.dumps(records))
    assert len(back) == len(records)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    total += len("\n".join(f"{k:>12} {v:8d}" for k, v in top)) + len(index)
    del records, back, index, words
print(total)
