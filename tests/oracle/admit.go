package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"sync"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"knative.dev/pkg/apis"
)

// admitResult is one JSON line of `admit`.
type admitResult struct {
	File       string   `json:"file"`
	Index      int      `json:"index"`
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Errors     []string `json:"errors"`
	Skipped    string   `json:"skipped,omitempty"`
	Validated  bool     `json:"validated"` // Tekton's or Triggers' Validate ran (not only decoding)
}

func admitCommand(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("admit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagsFile := fs.String("flags", "", "feature-flags ConfigMap file")
	if err := fs.Parse(reorder(args, map[string]bool{"flags": true})); err != nil {
		return 0, usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return 0, usageError{"admit needs at least one PATH"}
	}
	cfg, err := loadClusterConfig(*flagsFile)
	if err != nil {
		return 0, err
	}
	files, err := collectFiles(fs.Args())
	if err != nil {
		return 0, err
	}
	var docs []document
	for _, file := range files {
		found, err := readDocuments(file)
		if err != nil {
			return 0, err
		}
		docs = append(docs, found...)
	}
	results := admitAll(cfg, docs)
	code := exitHolds
	for i, result := range results {
		if err := writeJSON(stdout, result); err != nil {
			return 0, err
		}
		switch {
		case docs[i].BadInput:
			code = exitBadInput
		case len(result.Errors) > 0 && code == exitHolds:
			code = exitNotHolds
		}
	}
	return code, nil
}

// admitAll judges documents on every core: Tekton's validation compiles a regular expression per
// variable reference (pkg/substitution), which makes a Task with many params slow to validate.
func admitAll(cfg *clusterConfig, docs []document) []admitResult {
	results := make([]admitResult, len(docs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < goruntime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = admitDocument(cfg.context(context.Background()), docs[i])
			}
		}()
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// admitDocument does what admission does with one object: defaults, then validation.
func admitDocument(ctx context.Context, doc document) admitResult {
	result := admitResult{File: doc.File, Index: doc.Index, APIVersion: doc.APIVersion,
		Kind: doc.Kind, Name: doc.Name, Errors: append([]string{}, doc.Errors...), Skipped: doc.Skipped}
	if doc.Object == nil {
		return result
	}
	result.Errors = append(result.Errors, objectMetaErrors(doc.Object)...)
	if d, ok := doc.Object.(apis.Defaultable); ok {
		d.SetDefaults(ctx)
	}
	if v, ok := doc.Object.(apis.Validatable); ok {
		result.Validated = true
		if fe := v.Validate(ctx); fe != nil {
			result.Errors = append(result.Errors, fieldErrors(fe)...)
		}
	}
	return result
}

// clusterScoped are the kinds without a namespace among those the output may hold.
var clusterScoped = map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true,
	"ClusterTriggerBinding": true, "ClusterInterceptor": true, "Namespace": true}

// objectMetaErrors is the API server's own metadata validation, which runs for every object,
// custom resources included, before any webhook: name format, label and annotation syntax.
func objectMetaErrors(obj runtime.Object) []string {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil
	}
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	nameFn := apivalidation.NameIsDNSSubdomain
	if strings.HasSuffix(obj.GetObjectKind().GroupVersionKind().Group, "rbac.authorization.k8s.io") {
		nameFn = path.ValidatePathSegmentName // RBAC names may hold ':'
	}
	copied := m
	if !clusterScoped[kind] && m.GetNamespace() == "" {
		// The request's namespace fills an empty one; validate as if it did.
		c, ok := obj.DeepCopyObject().(metav1.Object)
		if ok {
			c.SetNamespace("default")
			copied = c
		}
	}
	var out []string
	for _, e := range apivalidation.ValidateObjectMetaAccessor(copied, !clusterScoped[kind], nameFn,
		field.NewPath("metadata")) {
		out = append(out, e.Error())
	}
	return out
}

// fieldErrors turns knative's aggregated FieldError into one message per problem.
func fieldErrors(fe *apis.FieldError) []string {
	var out []string
	for _, line := range strings.Split(fe.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprint(fe))
	}
	return out
}

// reorder moves flags after positional arguments to the front, so `admit PATH --flags F`
// works as well as `admit --flags F PATH` (Go's flag package stops at the first positional).
func reorder(args []string, takesValue map[string]bool) []string {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		positional = append(positional, a)
	}
	return append(flags, positional...)
}
