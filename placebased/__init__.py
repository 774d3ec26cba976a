"""placebased: where should a Serious Violence Duty partnership act?

The pipeline is load -> validate -> aggregate -> statistics -> score -> map / report. Work is
in EPSG:27700 (British National Grid); functions return new frames indexed by area code.
"""

from placebased.errors import ConfigError, DataError, PlaceBasedError, SchemaError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "PlaceBasedError", "SchemaError", "__version__"]
