package main

import (
	"io"
	"runtime/debug"
)

// versions names the Tekton modules this binary was built with, so every answer says which
// Tekton judged it.
type versions struct {
	Pipeline string `json:"pipeline"`
	Triggers string `json:"triggers"`
	Go       string `json:"go"`
}

func moduleVersions() versions {
	v := versions{Pipeline: "unknown", Triggers: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = info.GoVersion
	for _, dep := range info.Deps {
		switch dep.Path {
		case "github.com/tektoncd/pipeline":
			v.Pipeline = dep.Version
		case "github.com/tektoncd/triggers":
			v.Triggers = dep.Version
		}
	}
	return v
}

func versionCommand(stdout io.Writer) (int, error) {
	return exitHolds, writeJSON(stdout, moduleVersions())
}
