"""Ivica: ivica."""
