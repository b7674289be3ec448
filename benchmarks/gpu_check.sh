#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one run: the GPU tests, then the GPU
# benchmarks (each step time-boxed, so one slow step cannot starve the rest).
#
#     bash benchmarks/gpu_check.sh [OUTPUT_DIR]   # logs go to OUTPUT_DIR (default: gpu_check/)
#
# Steps: tests/test_gpu.py and the CUDA cases of the other test files; the
# benchmark table on the GPU (MLPs to 1M rows against sklearn on all CPU cores,
# LogisticRegression, CNN, LSTM, the default networks; every contender may use
# all CPU cores, ours and the bare loops train on the GPU); the CNN and the
# Transformer on the UCR sets of the defaults panel; the whole test suite with
# device='auto' resolving to the GPU.
set -u
out=${1:-gpu_check}
mkdir -p "$out"
python=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
cores=$(nproc)
steps=${STEPS:-gpu_tests mlp linear cnn_lstm default ucr suite}  # a subset: STEPS="gpu_tests ucr"

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
    -W "ignore::DeprecationWarning" tests/test_gpu.py tests/test_linear_model.py tests/test_training_options.py -k "gpu or cuda or GPU"
# The named cases first (the MLP at 1M rows against sklearn on the CPU), so a
# short lease still gets them; each group is its own step with its own time box.
bench() {  # bench STEP SECONDS GROUPS
    TAIL=${TAIL:-20} step "$1" "$2" "$python" benchmarks/run.py --device cuda --no-memory \
        --full --repeat 1 --threads "$cores" --only "$3"
}
bench mlp "${MLP_S:-200}" mlp
bench linear "${LINEAR_S:-120}" linear
bench cnn_lstm "${CNN_LSTM_S:-120}" cnn,lstm
bench default "${DEFAULT_S:-150}" default
TAIL=40 step ucr "${UCR_S:-150}" "$python" benchmarks/defaults.py \
    --only "OSULeaf CNN,ArrowHead CNN,GunPoint Transformer,ArrowHead Transformer,OSULeaf Transformer"
# -v names each failure as it happens, so a run stopped by its time limit still says which.
TAIL=3 step suite "${SUITE_S:-240}" "$python" -m pytest -v -p no:cacheprovider -p no:benchmark \
    -n "$((cores - 2))" --maxfail=40 -W "ignore::DeprecationWarning" tests
[ -f "$out/suite.log" ] && grep -E " (FAILED|ERROR) " "$out/suite.log" | sed 's/^/   /' | head -40
