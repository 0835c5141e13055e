#!/usr/bin/env bash
# Compare adfpg-migrate with the least work a correct lint does (examples/lint_floor: the same walker,
# every *.json read, each file naming a connector validated with serde_json) and with ripgrep (the cost
# of reading every byte) on generated factories, `--fix` with the least durable atomic write of the same
# files (examples/write_floor), and `plan` with the lint on copies of the real factories side by side;
# print one table of ratios against the performance targets per profile, and the plan scaling table.
# Usage:
#
#   bench/compare.sh                 # 1k, 10k and 100k files, both profiles (about 6 minutes; 3.4 GB of
#                                    # scratch for 100k)
#   bench/compare.sh --skip-100k     # 1k and 10k only
#   bench/compare.sh --profile dense # only the factory built around PostgreSQL (sparse: only the other)
#   bench/compare.sh --runs 20 --dir /var/tmp/adfpg-bench --no-cold
#   bench/compare.sh --no-plan       # without the plan scaling table (1 to 50 copies of fixtures/real)
#
# Profiles (examples/gen_corpus --profile): sparse, the connector here and there (10% of the pipelines,
# so the prefilter does most of the work); dense, a factory built around PostgreSQL (90% of the
# pipelines, with copies, lookups and scripts on it, and 60% of the datasets). One table per profile.
# Needs: cargo; ripgrep, hyperfine and GNU time (installed with apt-get when missing and run as root).
# Factories are generated once per generator version under --dir (default $CARGO_TARGET_DIR/adfpg-bench,
# else target/adfpg-bench) and reused.
# Timings are wall-clock medians of --runs warm runs (hyperfine, no shell); the ratios are what count:
# on a shared machine absolute times drift with the load, which the script prints before and after.
set -euo pipefail
export LC_ALL=C

RUNS=10
DIR=${ADFPG_BENCH_DIR:-}
SIZES=(1000 10000 100000)
COLD=1
PROFILES=(sparse dense)
PLAN=1
while [ $# -gt 0 ]; do
    case "$1" in
        --skip-100k) SIZES=(1000 10000) ;;
        --runs) RUNS=$2; shift ;;
        --dir) DIR=$2; shift ;;
        --no-cold) COLD=0 ;;
        --no-plan) PLAN=0 ;;
        --profile)
            case "$2" in
                both) PROFILES=(sparse dense) ;;
                sparse|dense) PROFILES=("$2") ;;
                *) echo "--profile takes dense, sparse or both" >&2; exit 2 ;;
            esac
            shift ;;
        -h|--help) sed -n "2,26p" "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
BIN=$TARGET/release/adfpg-migrate
# not under /tmp by default: test suites create and delete files there all the time, and fresh deletions
# slow down ext4's allocation of new inodes nearby (which --fix needs) for minutes
DIR=${DIR:-$TARGET/adfpg-bench}
GEN=$TARGET/release/examples/gen_corpus
FLOOR=$TARGET/release/examples/write_floor
LFLOOR=$TARGET/release/examples/lint_floor
say() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "missing: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
        exit 2
    fi
    say "installing ${missing[*]} …"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# ---------------------------------------------------------------- build and generate
say "building (release) …"
(cd "$REPO" && cargo build --release --quiet --bin adfpg-migrate --example gen_corpus --example write_floor --example lint_floor)
STAMP=$(cat "$REPO/examples/gen_corpus/"*.rs | sha256sum | cut -c1-16)
mkdir -p "$DIR"

# gen NAME ARGS…: a factory under $DIR/NAME, regenerated only when the generator changed
gen() {
    local name=$1; shift
    local d=$DIR/$name
    if [ "$(cat "$d.stamp" 2>/dev/null)" != "$STAMP $*" ]; then
        rm -rf "$d" "$d.stamp"
        say "generating $name …"
        "$GEN" --seed 1 --out "$d" "$@" >&2
        sync
        echo "$STAMP $*" > "$d.stamp"
    fi
    echo "$d"
}

# ---------------------------------------------------------------- helpers
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# time_v CMD…: "peak_rss_kb cpu_percent" of one run (GNU time -v)
time_v() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '
        /Maximum resident set size/ { rss = $2 }
        /Percent of CPU this job got/ { cpu = $2; sub(/%/, "", cpu) }
        END { print rss, cpu }'
}

# wall CMD…: wall seconds of one run
wall() {
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || true
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure PROFILE: every measurement on that profile's factories, then its table on stdout
measure() {
    local profile=$1 PFX PARGS rss100=""
    # the sparse trees keep the names (and bytes) they had before the dense profile existed
    case "$profile" in
        sparse) PFX=f; PARGS=() ;;
        dense) PFX=dense; PARGS=(--profile dense) ;;
    esac
    LOAD_BEFORE=$(load)
    say "$profile profile; machine: $(nproc) cores, load $LOAD_BEFORE; $RUNS runs per measurement"

    # ---------------------------------------------------------------- lint vs rg, RSS, CPU
    declare -A LINT RG LF RSS CPU CPUMAX RGCPU RGCPUMAX BYTES LINTCPU RGCPUT DIRS
    cmds=()
    for n in "${SIZES[@]}"; do
        d=$(gen "$PFX$n" --files "$n" "${PARGS[@]}")
        DIRS[$n]=$d
        BYTES[$n]=$(du -sb --exclude=.git "$d" | cut -f1)
        cmds+=("rg -c PostgreS $d" "$BIN --check --output-format concise $d" "$LFLOOR $d")
    done
    say "lint vs floor and rg: warming the page cache, then $RUNS rounds of every command (interleaved, so that a"
    say "change in the machine's load hits every size alike) …"
    for c in "${cmds[@]}"; do $c >/dev/null 2>&1 || true; $c >/dev/null 2>&1 || true; done
    samples=$(mktemp)
    for _ in $(seq "$RUNS"); do
        csv=$(mktemp)
        hyperfine -N -i --style none -w 0 -r 1 --export-csv "$csv" "${cmds[@]}" >/dev/null 2>&1
        # command,mean,stddev,median,user,system,min,max → index, wall, user+system
        tail -n +2 "$csv" | awk -F, '{ print NR, $(NF-4), $(NF-3) + $(NF-2) }' >> "$samples"
        rm -f "$csv"
    done
    # med_of INDEX FIELD: median of one command's samples (field 2 = wall, 3 = CPU time)
    med_of() { awk -v i="$1" -v f="$2" '$1 == i { print $f }' "$samples" | median; }
    k=0
    for n in "${SIZES[@]}"; do
        RG[$n]=$(med_of $((k + 1)) 2); RGCPUT[$n]=$(med_of $((k + 1)) 3)
        LINT[$n]=$(med_of $((k + 2)) 2); LINTCPU[$n]=$(med_of $((k + 2)) 3)
        LF[$n]=$(med_of $((k + 3)) 2)
        k=$((k + 3))
    done
    rm -f "$samples"
    for n in "${SIZES[@]}"; do
        d=${DIRS[$n]}
        say "peak RSS and CPU share, $n files …"
        # the median and the best CPU share of 5 runs (the best: when other work left both cores free), the
        # largest RSS
        rss=0; cpus=(); rgcpus=()
        for _ in 1 2 3 4 5; do
            read -r r c < <(time_v "$BIN" --check --output-format concise "$d")
            [ "$r" -gt "$rss" ] && rss=$r
            cpus+=("$c")
            read -r _ c < <(time_v rg -c PostgreS "$d")
            rgcpus+=("$c")
        done
        RSS[$n]=$rss
        CPU[$n]=$(printf '%s\n' "${cpus[@]}" | median)
        CPUMAX[$n]=$(printf '%s\n' "${cpus[@]}" | sort -g | tail -1)
        RGCPU[$n]=$(printf '%s\n' "${rgcpus[@]}" | median)
        RGCPUMAX[$n]=$(printf '%s\n' "${rgcpus[@]}" | sort -g | tail -1)
    done

    # ---------------------------------------------------------------- fix vs lint, 2,000 1.0 linked services
    say "fix of 2,000 1.0 linked services vs lint of the same tree …"
    FIXBASE=$(gen "${PFX}fix10k" --files 10000 --v1-linked-services 2000 "${PARGS[@]}")
    FIXRUNS=$DIR/fix-runs
    rm -rf "$FIXRUNS"
    mkdir -p "$FIXRUNS"
    # copies, all made before any run, so that no deletion happens between runs (not hard links: --fix
    # refuses to replace a file with several links, ADFPG105, and would change nothing). (An ext4
    # without a journal, like the development VM's, avoids reusing inodes deleted in the last 1-6 minutes and scans past them: creating files near fresh
    # deletions is slow. So the copies are deleted only at the end, and two runs of this script within a
    # few minutes of each other inflate the second one's --fix time there.)
    for i in $(seq "$RUNS"); do cp -a "$FIXBASE" "$FIXRUNS/$i"; done
    FLOORRUNS=5
    for i in $(seq "$FLOORRUNS"); do cp -a "$FIXBASE" "$FIXRUNS/tool$i"; cp -a "$FIXBASE" "$FIXRUNS/minimal$i"; done
    sync
    # each copy is read just before its run, so that --fix, like the lint beside it, starts from the page
    # cache: a copy written minutes earlier may be out of it (the development VM's kernel pages out file
    # pages idle for a minute: DAMON's pageout scheme)
    warm() { rg -uuu -c PostgreS "$1" >/dev/null 2>&1 || true; }
    "$BIN" --check --output-format concise "$FIXBASE" >/dev/null 2>&1 || true
    fix_times=(); lint_times=()
    for i in $(seq "$RUNS"); do
        lint_times+=("$(wall "$BIN" --check --output-format concise "$FIXBASE")")
        warm "$FIXRUNS/$i"
        fix_times+=("$(wall "$BIN" --fix --unsafe-fixes --output-format concise "$FIXRUNS/$i")")
    done
    FIX=$(printf '%s\n' "${fix_times[@]}" | median)
    FIX_LINT=$(printf '%s\n' "${lint_times[@]}" | median)
    # the write stage alone on the same files with the same bytes (examples/write_floor): the tool's batch
    # write, and the least any durable atomic replacement does (temp file, write, fsync, rename)
    tool_times=(); minimal_times=()
    for i in $(seq "$FLOORRUNS"); do
        warm "$FIXRUNS/tool$i"
        tool_times+=("$("$FLOOR" tool "$FIXRUNS/1" "$FIXRUNS/tool$i" | cut -d' ' -f2)")
        warm "$FIXRUNS/minimal$i"
        minimal_times+=("$("$FLOOR" minimal "$FIXRUNS/1" "$FIXRUNS/minimal$i" | cut -d' ' -f2)")
    done
    WRITE_TOOL=$(printf '%s\n' "${tool_times[@]}" | median)
    WRITE_MIN=$(printf '%s\n' "${minimal_times[@]}" | median)
    # one more run on a fresh copy, for its summary line and its peak RSS
    cp -a "$FIXBASE" "$FIXRUNS/extra"
    CHANGED=$({ "$BIN" --fix --unsafe-fixes --output-format concise "$FIXRUNS/extra" 2>/dev/null || true; } | grep -o 'Fixed [0-9]* files' || echo "Fixed 0 files")
    rm -rf "$FIXRUNS/extra"
    cp -a "$FIXBASE" "$FIXRUNS/extra"
    read -r FIX_RSS _ < <(time_v "$BIN" --fix --unsafe-fixes --output-format concise "$FIXRUNS/extra")
    rm -rf "$FIXRUNS"

    # ---------------------------------------------------------------- cold vs warm
    COLD_NOTE=""
    if [ "$COLD" = 1 ] && [ "$(id -u)" -eq 0 ] && { echo 1 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
        d=${DIRS[10000]:-$DIR/${PFX}10000}
        say "cold vs warm, 10000 files (dropping the page cache before each run) …"
        cold=(); rgcold=()
        for _ in 1 2 3; do
            sync; echo 3 > /proc/sys/vm/drop_caches
            cold+=("$(wall "$BIN" --check --output-format concise "$d")")
            sync; echo 3 > /proc/sys/vm/drop_caches
            rgcold+=("$(wall rg -c PostgreS "$d")")
        done
        COLD_LINT=$(printf '%s\n' "${cold[@]}" | median)
        COLD_RG=$(printf '%s\n' "${rgcold[@]}" | median)
        # warm the cache again for whoever runs next
        rg -c PostgreS "$d" >/dev/null || true
    else
        COLD_NOTE="not measured: dropping the page cache needs root (sync; echo 3 > /proc/sys/vm/drop_caches)"
        [ "$COLD" = 0 ] && COLD_NOTE="not measured (--no-cold)"
    fi

    LOAD_AFTER=$(load)

    # ---------------------------------------------------------------- table
    yes_no() { if "$@"; then echo "yes"; else echo "**no**"; fi; }
    # at SIZE LABEL VALUE TARGET MET: a row with VALUE in the SIZE column only
    at() {
        printf '| %s |' "$2"
        for n in "${SIZES[@]}"; do if [ "$n" = "$1" ]; then printf ' %s |' "$3"; else printf ' |'; fi; done
        echo " $4 | $5 |"
    }
    last=${SIZES[-1]}
    echo
    echo "adfpg-migrate $("$BIN" --version | cut -d' ' -f2), $profile profile, $(nproc) cores, load $LOAD_BEFORE → $LOAD_AFTER, median of $RUNS warm runs"
    echo
    printf '| measurement |'; for n in "${SIZES[@]}"; do printf ' %s files |' "$n"; done; echo ' target | met |'
    printf '| --- |'; for _ in "${SIZES[@]}"; do printf ' --- |'; done; echo ' --- | --- |'
    printf '| tree size (MB, without .git) |'; for n in "${SIZES[@]}"; do printf ' %s |' "$(awk -v b="${BYTES[$n]}" 'BEGIN { printf "%.0f", b / 1e6 }')"; done; echo ' | |'
    printf '| floor: walk, read, validate with serde_json (ms) |'; for n in "${SIZES[@]}"; do printf ' %s |' "$(ms "${LF[$n]}")"; done; echo ' | |'
    printf '| `rg -c PostgreS` (ms) |'; for n in "${SIZES[@]}"; do printf ' %s |' "$(ms "${RG[$n]}")"; done; echo ' | |'
    printf '| `adfpg-migrate --check` (ms) |'; for n in "${SIZES[@]}"; do printf ' %s |' "$(ms "${LINT[$n]}")"; done; echo ' | |'
    met=yes
    printf '| **lint ÷ floor** |'
    for n in "${SIZES[@]}"; do
        r=$(ratio "${LINT[$n]}" "${LF[$n]}")
        printf ' **%s×** |' "$r"
        if [ "$n" -ge 10000 ] && ! le "$r" 1.3; then met="**no**"; fi
    done
    echo " ≤ 1.3× at 10k and 100k | $met |"
    printf '| lint ÷ rg |'
    for n in "${SIZES[@]}"; do printf ' %s× |' "$(ratio "${LINT[$n]}" "${RG[$n]}")"; done
    echo " report | — |"
    if [ -n "${LINT[100000]:-}" ]; then
        s=$(ratio "${LINT[100000]}" "${LINT[10000]}")
        srg=$(ratio "${RG[100000]}" "${RG[10000]}")
        at 100000 "**lint 100k ÷ lint 10k**, wall time (rg: ${srg}×)" "**${s}×**" "≤ 11×" "$(yes_no le "$s" 11)"
        sc=$(ratio "${LINTCPU[100000]}" "${LINTCPU[10000]}")
        scrg=$(ratio "${RGCPUT[100000]}" "${RGCPUT[10000]}")
        at 100000 "lint 100k ÷ lint 10k, CPU time user+sys (rg: ${scrg}×)" "${sc}×" "(same, as CPU cost)" "$(yes_no le "$sc" 11)"
        rss100=$(awk -v k="${RSS[100000]}" 'BEGIN { printf "%.1f", k / 1024 }')
    fi
    printf '| peak RSS of lint (MB) |'; for n in "${SIZES[@]}"; do printf ' %s |' "$(awk -v k="${RSS[$n]}" 'BEGIN { printf "%.1f", k / 1024 }')"; done
    if [ -n "${rss100:-}" ]; then echo " < 64 MB at 100k | $(yes_no le "$rss100" 63.99) |"; else echo ' < 64 MB at 100k | (100k skipped) |'; fi
    printf '| CPU share of lint, median / best of 5 (rg) |'; for n in "${SIZES[@]}"; do printf ' %s%% / %s%% (%s%% / %s%%) |' "${CPU[$n]}" "${CPUMAX[$n]}" "${RGCPU[$n]}" "${RGCPUMAX[$n]}"; done
    echo " both cores busy: best ≥ 150% at ${last} | $(yes_no le 150 "${CPUMAX[$last]}") |"
    fr=$(ratio "$FIX" "$FIX_LINT")
    at 10000 "**fix ÷ lint**, 10k files with 2,000 1.0 linked services ($(ms "$FIX") ms ÷ $(ms "$FIX_LINT") ms; ${CHANGED#Fixed } changed; peak RSS $(awk -v k="$FIX_RSS" 'BEGIN { printf "%.1f", k / 1024 }') MB)" "**${fr}×**" "≤ 3×" "$(yes_no le "$fr" 3)"
    at 10000 "of which the write stage alone ÷ lint ($(ms "$WRITE_TOOL") ms); the least durable atomic write of the same files ÷ lint ($(ms "$WRITE_MIN") ms)" "$(ratio "$WRITE_TOOL" "$FIX_LINT")×; $(ratio "$WRITE_MIN" "$FIX_LINT")×" "report" "—"
    lw=$(awk -v a="$FIX_LINT" -v b="$WRITE_MIN" 'BEGIN { printf "%.6f", a + b }')
    fw=$(ratio "$FIX" "$lw")
    at 10000 "**fix ÷ (lint + least durable atomic write)** ($(ms "$FIX") ms ÷ $(ms "$lw") ms)" "**${fw}×**" "≤ 1.2×" "$(yes_no le "$fw" 1.2)"
    if [ -z "$COLD_NOTE" ]; then
        at 10000 "cold ÷ warm: lint (rg) ($(ms "$COLD_LINT") ms cold; rg $(ms "$COLD_RG") ms cold)" "**$(ratio "$COLD_LINT" "${LINT[10000]}")×** ($(ratio "$COLD_RG" "${RG[10000]}")×)" "report" "—"
        at 10000 "lint ÷ rg, both cold" "**$(ratio "$COLD_LINT" "$COLD_RG")×**" "≤ 2× (warm target)" "$(yes_no le "$(ratio "$COLD_LINT" "$COLD_RG")" 2)"
    else
        at 10000 "cold ÷ warm" "$COLD_NOTE" "report" "—"
    fi
}

# plan_scaling: `plan` and the lint on 1 to 50 copies of the real factories side by side (a monorepo of
# many factories), median of --runs warm runs each, interleaved
plan_scaling() {
    local copies=(1 5 10 20 50) n d i
    say "plan scaling: ${copies[*]} copies of fixtures/real …"
    declare -A PL LN FILES
    local samples
    samples=$(mktemp)
    local cmds=()
    for n in "${copies[@]}"; do
        d=$DIR/plan-copies-$n
        if [ "$(cat "$d.stamp" 2>/dev/null)" != "$(cd "$REPO/fixtures/real" && find . -type f | sort | xargs cat | sha256sum | cut -c1-16)" ]; then
            rm -rf "$d"; mkdir -p "$d"
            for i in $(seq "$n"); do mkdir -p "$d/copy$i"; cp -r "$REPO"/fixtures/real/*/ "$d/copy$i/"; done
            (cd "$REPO/fixtures/real" && find . -type f | sort | xargs cat | sha256sum | cut -c1-16) > "$d.stamp"
        fi
        FILES[$n]=$(find "$d" -name '*.json' | wc -l)
        cmds+=("$BIN --no-config --output-format concise $d" "$BIN --no-config plan $d --output-format json")
    done
    for c in "${cmds[@]}"; do $c >/dev/null 2>&1 || true; done
    for _ in $(seq "$RUNS"); do
        csv=$(mktemp)
        hyperfine -N -i --style none -w 0 -r 1 --export-csv "$csv" "${cmds[@]}" >/dev/null 2>&1
        tail -n +2 "$csv" | awk -F, '{ print NR, $(NF-4) }' >> "$samples"
        rm -f "$csv"
    done
    local k=0
    for n in "${copies[@]}"; do
        LN[$n]=$(awk -v i=$((k + 1)) '$1 == i { print $2 }' "$samples" | median)
        PL[$n]=$(awk -v i=$((k + 2)) '$1 == i { print $2 }' "$samples" | median)
        k=$((k + 2))
    done
    rm -f "$samples"
    echo
    echo "plan on copies of fixtures/real side by side, $(nproc) cores, load $(load), median of $RUNS warm runs"
    echo
    echo '| copies | files | lint (ms) | plan (ms) | plan ÷ lint |'
    echo '| --- | --- | --- | --- | --- |'
    for n in "${copies[@]}"; do
        echo "| $n | ${FILES[$n]} | $(ms "${LN[$n]}") | $(ms "${PL[$n]}") | $(ratio "${PL[$n]}" "${LN[$n]}")× |"
    done
    local r50 lin
    r50=$(ratio "${PL[50]}" "${LN[50]}")
    lin=$(ratio "${PL[50]}" "${PL[5]}")
    echo
    echo "plan ÷ lint at 50 copies: **${r50}×** (target ≤ 2×: $(if le "$r50" 2; then echo met; else echo '**not met**'; fi)); plan 50 copies ÷ 5 copies: **${lin}×** (target ≤ 11×: $(if le "$lin" 11; then echo met; else echo '**not met**'; fi))"
}

for p in "${PROFILES[@]}"; do measure "$p"; done
if [ "$PLAN" = 1 ]; then plan_scaling; fi
