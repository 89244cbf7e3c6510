"""The message catalogs: extracting texts and updating the catalogs."""
