"""Schedules to and from the files of peer tools: SBaGen `.sbg` (import and export) and Gnaural
`.gnaural` (import).

Every importer reads its format into timed `Breakpoint`s of one `Sound` (what NeuroTune can play:
one beat or pulse, a carrier, a layer, a noise colour, tone and noise levels), which `timeline`
turns into a schedule that passes the validator, or refuses with the line that is out of bounds,
or (asked to) clamps it and says what changed. `files.import_file` picks the format. Hostile input
is refused with `FileRefused` (a line number when there is one), never read without limits.
"""
