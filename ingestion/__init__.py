"""Capture of one-stop-shop case events from Kafka into the PostgreSQL raw layer."""
