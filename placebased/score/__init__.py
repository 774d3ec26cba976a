"""Scoring and the partnership's questions: indicators, scenarios, the priority score, provision reach and
siting, disclosure control and the partner analyses. Imports ``io`` and ``stats``, never ``outputs`` or the
orchestration (checked by ``tests/test_architecture.py``)."""
