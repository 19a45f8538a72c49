"""Flows that span domains: each gathers what it needs once, then calls the domains.

Routers call exactly one of these (or one domain service); nothing below imports them.
"""
