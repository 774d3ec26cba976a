"""Reading and writing: boundaries, incidents, provision, lookups, saved work and every export.

The bottom layer with :mod:`placebased.errors` and the other underscore modules at the package root: it
imports nothing from ``stats``, ``score``, ``outputs`` or the orchestration (checked by
``tests/test_architecture.py``)."""
