"""`ivica demo`: the whole system on one machine, from real clips to a live dashboard.

The demo sits above every part and orchestrates them (docs/demo.md): `infra` starts the
services, `connectors` migrates and applies the sinks, the jobs are submitted to the local Flink
cluster, `edge_producer` runs four cameras on the real clips, and `dashboards` serves Superset.
"""
