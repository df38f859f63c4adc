"""The staged traffic shift from GitHub Actions to Tekton."""
