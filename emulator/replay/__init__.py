"""``glance-emulator replay``: send a recorded request log again to another endpoint and
compare the answers.

``recording`` reads the log, ``ids`` learns and substitutes the ids that differ between the
two sides, ``logins`` rewrites the recorded Keystone logins, ``compare`` compares answers,
``runner`` does the HTTP. Everything but ``runner`` is plain functions and data.
"""
