"""`ghtotekton check`: the CI gate of a migration pull request.

``drift`` regenerates the Tekton output in memory and compares it with the committed folder,
``policy`` decides what fails, ``formats`` renders the outcome for people, GitHub and machines.
"""
