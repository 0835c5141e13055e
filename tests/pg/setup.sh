#!/usr/bin/env bash
# Throw-away PostgreSQL clusters on loopback for the test-connection integration test (tests/pg_connect.rs).
#
#   bash tests/pg/setup.sh DIR      # creates DIR, starts the clusters, writes DIR/env (KEY=VALUE lines)
#   bash tests/pg/teardown.sh DIR   # stops them and removes DIR (teardown.sh --all: every cluster set up)
#   bash tests/pg/setup.sh --check  # exit 0 when the server, psql and openssl are installed, else 3
#
# Clusters (certificates generated here with openssl, signed by a test CA made here):
#   ssl       ssl=on, certificate for DNS:localhost. Databases: sales (host: TLS or plain),
#             sslonly (hostssl lines only), plainonly (hostnossl lines only); pg_hba also lets
#             `nosuchdb` through, so that its absence is what the server reports.
#   wronghost ssl=on, certificate for DNS:wrong.example (same CA). Database sales.
#   nossl     ssl=off. Database sales.
# Also other-ca.crt, an unrelated CA ("wrong CA" cases). Role adfpg, password in DIR/env, scram-sha-256.
#
# The server refuses to run as root: as root, the clusters run as the `postgres` user (created by Debian's
# postgresql package) via runuser. Exit 3 when PostgreSQL or openssl is not installed.
set -euo pipefail

DIR=${1:?usage: setup.sh DIR | setup.sh --check}
REGISTRY=${ADFPG_PG_REGISTRY:-${TMPDIR:-/tmp}/adfpg-pg-clusters}

missing() {
    echo "setup.sh: $1 is not installed. Install it with:" >&2
    echo "    apt-get update && apt-get install -y postgresql postgresql-client openssl" >&2
    exit 3
}
# where Debian/Ubuntu put the server (ADFPG_PG_SEARCH: other directories to look in, for tests)
BIN=""
for d in $(ls -d ${ADFPG_PG_SEARCH:-/usr/lib/postgresql/*/bin} 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then BIN=$d; break; fi
done
if [ -z "$BIN" ] && command -v initdb >/dev/null 2>&1; then BIN=$(dirname "$(command -v initdb)"); fi
[ -n "$BIN" ] || missing "the PostgreSQL server (initdb, pg_ctl)"
command -v psql >/dev/null 2>&1 || [ -x "$BIN/psql" ] || missing "psql (postgresql-client)"
command -v openssl >/dev/null 2>&1 || missing "openssl"
PSQL=$(command -v psql || echo "$BIN/psql")
# `setup.sh --check`: only say whether everything is installed (scripts/test asks before installing)
[ "$DIR" = --check ] && exit 0

if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    AS=(runuser -u postgres --)
    OWNER=postgres
else
    AS=()
    OWNER=$(id -un)
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
chmod 755 "$DIR"
echo "$DIR" >> "$REGISTRY"
# logs and Unix sockets, written by the server's user
RUN="$DIR/run"
mkdir -p "$RUN"
chown "$OWNER" "$RUN"
if ! "${AS[@]}" test -w "$RUN"; then
    echo "setup.sh: user $OWNER cannot reach $DIR (a parent directory is private?); use a DIR under /tmp" >&2
    exit 1
fi

# --- certificates -------------------------------------------------------------------------------
C="$DIR/certs"
mkdir -p "$C"
ossl() { openssl "$@" >/dev/null 2>&1 || { echo "setup.sh: openssl $* failed" >&2; openssl "$@"; exit 1; }; }
make_ca() { # name CN
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
        -keyout "$C/$1.key" -out "$C/$1.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
make_leaf() { # name DNS-name
    ossl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$C/$1.key" -out "$C/$1.csr"
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$2" > "$C/$1.ext"
    ossl x509 -req -in "$C/$1.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
        -extfile "$C/$1.ext" -out "$C/$1.crt"
}
make_ca ca "adfpg-migrate test CA"
make_ca other-ca "adfpg-migrate unrelated CA"
make_leaf localhost localhost
make_leaf wronghost wrong.example

# --- clusters -------------------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next_port() {
    local p=$1
    while ! port_free "$p"; do p=$((p + 1)); done
    echo "$p"
}
BASE=$(( 20000 + (RANDOM % 2000) * 10 ))
PASSWORD="adfpg-$RANDOM$RANDOM"

init_cluster() { # name port ssl(on|off) cert-name
    local name=$1 port=$2 ssl=$3 cert=$4 data="$DIR/$1"
    mkdir -p "$data"
    chown "$OWNER" "$data"
    chmod 700 "$data"
    "${AS[@]}" "$BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --no-sync -E UTF8 --locale=C >"$DIR/$name.initdb.log" 2>&1 \
        || { cat "$DIR/$name.initdb.log" >&2; exit 1; }
    if [ "$ssl" = on ]; then
        cp "$C/$cert.crt" "$data/server.crt"
        cp "$C/$cert.key" "$data/server.key"
        chown "$OWNER" "$data/server.crt" "$data/server.key"
        chmod 600 "$data/server.key"
    fi
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = 'localhost'
port = $port
unix_socket_directories = '$RUN'
ssl = $ssl
password_encryption = 'scram-sha-256'
fsync = off
max_connections = 20
shared_buffers = 16MB
lc_messages = 'C'
CONF
    cat > "$data/pg_hba.conf" <<HBA
local     all        all                  trust
hostssl   sslonly    all  127.0.0.1/32    scram-sha-256
hostssl   sslonly    all  ::1/128         scram-sha-256
hostnossl plainonly  all  127.0.0.1/32    scram-sha-256
hostnossl plainonly  all  ::1/128         scram-sha-256
host      sales,nosuchdb  all  127.0.0.1/32  scram-sha-256
host      sales,nosuchdb  all  ::1/128       scram-sha-256
HBA
    "${AS[@]}" "$BIN/pg_ctl" -D "$data" -l "$RUN/$name.log" -w -t 30 start >/dev/null \
        || { echo "setup.sh: cluster $name did not start:" >&2; cat "$RUN/$name.log" >&2; exit 1; }
    echo "$data" >> "$DIR/clusters"
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$port" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE adfpg LOGIN PASSWORD '$PASSWORD';
CREATE DATABASE sales OWNER adfpg;
CREATE DATABASE sslonly OWNER adfpg;
CREATE DATABASE plainonly OWNER adfpg;
SQL
}

SSL_PORT=$(next_port "$BASE")
init_cluster ssl "$SSL_PORT" on localhost
WRONGHOST_PORT=$(next_port $((SSL_PORT + 1)))
init_cluster wronghost "$WRONGHOST_PORT" on wronghost
NOSSL_PORT=$(next_port $((WRONGHOST_PORT + 1)))
init_cluster nossl "$NOSSL_PORT" off -
# a port where nothing listens (connection refused)
CLOSED_PORT=$(next_port $((NOSSL_PORT + 1)))

cat > "$DIR/env" <<ENV
ADFPG_PG_DIR=$DIR
ADFPG_PG_BIN=$BIN
ADFPG_PG_PSQL=$PSQL
ADFPG_PG_USER=adfpg
ADFPG_PG_PASSWORD=$PASSWORD
ADFPG_PG_SSL_PORT=$SSL_PORT
ADFPG_PG_WRONGHOST_PORT=$WRONGHOST_PORT
ADFPG_PG_NOSSL_PORT=$NOSSL_PORT
ADFPG_PG_CLOSED_PORT=$CLOSED_PORT
ADFPG_PG_CA=$C/ca.crt
ADFPG_PG_OTHER_CA=$C/other-ca.crt
ENV
echo "setup.sh: clusters ssl:$SSL_PORT wronghost:$WRONGHOST_PORT nossl:$NOSSL_PORT ($("$BIN/postgres" --version)) in $DIR"
