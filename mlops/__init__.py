"""Ivica: mlops."""
