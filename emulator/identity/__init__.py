"""The Keystone v3 subset clients need to log in."""
