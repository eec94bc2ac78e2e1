"""One module per zoo site; each defines a Site subclass."""
