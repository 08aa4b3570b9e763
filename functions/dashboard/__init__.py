"""The dashboard stage (``tb dashboard build``): the static site from committed artifacts."""
