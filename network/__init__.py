"""The NGO network's use cases: directory, organisations, accounts, tokens, partners, forum,
library.

Use cases take a session and flush; the request or CLI command commits. ``cli`` holds the
room's commands.
"""
