"""Micro-AU CLIP over cached visual states: PTA (LSI), GDA (GSD), text tail, heads."""

from microau.model.micro_au_clip import MicroAUCLIP, ModelOptions

__all__ = ["MicroAUCLIP", "ModelOptions"]
