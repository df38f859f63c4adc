"""The Tekton side: strict models of what we emit, the emitter and the validator."""
