"""Moved to motcua/migrations.py; this old name is an alias of that module (same object, same state)."""
import sys

from motcua import migrations

sys.modules[__name__] = migrations
