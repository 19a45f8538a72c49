"""A schedule rendered to an audio file on the server, sounding as the browser's engine plays it.

`levels` holds the engine's loudness and timing (frontend/lib/audio/levels.ts), `glides` the curves
every parameter follows (frontend/lib/scheduleMath.ts), `noise` the seamless pink/brown loops
(frontend/lib/audio/noise.ts, seeded here), `synth` the signal graph computed block by block with
numpy (frontend/lib/audio/SessionGraph.ts), and `encode` the file formats (WAV, FLAC, Ogg/Opus, MP3
through libsndfile). It depends on the schedule rules only: routers and the CLI call it.
"""
