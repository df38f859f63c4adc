package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/pod"
	"github.com/tektoncd/pipeline/pkg/result"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// --kubelet CMD hands every TaskRun's Pod, exactly as Tekton built it, to a program that runs
// it for real (the end-to-end tests run the steps on the host), and reports what that program
// says happened instead of assuming every step exits 0. The reconcilers stay Tekton's own: which
// task runs next, what a failure skips and what the run's status is are still decided by them.
//
// CMD is run with `sh -c`, gets one kubeletRequest as JSON on stdin, and prints one kubeletReply
// on stdout; its stderr passes through (the steps' logs).

type kubeletRequest struct {
	TaskRun      string        `json:"taskRun"`
	PipelineTask string        `json:"pipelineTask"`
	Pod          *podView      `json:"pod"`
	Steps        []kubeletStep `json:"steps"`
}

// kubeletStep is what the runner needs of a step beyond its container: whether a failure
// stops the steps after it (pkg/entrypoint: onError), and which results it may write.
type kubeletStep struct {
	Name      string   `json:"name"`
	Container string   `json:"container"`
	OnError   string   `json:"onError"`
	Results   []string `json:"results"`
}

type kubeletReply struct {
	// ConfigError is set when a container could not be created (a Secret key missing, say):
	// the kubelet leaves the Pod waiting with CreateContainerConfigError.
	ConfigError string `json:"configError"`
	// Steps are the steps that ran, in order; the ones after the last are skipped.
	Steps []kubeletStepReply `json:"steps"`
}

type kubeletStepReply struct {
	ExitCode int32 `json:"exitCode"`
	// TaskResults are the files in the Task's results folder once the step ended: the
	// entrypoint reads them whether or not the step failed (pkg/entrypoint/entrypointer.go).
	TaskResults map[string]string `json:"taskResults"`
	StepResults map[string]string `json:"stepResults"`
}

// askKubelet runs CMD on one Pod.
func askKubelet(cmd string, req kubeletRequest) (kubeletReply, error) {
	var reply kubeletReply
	in, err := json.Marshal(req)
	if err != nil {
		return reply, err
	}
	c := exec.Command("sh", "-c", cmd)
	c.Stdin = bytes.NewReader(in)
	c.Stderr = os.Stderr
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Run(); err != nil {
		return reply, fmt.Errorf("--kubelet on %s: %v", req.TaskRun, err)
	}
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil {
		return reply, fmt.Errorf("--kubelet on %s printed no reply: %v", req.TaskRun, err)
	}
	return reply, nil
}

// completePodExternally is completePod with the outcome of each step taken from --kubelet.
func completePodExternally(c *fakeCluster, p *corev1.Pod, tr *v1.TaskRun, ts *v1.TaskSpec, out *runOutput) error {
	req := kubeletRequest{TaskRun: tr.Name, PipelineTask: tr.Labels[pipeline.PipelineTaskLabelKey],
		Pod: newPodView(p), Steps: []kubeletStep{}}
	var steps []int
	for i, ctr := range p.Spec.Containers {
		if !pod.IsContainerStep(ctr.Name) {
			continue
		}
		s := kubeletStep{Name: ctr.Name, Container: ctr.Name, Results: []string{}}
		if n := len(steps); n < len(ts.Steps) {
			s.Name, s.OnError = ts.Steps[n].Name, string(ts.Steps[n].OnError)
			for _, r := range ts.Steps[n].Results {
				s.Results = append(s.Results, r.Name)
			}
		}
		req.Steps = append(req.Steps, s)
		steps = append(steps, i)
	}
	reply, err := askKubelet(out.kubelet, req)
	if err != nil {
		return err
	}
	if len(reply.Steps) > len(steps) {
		return fmt.Errorf("--kubelet on %s reported %d steps; the Pod has %d", tr.Name, len(reply.Steps), len(steps))
	}
	now := metav1.NewTime(time.Now())
	p = p.DeepCopy()
	if reply.ConfigError != "" {
		statuses := make([]corev1.ContainerStatus, len(p.Spec.Containers))
		for i, ctr := range p.Spec.Containers {
			statuses[i] = corev1.ContainerStatus{Name: ctr.Name, Image: ctr.Image, State: corev1.ContainerState{
				Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: reply.ConfigError}}}
		}
		p.Status.ContainerStatuses = statuses
		p.Status.Phase = corev1.PodPending
		_, err := c.kube.CoreV1().Pods(p.Namespace).UpdateStatus(c.ctx, p, metav1.UpdateOptions{})
		return err
	}
	statuses := completedAll(p.Spec.Containers, now)
	failed := false
	for n, ci := range steps {
		term := statuses[ci].State.Terminated
		msg := []result.RunResult{{Key: "StartedAt", Value: now.Format(timeFormat),
			ResultType: result.InternalTektonResultType}}
		if n >= len(reply.Steps) || failed {
			// The entrypoint of a step after a failed one exits 1 without running it.
			term.ExitCode, term.Reason = 1, "Error"
			msg = append(msg, result.RunResult{Key: "Reason", Value: "Skipped",
				ResultType: result.InternalTektonResultType})
			failed = true
		} else {
			r := reply.Steps[n]
			switch {
			case r.ExitCode != 0 && req.Steps[n].OnError == string(v1.Continue):
				msg = append(msg, result.RunResult{Key: "ExitCode", Value: fmt.Sprint(r.ExitCode),
					ResultType: result.InternalTektonResultType})
			case r.ExitCode != 0:
				term.ExitCode, term.Reason = r.ExitCode, "Error"
				failed = true
			}
			for k, v := range r.TaskResults {
				msg = append(msg, result.RunResult{Key: k, Value: v, ResultType: result.TaskRunResultType})
			}
			for k, v := range r.StepResults {
				msg = append(msg, result.RunResult{Key: k, Value: v, ResultType: result.StepResultType})
			}
		}
		b, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		term.Message = string(b)
	}
	return finishPod(c, p, statuses, failed, now)
}
