"""ghtotekton: move CI from GitHub Actions to Tekton without losing a check on the way."""

__version__ = "0.1.0.dev0"
