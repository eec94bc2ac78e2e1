"""The `union-archive` command line and scheduling: above crawler/ and archive/, driving both."""
