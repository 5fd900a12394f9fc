"""amodal-vos command line."""
