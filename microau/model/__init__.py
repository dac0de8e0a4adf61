"""Micro-AU CLIP over cached visual states (PTA, GDA, text tail, heads), its losses, temperature and
MER scoring, the CLIP weights and features stage, and the devices it runs on.

Nothing is re-exported here: `microau.model.features` must load without torch's import cost in jobs
that never build the model."""
