package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/pod"
	"github.com/tektoncd/pipeline/pkg/result"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
)

// failPlan is --fail PIPELINETASK[/STEP]: that task's step (its first without /STEP) exits 1.
type failPlan struct {
	task string
	step string
}

func parseFailPlan(v string) (*failPlan, error) {
	if v == "" {
		return nil, nil
	}
	task, step, _ := strings.Cut(v, "/")
	if task == "" {
		return nil, usageError{fmt.Sprintf("--fail %q: want PIPELINETASK[/STEP]", v)}
	}
	return &failPlan{task: task, step: step}, nil
}

// parseResultOverrides reads --result PIPELINETASK.RESULT=VALUE.
func parseResultOverrides(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range values {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.Contains(key, ".") {
			return nil, usageError{fmt.Sprintf("--result %q: want PIPELINETASK.RESULT=VALUE", kv)}
		}
		out[key] = value
	}
	return out, nil
}

// placeholder is the value a step writes for a result nobody gave with --result, shaped by
// the result's type so that Tekton's own type checks pass.
func placeholder(kind v1.ResultsType, properties map[string]v1.PropertySpec) string {
	switch kind {
	case v1.ResultsTypeArray:
		return `["placeholder"]`
	case v1.ResultsTypeObject:
		obj := map[string]string{}
		for name := range properties {
			obj[name] = "placeholder"
		}
		b, _ := json.Marshal(obj)
		return string(b)
	}
	return "placeholder"
}

// timeFormat is the entrypoint's format for StartedAt (pkg/entrypoint).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// completePod reports a Pod finished, as the kubelet would after Tekton's entrypoint ran each
// step (pkg/entrypoint/entrypointer.go): a step exits 0 and writes its results to its
// termination message; the failing step exits 1 (0 with an ExitCode result under
// onError: continue); the steps after a failed one exit 1 with Reason "Skipped".
func completePod(c *fakeCluster, p *corev1.Pod, out *runOutput) error {
	trName := ""
	for _, ref := range p.OwnerReferences {
		if ref.Kind == "TaskRun" {
			trName = ref.Name
		}
	}
	if trName == "" {
		return nil // not a TaskRun's pod (an affinity assistant, say)
	}
	tr, err := c.tekton.TektonV1().TaskRuns(p.Namespace).Get(c.ctx, trName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	ts := tr.Status.TaskSpec
	if ts == nil {
		ts = &v1.TaskSpec{}
	}
	if out.kubelet != "" {
		return completePodExternally(c, p, tr, ts, out)
	}
	pipelineTask := tr.Labels[pipeline.PipelineTaskLabelKey]
	failAt := -1
	if out.failPlan != nil && out.failPlan.task == pipelineTask {
		failAt = 0
		if out.failPlan.step != "" {
			failAt = -1
			for i, s := range ts.Steps {
				if s.Name == out.failPlan.step {
					failAt = i
				}
			}
			if failAt < 0 {
				return usageError{fmt.Sprintf("--fail %s/%s: the task has no step %q", out.failPlan.task,
					out.failPlan.step, out.failPlan.step)}
			}
		}
		out.FailInjected = true
	}

	now := metav1.NewTime(time.Now())
	var steps []int // indexes of step containers in p.Spec.Containers
	for i, ctr := range p.Spec.Containers {
		if pod.IsContainerStep(ctr.Name) {
			steps = append(steps, i)
		}
	}
	lastRan := len(steps) - 1
	if failAt >= 0 && failAt < len(steps) && (failAt >= len(ts.Steps) || ts.Steps[failAt].OnError != v1.Continue) {
		lastRan = failAt
	}
	writers := resultWriters(ts)
	failed := false
	statuses := completedAll(p.Spec.Containers, now)
	for n, ci := range steps {
		term := statuses[ci].State.Terminated
		msg := []result.RunResult{{Key: "StartedAt", Value: now.Format(timeFormat),
			ResultType: result.InternalTektonResultType}}
		var step *v1.Step
		if n < len(ts.Steps) {
			step = &ts.Steps[n]
		}
		switch {
		case n > lastRan:
			term.ExitCode, term.Reason = 1, "Error"
			msg = append(msg, result.RunResult{Key: "Reason", Value: "Skipped",
				ResultType: result.InternalTektonResultType})
		case n == failAt && step != nil && step.OnError == v1.Continue:
			msg = append(msg, result.RunResult{Key: "ExitCode", Value: "1",
				ResultType: result.InternalTektonResultType})
		case n == failAt:
			term.ExitCode, term.Reason = 1, "Error"
			failed = true
		}
		if n <= lastRan && step != nil {
			for _, r := range step.Results {
				msg = append(msg, result.RunResult{Key: r.Name,
					Value:      out.resultValue(pipelineTask, r.Name, placeholder(r.Type, r.Properties)),
					ResultType: result.StepResultType})
			}
		}
		for _, r := range ts.Results {
			if r.Value != nil {
				continue // filled from a step's result by Tekton itself
			}
			// A result a step's own text writes is there once that step ran (a failing
			// script may write it before it exits), with the literal the text writes when it
			// writes one (Tekton keeps the latest step's value); one no step names is there
			// at the end.
			written, named := writers[r.Name]
			w, isWriter := written[n]
			if (isWriter && n <= lastRan) || (!named && n == lastRan) {
				value := placeholder(r.Type, r.Properties)
				if w.literal {
					value = w.value
				}
				msg = append(msg, result.RunResult{Key: r.Name,
					Value:      out.resultValue(pipelineTask, r.Name, value),
					ResultType: result.TaskRunResultType})
			}
		}
		b, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		term.Message = string(b)
	}
	if n := len(steps); n > 0 && lastRan < n-1 {
		failed = true
	}
	return finishPod(c, p, statuses, failed, now)
}

// completedAll is each container having run and exited 0.
func completedAll(containers []corev1.Container, now metav1.Time) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, len(containers))
	for i, ctr := range containers {
		out[i] = corev1.ContainerStatus{Name: ctr.Name, Image: ctr.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}}}
	}
	return out
}

// finishPod writes what the kubelet reports of a Pod that ran: its containers' statuses, its
// init containers done, and the phase.
func finishPod(c *fakeCluster, p *corev1.Pod, statuses []corev1.ContainerStatus, failed bool,
	now metav1.Time) error {
	p = p.DeepCopy()
	p.Status.ContainerStatuses = statuses
	p.Status.InitContainerStatuses = completedAll(p.Spec.InitContainers, now)
	p.Status.StartTime = &now
	p.Status.Phase = corev1.PodSucceeded
	if failed {
		p.Status.Phase = corev1.PodFailed
	}
	_, err := c.kube.CoreV1().Pods(p.Namespace).UpdateStatus(c.ctx, p, metav1.UpdateOptions{})
	return err
}

func (o *runOutput) resultValue(pipelineTask, name, fallback string) string {
	key := pipelineTask + "." + name
	if v, ok := o.resultOverrides[key]; ok {
		delete(o.unusedOverrides, key)
		return v
	}
	return fallback
}

// collect reads the finished state out of the fake cluster into the output.
func collect(c *fakeCluster, pr *v1.PipelineRun, out *runOutput) error {
	ctx := c.ctx
	cur, err := c.tekton.TektonV1().PipelineRuns(pr.Namespace).Get(ctx, pr.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	out.PipelineRun = conditionView(cur.Name, cur.Status.GetCondition(apis.ConditionSucceeded))
	for _, s := range cur.Status.SkippedTasks {
		out.SkippedTasks = append(out.SkippedTasks, skippedView{Name: s.Name, Reason: string(s.Reason)})
	}
	matrixParams := map[string]map[string]bool{}
	if spec := cur.Status.PipelineSpec; spec != nil {
		for _, t := range append(append([]v1.PipelineTask{}, spec.Tasks...), spec.Finally...) {
			if t.Matrix == nil {
				continue
			}
			names := map[string]bool{}
			for _, p := range t.Matrix.Params {
				names[p.Name] = true
			}
			for _, inc := range t.Matrix.Include {
				for _, p := range inc.Params {
					names[p.Name] = true
				}
			}
			matrixParams[t.Name] = names
		}
	}
	trs, err := c.tekton.TektonV1().TaskRuns(pr.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sort.Slice(trs.Items, func(i, j int) bool { return trs.Items[i].Name < trs.Items[j].Name })
	for i := range trs.Items {
		tr := &trs.Items[i]
		sv := conditionView(tr.Name, tr.Status.GetCondition(apis.ConditionSucceeded))
		view := taskRunView{Name: tr.Name, PipelineTask: tr.Labels[pipeline.PipelineTaskLabelKey],
			Status: sv.Status, Reason: sv.Reason, Message: sv.Message, Steps: []stepView{},
			Matrix: map[string]string{}}
		if names := matrixParams[view.PipelineTask]; len(names) > 0 {
			for _, p := range tr.Spec.Params {
				if names[p.Name] {
					view.Matrix[p.Name] = p.Value.StringVal
				}
			}
		}
		for _, s := range tr.Status.Steps {
			sv := stepView{Name: s.Name, TerminationReason: s.TerminationReason}
			if s.Terminated != nil {
				sv.ExitCode = s.Terminated.ExitCode
			}
			view.Steps = append(view.Steps, sv)
		}
		if tr.Status.PodName != "" {
			if p, err := c.kube.CoreV1().Pods(pr.Namespace).Get(ctx, tr.Status.PodName, metav1.GetOptions{}); err == nil {
				view.Pod = newPodView(p)
			}
		}
		out.TaskRuns = append(out.TaskRuns, view)
	}
	for _, s := range c.createdStatefulSets {
		av := affinityView{Name: s.Name, NodeSelector: s.Spec.Template.Spec.NodeSelector,
			Tolerations: orEmpty(s.Spec.Template.Spec.Tolerations), Affinity: s.Spec.Template.Spec.Affinity,
			VolumeClaimTemplates: []string{}, Volumes: orEmpty(s.Spec.Template.Spec.Volumes)}
		if av.NodeSelector == nil {
			av.NodeSelector = map[string]string{}
		}
		for _, t := range s.Spec.VolumeClaimTemplates {
			av.VolumeClaimTemplates = append(av.VolumeClaimTemplates, t.Name)
		}
		out.AffinityAssistants = append(out.AffinityAssistants, av)
	}
	remaining := map[string]bool{}
	pvcs, err := c.kube.CoreV1().PersistentVolumeClaims(pr.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pvcs.Items {
		remaining[p.Name] = true
	}
	for _, name := range c.createdPVCs {
		out.PVCs = append(out.PVCs, pvcView{Name: name, KeptAfterRun: remaining[name]})
	}
	for key := range out.unusedOverrides {
		out.Events = append(out.Events, fmt.Sprintf("oracle: --result %s matched no result any step wrote", key))
	}
	sort.Strings(out.Events)
	return nil
}

func conditionView(name string, cond *apis.Condition) statusView {
	if cond == nil {
		return statusView{Name: name, Status: "Pending", Reason: "NotReconciled"}
	}
	status := "Running"
	switch cond.Status {
	case corev1.ConditionTrue:
		status = "Succeeded"
	case corev1.ConditionFalse:
		status = "Failed"
	}
	return statusView{Name: name, Status: status, Reason: cond.Reason, Message: cond.Message}
}

func newContainerView(c corev1.Container) containerView {
	return containerView{Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args,
		WorkingDir: c.WorkingDir, Env: orEmpty(c.Env), EnvFrom: c.EnvFrom, Resources: c.Resources,
		VolumeMounts: orEmpty(c.VolumeMounts), SecurityContext: c.SecurityContext,
		ReadinessProbe: c.ReadinessProbe}
}

func newPodView(p *corev1.Pod) *podView {
	view := &podView{Name: p.Name, ServiceAccountName: p.Spec.ServiceAccountName,
		Containers: []containerView{}, InitContainers: []containerView{},
		Volumes: orEmpty(p.Spec.Volumes), NodeSelector: p.Spec.NodeSelector,
		Tolerations: orEmpty(p.Spec.Tolerations), Affinity: p.Spec.Affinity,
		SecurityContext: p.Spec.SecurityContext, RuntimeClassName: p.Spec.RuntimeClassName}
	for _, c := range p.Spec.Containers {
		view.Containers = append(view.Containers, newContainerView(c))
	}
	for _, c := range p.Spec.InitContainers {
		view.InitContainers = append(view.InitContainers, newContainerView(c))
	}
	if view.NodeSelector == nil {
		view.NodeSelector = map[string]string{}
	}
	return view
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// resultWrite is one step writing one result: the literal it writes when its text shows it
// (printf VALUE > $(results.NAME.path)).
type resultWrite struct {
	literal bool
	value   string
}

// resultWriters maps each Task result to the steps whose script, command, args or env name its
// file ($(results.NAME.path), or /tekton/results/NAME once Tekton substituted it).
func resultWriters(ts *v1.TaskSpec) map[string]map[int]resultWrite {
	out := map[string]map[int]resultWrite{}
	for i, step := range ts.Steps {
		parts := []string{step.Script}
		parts = append(parts, step.Command...)
		parts = append(parts, step.Args...)
		for _, e := range step.Env {
			parts = append(parts, e.Value)
		}
		text := strings.Join(parts, "\n")
		for _, r := range ts.Results {
			if !mentions(text, "$(results."+r.Name+".path)") && !mentions(text, "/tekton/results/"+r.Name) {
				continue
			}
			if out[r.Name] == nil {
				out[r.Name] = map[int]resultWrite{}
			}
			w := resultWrite{}
			if m := literalWrite(r.Name).FindStringSubmatch(text); m != nil {
				w = resultWrite{literal: true, value: m[1] + m[2] + m[3]}
			}
			out[r.Name][i] = w
		}
	}
	return out
}

// literalWrite matches `printf VALUE > "$(results.NAME.path)"` (or the substituted path).
func literalWrite(name string) *regexp.Regexp {
	file := `(?:\$\(results\.` + regexp.QuoteMeta(name) + `\.path\)|/tekton/results/` + regexp.QuoteMeta(name) + `)`
	return regexp.MustCompile(`printf\s+(?:'([^'%]*)'|"([^"$%]*)"|([A-Za-z0-9_.-]+))\s*>\s*"?` + file + `"?(?:\s|$)`)
}

// mentions is true when text holds ref not followed by more of a result name.
func mentions(text, ref string) bool {
	for rest := text; ; {
		at := strings.Index(rest, ref)
		if at < 0 {
			return false
		}
		rest = rest[at+len(ref):]
		if rest == "" || !strings.ContainsAny(rest[:1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") {
			return true
		}
	}
}
