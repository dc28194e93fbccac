#!/usr/bin/env bash
# A PostgreSQL primary with a synchronous standby for orderflow, on one machine, from PostgreSQL's
# binaries (14 or later; the embedded PostgreSQL's serve), with examples/ha/postgresql-primary.conf
# and postgresql-standby.conf. The tests (crash/DatabasePairIT) start their pair with this script.
#
#   database-pair.sh create PGBIN DIR            makes DIR/primary and DIR/standby, a copy that follows it
#   database-pair.sh run PGBIN DIR primary|standby   runs one of them in the foreground
#   database-pair.sh promote PGBIN DIR           makes the standby a primary (after the primary is lost)
#
# Environment (defaults in brackets): PG_HOST [127.0.0.1]  PRIMARY_PORT [5442]  STANDBY_PORT [5443]
# orderflow then connects with
#   -Dorderflow.db.url="jdbc:postgresql://$PG_HOST:$PRIMARY_PORT,$PG_HOST:$STANDBY_PORT/orderflow?targetServerType=primary"
# and creates its schema at its first start (create the database first: createdb -h ... orderflow).
# On two machines, make the standby with pg_basebackup -R instead of the copy below, and put
# postgresql-standby.conf in its postgresql.conf.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5442}
STANDBY_PORT=${STANDBY_PORT:-5443}
HERE=$(cd "$(dirname "$0")" && pwd)

# PostgreSQL refuses to run as root. As root (a container, a test machine), run it in a user
# namespace of its own, where it is not root (util-linux's unshare); otherwise run it as it is.
as_postgres() {
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    exec_prefix=(unshare -U)
  else
    exec_prefix=()
  fi
}

usage() {
  sed -n '2,9p' "$0" >&2
  exit 2
}

create() {
  local bin=$1 dir=$2
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL binaries in $bin" >&2; exit 2; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  "${exec_prefix[@]}" "$bin/initdb" -D "$dir/primary" -U postgres -A trust -E UTF-8 >"$dir/initdb.log"
  # a cluster shut down cleanly is a valid base backup: the standby starts from a copy of it and
  # streams the primary's WAL from there (its initdb entries allow local replication connections)
  cp -a "$dir/primary" "$dir/standby"
  cat "$HERE/postgresql-primary.conf" >>"$dir/primary/postgresql.conf"
  cat "$HERE/postgresql-standby.conf" >>"$dir/standby/postgresql.conf"
  # application_name is the name synchronous_standby_names waits for
  echo "primary_conninfo = 'host=$PG_HOST port=$PRIMARY_PORT user=postgres application_name=standby'" \
    >>"$dir/standby/postgresql.conf"
  touch "$dir/standby/standby.signal"
  echo "created $dir/primary and $dir/standby; start each with: $0 run $bin $dir primary|standby"
}

run() {
  local bin=$1 dir=$2 side=$3 port
  [ -f "$dir/$side/PG_VERSION" ] || { echo "no cluster in $dir/$side: run '$0 create' first" >&2; exit 2; }
  port=$PRIMARY_PORT
  [ "$side" = standby ] && port=$STANDBY_PORT
  # exec: this process becomes the postmaster, so a supervisor's signal reaches the server itself
  exec "${exec_prefix[@]}" "$bin/postgres" -D "$dir/$side" -p "$port" -c listen_addresses="$PG_HOST" -c unix_socket_directories=''
}

promote() {
  local bin=$1 dir=$2
  "${exec_prefix[@]}" "$bin/pg_ctl" promote -w -D "$dir/standby"
}

as_postgres
case "${1:-}" in
  create) [ $# -eq 3 ] || usage; create "$2" "$3" ;;
  run) [ $# -eq 4 ] || usage; case "$4" in primary|standby) run "$2" "$3" "$4" ;; *) usage ;; esac ;;
  promote) [ $# -eq 3 ] || usage; promote "$2" "$3" ;;
  *) usage ;;
esac
