#!/usr/bin/env bash
# Mutation testing of the modules that decide what --fix writes and what is shown (cargo-mutants).
# Not part of CI: a full run takes hours on two cores. Usage:
#
#   bench/mutants.sh                          # every module below
#   bench/mutants.sh --in-diff                # only mutants on lines changed since main (a change's check)
#   bench/mutants.sh -f src/source/connstr.rs # one module (more -f to add); other cargo-mutants options pass
#                                             # through, e.g. --shard 1/4 --sharding round-robin (a sample)
#   bench/mutants.sh -f src/source/connstr.rs -- --lib --test=migration_table   # your own test targets after --
#
# Each module is tested with the test binaries that exercise it (below); several modules, the union.
# Results land in mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt). Mutants deliberately left
# alive are listed with their reason in bench/mutants-equivalent.txt and excluded here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
# the per-file pipeline (the fix loop, fragment fixes, pending writes) is every file of src/pipeline/
modules=(src/fix/migrate.rs src/source/connstr.rs src/mask.rs src/fix/write.rs src/pipeline/*.rs src/fix/arm.rs)

# The test binaries per module. Left out everywhere: pg_connect (real PostgreSQL clusters), distribution,
# ci_recipes and docs (packaging and text). crash_safety runs for the writer without its SIGKILL test (90 s
# of kills per mutant; run it by hand after changing src/fix/write.rs).
tests_for() {
    case "$1" in
        */migrate.rs) echo --lib migration_table migration_truth hosts_and_roots cli properties secrets_planted ;;
        */connstr.rs) echo --lib migration_table migration_truth hosts_and_roots secrets secrets_planted \
            real_factories cli properties key_vault ;;
        */mask.rs) echo --lib secrets secrets_planted hostile_input output_formats cli key_vault baseline ;;
        */write.rs) echo --lib cli hostile_input migration_truth key_vault baseline output_formats config \
            fix_policy linter_contract crash_safety ;;
        */arm.rs) echo --lib migration_truth real_factories rest_model hosts_and_roots key_vault \
            migration_table cli fix_policy ;;
        *) echo --lib cli migration_table migration_truth hosts_and_roots secrets hostile_input properties \
            rule_examples factory output_formats secrets_planted real_factories rest_model skim_agrees config \
            baseline fix_policy key_vault linter_contract migrate_then_check ;;
    esac
}

args=()
tests=()
files=()
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
    elif [ "$a" = -f ] || [ "$a" = --file ]; then
        files+=("$1")
        args+=("$a" "$1")
        shift
    else
        args+=("$a")
    fi
done
if [ ${#files[@]} -eq 0 ]; then
    files=("${modules[@]}")
    for m in "${modules[@]}"; do args+=(-f "$m"); done
fi
excludes=()
if [ -f bench/mutants-equivalent.txt ]; then
    while IFS= read -r line; do
        case "$line" in ''|'#'*) continue ;; esac
        excludes+=(--exclude-re "$(printf '%s' "${line%%  #*}" | sed 's/[][\\.*^$(){}+?|]/\\&/g')")
    done < bench/mutants-equivalent.txt
fi
cargo_tests=()
skip=()
if [ ${#tests[@]} -gt 0 ]; then
    for t in "${tests[@]}"; do cargo_tests+=(--cargo-test-arg="$t"); done
else
    # the union of the modules' test binaries, each once
    for t in $(for f in "${files[@]}"; do tests_for "$f"; done | tr ' ' '\n' | sort -u); do
        case "$t" in
            --lib) cargo_tests+=(--cargo-test-arg=--lib) ;;
            crash_safety) cargo_tests+=(--cargo-test-arg=--test=crash_safety)
                skip=(--cargo-test-arg=-- --cargo-test-arg=--skip --cargo-test-arg=sigkill_at_any_moment) ;;
            *) cargo_tests+=(--cargo-test-arg=--test="$t") ;;
        esac
    done
fi
# cargo-mutants passes arguments after its `--` to the test binaries, so cargo's own go in --cargo-test-arg.
# Each run builds in a fresh copy of the tree (not of target/: ~6 GB, and its dependencies rebuild anyway),
# with the `mutants` profile (no debug info: dozens of test binaries link faster).
exec cargo mutants --no-shuffle --profile=mutants --cargo-arg=--locked "${cargo_tests[@]}" "${skip[@]}" \
    "${args[@]}" "${excludes[@]}"
