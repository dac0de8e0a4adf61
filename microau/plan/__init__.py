"""What to run: the config and its schema, the AU-emotion correspondence, the paper's tables, the workflow plan."""
