"""The outer ring: the command line, the app factory, channels, console, delivery."""
