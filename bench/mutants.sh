#!/usr/bin/env bash
# Mutation testing of the modules that decide what --fix writes and what is shown (cargo-mutants).
# Not part of CI: a full run takes hours on two cores. Usage:
#
#   bench/mutants.sh                          # every module below, all tests
#   bench/mutants.sh --in-diff                # only mutants on lines changed since main (a change's check)
#   bench/mutants.sh -f src/source/connstr.rs # one module (more -f to add); other cargo-mutants options pass through
#   bench/mutants.sh -f src/source/connstr.rs -- --lib --test=migration_table   # your own cargo test targets after --
#
# Results land in mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt). Mutants deliberately left
# alive are listed with their reason in bench/mutants-equivalent.txt and excluded here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
# the per-file pipeline (the fix loop, fragment fixes, pending writes) is every file of src/pipeline/
modules=(src/fix/migrate.rs src/source/connstr.rs src/mask.rs src/fix/write.rs src/pipeline/*.rs src/fix/arm.rs)
args=()
tests=()
diff_file=
while [ $# -gt 0 ]; do
    a=$1
    shift
    if [ "$a" = -- ]; then
        tests=("$@")
        break
    elif [ "$a" = --in-diff ]; then
        diff_file=$(mktemp)
        git diff main -- "${modules[@]}" > "$diff_file"
        args+=(--in-diff "$diff_file")
    else
        args+=("$a")
    fi
done
if ! printf '%s\n' "${args[@]}" | grep -qx -- '-f\|--file'; then
    for m in "${modules[@]}"; do args+=(-f "$m"); done
fi
excludes=()
if [ -f bench/mutants-equivalent.txt ]; then
    while IFS= read -r line; do
        case "$line" in ''|'#'*) continue ;; esac
        excludes+=(--exclude-re "$(printf '%s' "${line%%  #*}" | sed 's/[][\\.*^$(){}+?|]/\\&/g')")
    done < bench/mutants-equivalent.txt
fi
# The test binaries that check what is written and shown. Left out: pg_connect (real PostgreSQL clusters),
# distribution, ci_recipes and docs (packaging and text), and crash_safety (90 s of kills per mutant: add
# `--test crash_safety` by hand when mutating src/fix/write.rs).
[ ${#tests[@]} -gt 0 ] || tests=(--lib --test=cli --test=migration_table --test=migration_truth --test=hosts_and_roots
    --test=secrets --test=hostile_input --test=properties --test=rule_examples --test=factory --test=output_formats
    --test=secrets_planted --test=real_factories --test=rest_model --test=skim_agrees --test=config --test=baseline)
# cargo-mutants passes arguments after its `--` to the test binaries, so cargo's own go in --cargo-test-arg
cargo_tests=()
for t in "${tests[@]}"; do cargo_tests+=(--cargo-test-arg="$t"); done
# each run builds in a fresh copy of the tree (not of target/: ~6 GB, and its dependencies rebuild anyway)
exec cargo mutants --no-shuffle --profile=mutants --cargo-arg=--locked "${cargo_tests[@]}" "${args[@]}" "${excludes[@]}"
