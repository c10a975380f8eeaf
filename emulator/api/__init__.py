"""Flask blueprints named after Glance's controllers, plus auth and error rendering."""
