"""The archive's store: schema, the indexer (the one write path), search, dedup, reindex."""
