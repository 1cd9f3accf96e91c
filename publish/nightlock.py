"""Moved to nightly/nightlock.py; this old name is an alias of that module (same object, same state)."""
import sys

from nightly import nightlock

sys.modules[__name__] = nightlock
