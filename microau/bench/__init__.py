"""Measurements of the pipeline's cost: stage throughput, training step, memory."""
