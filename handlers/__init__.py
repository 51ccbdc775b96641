"""The conversation floor: channel-agnostic message types, the router, one module a feature."""
