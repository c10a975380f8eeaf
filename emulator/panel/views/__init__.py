"""The panel's pages and form actions, one module per area."""
