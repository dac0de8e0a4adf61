"""On-disk formats, one module each: the only code that reads or writes its files (atomically)."""
