#!/usr/bin/env bash
# Builds every libFuzzer target in Fuzz/ and runs each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS]     default 30 seconds per target
#
# Each target starts from Fuzz/corpus/<target> (new interesting inputs are added to a scratch copy,
# not to the committed seeds). A crashing input is written to Fuzz/regressions/<target>/, where the
# FuzzRegressionTests target replays it on every `swift test`. Prints executions and crashes per
# target and exits non-zero if any target crashed.
set -u
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-30}"
TARGETS=(FuzzBridgeFrames FuzzXMPPStream FuzzOSCAR FuzzTwilioWebhook FuzzConfig FuzzTimeZone FuzzOperatorCommands)
SCRATCH=.build-fuzz
WORK="$SCRATCH/fuzz-work"
mkdir -p "$SCRATCH"
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

for target in "${TARGETS[@]}"; do
    swift build --scratch-path "$SCRATCH" -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
        --product "$target" >"$SCRATCH/build-$target.log" 2>&1 || {
        echo "fuzz: building $target failed; see $SCRATCH/build-$target.log" >&2
        tail -20 "$SCRATCH/build-$target.log" >&2
        exit 2
    }
done
BIN="$(swift build --scratch-path "$SCRATCH" -c release --show-bin-path)"

total_runs=0
total_crashes=0
for target in "${TARGETS[@]}"; do
    corpus="$WORK/corpus/$target"
    regressions="Fuzz/regressions/$target"
    mkdir -p "$corpus" "$regressions" "$WORK/logs"
    cp -n Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    log="$WORK/logs/$target.log"
    before=$(find "$regressions" -type f | wc -l)
    # -fork keeps fuzzing after a crash, so one run can find several crashes.
    "$BIN/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="$regressions/" -print_final_stats=1 \
        "$corpus" Fuzz/corpus/"$target" >"$log" 2>&1
    status=$?
    after=$(find "$regressions" -type f | wc -l)
    crashes=$((after - before))
    runs=$(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#')
    runs=${runs:-0}
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1
        echo "fuzz: $target exited with status $status; see $log" >&2
    fi
    total_runs=$((total_runs + runs))
    total_crashes=$((total_crashes + crashes))
    echo "fuzz target $target: executions $runs, crashes $crashes"
done
echo "fuzz targets: ${#TARGETS[@]}, executions: $total_runs, crashes: $total_crashes"
[ "$total_crashes" -eq 0 ]
