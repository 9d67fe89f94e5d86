# Sourced by scripts/fpwap: the launcher's memory flags (SPEC.md, "Resident memory").
#
# Without -Xmx the JVM sizes its heap from the machine (a quarter of RAM) and grows it with the allocation
# rate, so the resident set grows with the number of prompts although the live data does not. The heap only
# holds per-microbatch host copies (the block output and emitted activations, at most a few copies of one
# microbatch's token slots × H floats), the dataset's lengths and labels, and fixed overhead; so it is sized
# from the model's width and the largest automatic microbatch (8,192 token slots), which preflight checks
# against the plan. glibc gives every thread that calls malloc its own arena (up to 8 × cores), and
# libtorch's per-thread allocations then fragment across them; two arenas (and the sweep's malloc_trim) bound
# that growth.
# A Hugging Face id (--model ORG/NAME, --revision REV) is looked up in the local hub cache as ModelLocator does;
# when no config.json is found the heap gets a fixed FPWAP_HEAP_FALLBACK_MB rather than the machine's quarter.
# FPWAP_JAVA_OPTS (e.g. -Xmx4g) still wins: it comes later on the command line.

FPWAP_HEAP_BASE_MB=192
FPWAP_AUTO_MAX_SLOTS=8192
FPWAP_HEAP_SLOT_COPIES=12
FPWAP_HEAP_FALLBACK_MB=2048

fpwap_expand_home() { # a leading ~ or ~/ as HubEnvironment expands it
  case "$1" in
    "~") printf '%s\n' "$HOME" ;;
    "~/"*) printf '%s\n' "$HOME/${1#\~/}" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

fpwap_hub_snapshot() { # ID REVISION: the cached snapshot directory ModelLocator would read, or nothing
  local id="$1" revision="${2:-main}" cache commit
  if [ -n "${HF_HUB_CACHE:-}" ]; then cache=$(fpwap_expand_home "$HF_HUB_CACHE")
  elif [ -n "${HUGGINGFACE_HUB_CACHE:-}" ]; then cache=$(fpwap_expand_home "$HUGGINGFACE_HUB_CACHE")
  elif [ -n "${HF_HOME:-}" ]; then cache="$(fpwap_expand_home "$HF_HOME")/hub"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then cache="$(fpwap_expand_home "$XDG_CACHE_HOME")/huggingface/hub"
  else cache="$HOME/.cache/huggingface/hub"
  fi
  local repo="$cache/models--${id//\//--}"
  if [[ "$revision" =~ ^[0-9a-f]{40}$ ]]; then
    commit="$revision"
  elif [ -f "$repo/refs/$revision" ]; then
    commit=$(tr -d '[:space:]' < "$repo/refs/$revision")
  else
    return 0
  fi
  if [ -n "$commit" ]; then printf '%s\n' "$repo/snapshots/$commit"; fi
}

fpwap_memory_flags() { # sets FPWAP_MEMORY_FLAGS from the command line's --model
  local model="" revision="" prev="" arg hidden="" heap_mb dir=""
  for arg in "$@"; do
    case "$arg" in
      --model=*) model="${arg#--model=}" ;;
      --revision=*) revision="${arg#--revision=}" ;;
      *) if [ "$prev" = "--model" ]; then model="$arg"; elif [ "$prev" = "--revision" ]; then revision="$arg"; fi ;;
    esac
    prev="$arg"
  done
  # A directory wins over an id of the same spelling, as in ModelLocator.
  if [ -n "$model" ] && [ -d "$model" ]; then
    dir="$model"
  elif [[ "$model" == */* ]]; then
    dir=$(fpwap_hub_snapshot "$model" "$revision")
  fi
  if [ -n "$dir" ] && [ -f "$dir/config.json" ]; then
    hidden=$(grep -oE '"(hidden_size|n_embd)"[[:space:]]*:[[:space:]]*[0-9]+' "$dir/config.json" | head -n 1 | grep -oE '[0-9]+$' || true)
  fi
  FPWAP_MEMORY_FLAGS=()
  if [ -n "$hidden" ]; then
    heap_mb=$(( FPWAP_HEAP_BASE_MB + (FPWAP_HEAP_SLOT_COPIES * FPWAP_AUTO_MAX_SLOTS * hidden * 4 + 1048575) / 1048576 ))
    FPWAP_MEMORY_FLAGS+=("-Xmx${heap_mb}m")
  else
    FPWAP_MEMORY_FLAGS+=("-Xmx${FPWAP_HEAP_FALLBACK_MB}m")
  fi
  # The live heap is a few MB (NMT/GC.heap_info at 50,000 prompts: 6.5 MB tenured): a small young generation
  # keeps the part that every collection cycle touches small, whatever the run's length.
  FPWAP_MEMORY_FLAGS+=(-XX:+UseSerialGC -Xms32m -Xmn24m)
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  # No fixed MALLOC_MMAP_THRESHOLD_: a small one makes every tensor a fresh, zero-filled mapping (12 s of system
  # time in a 16 s run); the fragmentation a large one allows is handed back by the sweep's periodic malloc_trim.
}
