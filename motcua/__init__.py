"""The project's single command line: `motcua <subcommand> …` (see motcua/cli.py)."""
