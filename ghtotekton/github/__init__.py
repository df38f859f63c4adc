"""The source side: GitHub Actions workflows, composite actions and reusable workflows."""
