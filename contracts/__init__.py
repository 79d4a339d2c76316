"""Ivica: contracts."""
