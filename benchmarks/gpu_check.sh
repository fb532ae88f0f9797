#!/usr/bin/env bash
# The GPU check: CuPy, torch CUDA and JAX CUDA tests, the GPU benchmark (with the
# ratio of CuPy's declared softshrink kernel to the generic code) and batched
# sparse coding of 1e5 signals on the GPU against scikit-learn on the CPU, in one go,
# on a machine with one NVIDIA GPU. Results (logs, results.json, ratios.png) go to
# $OUT, or to ./gpu-results. Budget: under 8 minutes.
#
# A machine without network access installs from wheels in .whl/ (download them
# beforehand with `pip download --only-binary=:all: -d .whl cupy-cuda12x "jax[cuda12]" torch
# scikit-learn`
# for the GPU machine's Python); elsewhere pip fetches them.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1

if [ -d .whl ]; then
  python3 -m pip install -q --no-index --find-links .whl --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
else
  python3 -m pip install -q cupy-cuda12x "jax[cuda12]" torch
fi
python3 -m pip install -q . pytest hypothesis array-api-extra numpy matplotlib scikit-learn \
  2>&1 | tail -2

status=0
for backend in cupy torch jax; do
  ARRAYSHRINK_BACKENDS=$backend timeout 150 python3 -m pytest -q -x tests \
    > "$out/tests-$backend.log" 2>&1 || status=1
  tail -n 3 "$out/tests-$backend.log"
done
timeout 150 python3 benchmarks/bench.py --device gpu --backends cupy,torch,jax \
  --min-size 1e4 --max-size 1e8 --dtypes float32 --rounds 5 --out "$out" \
  > "$out/bench.txt" 2>&1 || status=1
tail -n 30 "$out/bench.txt"
# The measurement that decides whether dispatch takes CuPy's declared kernel
# (dispatched=False in arrayshrink/_backends/_profiles.py until it shows it faster).
grep -A 12 "^cupy kernel / generic" "$out/bench.txt" || echo "no CuPy kernel measurement"
timeout 120 python3 benchmarks/bench_solvers.py --gpu --signals 100000 --repeats 2 \
  > "$out/bench-solvers.txt" 2>&1 || status=1
cat "$out/bench-solvers.txt"
exit $status
