"""Search ranking's web strings: only an Arabic catalog (the pages are the directory's)."""
