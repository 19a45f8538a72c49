"""Audio analysis: tempo, key and beat phase of library tracks."""

from backend.audio_processor.analyzer import TrackAnalysis, analyze_file, analyze_signal, warm_up

__all__ = ["TrackAnalysis", "analyze_file", "analyze_signal", "warm_up"]
