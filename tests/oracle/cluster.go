package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"

	pipelineconfig "github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	fakepipelineclientset "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/fake"
	fakepipelineclient "github.com/tektoncd/pipeline/pkg/client/injection/client/fake"
	fakepipelineinformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1/pipeline/fake"
	fakepipelineruninformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1/pipelinerun/fake"
	faketaskinformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1/task/fake"
	faketaskruninformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1/taskrun/fake"
	fakeverificationpolicyinformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1alpha1/verificationpolicy/fake"
	fakecustomruninformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1beta1/customrun/fake"
	fakestepactioninformer "github.com/tektoncd/pipeline/pkg/client/injection/informers/pipeline/v1beta1/stepaction/fake"
	fakeresolutionclient "github.com/tektoncd/pipeline/pkg/client/resolution/injection/client/fake"
	fakeresolutionrequestinformer "github.com/tektoncd/pipeline/pkg/client/resolution/injection/informers/resolution/v1beta1/resolutionrequest/fake"
	_ "github.com/tektoncd/pipeline/pkg/pipelinerunmetrics/fake"      // metrics recorders for injection.Fake
	_ "github.com/tektoncd/pipeline/pkg/reconciler/events/cloudevent" // registers its fake client
	_ "github.com/tektoncd/pipeline/pkg/taskrunmetrics/fake"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrs "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakekubeclientset "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	ktesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	fakekubeclient "knative.dev/pkg/client/injection/kube/client/fake"
	fakeconfigmapinformer "knative.dev/pkg/client/injection/kube/informers/core/v1/configmap/fake"
	fakelimitrangeinformer "knative.dev/pkg/client/injection/kube/informers/core/v1/limitrange/fake"
	fakefilteredpodinformer "knative.dev/pkg/client/injection/kube/informers/core/v1/pod/filtered/fake"
	fakesecretinformer "knative.dev/pkg/client/injection/kube/informers/core/v1/secret/fake"
	fakeserviceaccountinformer "knative.dev/pkg/client/injection/kube/informers/core/v1/serviceaccount/fake"
	filteredinformerfactory "knative.dev/pkg/client/injection/kube/informers/factory/filtered"
	_ "knative.dev/pkg/client/injection/kube/informers/factory/filtered/fake" // the fake filtered factory the pod informer needs
	"knative.dev/pkg/controller"
	"knative.dev/pkg/injection"
	"knative.dev/pkg/logging"
	"knative.dev/pkg/system"
)

// systemNamespace is where Tekton's ConfigMaps live in the fake cluster.
const systemNamespace = "tekton-pipelines"

// setUpProcess sets what knative's system package and the reconcilers read from the
// environment, before anything reads it.
func setUpProcess() {
	if os.Getenv(system.NamespaceEnvKey) == "" {
		_ = os.Setenv(system.NamespaceEnvKey, systemNamespace)
	}
	// The oracle never leaves the machine: a lookup the reconcilers would make (an image's
	// entrypoint in its registry) goes to a closed loopback port and fails at once.
	for _, key := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		_ = os.Setenv(key, "http://127.0.0.1:9")
	}
	_ = os.Unsetenv("NO_PROXY")
	_ = os.Unsetenv("no_proxy")
	// Validation allocates a regular expression per variable reference; collecting less often
	// takes a fifth off admitting a large output. GOGC still wins when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// fakeCluster is Tekton's reconciler-test setup (pkg/reconciler/testing and test/controller.go
// SeedTestData) without *testing.T: injected fake clients whose writes land in the informers'
// indexes, so the listers the reconcilers read see every create and update at once.
type fakeCluster struct {
	ctx      context.Context
	cancel   context.CancelFunc
	kube     *fakekubeclientset.Clientset
	tekton   *fakepipelineclientset.Clientset
	recorder *record.FakeRecorder
	indexers map[string]cache.Indexer // resource name -> informer index
	// created keeps a copy of every StatefulSet and PVC created, in order: the PipelineRun
	// reconciler deletes its affinity assistants when the run is done.
	createdStatefulSets []*appsv1.StatefulSet
	createdPVCs         []string
}

func newFakeCluster() *fakeCluster {
	ctx, cancel := context.WithCancel(context.Background())
	ctx = logging.WithLogger(ctx, zap.NewNop().Sugar())
	recorder := record.NewFakeRecorder(1 << 16)
	ctx = controller.WithEventRecorder(ctx, recorder)
	ctx = filteredinformerfactory.WithSelectors(ctx, v1.ManagedByLabelKey)
	ctx, _ = injection.Fake.SetupInformers(ctx, &rest.Config{})

	c := &fakeCluster{
		ctx:      ctx,
		cancel:   cancel,
		kube:     fakekubeclient.Get(ctx),
		tekton:   fakepipelineclient.Get(ctx),
		recorder: recorder,
	}
	c.tekton.Fake.ReactionChain = append([]ktesting.Reactor{&resourceVersionReactor{}}, c.tekton.Fake.ReactionChain...)
	c.kube.Fake.ReactionChain = append([]ktesting.Reactor{&resourceVersionReactor{}}, c.kube.Fake.ReactionChain...)
	resolution := fakeresolutionclient.Get(ctx)

	c.indexers = map[string]cache.Indexer{
		"pipelineruns":         fakepipelineruninformer.Get(ctx).Informer().GetIndexer(),
		"pipelines":            fakepipelineinformer.Get(ctx).Informer().GetIndexer(),
		"taskruns":             faketaskruninformer.Get(ctx).Informer().GetIndexer(),
		"tasks":                faketaskinformer.Get(ctx).Informer().GetIndexer(),
		"stepactions":          fakestepactioninformer.Get(ctx).Informer().GetIndexer(),
		"customruns":           fakecustomruninformer.Get(ctx).Informer().GetIndexer(),
		"verificationpolicies": fakeverificationpolicyinformer.Get(ctx).Informer().GetIndexer(),
		"pods":                 fakefilteredpodinformer.Get(ctx, v1.ManagedByLabelKey).Informer().GetIndexer(),
		"configmaps":           fakeconfigmapinformer.Get(ctx).Informer().GetIndexer(),
		"serviceaccounts":      fakeserviceaccountinformer.Get(ctx).Informer().GetIndexer(),
		"limitranges":          fakelimitrangeinformer.Get(ctx).Informer().GetIndexer(),
		"secrets":              fakesecretinformer.Get(ctx).Informer().GetIndexer(),
		"resolutionrequests":   fakeresolutionrequestinformer.Get(ctx).Informer().GetIndexer(),
	}
	for _, resource := range []string{"pipelineruns", "pipelines", "taskruns", "tasks", "stepactions",
		"customruns", "verificationpolicies"} {
		c.tekton.PrependReactor("*", resource, addToIndexer(c.indexers[resource]))
	}
	for _, resource := range []string{"pods", "configmaps", "serviceaccounts", "limitranges", "secrets"} {
		c.kube.PrependReactor("*", resource, addToIndexer(c.indexers[resource]))
	}
	c.kube.PrependReactor("create", "statefulsets", func(action ktesting.Action) (bool, runtime.Object, error) {
		if s, ok := action.(ktesting.CreateActionImpl).GetObject().(*appsv1.StatefulSet); ok {
			c.createdStatefulSets = append(c.createdStatefulSets, s.DeepCopy())
		}
		return false, nil, nil
	})
	c.kube.PrependReactor("create", "persistentvolumeclaims", func(action ktesting.Action) (bool, runtime.Object, error) {
		if p, ok := action.(ktesting.CreateActionImpl).GetObject().(*corev1.PersistentVolumeClaim); ok {
			c.createdPVCs = append(c.createdPVCs, p.Name)
		}
		return false, nil, nil
	})
	resolution.PrependReactor("*", "resolutionrequests", addToIndexer(c.indexers["resolutionrequests"]))
	return c
}

// seedConfigMaps creates Tekton's ConfigMaps in the system namespace: the ones --flags gave,
// empty ones (Tekton's defaults) for the rest, as EnsureConfigurationConfigMapsExist does.
func (c *fakeCluster) seedConfigMaps(given []*corev1.ConfigMap) error {
	have := map[string]bool{}
	for _, cm := range given {
		cm = cm.DeepCopy()
		cm.Namespace = system.Namespace()
		if _, err := c.kube.CoreV1().ConfigMaps(cm.Namespace).Create(c.ctx, cm, metav1.CreateOptions{}); err != nil {
			return err
		}
		have[cm.Name] = true
	}
	for _, name := range []string{
		pipelineconfig.GetDefaultsConfigName(), pipelineconfig.GetFeatureFlagsConfigName(),
		pipelineconfig.GetMetricsConfigName(), pipelineconfig.GetSpireConfigName(),
		pipelineconfig.GetEventsConfigName(), pipelineconfig.GetTracingConfigName(),
		pipelineconfig.GetWaitExponentialBackoffConfigName(),
	} {
		if have[name] {
			continue
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: system.Namespace()},
			Data: map[string]string{}}
		if _, err := c.kube.CoreV1().ConfigMaps(cm.Namespace).Create(c.ctx, cm, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// drainEvents returns the events the reconcilers recorded so far.
func (c *fakeCluster) drainEvents() []string {
	var events []string
	for {
		select {
		case e := <-c.recorder.Events:
			events = append(events, e)
		default:
			return events
		}
	}
}

// addToIndexer mirrors creates and updates into an informer index, with the optimistic
// concurrency check of the API server (a stale resourceVersion is a conflict).
func addToIndexer(store cache.Store) ktesting.ReactionFunc {
	return func(action ktesting.Action) (bool, runtime.Object, error) {
		switch a := action.(type) {
		case ktesting.CreateActionImpl:
			if err := store.Add(a.GetObject()); err != nil {
				return true, nil, err
			}
		case ktesting.UpdateActionImpl:
			objMeta, err := meta.Accessor(a.GetObject())
			if err != nil {
				return true, nil, err
			}
			old, exists, err := store.GetByKey(objMeta.GetNamespace() + "/" + objMeta.GetName())
			if err != nil {
				return true, nil, err
			}
			if !exists {
				return false, nil, nil
			}
			oldMeta, err := meta.Accessor(old)
			if err != nil {
				return true, nil, err
			}
			if oldMeta.GetResourceVersion() != objMeta.GetResourceVersion() {
				return true, nil, apierrs.NewConflict(a.Resource.GroupResource(), objMeta.GetName(),
					fmt.Errorf("resourceVersion mismatch, got: %v, wanted: %v",
						objMeta.GetResourceVersion(), oldMeta.GetResourceVersion()))
			}
			if err := store.Update(a.GetObject()); err != nil {
				return true, nil, err
			}
		case ktesting.DeleteActionImpl:
			key := a.GetNamespace() + "/" + a.GetName()
			if old, exists, _ := store.GetByKey(key); exists {
				_ = store.Delete(old)
			}
		}
		return false, nil, nil
	}
}

// resourceVersionReactor gives every created or updated object a new resourceVersion, as the
// API server does; it never handles the action itself.
type resourceVersionReactor struct{ count int64 }

func (r *resourceVersionReactor) Handles(action ktesting.Action) bool {
	var obj runtime.Object
	switch a := action.(type) {
	case ktesting.CreateActionImpl:
		obj = a.GetObject()
	case ktesting.UpdateActionImpl:
		obj = a.GetObject()
	default:
		return false
	}
	if m, err := meta.Accessor(obj); err == nil {
		m.SetResourceVersion(fmt.Sprintf("%05d", atomic.AddInt64(&r.count, 1)))
	}
	return false
}

func (r *resourceVersionReactor) React(ktesting.Action) (bool, runtime.Object, error) {
	return false, nil, nil
}
