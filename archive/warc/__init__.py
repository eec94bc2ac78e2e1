"""Reading the WARC files back: records, their directories, CDXJ indexes, verification."""
