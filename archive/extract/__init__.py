"""Extraction: one captured page -> its documents (decode, boilerplate, text, metadata)."""
