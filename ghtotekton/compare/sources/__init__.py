"""Where run bundles come from besides a folder or a zip: a GitHub run, a Tekton PipelineRun.

Each source writes an ordinary bundle folder (run.json + artifacts/), so everything after it reads
one shape. ``open_bundle`` in compare/bundle.py dispatches here by the ``github:``/``tekton:``
prefix.
"""
