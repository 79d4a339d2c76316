"""Ivica: connectors."""
