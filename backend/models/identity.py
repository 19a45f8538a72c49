"""One person, one identity: the canonical form of an email address and of a username.

Both are compared as Unicode NFKC + case folding, and nothing else: case and compatibility forms
(`JOSE@`, full-width `jose@`, `Straße`/`STRASSE`) are the same identity; accents are significant
(`josé@` and `jose@` are different mailboxes under RFC 6531, and different accounts here). The
canonical forms are stored in unique columns compared byte for byte on every database (binary
collation on MySQL/MariaDB), so SQLite and MariaDB agree on who is the same person, and the login
throttle counts failures per canonical email: no spelling of one address gets fresh attempts.
"""

import unicodedata


def canonical_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def canonical_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username.strip()).casefold()
