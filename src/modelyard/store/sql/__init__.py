"""SQL backend pieces shared by the tracking and registry stores: engine, schema, migrations."""
