#!/usr/bin/env bash
# Time pre-commit's first install of the adfpg-migrate hook (the real pre-commit from PyPI, an empty
# PRE_COMMIT_HOME each time), then run it on the example factory:
#   wheel   ci-examples/pre-commit-config.yaml: `language: python` installing the wheel bench/wheel.sh built
#           (served through PIP_FIND_LINKS, as PyPI would serve the released one)
#   source  this repository's `adfpg-migrate` hook at HEAD (`language: rust`: cargo install, own target dir)
# Usage: bench/wheel.sh --keep && bench/pre-commit-install.sh [--wheel-only]
# Needs python3 with venv, git, cargo, and PyPI for pre-commit. The cargo registry cache is reused, so the
# source figure leaves out crate downloads (a new machine also pays those).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-target}
WHEELS="$ROOT/$TARGET/wheels"
WORK="$ROOT/$TARGET/pre-commit-check"
ls "$WHEELS"/adfpg_migrate-*.whl >/dev/null 2>&1 || { echo "no wheel in $WHEELS: run bench/wheel.sh first" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
python3 -m venv "$WORK/tool"
"$WORK/tool/bin/pip" install -q pre-commit
PC="$WORK/tool/bin/pre-commit"
"$PC" --version

# a user's repository: the example factory, committed, with the given .pre-commit-config.yaml
user_repo() { # dir config-file
    cp -r fixtures/example-factory "$1"
    cp "$2" "$1/.pre-commit-config.yaml"
    git -C "$1" init -q
    git -C "$1" add -A
    git -C "$1" -c user.name=bench -c user.email=bench@localhost commit -q -m factory
}

# install-hooks timed, then a run over every file: findings (exit 1) from the installed hook
measure() { # label dir
    local start end code
    start=$(date +%s.%N)
    (cd "$2" && env -u CARGO_TARGET_DIR PRE_COMMIT_HOME="$WORK/home-$1" PIP_FIND_LINKS="$WHEELS" \
        "$PC" install-hooks > "$WORK/$1-install.log" 2>&1) \
        || { cat "$WORK/$1-install.log" >&2; exit 1; }
    end=$(date +%s.%N)
    set +e
    (cd "$2" && PRE_COMMIT_HOME="$WORK/home-$1" "$PC" run --all-files > "$WORK/$1-run.log" 2>&1)
    code=$?
    set -e
    if [ "$code" != 1 ] || ! grep -q ADFPG001 "$WORK/$1-run.log"; then
        echo "the $1 hook did not lint the factory (exit $code):" >&2
        cat "$WORK/$1-run.log" >&2
        exit 1
    fi
    printf '%-7s first install %6.1f s, then `pre-commit run --all-files` found the findings\n' \
        "$1" "$(echo "$end - $start" | bc)"
}

user_repo "$WORK/wheel-repo" ci-examples/pre-commit-config.yaml
measure wheel "$WORK/wheel-repo"
# the hook runs the wheel's own binary (not one pip built from source, nor another package)
HOOKED=$(ls "$WORK"/home-wheel/*/py_env-*/bin/adfpg-migrate)
unzip -p "$WHEELS"/adfpg_migrate-*.whl '*/scripts/adfpg-migrate' | cmp -s - "$HOOKED" \
    || { echo "the hook's adfpg-migrate is not the wheel's binary" >&2; exit 1; }

[ "${1:-}" = --wheel-only ] && exit 0
REV=$(git rev-parse HEAD)
cat > "$WORK/source-config.yaml" <<YAML
repos:
  - repo: $ROOT
    rev: $REV
    hooks:
      - id: adfpg-migrate
YAML
user_repo "$WORK/source-repo" "$WORK/source-config.yaml"
measure source "$WORK/source-repo"
