"""Micro-expression spotting in long videos: intervals and their scoring, the spotter, the readers
of long-video releases, the spotting table and the end-to-end analysis of a long video."""
