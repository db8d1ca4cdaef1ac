"""Open a SocialSense run's clean and features datasets (Parquet in MinIO/S3) with pyarrow and DuckDB.

    .data/venv/bin/python scripts/open-run-data.py CLEAN_URIS... -- FEATURES_URIS...

The URIs are a run's `clean` and `features` datasets (`socialsense runs` gives the run key; the run's summary,
`runs.summary -> 'datasets'` or `GET /v1/runs/<run key>`, lists those of its last completed attempt). S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY come from the
environment (the project's .env). Prints a JSON summary of what each client read; test/integration/
parquet-clients.test.ts runs this file and checks it against post_scores, and README.md shows it.
scripts/setup.sh creates .data/venv with pyarrow, duckdb and duckdb-extension-httpfs.
"""
import json
import os
import sys
from urllib.parse import urlparse

import duckdb
import duckdb_extension_httpfs
import pyarrow.fs
import pyarrow.parquet as pq

endpoint = urlparse(os.environ["S3_ENDPOINT"])  # e.g. http://127.0.0.1:9000
region = os.environ.get("S3_REGION") or "us-east-1"


def read_with_pyarrow(uris):
    """The datasets as one pyarrow Table (`.to_pandas()` gives a DataFrame when pandas is installed)."""
    s3 = pyarrow.fs.S3FileSystem(
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme,
        access_key=os.environ["S3_ACCESS_KEY"],
        secret_key=os.environ["S3_SECRET_KEY"],
        region=region,
    )
    return pq.read_table([uri.removeprefix("s3://") for uri in uris], filesystem=s3)


def duckdb_connection():
    """A DuckDB connection that reads s3:// from the same object store (httpfs from the pip package: no download)."""
    con = duckdb.connect()
    httpfs = os.path.join(os.path.dirname(duckdb_extension_httpfs.__file__), "extensions", f"v{duckdb.__version__}", "httpfs.duckdb_extension")
    con.execute(f"LOAD '{httpfs}'")
    ssl = "true" if endpoint.scheme == "https" else "false"
    con.execute(
        f"""CREATE SECRET run_data (TYPE s3, KEY_ID {quote(os.environ['S3_ACCESS_KEY'])}, SECRET {quote(os.environ['S3_SECRET_KEY'])},
            ENDPOINT {quote(endpoint.netloc)}, URL_STYLE 'path', USE_SSL {ssl}, REGION {quote(region)})"""
    )
    return con


def quote(value):
    return "'" + value.replace("'", "''") + "'"


if __name__ == "__main__":
    split = sys.argv.index("--")
    clean_uris, features_uris = sys.argv[1:split], sys.argv[split + 1 :]

    clean = read_with_pyarrow(clean_uris)
    features = read_with_pyarrow(features_uris)

    con = duckdb_connection()
    by_label = con.execute(
        "SELECT sentiment_label, count(*) AS posts, typeof(any_value(created_at)) AS created_at_type, typeof(any_value(hashtags)) AS hashtags_type "
        "FROM read_parquet($uris) GROUP BY sentiment_label ORDER BY sentiment_label",
        {"uris": features_uris},
    ).fetchall()
    # TIMESTAMP WITH TIME ZONE values fetched into Python: DuckDB needs pytz for that (scripts/setup.sh installs it)
    first, last = con.execute("SELECT min(created_at), max(created_at) FROM read_parquet($uris)", {"uris": features_uris}).fetchone()

    print(
        json.dumps(
            {
                "pyarrow": {
                    "clean": {"rows": clean.num_rows, "ids": clean.column("id").to_pylist(), "types": {f.name: str(f.type) for f in clean.schema}},
                    "features": {
                        "types": {f.name: str(f.type) for f in features.schema},
                        "rows": [
                            {
                                "id": r["id"],
                                "created_at": r["created_at"].isoformat(),
                                "hashtags": r["hashtags"],
                                "sentiment_compound": r["sentiment_compound"],
                                "sentiment_label": r["sentiment_label"],
                                "sentiment_model": r["sentiment_model"],
                                "topic": r["topic"],
                            }
                            for r in features.select(["id", "created_at", "hashtags", "sentiment_compound", "sentiment_label", "sentiment_model", "topic"]).to_pylist()
                        ],
                    },
                },
                "duckdb": [{"sentiment_label": l, "posts": n, "created_at": t, "hashtags": h} for (l, n, t, h) in by_label],
                "duckdbTimes": {"first": first.isoformat(), "last": last.isoformat()},
            }
        )
    )
