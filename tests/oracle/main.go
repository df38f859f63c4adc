// Command tekton-oracle judges generated Tekton resources with Tekton's own code.
//
// ghtotekton's `validate` re-implements the admission webhook in Python, and a re-implementation
// can only check our own reading of Tekton. This harness links the released tektoncd/pipeline and
// tektoncd/triggers modules instead:
//
//	tekton-oracle admit [--flags FILE] PATH...
//	    decode every document strictly with Tekton's schemes, SetDefaults, Validate.
//	tekton-oracle run DIR --pipelinerun FILE [--param k=v]... [--fail TASK[/STEP]] [--flags FILE]
//	    drive the real PipelineRun and TaskRun reconcilers over fake clients until the run is done.
//	    With --kubelet CMD, CMD runs each Pod for real and reports its steps' exit codes and results.
//
// Both print JSON on stdout and exit 0 when what was asked holds, 1 when it does not, 2 on bad
// input (unreadable files, bad flags).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// Exit codes shared by every command.
const (
	exitHolds    = 0
	exitNotHolds = 1
	exitBadInput = 2
)

// usageError is bad command-line usage: exit 2 with the message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	// TEKTON_ORACLE_CPUPROFILE=FILE writes a CPU profile (go tool pprof) of the command.
	if path := os.Getenv("TEKTON_ORACLE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := realMain(os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				_ = f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  tekton-oracle admit [--flags FILE] PATH...
  tekton-oracle run DIR --pipelinerun FILE [--param k=v]... [--fail PIPELINETASK[/STEP]]
                    [--result PIPELINETASK.RESULT=VALUE]... [--flags FILE] [--kubelet CMD]
  tekton-oracle version

admit: one JSON line per document (file, kind, name, errors); exit 0 when all are admitted.
run:   one JSON document (pipelineRun, taskRuns, affinityAssistants); exit 0 when the
       PipelineRun succeeded, 1 when it failed or did not finish.
--kubelet CMD: run each TaskRun's Pod with CMD (sh -c; the Pod as JSON on stdin, the steps'
              exit codes and results as JSON on stdout) instead of assuming every step exits 0.
--flags FILE: YAML with the feature-flags ConfigMap (and optionally config-defaults);
              Tekton's defaults otherwise.`

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitBadInput
	}
	setUpProcess()
	var (
		code int
		err  error
	)
	switch args[0] {
	case "admit":
		code, err = admitCommand(args[1:], stdout)
	case "run":
		code, err = runCommand(args[1:], stdout)
	case "version":
		code, err = versionCommand(stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitHolds
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "tekton-oracle: %s\n%s\n", ue.msg, usage)
		} else {
			fmt.Fprintf(stderr, "tekton-oracle: %v\n", err)
		}
		return exitBadInput
	}
	return code
}

// writeJSON prints one value as a single JSON line.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
