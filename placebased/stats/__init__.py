"""Statistics: counts per area, spatial weights, Moran's I, LISA, Gi*, smoothing, trends, monitoring
charts, regression and evaluation. Imports only ``io`` and the package root, never ``score``, ``outputs``
or the orchestration (checked by ``tests/test_architecture.py``)."""
