"""Glance's rules as plain functions and tables: no Flask, no SQL, no clock, no I/O."""
