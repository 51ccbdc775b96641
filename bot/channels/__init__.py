"""Channels translate between a wire format and the core's Incoming and Reply; no more."""
