#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one run: the GPU tests, then the GPU
# benchmarks (each step time-boxed, so one slow step cannot starve the rest).
#
#     bash benchmarks/gpu_check.sh [OUTPUT_DIR]   # logs go to OUTPUT_DIR (default: gpu_check/)
#
# Steps: tests/test_gpu.py and the CUDA cases of the other test files; the MLPs at
# 1M rows against sklearn and the bare loop (mlp1m); the
# benchmark table on the GPU (MLPs at 10k and 100k rows against sklearn on all CPU cores,
# LogisticRegression, CNN, LSTM, the default networks; every contender may use
# all CPU cores, ours and the bare loops train on the GPU); the CNN and the
# Transformer on the UCR sets of the defaults panel; associative recall at the
# literature's scale (recall); the whole test suite with
# device='auto' resolving to the GPU.
set -u
out=${1:-gpu_check}
mkdir -p "$out"
python=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
cores=$(nproc)
steps=${STEPS:-gpu_tests mlp1m mlp linear cnn_lstm default ucr recall suite}  # a subset: STEPS="gpu_tests ucr"

step() {  # step NAME SECONDS COMMAND...: run COMMAND with a time limit, log to OUTPUT_DIR/NAME.log
    local name=$1 seconds=$2
    shift 2
    case " $steps " in *" $name "*) ;; *) return ;; esac
    echo "== $name (limit ${seconds}s): $*"
    local start=$SECONDS
    timeout "$seconds" "$@" >"$out/$name.log" 2>&1
    echo "   exit $? after $((SECONDS - start))s; last lines:"
    tail -n "${TAIL:-4}" "$out/$name.log" | sed 's/^/   /'
}

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$python" -c "import torch, sklearn, skorch, numpy; print('torch', torch.__version__, '| cuda', torch.cuda.is_available(), '| sklearn', sklearn.__version__, '| skorch', skorch.__version__, '| numpy', numpy.__version__)"
  echo "cores $cores"; } 2>&1 | tee "$out/env.log"

TAIL=8 step gpu_tests "${GPU_TESTS_S:-150}" "$python" -m pytest -q -p no:cacheprovider -p no:benchmark -n 4 \
    -W "ignore::DeprecationWarning" tests/test_gpu.py tests/test_linear_model.py tests/test_training_options.py \
    tests/test_persistence.py tests/test_persistence_fuzz.py tests/test_bad_input.py tests/test_training_lean.py \
    tests/test_reliability.py tests/test_mlp.py -k "gpu or cuda or GPU"
# The named case first: the MLPs at 1M rows against sklearn on all CPU cores and
# the bare loop, skorch left out (on an H200 with 16 cores: about 40 s ours, 45 s the bare
# loop, 105 s sklearn, 110 s skorch per 1M-row fit, so all four and both MLPs pass
# 300 s). Each fit's time is logged as it ends. Then each group in its own time box.
bench() {  # bench STEP SECONDS GROUPS [run.py options]
    local name=$1 seconds=$2 groups=$3
    shift 3
    TAIL=${TAIL:-20} step "$name" "$seconds" "$python" benchmarks/run.py --device cuda --no-memory \
        --full --repeat 1 --threads "$cores" --only "$groups" "$@"
}
bench mlp1m "${MLP1M_S:-420}" mlp --sizes 1M --contenders sklearn,bare
bench mlp "${MLP_S:-200}" mlp --sizes 10k,100k
bench linear "${LINEAR_S:-120}" linear
bench cnn_lstm "${CNN_LSTM_S:-120}" cnn,lstm
bench default "${DEFAULT_S:-150}" default
TAIL=40 step ucr "${UCR_S:-150}" "$python" benchmarks/defaults.py \
    --only "OSULeaf CNN,ArrowHead CNN,GunPoint Transformer,ArrowHead Transformer,OSULeaf Transformer"
# Associative recall at the literature's scale (100,000 training sequences): one
# process a model and seed, all at once on the GPU, each time-boxed and logging each
# epoch (recall_MODEL_SEED.log). Measured so far on an H200: the Transformer's seeds 0
# and 1, the LSTM's seed 0; RECALL_RUNS names the fits still to measure.
export RECALL_RUNS=${RECALL_RUNS:-Transformer:2 LSTM:1 LSTM:2} RECALL_S=${RECALL_S:-480} \
    RECALL_PYTHON=$python RECALL_OUT=$out
TAIL=20 step recall "$((RECALL_S + 30))" bash -c 'for run in $RECALL_RUNS; do
        timeout "$RECALL_S" "$RECALL_PYTHON" benchmarks/recall_scale.py --model "${run%:*}" \
            --seed "${run#*:}" >"$RECALL_OUT/recall_${run%:*}_${run#*:}.log" 2>&1 &
    done; wait; tail -qn 1 "$RECALL_OUT"/recall_*_*.log'
# -v names each failure as it happens, so a run stopped by its time limit still says which.
TAIL=3 step suite "${SUITE_S:-240}" "$python" -m pytest -v -p no:cacheprovider -p no:benchmark \
    -n "$((cores - 2))" --maxfail=40 -W "ignore::DeprecationWarning" tests
[ -f "$out/suite.log" ] && grep -E " (FAILED|ERROR) " "$out/suite.log" | sed 's/^/   /' | head -40
