#!/usr/bin/env bash
# Stop and remove the clusters setup.sh made: `teardown.sh DIR`, or `teardown.sh --all` for every DIR
# setup.sh registered (what .ci/run's trap calls, so that a failed or killed test leaves nothing behind).
set -uo pipefail

REGISTRY=${ADFPG_PG_REGISTRY:-${TMPDIR:-/tmp}/adfpg-pg-clusters}

teardown() {
    local dir=$1 bin=""
    [ -d "$dir" ] || return 0
    [ -f "$dir/env" ] && bin=$(sed -n 's/^ADFPG_PG_BIN=//p' "$dir/env")
    if [ -z "$bin" ]; then
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)
    fi
    if [ -f "$dir/clusters" ]; then
        while read -r data; do
            [ -f "$data/postmaster.pid" ] || continue
            if [ "$(id -u)" = 0 ]; then
                runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
            else
                "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
            fi
        done < "$dir/clusters"
    fi
    rm -rf "$dir"
}

if [ "${1:-}" = --all ]; then
    if [ -f "$REGISTRY" ]; then
        while read -r d; do teardown "$d"; done < "$REGISTRY"
        rm -f "$REGISTRY"
    fi
else
    d=${1:?usage: teardown.sh DIR | --all}
    teardown "$d"
    if [ -f "$REGISTRY" ]; then
        grep -vxF "$d" "$REGISTRY" > "$REGISTRY.tmp" 2>/dev/null
        mv "$REGISTRY.tmp" "$REGISTRY"
    fi
fi
exit 0
