"""The referral engine's use cases: provider search, referral lifecycle, consent, notifications.

Use cases take a session and flush; the request or CLI command commits.
"""
