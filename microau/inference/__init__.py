"""A trained model on new clips: predict one pair, analyse many, review pages."""
