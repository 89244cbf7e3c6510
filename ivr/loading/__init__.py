"""Reading and checking the configuration: YAML with file and line, catalogs, every check."""
