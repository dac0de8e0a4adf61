"""Per-sample preprocessing stages: video reading, crop, magnify, flow, landmarks, the apex search,
and the chain that composes them once.

None of these modules imports torch: a preprocessing job should start in well under a second.
"""
