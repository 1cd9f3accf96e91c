# Image for the pipeline's Python side (loader, dbt, Great Expectations, Airflow).
# Data Docs' browser assets (expectations/docs_assets), so the docs work without a CDN.
FROM node:20-bookworm-slim AS docs-assets
WORKDIR /assets
COPY expectations/docs_assets/package.json expectations/docs_assets/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/motcua
COPY requirements.txt pyproject.toml ./
RUN pip install -r requirements.txt
COPY . .
RUN pip install --no-deps -e .
COPY --from=docs-assets /assets/node_modules /opt/motcua-docs-assets/node_modules
ENV MOTCUA_DOCS_ASSETS_DIR=/opt/motcua-docs-assets/node_modules
USER nobody
