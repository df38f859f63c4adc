"""Source model -> Tekton model, driven by the rule table in mappings/."""
