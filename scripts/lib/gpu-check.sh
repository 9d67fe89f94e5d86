# Sourced by scripts/gpu-check (and its tests): which libtorch PYTORCH_LIBRARY_PATH holds, whether DJL's JNI can
# match it, and what the surefire reports of tests-gpu say. Functions only; nothing runs on sourcing.

# fpwap_libtorch_identify DIR: prints "VERSION FLAVOUR" of the libtorch in DIR (e.g. "2.11.0 cu130"), read from the
# library's own surroundings: DJL's cache directory name (2.7.1-20250812-cpu-linux-x86_64), a pip wheel's
# torch/version.py, or a libtorch archive's build-version. DIR may hold symbolic links (they are followed).
# Prints nothing when it cannot tell.
fpwap_libtorch_identify() {
  local dir=$1 lib real libdir parent name v="" f="" cuda
  for lib in "$dir/libtorch.so" "$dir/libtorch.dylib"; do [ -e "$lib" ] && break; done
  [ -e "$lib" ] || return 0
  real=$(readlink -f "$lib" 2>/dev/null || echo "$lib")
  libdir=$(dirname "$real"); parent=$(dirname "$libdir"); name=$(basename "$libdir")
  if [[ $name =~ ^([0-9]+\.[0-9]+\.[0-9]+)(-[0-9]{8})?-(cpu|cu[0-9]+)(-precxx11)?- ]]; then
    v=${BASH_REMATCH[1]}; f=${BASH_REMATCH[3]}
  elif [ -f "$parent/version.py" ]; then
    v=$(sed -n "s/^__version__ *= *'\([^']*\)'.*/\1/p" "$parent/version.py" | head -n 1)
    cuda=$(sed -n "s/^cuda[^=]*= *'\([0-9.]*\)'.*/\1/p" "$parent/version.py" | head -n 1)
    if [ -n "$cuda" ]; then f=cu${cuda//./}
    elif grep -qE '^cuda[^=]*= *None' "$parent/version.py"; then f=cpu; fi
  elif [ -f "$parent/build-version" ]; then
    v=$(tr -d ' \n' < "$parent/build-version")
  fi
  [ -n "$v" ] || return 0
  if [ -z "$f" ] && [[ $v == *+* ]]; then f=${v#*+}; fi
  echo "${v%%+*} ${f:-?}"
}

# fpwap_platform: DJL's classifier for this machine (linux-x86_64, linux-aarch64, osx-aarch64).
fpwap_platform() {
  local os arch
  case "$(uname -s)" in Darwin) os=osx ;; *) os=linux ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x86_64 ;; arm64|aarch64) arch=aarch64 ;; *) arch=$(uname -m) ;; esac
  echo "$os-$arch"
}

# fpwap_check_libtorch DIR DJL_VERSION JNI_VERSION [JNI_FLAVOURS]: checks that DJL can load the libtorch in DIR with a
# JNI that matches it, then exports PYTORCH_VERSION and PYTORCH_FLAVOR as the library says (never forcing 2.7.1/cu128).
# JNI_VERSION is the libtorch the pytorch-jni jar was built for (2.7.1), JNI_FLAVOURS the flavours it carries for this
# platform (default "cpu cu128"). On failure prints one message naming what does not match and returns 1.
fpwap_check_libtorch() {
  local dir=$1 djl=$2 jni=$3 flavours=${4:-"cpu cu128"} id v f platform cache candidates c jni_lib=""
  if [ ! -e "$dir/libtorch.so" ] && [ ! -e "$dir/libtorch.dylib" ]; then
    echo "gpu-check: PYTORCH_LIBRARY_PATH=$dir holds no libtorch.so; point it at libtorch's lib directory (for example .../libtorch/lib, or .../site-packages/torch/lib of a pip PyTorch)" >&2
    return 1
  fi
  id=$(fpwap_libtorch_identify "$dir")
  v=${id%% *}; f=${id##* }
  if [ -z "$id" ]; then
    if [ -z "${PYTORCH_VERSION:-}" ] || [ -z "${PYTORCH_FLAVOR:-}" ]; then
      echo "gpu-check: cannot tell which libtorch version $dir holds (no torch/version.py, build-version or DJL cache name beside it); export PYTORCH_VERSION (e.g. 2.7.1) and PYTORCH_FLAVOR (cpu, cu128, ...) to say" >&2
      return 1
    fi
    v=$PYTORCH_VERSION; f=$PYTORCH_FLAVOR
    echo "gpu-check: libtorch version not readable from $dir; trusting PYTORCH_VERSION=$v PYTORCH_FLAVOR=$f"
  else
    if [ "$f" = "?" ]; then
      f=${PYTORCH_FLAVOR:-}
      if [ -z "$f" ]; then
        echo "gpu-check: the libtorch in $dir is $v but its flavour (cpu, cu128, ...) is not written beside it; export PYTORCH_FLAVOR" >&2
        return 1
      fi
    fi
    if [ -n "${PYTORCH_VERSION:-}" ] && [ "$PYTORCH_VERSION" != "$v" ]; then
      echo "gpu-check: PYTORCH_VERSION=$PYTORCH_VERSION, but the libtorch in $dir is $v; unset PYTORCH_VERSION (gpu-check reads it from the library) or set it to $v" >&2
      return 1
    fi
    if [ -n "${PYTORCH_FLAVOR:-}" ] && [ "$PYTORCH_FLAVOR" != "$f" ]; then
      echo "gpu-check: PYTORCH_FLAVOR=$PYTORCH_FLAVOR, but the libtorch in $dir is flavour $f; unset PYTORCH_FLAVOR or set it to $f" >&2
      return 1
    fi
  fi
  platform=$(fpwap_platform)
  cache=${ENGINE_CACHE_DIR:-${DJL_CACHE_DIR:-$HOME/.djl.ai}}/pytorch/$v-$f-$platform
  # DJL 0.35.1 looks for the JNI in this order: the libtorch directory (<djl>-libdjl_torch.so, libdjl_torch.so),
  # its cache, then the pytorch-jni jar (only for the libtorch version and flavours it was built for), then a download.
  candidates=("$dir/$djl-libdjl_torch.so" "$dir/libdjl_torch.so" "$cache/$djl-libdjl_torch.so")
  for c in "${candidates[@]}"; do
    if [ -f "$c" ]; then jni_lib=$c; break; fi
  done
  if [ -n "$jni_lib" ]; then
    echo "gpu-check: libtorch $v ($f) in $dir; DJL's JNI: $jni_lib (it must have been built against this libtorch $v)"
  elif [ "$v" = "$jni" ] && [[ " $flavours " == *" $f "* ]]; then
    echo "gpu-check: libtorch $v ($f) in $dir; DJL's JNI: the one in the pytorch-jni jar (built for $jni: $flavours)"
  else
    echo "gpu-check: DJL $djl's JNI (libdjl_torch.so) in the pytorch-jni jar is built for libtorch $jni ($flavours), but the libtorch in $dir is $v ($f), and no libdjl_torch.so built against it was found (looked for ${candidates[*]}). Build DJL $djl's JNI against this libtorch and put it in $dir as libdjl_torch.so (the offline GPU bundle's run.sh, step b, does this), or point PYTORCH_LIBRARY_PATH at a libtorch $jni (cu128)." >&2
    return 1
  fi
  export PYTORCH_VERSION=$v PYTORCH_FLAVOR=$f
}

# fpwap_jni_flavours JAR PLATFORM: the flavours the pytorch-jni jar carries a JNI for on PLATFORM (e.g. "cpu cu128").
fpwap_jni_flavours() {
  [ -f "$1" ] || return 0
  unzip -l "$1" 2>/dev/null | sed -n "s#.* jnilib/$2/\([^/]*\)/libdjl_torch\.[a-z]*\$#\1#p" | sort -u | paste -sd' ' -
}

# fpwap_skip_messages REPORTS_DIR PATTERN: the distinct skip reasons in tests-gpu's surefire reports matching PATTERN.
# Surefire writes a disabled test as <skipped message="REASON"/> and an aborted one (a failed assumption) as
# <skipped ...><![CDATA[...TestAbortedException: Assumption failed: REASON; both are read.
fpwap_skip_messages() {
  cat "$1"/TEST-org.fpwap.*.xml 2>/dev/null \
    | grep -oE "(skipped message=\"|Assumption failed: )[^\"<]*($2)[^\"<]*" \
    | sed -E 's/^(skipped message="|Assumption failed: )//' | sort -u || true
}
