"""Extraction quality: scores against the zoo's gold and against saved real pages."""
