"""NeuroTune: a self-hosted adaptive sound companion (backend package)."""

__version__ = "1.0.0"
