#!/usr/bin/env bash
# The README's "Scaling out" table: the same sweep on Spark local[1] (1 partition) and local[2] (2 partitions),
# alternating, twice each. Makes its own random model and prompts under ${1:-/tmp/fpwap-spark-scaling}.
# Prints the wall time (JVM and Spark start included) and fpwap-spark's own line (driver time, tok/s).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-/tmp/fpwap-spark-scaling}
mkdir -p "$dir"
[ -f "$dir/model/config.json" ] || "$root/scripts/fpwap" make-model --family llama --hidden 512 --heads 8 --layers 8 \
  --vocab 1000 --max-positions 256 --out "$dir/model"
python3 - "$dir/prompts.jsonl" <<'PY'
import json, random, sys
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    for i in range(500):
        f.write(json.dumps({"input_ids": [r.randrange(1000) for _ in range(r.randint(24, 72))], "label": i % 2}) + "\n")
PY
common=(--model "$dir/model" --input "$dir/prompts.jsonl" --layers 1,3 --pca 8 --diff-of-means)
for cfg in "local[2] 2" "local[1] 1" "local[2] 2" "local[1] 1"; do
  set -- $cfg
  rm -rf "$dir/out"
  start=$(date +%s.%N)
  line=$("$root/scripts/fpwap-spark" --spark "$1" --partitions "$2" "${common[@]}" --out "$dir/out" 2>/dev/null | grep '^fpwap-spark:')
  end=$(date +%s.%N)
  echo "$1 wall=$(echo "$end - $start" | bc) s load=$(cut -d' ' -f1 /proc/loadavg) :: $line"
done
