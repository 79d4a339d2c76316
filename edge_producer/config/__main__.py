"""``python -m edge_producer.config``: print the config reference of docs/edge.md."""

from edge_producer.config import config_reference

print(config_reference(), end="")
