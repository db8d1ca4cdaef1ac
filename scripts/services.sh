#!/usr/bin/env bash
# Starts, stops and checks the local stack: Temporal dev server (+ Web UI), MinIO, Postgres,
# and (only when asked: `up kafka`) an Apache Kafka broker for streaming.
# Usage: scripts/services.sh up|down|status [temporal|minio|postgres|kafka]
# `up` waits until each service answers, prints the endpoints and writes them to .env.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPORAL_PORT="${SOCIALSENSE_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${SOCIALSENSE_TEMPORAL_UI_PORT:-8233}"
MINIO_PORT="${SOCIALSENSE_MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${SOCIALSENSE_MINIO_CONSOLE_PORT:-9001}"
PG_PORT="${SOCIALSENSE_PG_PORT:-5433}"
KAFKA_PORT="${SOCIALSENSE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${SOCIALSENSE_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
PG_DATA="$DATA_DIR/postgres"
PG_SOCKET_DIR="$RUN_DIR/pg"
ENV_FILE="${SOCIALSENSE_ENV_FILE:-$ROOT/.env}"

pid_alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

port_open() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# refuse_taken_ports <service> <setting=port>...: before starting a service. A process that this script did not
# start (a MinIO of another clone, another Postgres) would otherwise answer the readiness check in place of the new
# one, which exits on the taken port, and the clients would then fail later with the other's credentials or data.
refuse_taken_ports() {
  local service="$1" pair; shift
  for pair in "$@"; do
    if port_open "${pair#*=}"; then
      die "$service: port ${pair#*=} is taken by a process this script did not start: stop it, or set ${pair%%=*} to a free port"
    fi
  done
}

# A service this checkout already runs must be on the port asked for: `up` in a shell without the port variables it
# was started with would otherwise write the default ports to .env, where nothing of this checkout listens (or another
# checkout's stack does, whose Temporal and Postgres this one's commands would then use).
# running_port <service>: the port it was started on (empty when not recorded: started by an older script).
running_port() {
  if [ "$1" = postgres ]; then sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true; else cat "$RUN_DIR/$1.port" 2>/dev/null || true; fi
}
# same_port_or_die <service> <setting> <port asked for>
same_port_or_die() {
  local have; have="$(running_port "$1")"
  [ -z "$have" ] || [ "$have" = "$3" ] \
    || die "$1 already runs for this checkout on port $have, not $3: set $2=$have (the port it was started with), or stop it first: scripts/services.sh down $1"
}

# started_or_die <service>: after its readiness check, the process this script started must be the one that answered.
started_or_die() { pid_alive "$1" || die "$1 exited while starting; see $LOG_DIR/$1.log"; }

wait_for() { # wait_for <name> <seconds> <command...>
  local name="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "$name did not become ready within ${secs}s; see $LOG_DIR/$name.log"
}

minio_secret() {
  local f="$DATA_DIR/minio.secret"
  [ -s "$f" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"; chmod 600 "$f"; }
  cat "$f"
}

as_pg_user() { # Postgres refuses to run as root; use its own system user then.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

temporal_up() {
  if pid_alive temporal; then same_port_or_die temporal SOCIALSENSE_TEMPORAL_PORT "$TEMPORAL_PORT"; return; fi
  mkdir -p "$DATA_DIR/temporal"
  command -v temporal >/dev/null || die "temporal CLI not found: run scripts/setup.sh"
  refuse_taken_ports temporal SOCIALSENSE_TEMPORAL_PORT="$TEMPORAL_PORT" SOCIALSENSE_TEMPORAL_UI_PORT="$TEMPORAL_UI_PORT"
  nohup temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$DATA_DIR/temporal/dev.db" --log-level warn --ui-disable-news-fetch \
    --search-attribute SocialSenseStage=Keyword --search-attribute SocialSenseSource=Keyword \
    --search-attribute SocialSenseDate=Keyword >"$LOG_DIR/temporal.log" 2>&1 &
  echo $! >"$RUN_DIR/temporal.pid"
  echo "$TEMPORAL_PORT" >"$RUN_DIR/temporal.port"
  wait_for temporal 60 temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"
  started_or_die temporal
}

minio_up() {
  if pid_alive minio; then same_port_or_die minio SOCIALSENSE_MINIO_PORT "$MINIO_PORT"; return; fi
  mkdir -p "$DATA_DIR/minio"
  refuse_taken_ports minio SOCIALSENSE_MINIO_PORT="$MINIO_PORT" SOCIALSENSE_MINIO_CONSOLE_PORT="$MINIO_CONSOLE_PORT"
  if command -v minio >/dev/null; then
    MINIO_ROOT_USER=socialsense MINIO_ROOT_PASSWORD="$(minio_secret)" nohup minio server "$DATA_DIR/minio" \
      --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" --quiet >"$LOG_DIR/minio.log" 2>&1 &
  elif command -v rclone >/dev/null; then
    say "services: MinIO is not installed; serving S3 with rclone (see scripts/setup.sh)"
    nohup rclone serve s3 "$DATA_DIR/minio" --addr "127.0.0.1:$MINIO_PORT" \
      --auth-key "socialsense,$(minio_secret)" >"$LOG_DIR/minio.log" 2>&1 &
  else
    die "neither minio nor rclone found: run scripts/setup.sh"
  fi
  echo $! >"$RUN_DIR/minio.pid"
  echo "$MINIO_PORT" >"$RUN_DIR/minio.port"
  wait_for minio 60 port_open "$MINIO_PORT"
  if command -v minio >/dev/null; then wait_for minio 60 curl -fsS "http://127.0.0.1:$MINIO_PORT/minio/health/live"; fi
  started_or_die minio
}

postgres_up() {
  mkdir -p "$PG_SOCKET_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DATA" "$PG_SOCKET_DIR"
    as_pg_user initdb -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >"$LOG_DIR/postgres-initdb.log" 2>&1 \
      || die "initdb failed; see $LOG_DIR/postgres-initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$PG_SOCKET_DIR" "$LOG_DIR" 2>/dev/null || true
  if as_pg_user pg_ctl -D "$PG_DATA" status >/dev/null 2>&1; then
    same_port_or_die postgres SOCIALSENSE_PG_PORT "$PG_PORT"
  else
    refuse_taken_ports postgres SOCIALSENSE_PG_PORT="$PG_PORT"
    touch "$LOG_DIR/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$LOG_DIR/postgres.log"
    as_pg_user pg_ctl -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
      || die "postgres did not start; see $LOG_DIR/postgres.log"
  fi
  wait_for postgres 30 pg_isready -h 127.0.0.1 -p "$PG_PORT"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'socialsense'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE socialsense" >/dev/null
}

# Kafka 4.x in KRaft combined mode (one process is broker and controller), jars from scripts/setup.sh --kafka.
kafka_up() {
  if pid_alive kafka; then same_port_or_die kafka SOCIALSENSE_KAFKA_PORT "$KAFKA_PORT"; return; fi
  refuse_taken_ports kafka SOCIALSENSE_KAFKA_PORT="$KAFKA_PORT" SOCIALSENSE_KAFKA_CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT"
  [ -f "$KAFKA_HOME/libs/.complete" ] || bash "$ROOT/scripts/setup.sh" --kafka
  local dir="$DATA_DIR/kafka"
  mkdir -p "$dir/data"
  # Single-node defaults: replication factor 1 for the internal topics, no rebalance delay (fast consumer joins).
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  cat >"$dir/log4j2.properties" <<'LOG4J'
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
LOG4J
  if [ ! -f "$dir/data/meta.properties" ]; then
    # A cluster id is 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). One that
    # starts with '-' (1 in 64) is drawn again, as Kafka's own does: the tool's argument parser takes it for an option
    # and formatting failed with "argument --cluster-id/-t: expected one argument".
    local cluster_id=-
    while [[ $cluster_id == -* ]]; do cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
    java -Xmx256m -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool \
      format -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted >"$LOG_DIR/kafka-format.log" 2>&1 \
      || die "formatting Kafka's storage failed; see $LOG_DIR/kafka-format.log"
  fi
  # A small heap: this stack shares a laptop or a 2-core CI box with Temporal, MinIO, Postgres and the workers.
  nohup java -Xms128m -Xmx${SOCIALSENSE_KAFKA_HEAP:-512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$dir/server.properties" \
    >"$LOG_DIR/kafka.log" 2>&1 &
  echo $! >"$RUN_DIR/kafka.pid"
  echo "$KAFKA_PORT" >"$RUN_DIR/kafka.port"
  # Ready = the server logged that it started (the port opens a little before metadata is served).
  local i
  for ((i = 0; i < 480; i++)); do
    pid_alive kafka || die "Kafka exited while starting; see $LOG_DIR/kafka.log"
    if grep -q "Kafka Server started" "$LOG_DIR/kafka.log" && kafka_status; then return 0; fi
    sleep 0.25
  done
  die "kafka did not become ready within 120s; see $LOG_DIR/kafka.log"
}

stop_pid() {
  local name="$1"
  if pid_alive "$name"; then
    local pid; pid="$(cat "$RUN_DIR/$name.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.port"
}

temporal_down() { stop_pid temporal; }
minio_down() { stop_pid minio; }
kafka_down() { stop_pid kafka; }
postgres_down() { [ -f "$PG_DATA/PG_VERSION" ] && as_pg_user pg_ctl -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true; }

temporal_status() { temporal operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" >/dev/null 2>&1; }
minio_status() { port_open "$MINIO_PORT"; }
postgres_status() { pg_isready -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }
kafka_status() { port_open "$KAFKA_PORT"; }

write_env() {
  cat >"$ENV_FILE" <<ENV
# Written by scripts/services.sh up; variables already set in the environment take precedence.
TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
TEMPORAL_NAMESPACE=default
TEMPORAL_UI_URL=http://127.0.0.1:$TEMPORAL_UI_PORT
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/socialsense
S3_ENDPOINT=http://127.0.0.1:$MINIO_PORT
S3_ACCESS_KEY=socialsense
S3_SECRET_KEY=$(minio_secret)
S3_BUCKET=socialsense
ENV
  # Only while a broker answers: `stream` and `produce` read it; users who do not stream never see it.
  if kafka_status; then echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" >>"$ENV_FILE"; fi
  chmod 600 "$ENV_FILE"
}

endpoints() {
  cat <<TXT
Temporal     127.0.0.1:$TEMPORAL_PORT   (Web UI http://127.0.0.1:$TEMPORAL_UI_PORT)
MinIO (S3)   http://127.0.0.1:$MINIO_PORT   (console http://127.0.0.1:$MINIO_CONSOLE_PORT, user socialsense, secret in .env)
Postgres     postgres://postgres@127.0.0.1:$PG_PORT/socialsense
$(kafka_status && echo "Kafka        127.0.0.1:$KAFKA_PORT   (KRaft broker)")
Settings written to $ENV_FILE
TXT
}

action="${1:-status}"
services="${2:-temporal minio postgres}"
case "${2:-}" in
  "" | temporal | minio | postgres | kafka) ;;
  *) die "unknown service \"$2\": use temporal, minio, postgres or kafka" ;;
esac
case "$action" in
  up)
    [ -x "$BIN_DIR/temporal" ] || bash "$ROOT/scripts/setup.sh"
    # Temporal last: its dev server binds its HTTP API and metrics on random free ports, which could be the very
    # ports chosen for MinIO or Postgres (a test's private stack picks free ephemeral ports) if those were not bound yet.
    [ -z "${2:-}" ] && services="minio postgres temporal"
    for s in $services; do "${s}_up"; say "services: $s up"; done
    write_env
    endpoints
    ;;
  down)
    # A bare `down` also stops a broker that `up kafka` started.
    [ -z "${2:-}" ] && pid_alive kafka && services="$services kafka"
    for s in $services; do "${s}_down"; say "services: $s down"; done
    ;;
  status)
    rc=0
    for s in $services; do
      if "${s}_status"; then echo "$s: up"; else echo "$s: down"; rc=3; fi
    done
    exit $rc
    ;;
  *) die "usage: scripts/services.sh up|down|status [temporal|minio|postgres|kafka]" ;;
esac
