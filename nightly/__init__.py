"""The nightly run's steps, free of Airflow so that they can be run and tested alone.

One module per step of dags/kpi_nightly.py: capture (bounded Kafka catch-up), gate (GX),
transform (dbt), publish, docs; window (which night a run covers), nightlock (one night at a
time), alerts (failure and deadline alerts), run (child processes and the task log).

Each step raises TransientFailure (retry), PermanentFailure or DataGateBlocked (no retry), the
project's root kinds (motcua/errors.py); the DAG decides by type (motcua.errors.retryable).
"""
