"""The schedule rules, at the bottom of the backend: nothing here imports anything above it.

What a modulation schedule is (`schedule`), the listener it is for (`listener`), the safety
limits and the one gate every schedule passes (`limits`, `validator`), the rule-based planner
(`intents` -> `shaping` -> `glides` -> `plan`, with the `hold` contract a model writes to),
merging a refinement into a playing schedule (`merge`), and the port a refiner implements
(`refiner`). No database, no sockets, no model: plain values in, plain values out.
"""
