"""Micro-AU CLIP pipeline: readers, preprocessing, model, training and evaluation."""

__version__ = "0.1.0"
