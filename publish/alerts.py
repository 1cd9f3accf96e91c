"""Moved to nightly/alerts.py; this old name is an alias of that module (same object, same state)."""
import sys

from nightly import alerts

sys.modules[__name__] = alerts
