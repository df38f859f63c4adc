package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1alpha1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"github.com/tektoncd/pipeline/pkg/reconciler/pipelinerun"
	"github.com/tektoncd/pipeline/pkg/reconciler/taskrun"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"knative.dev/pkg/apis"
	cminformer "knative.dev/pkg/configmap/informer"
	"knative.dev/pkg/controller"
	"knative.dev/pkg/reconciler"
	"knative.dev/pkg/system"
)

// images are the controller's own images (entrypoint, nop, shell, ...), which a real
// installation passes as flags; any non-empty names do here.
var images = pipeline.Images{
	EntrypointImage:        "ghcr.io/tektoncd/pipeline/entrypoint:oracle",
	SidecarLogResultsImage: "ghcr.io/tektoncd/pipeline/sidecarlogresults:oracle",
	NopImage:               "ghcr.io/tektoncd/pipeline/nop:oracle",
	ShellImage:             "cgr.dev/chainguard/busybox:latest",
	ShellImageWin:          "mcr.microsoft.com/powershell:nanoserver",
	WorkingDirInitImage:    "ghcr.io/tektoncd/pipeline/workingdirinit:oracle",
}

// maxRounds bounds the reconcile loop; a PipelineRun that is not done by then is reported as is.
const maxRounds = 400

type runOptions struct {
	dir         string
	pipelineRun string
	params      []string
	fail        string
	results     []string
	flagsFile   string
	kubelet     string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseRunOptions(args []string) (runOptions, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o runOptions
	var params, results multiFlag
	fs.StringVar(&o.pipelineRun, "pipelinerun", "", "PipelineRun file")
	fs.Var(&params, "param", "k=v (repeatable)")
	fs.StringVar(&o.fail, "fail", "", "PIPELINETASK[/STEP] that exits 1")
	fs.Var(&results, "result", "PIPELINETASK.RESULT=VALUE (repeatable)")
	fs.StringVar(&o.flagsFile, "flags", "", "feature-flags ConfigMap file")
	fs.StringVar(&o.kubelet, "kubelet", "", "CMD that runs each TaskRun's Pod (JSON on stdin and stdout)")
	takes := map[string]bool{"pipelinerun": true, "param": true, "fail": true, "result": true, "flags": true,
		"kubelet": true}
	if err := fs.Parse(reorder(args, takes)); err != nil {
		return o, usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return o, usageError{"run needs exactly one DIR"}
	}
	if o.pipelineRun == "" {
		return o, usageError{"run needs --pipelinerun FILE"}
	}
	o.dir, o.params, o.results = fs.Arg(0), params, results
	if o.kubelet != "" && (o.fail != "" || len(o.results) > 0) {
		return o, usageError{"--kubelet runs the Pods for real: it takes no --fail or --result"}
	}
	return o, nil
}

// runOutput is the one JSON document `run` prints.
type runOutput struct {
	Oracle             versions          `json:"oracle"`
	PipelineRun        statusView        `json:"pipelineRun"`
	TaskRuns           []taskRunView     `json:"taskRuns"`
	SkippedTasks       []skippedView     `json:"skippedTasks"`
	AffinityAssistants []affinityView    `json:"affinityAssistants"`
	PVCs               []pvcView         `json:"persistentVolumeClaims"`
	AdmissionErrors    []admitResult     `json:"admissionErrors"`
	Assumed            []string          `json:"assumed"`
	FailInjected       bool              `json:"failInjected"`
	Events             []string          `json:"events"`
	Rounds             int               `json:"rounds"`
	resultOverrides    map[string]string `json:"-"`
	unusedOverrides    map[string]bool   `json:"-"`
	failPlan           *failPlan         `json:"-"`
	kubelet            string            `json:"-"`
}

type statusView struct {
	Name    string `json:"name,omitempty"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type taskRunView struct {
	Name         string            `json:"name"`
	PipelineTask string            `json:"pipelineTask"`
	Matrix       map[string]string `json:"matrix"`
	Status       string            `json:"status"`
	Reason       string            `json:"reason"`
	Message      string            `json:"message"`
	Steps        []stepView        `json:"steps"`
	Pod          *podView          `json:"pod"`
}

type stepView struct {
	Name              string `json:"name"`
	ExitCode          int32  `json:"exitCode"`
	TerminationReason string `json:"terminationReason"`
}

type skippedView struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type containerView struct {
	Name            string                      `json:"name"`
	Image           string                      `json:"image"`
	Command         []string                    `json:"command,omitempty"`
	Args            []string                    `json:"args,omitempty"`
	WorkingDir      string                      `json:"workingDir,omitempty"`
	Env             []corev1.EnvVar             `json:"env"`
	EnvFrom         []corev1.EnvFromSource      `json:"envFrom,omitempty"`
	Resources       corev1.ResourceRequirements `json:"resources"`
	VolumeMounts    []corev1.VolumeMount        `json:"volumeMounts"`
	SecurityContext *corev1.SecurityContext     `json:"securityContext,omitempty"`
	ReadinessProbe  *corev1.Probe               `json:"readinessProbe,omitempty"`
}

type podView struct {
	Name               string                     `json:"name"`
	ServiceAccountName string                     `json:"serviceAccountName"`
	Containers         []containerView            `json:"containers"`
	InitContainers     []containerView            `json:"initContainers"`
	Volumes            []corev1.Volume            `json:"volumes"`
	NodeSelector       map[string]string          `json:"nodeSelector"`
	Tolerations        []corev1.Toleration        `json:"tolerations"`
	Affinity           *corev1.Affinity           `json:"affinity"`
	SecurityContext    *corev1.PodSecurityContext `json:"securityContext,omitempty"`
	RuntimeClassName   *string                    `json:"runtimeClassName,omitempty"`
}

// pvcView is a PersistentVolumeClaim the run created, and whether it outlived the run.
type pvcView struct {
	Name         string `json:"name"`
	KeptAfterRun bool   `json:"keptAfterRun"`
}

type affinityView struct {
	Name                 string              `json:"name"`
	NodeSelector         map[string]string   `json:"nodeSelector"`
	Tolerations          []corev1.Toleration `json:"tolerations"`
	Affinity             *corev1.Affinity    `json:"affinity"`
	VolumeClaimTemplates []string            `json:"volumeClaimTemplates"`
	Volumes              []corev1.Volume     `json:"volumes"`
}

func runCommand(args []string, stdout io.Writer) (int, error) {
	opts, err := parseRunOptions(args)
	if err != nil {
		return 0, err
	}
	cfg, err := loadClusterConfig(opts.flagsFile)
	if err != nil {
		return 0, err
	}
	overrides, err := parseResultOverrides(opts.results)
	if err != nil {
		return 0, err
	}
	plan, err := parseFailPlan(opts.fail)
	if err != nil {
		return 0, err
	}
	cluster := newFakeCluster()
	defer cluster.cancel()
	ctx := cfg.context(cluster.ctx)

	out := &runOutput{Oracle: moduleVersions(), TaskRuns: []taskRunView{}, SkippedTasks: []skippedView{},
		AffinityAssistants: []affinityView{}, PVCs: []pvcView{}, AdmissionErrors: []admitResult{},
		Assumed: []string{}, Events: []string{}, resultOverrides: overrides, failPlan: plan,
		unusedOverrides: map[string]bool{}, kubelet: opts.kubelet}
	for k := range overrides {
		out.unusedOverrides[k] = true
	}

	pr, err := readPipelineRun(opts.pipelineRun, opts.params)
	if err != nil {
		return 0, err
	}
	if err := cluster.seedConfigMaps(cfg.maps); err != nil {
		return 0, err
	}
	if err := seedDirectory(ctx, cluster, opts.dir, pr, out); err != nil {
		return 0, err
	}
	prAdmit := admitObject(ctx, opts.pipelineRun, pr)
	if len(prAdmit.Errors) > 0 {
		out.AdmissionErrors = append(out.AdmissionErrors, prAdmit)
	}
	if len(out.AdmissionErrors) > 0 {
		out.PipelineRun = statusView{Name: pr.Name, Status: "NotAdmitted",
			Reason: "AdmissionFailed", Message: "the API server would refuse these resources"}
		if err := writeJSON(stdout, out); err != nil {
			return 0, err
		}
		return exitBadInput, nil
	}
	if _, err := cluster.tekton.TektonV1().PipelineRuns(pr.Namespace).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
		return 0, err
	}

	// One ConfigMap watcher for both controllers' config stores, started once they registered.
	cmw := cminformer.NewInformedWatcher(cluster.kube, system.Namespace())
	prImpl := pipelinerun.NewController(&pipeline.Options{Images: images}, clock.RealClock{})(cluster.ctx, cmw)
	trImpl := taskrun.NewController(&pipeline.Options{Images: images}, clock.RealClock{})(cluster.ctx, cmw)
	for _, impl := range []*controller.Impl{prImpl, trImpl} {
		if la, ok := impl.Reconciler.(reconciler.LeaderAware); ok {
			if err := la.Promote(reconciler.UniversalBucket(), func(reconciler.Bucket, types.NamespacedName) {}); err != nil {
				return 0, err
			}
		}
	}
	if err := cmw.Start(cluster.ctx.Done()); err != nil {
		return 0, err
	}
	if err := drive(cluster, prImpl, trImpl, pr, out); err != nil {
		return 0, err
	}
	out.Events = append(out.Events, cluster.drainEvents()...)
	if err := writeJSON(stdout, out); err != nil {
		return 0, err
	}
	if out.PipelineRun.Status == "Succeeded" {
		return exitHolds, nil
	}
	return exitNotHolds, nil
}

// drive runs the reconcilers the way the controller's work queue would, and plays the kubelet
// for every Pod they create, until the PipelineRun is done or nothing moves any more.
func drive(c *fakeCluster, prImpl, trImpl *controller.Impl, pr *v1.PipelineRun, out *runOutput) error {
	ctx := c.ctx
	prKey := pr.Namespace + "/" + pr.Name
	completed := map[string]bool{}
	still := 0
	last := ""
	for round := 1; round <= maxRounds; round++ {
		out.Rounds = round
		if err := reconcile(ctx, prImpl, prKey); err != nil {
			return err
		}
		cur, err := c.tekton.TektonV1().PipelineRuns(pr.Namespace).Get(ctx, pr.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.IsDone() {
			break
		}
		trs, err := c.tekton.TektonV1().TaskRuns(pr.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for i := range trs.Items {
			if !trs.Items[i].IsDone() {
				if err := reconcile(ctx, trImpl, pr.Namespace+"/"+trs.Items[i].Name); err != nil {
					return err
				}
			}
		}
		pods, err := c.kube.CoreV1().Pods(pr.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if completed[p.Name] {
				continue
			}
			if err := completePod(c, p, out); err != nil {
				return err
			}
			completed[p.Name] = true
		}
		for i := range trs.Items {
			if !trs.Items[i].IsDone() {
				if err := reconcile(ctx, trImpl, pr.Namespace+"/"+trs.Items[i].Name); err != nil {
					return err
				}
			}
		}
		state := fingerprint(cur, trs.Items, len(pods.Items))
		if state == last {
			still++
			if still >= 3 {
				break
			}
		} else {
			still, last = 0, state
		}
	}
	return collect(c, pr, out)
}

// reconcile runs one reconcile of one key; requeues and permanent errors are what a work queue
// would absorb (the status already says what happened), anything else is the harness's fault.
func reconcile(ctx context.Context, impl *controller.Impl, key string) (failure error) {
	defer func() {
		if r := recover(); r != nil {
			failure = fmt.Errorf("Tekton's reconciler panicked on %s: %v", key, r)
		}
	}()
	err := impl.Reconciler.Reconcile(ctx, key)
	if err == nil || controller.IsPermanentError(err) {
		return nil
	}
	if ok, _ := controller.IsRequeueKey(err); ok {
		return nil
	}
	// Transient errors (a conflict, a resolution still pending) are retried next round.
	return nil
}

func fingerprint(pr *v1.PipelineRun, trs []v1.TaskRun, pods int) string {
	var b strings.Builder
	cond := pr.Status.GetCondition(apis.ConditionSucceeded)
	if cond != nil {
		fmt.Fprintf(&b, "%s/%s;", cond.Status, cond.Reason)
	}
	for _, tr := range trs {
		if c := tr.Status.GetCondition(apis.ConditionSucceeded); c != nil {
			fmt.Fprintf(&b, "%s=%s/%s;", tr.Name, c.Status, c.Reason)
		} else {
			fmt.Fprintf(&b, "%s=none;", tr.Name)
		}
	}
	fmt.Fprintf(&b, "pods=%d", pods)
	return b.String()
}

// readPipelineRun reads the first PipelineRun of FILE and applies --param.
func readPipelineRun(file string, params []string) (*v1.PipelineRun, error) {
	docs, err := readDocuments(file)
	if err != nil {
		return nil, err
	}
	var pr *v1.PipelineRun
	for _, doc := range docs {
		if doc.Object == nil {
			continue
		}
		switch o := doc.Object.(type) {
		case *v1.PipelineRun:
			if len(doc.Errors) > 0 {
				return nil, fmt.Errorf("%s: %s", file, strings.Join(doc.Errors, "; "))
			}
			pr = o
		case *v1beta1.PipelineRun:
			converted := &v1.PipelineRun{}
			if err := o.ConvertTo(context.Background(), converted); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			pr = converted
		}
		if pr != nil {
			break
		}
	}
	if pr == nil {
		return nil, fmt.Errorf("%s: no PipelineRun in it", file)
	}
	if pr.Namespace == "" {
		pr.Namespace = "default"
	}
	if pr.Name == "" {
		pr.Name = "oracle-run"
	}
	for _, kv := range params {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Sprintf("--param %q: want NAME=VALUE", kv)}
		}
		pv := paramValue(value)
		replaced := false
		for i := range pr.Spec.Params {
			if pr.Spec.Params[i].Name == name {
				pr.Spec.Params[i].Value = pv
				replaced = true
			}
		}
		if !replaced {
			pr.Spec.Params = append(pr.Spec.Params, v1.Param{Name: name, Value: pv})
		}
	}
	return pr, nil
}

// paramValue reads a JSON array or object as such, anything else as a string.
func paramValue(value string) v1.ParamValue {
	trimmed := strings.TrimSpace(value)
	if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{") {
		var pv v1.ParamValue
		if err := json.Unmarshal([]byte(trimmed), &pv); err == nil {
			return pv
		}
	}
	return *v1.NewStructuredValues(value)
}

// seedDirectory loads every resource of DIR into the fake cluster, after the defaults and the
// validation that admission applies; runs (PipelineRun, TaskRun) in DIR are examples and skipped.
func seedDirectory(ctx context.Context, c *fakeCluster, dir string, pr *v1.PipelineRun, out *runOutput) error {
	files, err := collectFiles([]string{dir})
	if err != nil {
		return err
	}
	ns := pr.Namespace
	serviceAccounts := map[string]bool{}
	var all []loadedObject
	for _, file := range files {
		docs, err := readDocuments(file)
		if err != nil {
			return err
		}
		for _, doc := range docs {
			if doc.BadInput {
				return fmt.Errorf("%s: document %d: %s", doc.File, doc.Index, strings.Join(doc.Errors, "; "))
			}
			if doc.Object == nil {
				continue
			}
			if obj, keep := forCluster(ctx, doc.Object); keep {
				for _, step := range assumeEntrypoints(obj) {
					out.Assumed = append(out.Assumed, fmt.Sprintf("%s: step %q has neither command nor "+
						"script; Tekton would read its image's entrypoint from the registry, the oracle "+
						"runs %s instead", doc.File, step, assumedEntrypoint))
				}
				all = append(all, loadedObject{doc: doc, obj: obj})
			}
		}
	}
	used := reachable(pr, all)
	for _, l := range all {
		// Admission is judged for what this run uses: Tekton's validation of a Task is slow
		// (a regular expression per variable), and an unused resource cannot change the run.
		if key, definition := definitionKey(l.obj); !definition || used[key] {
			res := admitObject(ctx, l.doc.File, l.obj)
			res.Index = l.doc.Index
			res.Errors = append(append([]string{}, l.doc.Errors...), res.Errors...)
			if len(res.Errors) > 0 {
				out.AdmissionErrors = append(out.AdmissionErrors, res)
				continue
			}
		}
		if sa, ok := l.obj.(*corev1.ServiceAccount); ok {
			serviceAccounts[sa.Name] = true
		}
		if err := createIn(ctx, c, ns, l.obj); err != nil {
			return fmt.Errorf("%s: document %d: %w", l.doc.File, l.doc.Index, err)
		}
	}
	// The namespace's ServiceAccounts exist on a real cluster ("default" always; the run's own
	// is one of the Secrets-and-accounts steps of the report): create what DIR does not define.
	for _, name := range runServiceAccounts(pr) {
		if serviceAccounts[name] {
			continue
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		if _, err := c.kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
			return err
		}
		if name != "default" {
			out.Assumed = append(out.Assumed, fmt.Sprintf("ServiceAccount %s/%s exists (not in %s)", ns, name, dir))
		}
	}
	return nil
}

// assumedEntrypoint stands for an image's own entrypoint, which the TaskRun reconciler reads
// from the registry for a step without command or script (pkg/pod/entrypoint_lookup.go).
const assumedEntrypoint = "/ghtotekton-oracle/image-entrypoint"

// assumeEntrypoints gives such steps a command, so the pod can be built without a registry, and
// names them. Everything else about the pod is as Tekton builds it.
func assumeEntrypoints(obj runtime.Object) []string {
	var named []string
	fix := func(steps []v1.Step) {
		for i := range steps {
			s := &steps[i]
			if s.Ref == nil && len(s.Command) == 0 && s.Script == "" {
				s.Command = []string{assumedEntrypoint}
				named = append(named, s.Name)
			}
		}
	}
	switch o := obj.(type) {
	case *v1.Task:
		fix(o.Spec.Steps)
	case *v1.Pipeline:
		for _, t := range append(append([]v1.PipelineTask{}, o.Spec.Tasks...), o.Spec.Finally...) {
			if t.TaskSpec != nil {
				fix(t.TaskSpec.Steps)
			}
		}
	case *v1beta1.StepAction:
		if len(o.Spec.Command) == 0 && o.Spec.Script == "" {
			o.Spec.Command = []string{assumedEntrypoint}
			named = append(named, o.Name)
		}
	}
	return named
}

type loadedObject struct {
	doc document
	obj runtime.Object
}

// definitionKey names a Task, Pipeline or StepAction as "Kind/name"; false for other kinds.
func definitionKey(obj runtime.Object) (string, bool) {
	switch o := obj.(type) {
	case *v1.Task:
		return "Task/" + o.Name, true
	case *v1.Pipeline:
		return "Pipeline/" + o.Name, true
	case *v1beta1.StepAction:
		return "StepAction/" + o.Name, true
	}
	return "", false
}

// reachable is every definition the PipelineRun can use by name: its Pipeline, their Tasks
// (and Pipelines in Pipelines), the StepActions of their steps.
func reachable(pr *v1.PipelineRun, all []loadedObject) map[string]bool {
	byKey := map[string]runtime.Object{}
	for _, l := range all {
		if key, ok := definitionKey(l.obj); ok {
			byKey[key] = l.obj
		}
	}
	used := map[string]bool{}
	var visitPipeline func(spec *v1.PipelineSpec)
	visitSteps := func(steps []v1.Step) {
		for _, st := range steps {
			if st.Ref != nil && st.Ref.Name != "" {
				used["StepAction/"+st.Ref.Name] = true
			}
		}
	}
	visitTask := func(name string) {
		key := "Task/" + name
		if used[key] {
			return
		}
		used[key] = true
		if t, ok := byKey[key].(*v1.Task); ok {
			visitSteps(t.Spec.Steps)
		}
	}
	visitPipelineRef := func(name string) {
		key := "Pipeline/" + name
		if used[key] {
			return
		}
		used[key] = true
		if p, ok := byKey[key].(*v1.Pipeline); ok {
			visitPipeline(&p.Spec)
		}
	}
	visitPipeline = func(spec *v1.PipelineSpec) {
		for _, t := range append(append([]v1.PipelineTask{}, spec.Tasks...), spec.Finally...) {
			if t.TaskRef != nil && t.TaskRef.Name != "" && t.TaskRef.Resolver == "" {
				visitTask(t.TaskRef.Name)
			}
			if t.TaskSpec != nil {
				visitSteps(t.TaskSpec.Steps)
			}
			if t.PipelineRef != nil && t.PipelineRef.Name != "" {
				visitPipelineRef(t.PipelineRef.Name)
			}
			if t.PipelineSpec != nil {
				visitPipeline(t.PipelineSpec)
			}
		}
	}
	if pr.Spec.PipelineRef != nil && pr.Spec.PipelineRef.Name != "" {
		visitPipelineRef(pr.Spec.PipelineRef.Name)
	}
	if pr.Spec.PipelineSpec != nil {
		visitPipeline(pr.Spec.PipelineSpec)
	}
	return used
}

// forCluster converts what the reconcilers read to the version they read it in (v1 Tasks and
// Pipelines, v1beta1 StepActions); kinds they do not read are not loaded.
func forCluster(ctx context.Context, obj runtime.Object) (runtime.Object, bool) {
	switch o := obj.(type) {
	case *v1.Task, *v1.Pipeline, *v1beta1.StepAction, *corev1.ConfigMap, *corev1.Secret,
		*corev1.ServiceAccount, *corev1.PersistentVolumeClaim, *corev1.LimitRange:
		return obj, true
	case *v1beta1.Task:
		t := &v1.Task{}
		if err := o.ConvertTo(ctx, t); err != nil {
			return obj, true
		}
		return t, true
	case *v1beta1.Pipeline:
		p := &v1.Pipeline{}
		if err := o.ConvertTo(ctx, p); err != nil {
			return obj, true
		}
		return p, true
	case *v1alpha1.StepAction:
		sa := &v1beta1.StepAction{}
		if err := o.ConvertTo(ctx, sa); err != nil {
			return obj, true
		}
		return sa, true
	}
	return nil, false
}

func admitObject(ctx context.Context, file string, obj runtime.Object) admitResult {
	doc := document{File: file, Object: obj}
	if m, err := metaOf(obj); err == nil {
		doc.Name = m.GetName()
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	doc.APIVersion, doc.Kind = gvk.GroupVersion().String(), gvk.Kind
	return admitDocument(ctx, doc)
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, errors.New("no metadata")
	}
	return m, nil
}

func createIn(ctx context.Context, c *fakeCluster, ns string, obj runtime.Object) error {
	m, err := metaOf(obj)
	if err != nil {
		return err
	}
	if m.GetNamespace() == "" {
		m.SetNamespace(ns)
	}
	var cerr error
	switch o := obj.(type) {
	case *v1.Task:
		_, cerr = c.tekton.TektonV1().Tasks(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *v1.Pipeline:
		_, cerr = c.tekton.TektonV1().Pipelines(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *v1beta1.StepAction:
		_, cerr = c.tekton.TektonV1beta1().StepActions(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ConfigMap:
		_, cerr = c.kube.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Secret:
		_, cerr = c.kube.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ServiceAccount:
		_, cerr = c.kube.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.PersistentVolumeClaim:
		_, cerr = c.kube.CoreV1().PersistentVolumeClaims(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.LimitRange:
		_, cerr = c.kube.CoreV1().LimitRanges(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	}
	return cerr
}

// runServiceAccounts names every ServiceAccount the run's pods would use.
func runServiceAccounts(pr *v1.PipelineRun) []string {
	names := map[string]bool{"default": true}
	if pr.Spec.TaskRunTemplate.ServiceAccountName != "" {
		names[pr.Spec.TaskRunTemplate.ServiceAccountName] = true
	}
	for _, spec := range pr.Spec.TaskRunSpecs {
		if spec.ServiceAccountName != "" {
			names[spec.ServiceAccountName] = true
		}
	}
	var out []string
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
