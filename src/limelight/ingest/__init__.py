"""Ingest: pure decoders from wire formats to Batches, and the queue that commits them."""
