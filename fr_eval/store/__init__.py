"""Where results are kept: atomic writes, run folders and their tables, and what fr-eval may delete."""
