# Image for the pipeline's Python side (loader, dbt, Great Expectations, Airflow).
FROM python:3.11-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/motcua
COPY requirements.txt pyproject.toml ./
RUN pip install -r requirements.txt
COPY . .
RUN pip install --no-deps -e .
USER nobody
