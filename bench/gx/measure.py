"""Child process of the benchmark: one gate run, printing its timings and peak RSS as JSON.

A separate process per run so that the peak RSS is this run's alone.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def main(dbname: str, layer: str, day: str) -> None:
    t0 = time.perf_counter()
    import sqlalchemy as sa
    from sqlalchemy import event

    from expectations.gate import run_gate
    import expectations.context  # noqa: F401  (GX itself)

    sql = {"n": 0, "s": 0.0}

    @event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _before(conn, *_):
        conn.info["t"] = time.perf_counter()

    @event.listens_for(sa.engine.Engine, "after_cursor_execute")
    def _after(conn, *_):
        sql["n"] += 1
        sql["s"] += time.perf_counter() - conn.info.pop("t")

    imported, rss_imported = time.perf_counter(), rss_mb()
    result = run_gate(layer, day, dbname=dbname)
    done = time.perf_counter()
    print(json.dumps({
        "layer": layer, "import_s": round(imported - t0, 2), "gate_s": round(done - imported, 2),
        "sql_s": round(sql["s"], 2), "sql_queries": sql["n"], "expectations": len(result.outcomes),
        "passed": result.passed, "critical": [o.expectation for o in result.critical_failures],
        "warnings": [o.expectation for o in result.warnings],
        "rss_after_import_mb": round(rss_imported), "peak_rss_mb": round(rss_mb()),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
