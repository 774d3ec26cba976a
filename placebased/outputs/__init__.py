"""Outputs: interactive and static maps, charts, PDF profiles, workshop text and the wording they share.

Outputs draw what the orchestration (:mod:`placebased.pipeline`) computed; they never compute statistics
or scores themselves (checked by ``tests/test_architecture.py``)."""
