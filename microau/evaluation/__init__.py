"""Pooled scores with subject-bootstrap intervals: the AU and MER tables, protocols, ablations, report figures."""
