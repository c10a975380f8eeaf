"""Schema documents: Glance's served JSON schemas (``glance_json``) and request/response shapes."""
