package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pipelineconfig "github.com/tektoncd/pipeline/pkg/apis/config"
	pipelinescheme "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/scheme"
	triggersconfig "github.com/tektoncd/triggers/pkg/apis/config"
	triggerscontexts "github.com/tektoncd/triggers/pkg/apis/triggers/contexts"
	triggersscheme "github.com/tektoncd/triggers/pkg/client/clientset/versioned/scheme"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	kubescheme "k8s.io/client-go/kubernetes/scheme"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"
)

// scheme knows every kind the output may hold: Tekton Pipelines (v1, v1beta1, v1alpha1),
// Triggers (v1beta1, v1alpha1) and the core Kubernetes kinds (ConfigMap, RBAC, CronJob, ...).
var scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(kubescheme.AddToScheme(s))
	utilruntime.Must(pipelinescheme.AddToScheme(s))
	utilruntime.Must(triggersscheme.AddToScheme(s))
	return s
}

// strictDecoder refuses unknown and duplicate fields, as the API server's strict field
// validation and knative's admission webhook (DisallowUnknownFields) do.
var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
	kjson.SerializerOptions{Yaml: false, Strict: true})

// document is one YAML document of one file, decoded as far as it could be.
type document struct {
	File       string
	Index      int
	APIVersion string
	Kind       string
	Name       string
	Object     runtime.Object // nil when the document could not be decoded
	Errors     []string       // decoding errors (strict-field errors included)
	Skipped    string         // why the document is not an API object (kustomization.yaml)
	BadInput   bool           // YAML that does not parse
}

// collectFiles expands folders into their *.yaml and *.yml files, sorted.
func collectFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// readDocuments splits a file into documents and decodes each strictly.
func readDocuments(file string) ([]document, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	reader := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var docs []document
	for index := 0; ; index++ {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			docs = append(docs, document{File: file, Index: index, BadInput: true,
				Errors: []string{"YAML: " + err.Error()}})
			break
		}
		if len(bytes.TrimSpace(stripComments(chunk))) == 0 {
			index--
			continue
		}
		docs = append(docs, decodeDocument(file, index, chunk))
	}
	return docs, nil
}

func stripComments(chunk []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(chunk, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func decodeDocument(file string, index int, chunk []byte) document {
	doc := document{File: file, Index: index}
	data, err := yaml.YAMLToJSONStrict(chunk)
	if err != nil {
		doc.BadInput = true
		doc.Errors = []string{"YAML: " + err.Error()}
		return doc
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		doc.Skipped = "empty document"
		return doc
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		doc.Errors = []string{"not an object: " + err.Error()}
		return doc
	}
	doc.APIVersion, doc.Kind = meta.APIVersion, meta.Kind
	doc.Name = meta.Metadata.Name
	if doc.Name == "" && meta.Metadata.GenerateName != "" {
		doc.Name = meta.Metadata.GenerateName + "*"
	}
	if doc.APIVersion == "" || doc.Kind == "" {
		doc.Errors = []string{"missing apiVersion or kind: not a Kubernetes object"}
		return doc
	}
	gv, err := schema.ParseGroupVersion(doc.APIVersion)
	if err != nil {
		doc.Errors = []string{"apiVersion: " + err.Error()}
		return doc
	}
	if gv.Group == "kustomize.config.k8s.io" {
		doc.Skipped = "a kustomize file, read by kubectl, not an API object"
		return doc
	}
	if !scheme.Recognizes(gv.WithKind(doc.Kind)) {
		doc.Errors = []string{fmt.Sprintf("no kind %q is registered for version %q", doc.Kind, doc.APIVersion)}
		return doc
	}
	obj, _, err := strictDecoder.Decode(data, nil, nil)
	if err != nil {
		if strict, ok := runtime.AsStrictDecodingError(err); ok {
			for _, e := range strict.Errors() {
				doc.Errors = append(doc.Errors, "strict decoding: "+e.Error())
			}
		} else {
			doc.Errors = append(doc.Errors, err.Error())
			return doc
		}
	}
	assignGeneratedName(obj)
	doc.Object = obj
	return doc
}

// assignGeneratedName does what the API server does before admission: a generateName becomes a
// name with five random characters (k8s.io/apiserver names.SimpleNameGenerator; fixed here).
func assignGeneratedName(obj runtime.Object) {
	m, ok := obj.(metav1.Object)
	if !ok || m.GetName() != "" || m.GetGenerateName() == "" {
		return
	}
	base := m.GetGenerateName()
	const maxGeneratedNameLength = 63 - 5
	if len(base) > maxGeneratedNameLength {
		base = base[:maxGeneratedNameLength]
	}
	m.SetName(base + "x7k2q")
}

// clusterConfig is how the cluster is set: Tekton's and Triggers' ConfigMaps.
type clusterConfig struct {
	pipeline *pipelineconfig.Config
	triggers *triggersconfig.Config
	maps     []*corev1.ConfigMap // as given, to seed the fake cluster
}

// loadClusterConfig reads --flags: any ConfigMaps named feature-flags, config-defaults,
// feature-flags-triggers or config-defaults-triggers; Tekton's defaults for the rest.
func loadClusterConfig(flagsFile string) (*clusterConfig, error) {
	cfg := &clusterConfig{
		pipeline: pipelineconfig.FromContextOrDefaults(context.Background()),
		triggers: triggersconfig.FromContextOrDefaults(context.Background()),
	}
	if flagsFile == "" {
		return cfg, nil
	}
	docs, err := readDocuments(flagsFile)
	if err != nil {
		return nil, err
	}
	known := 0
	for _, doc := range docs {
		if len(doc.Errors) > 0 {
			return nil, fmt.Errorf("%s: document %d: %s", flagsFile, doc.Index, strings.Join(doc.Errors, "; "))
		}
		cm, ok := doc.Object.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		var err error
		switch cm.Name {
		case pipelineconfig.GetFeatureFlagsConfigName():
			cfg.pipeline.FeatureFlags, err = pipelineconfig.NewFeatureFlagsFromConfigMap(cm)
		case pipelineconfig.GetDefaultsConfigName():
			cfg.pipeline.Defaults, err = pipelineconfig.NewDefaultsFromConfigMap(cm)
		case triggersconfig.GetFeatureFlagsConfigName():
			cfg.triggers.FeatureFlags, err = triggersconfig.NewFeatureFlagsFromConfigMap(cm)
		case triggersconfig.GetDefaultsConfigName():
			cfg.triggers.Defaults, err = triggersconfig.NewDefaultsFromConfigMap(cm)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: ConfigMap %s: %w", flagsFile, cm.Name, err)
		}
		known++
		cfg.maps = append(cfg.maps, cm)
	}
	if known == 0 {
		return nil, fmt.Errorf("%s: no feature-flags or config-defaults ConfigMap in it", flagsFile)
	}
	return cfg, nil
}

// context carries the configuration the way the webhook's ConfigStore does, for a create.
func (c *clusterConfig) context(ctx context.Context) context.Context {
	ctx = pipelineconfig.ToContext(ctx, c.pipeline)
	ctx = triggersconfig.ToContext(ctx, c.triggers)
	// Triggers' webhook defaults and validates under WithUpgradeViaDefaulting (cmd/webhook);
	// without it Trigger bindings keep an empty kind and are refused.
	ctx = triggerscontexts.WithUpgradeViaDefaulting(ctx)
	return apis.WithinCreate(ctx)
}
