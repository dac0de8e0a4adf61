"""The generators of synthetic releases with a known answer: `synthetic` (`microau synthesize`,
short clips in a release's layout) and `synthetic_long` (`microau synthesize-long`, long videos
with their truth)."""
