"""Ivica: infra."""
