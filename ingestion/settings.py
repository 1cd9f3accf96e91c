"""Moved to motcua/settings.py; this old name is an alias of that module (same object, same state)."""
import sys

from motcua import settings

sys.modules[__name__] = settings
