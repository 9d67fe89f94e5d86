#!/usr/bin/env bash
# Peak RSS of `scripts/fpwap extract` against the number of prompts, on one small model, with the default
# launcher (nothing but the launcher's own flags). Run through `scripts/bench rss [COUNTS]`, e.g.
#   scripts/bench rss 500,5000,50000
# Prints one line per count (peak RSS from /usr/bin/time, wall time) and the ratio to the smallest count;
# writes the table to fpwap-bench/results/rss-<date>.txt. The model: Llama, 3 layers, H=48 (the shape in
# issue 12); prompts: 4-32 random token ids. Extra extract options may follow the counts, e.g. --pool all.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
counts="${1:-500,5000,50000}"
shift || true
extra=("$@")
work="${FPWAP_BENCH_MODELS:-/tmp/fpwap-bench-models}/rss"
out_dir="${FPWAP_BENCH_OUT:-$root/fpwap-bench/results}"
mkdir -p "$work" "$out_dir"
[ -x /usr/bin/time ] || { echo "bench rss: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

# Build first (the launcher rebuilds stale sources), so that no Maven run is inside a measurement.
"$root/scripts/fpwap" --version >/dev/null
model="$work/llama-h48-l3"
if [ ! -f "$model/config.json" ]; then
  "$root/scripts/fpwap" make-model --family llama --hidden 48 --heads 4 --layers 3 --vocab 128 --out "$model" >/dev/null
fi

report="$out_dir/rss-$(date +%Y%m%d-%H%M).txt"
{
  echo "peak RSS of scripts/fpwap extract (default launcher), llama H=48 3 layers, ${extra[*]:-default options}"
  printf '%10s %12s %10s %8s %11s\n' prompts peak_rss_MB wall_s ratio microbatch
} | tee "$report"
first=""
IFS=',' read -r -a ns <<< "$counts"
for n in "${ns[@]}"; do
  input="$work/prompts-$n.jsonl"
  if [ ! -f "$input" ]; then
    awk -v n="$n" 'BEGIN { srand(12); for (i = 0; i < n; i++) { len = 4 + int(rand() * 29); line = "{\"input_ids\": [";
      for (j = 0; j < len; j++) { line = line (j ? ", " : "") int(rand() * 128) } print line "]}" } }' > "$input"
  fi
  out="$work/out-$n"
  rm -rf "$out"
  log="$work/time-$n.log"
  /usr/bin/time -v "$root/scripts/fpwap" extract --quiet --model "$model" --input "$input" --out "$out" "${extra[@]}" 2> "$log" \
    || { cat "$log" >&2; exit 1; }
  kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$log")
  wall=$(sed -n 's/^\s*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  mb=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
  [ -z "$first" ] && first="$kb"
  ratio=$(awk -v k="$kb" -v f="$first" 'BEGIN { printf "%.2f", k / f }')
  chosen=$(grep -o '"chosen_samples": *[0-9]*' "$out/profile.json" | grep -o '[0-9]*$' || echo "?")
  printf '%10s %12s %10s %8s %11s\n' "$n" "$mb" "$wall" "$ratio" "$chosen" | tee -a "$report"
  rm -rf "$out"
done
echo "written to $report"
