"""One function per use case. The API, the CLI and the scenario loader all call these."""
