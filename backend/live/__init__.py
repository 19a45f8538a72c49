"""Live sessions: the modulation stream a browser follows while a session plays (spec §3.2, §5.1)."""
