#!/usr/bin/env bash
# An Artemis primary/backup pair for orderflow on one machine, from the Artemis distribution
# (2.40+), with examples/ha/broker-primary.xml and broker-backup.xml as its configuration (a shared
# store), or with HA_MODE=replicated broker-replicated-*.xml. The tests (crash/BrokerPairIT) start
# their pairs with this script.
#
#   broker-pair.sh create ARTEMIS_HOME DIR   makes DIR/primary and DIR/backup over one journal in DIR/shared
#                                            (replicated: each with its own journal)
#   broker-pair.sh run DIR primary|backup    runs one of them in the foreground (its own process: a
#                                             supervisor, systemd or `&` keeps it running)
#
# Environment (defaults in brackets):
#   HA_HOST [127.0.0.1]  PRIMARY_PORT [61716]  BACKUP_PORT [61717]
#   BROKER_USER [orderflow]  BROKER_PASSWORD [orderflow]   the account orderflow connects with
#   BROKER_HEAP [512m]  HA_MODE [shared-store] or replicated
# orderflow then connects with
#   -Dorderflow.broker.embedded=false -Dorderflow.broker.user=$BROKER_USER -Dorderflow.broker.password=...
#   -Dorderflow.broker.url="(tcp://$HA_HOST:$PRIMARY_PORT,tcp://$HA_HOST:$BACKUP_PORT)?ha=true"
# On two machines, run `create` on each with DIR/shared on storage both can lock (NFSv4), and
# set HA_HOST per side: the primary's and the backup's URLs are orderflow.ha.primary and
# orderflow.ha.backup below.
set -euo pipefail

HA_HOST=${HA_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-61716}
BACKUP_PORT=${BACKUP_PORT:-61717}
BROKER_USER=${BROKER_USER:-orderflow}
BROKER_PASSWORD=${BROKER_PASSWORD:-orderflow}
BROKER_HEAP=${BROKER_HEAP:-512m}
HA_MODE=${HA_MODE:-shared-store}
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
  sed -n '2,9p' "$0" >&2
  exit 2
}

create() {
  local home=$1 dir=$2
  [ -x "$home/bin/artemis" ] || [ -f "$home/bin/artemis" ] || { echo "no Artemis distribution in $home" >&2; exit 2; }
  local mode_flag config_prefix
  case "$HA_MODE" in
    shared-store) mode_flag=--shared-store; config_prefix=broker ;;
    replicated) mode_flag=--replicated; config_prefix=broker-replicated ;;
    *) echo "HA_MODE must be shared-store or replicated" >&2; exit 2 ;;
  esac
  mkdir -p "$dir/shared"
  dir=$(cd "$dir" && pwd)
  for side in primary backup; do
    local extra=()
    [ "$side" = backup ] && extra=(--backup)
    # the flags give the instance its users, scripts and profile; its broker.xml is then replaced by ours
    sh "$home/bin/artemis" create "$dir/$side" --silent --force "$mode_flag" "${extra[@]}" \
      --failover-on-shutdown --no-web --no-autotune --require-login \
      --user "$BROKER_USER" --password "$BROKER_PASSWORD" \
      --cluster-user orderflow-cluster --cluster-password orderflow-cluster \
      --host "$HA_HOST" --data "$dir/shared" >"$dir/$side.create.log"
    cp "$HERE/$config_prefix-$side.xml" "$dir/$side/etc/broker.xml"
    # the distribution's default heap is 2 GB
    sed -i "s/-Xms512M -Xmx2G/-Xms64m -Xmx$BROKER_HEAP/" "$dir/$side/etc/artemis.profile"
  done
  echo "created $dir/primary and $dir/backup; start each with: $0 run $dir primary|backup"
}

run() {
  local dir=$1 side=$2
  [ -d "$dir/$side/bin" ] || { echo "no broker instance in $dir/$side: run '$0 create' first" >&2; exit 2; }
  export JAVA_ARGS_APPEND="${JAVA_ARGS_APPEND:-} -Dorderflow.ha.primary=tcp://$HA_HOST:$PRIMARY_PORT -Dorderflow.ha.backup=tcp://$HA_HOST:$BACKUP_PORT"
  # exec: this process becomes the broker's JVM, so a supervisor's signal reaches the broker itself
  exec "$dir/$side/bin/artemis" run
}

case "${1:-}" in
  create) [ $# -eq 3 ] || usage; create "$2" "$3" ;;
  run) [ $# -eq 3 ] || usage; case "$3" in primary|backup) run "$2" "$3" ;; *) usage ;; esac ;;
  *) usage ;;
esac
