"""Storage: the Writer/Reader interfaces and their backends."""

from limelight.store.api import DatasetInfo, DatasetSchema, KeyInfo, MetaStore, Reader, Writer

__all__ = ["DatasetInfo", "DatasetSchema", "KeyInfo", "MetaStore", "Reader", "Writer"]
