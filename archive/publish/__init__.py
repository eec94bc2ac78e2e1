"""Publishing: the Datasette plugin and pages, citations, exports, crawl reports, WACZ."""
