#!/usr/bin/env bash
# Build the Python wheel here (maturin, from PyPI), install it into a fresh virtual environment and run
# the installed command on fixtures/example-factory; prints the wheel's size. Usage:
#
#   bench/wheel.sh                  # wheel into target/wheels, scratch venvs under target/wheel-check
#   bench/wheel.sh --keep           # keep the venvs (the installed command: target/wheel-check/run/bin/adfpg-migrate)
#
# Needs python3 with venv, and network access to PyPI for maturin. Exit 1 when any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
TARGET=${CARGO_TARGET_DIR:-target}
WORK="$TARGET/wheel-check"
OUT="$TARGET/wheels"
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK"

python3 -m venv "$WORK/build"
"$WORK/build/bin/pip" install -q "maturin>=1.9,<2"
"$WORK/build/bin/maturin" build --release --locked --out "$OUT"
WHEEL=$(ls "$OUT"/adfpg_migrate-*.whl)

# a fresh environment with nothing but the wheel (no index: it must install on its own)
python3 -m venv "$WORK/run"
"$WORK/run/bin/pip" install -q --no-index "$WHEEL"
CMD="$WORK/run/bin/adfpg-migrate"
"$CMD" --version
set +e
"$CMD" fixtures/example-factory --output-format concise > "$WORK/lint.txt"
code=$?
set -e
# the example factory has 1.0 linked services: findings, exit 1 (2 would mean the tool failed)
if [ "$code" != 1 ] || ! grep -q "ADFPG001" "$WORK/lint.txt"; then
    echo "bench/wheel.sh: the installed command did not lint the example factory (exit $code):" >&2
    cat "$WORK/lint.txt" >&2
    exit 1
fi
tail -n 1 "$WORK/lint.txt"
"$CMD" completions bash > /dev/null
echo "wheel: $(basename "$WHEEL")"
# the figures README.md quotes (pre-commit section), in its units
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
size=$(stat -c %s "$WHEEL")
bytes=$(echo "$size" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta')
echo "wheel size: $(mib "$size") ($bytes bytes); the binary inside: $(mib "$(stat -c %s "$CMD")")"
[ "$KEEP" = 1 ] || rm -rf "$WORK"
