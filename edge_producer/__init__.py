"""Ivica: edge_producer."""
