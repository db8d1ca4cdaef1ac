# Shared by setup.sh and services.sh: where things live and how to find binaries.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${SOCIALSENSE_DATA_DIR:-$ROOT/.data}"
BIN_DIR="$DATA_DIR/bin"
LOG_DIR="$DATA_DIR/logs"
RUN_DIR="$DATA_DIR/run"
mkdir -p "$BIN_DIR" "$LOG_DIR" "$RUN_DIR"
export PATH="$BIN_DIR:$PATH"
# Apache Kafka's jars (scripts/setup.sh --kafka) and the broker's data (scripts/services.sh up kafka).
KAFKA_VERSION="${SOCIALSENSE_KAFKA_VERSION:-4.1.1}"
KAFKA_HOME="$DATA_DIR/kafka/$KAFKA_VERSION"

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The directory of the postgres server binaries (Debian keeps them off PATH).
pg_bindir() {
  if [ -x "$BIN_DIR/pg_ctl" ]; then dirname "$(readlink -f "$BIN_DIR/pg_ctl")"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /opt/homebrew/bin /usr/local/bin /usr/bin; do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)"
}
