"""Shipped YAML configs."""
