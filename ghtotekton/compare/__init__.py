"""The shadow-run comparator: is the Tekton run the same as the GitHub Actions run?"""
