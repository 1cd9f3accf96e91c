"""Moved to motcua/db.py; this old name is an alias of that module (same object, same state)."""
import sys

from motcua import db

sys.modules[__name__] = db
