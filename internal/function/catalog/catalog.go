// Package catalog lists the project's Lambda functions as serverless.yml
// declares them, each with the Go code it is built from, so that nothing
// else has to keep a list: the local runtime's in-process table
// (internal/offline, generated from this) and the link tests read it.
//
// It rests on two conventions, which Load checks:
//   - a function's package.artifact is dist/<dir>.zip, built from
//     cmd/<dir> (the Makefile reads the same lines);
//   - cmd/<dir>'s handler is built by New in internal/function/<pkg>, <pkg>
//     being <dir> without its dashes (batch-simulation: batchsimulation).
//
// New's parameters say what the function needs: context.Context,
// function.Env, and the AWS service clients it calls (*dynamodb.Client,
// *s3.Client), in any order.
//
// No Lambda main imports this package: it parses Go source and YAML.
package catalog

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// Module is the module path the function packages are under.
const Module = "github.com/asyncjobs/stepjobs"

// Function is one function of serverless.yml and the Go code behind it.
type Function struct {
	// Key is the function's key under functions: (batchSimulation).
	Key string
	// Dir is its main's directory under cmd/ (batch-simulation).
	Dir string
	// Package is the import path of the package whose New builds its
	// handler; PackageName is that package's name.
	Package, PackageName string
	// Params are New's parameters, in order.
	Params []Param
}

// Param is one parameter type of a constructor: a package-qualified name,
// possibly a pointer (*github.com/aws/aws-sdk-go-v2/service/s3.Client).
type Param struct {
	Pointer bool
	Path    string // the import path of the type's package
	Name    string // the type's name
}

// String is the parameter type as "*<import path>.<name>".
func (p Param) String() string {
	s := p.Path + "." + p.Name
	if p.Pointer {
		return "*" + s
	}
	return s
}

// ServicePrefix is the import path prefix of the AWS SDK's service clients.
const ServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"

// Clients are the AWS services whose clients New takes (dynamodb, s3).
func (f Function) Clients() []string {
	var out []string
	for _, p := range f.Params {
		if svc, ok := strings.CutPrefix(p.Path, ServicePrefix); ok && p.Pointer && p.Name == "Client" {
			out = append(out, svc)
		}
	}
	return out
}

// Load reads the functions of the project at root (the directory of
// serverless.yml and go.mod), sorted by key.
func Load(root string) ([]Function, error) {
	svc, err := slsconfig.Load(slsconfig.Options{Dir: root})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	fns := make([]Function, 0, len(svc.Functions))
	for _, sf := range svc.Functions {
		dir, err := Dir(sf)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		pkg := strings.ReplaceAll(dir, "-", "")
		name, params, err := Constructor(filepath.Join(root, "internal", "function", pkg))
		if err != nil {
			return nil, fmt.Errorf("catalog: function %s (cmd/%s): %w", sf.Key, dir, err)
		}
		fns = append(fns, Function{Key: sf.Key, Dir: dir, Package: Module + "/internal/function/" + pkg, PackageName: name, Params: params})
	}
	return fns, nil
}

// Dir is the cmd/ directory a function is built from, read from its
// artifact: dist/<dir>.zip.
func Dir(fn slsconfig.Function) (string, error) {
	if fn.Artifact == "" {
		return "", fmt.Errorf("function %s: no package.artifact: a function is found by its artifact dist/<cmd dir>.zip", fn.Key)
	}
	dir, ok := strings.CutSuffix(path.Base(fn.Artifact), ".zip")
	if !ok || dir == "" || path.Dir(fn.Artifact) != "dist" {
		return "", fmt.Errorf("function %s: artifact %q is not dist/<cmd dir>.zip", fn.Key, fn.Artifact)
	}
	return dir, nil
}

// Constructor reads the package in dir (its non-test files) and returns its
// name and the parameter types of its function New.
func Constructor(dir string) (string, []Param, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, fmt.Errorf("read the handler package: %w", err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return "", nil, fmt.Errorf("parse: %w", err)
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != "New" {
				continue
			}
			params, err := paramTypes(file, fd)
			if err != nil {
				return "", nil, fmt.Errorf("%s: New: %w", name, err)
			}
			return file.Name.Name, params, nil
		}
	}
	return "", nil, fmt.Errorf("%s: no func New: the package's New builds the handler", dir)
}

// paramTypes resolves New's parameter types through file's imports.
func paramTypes(file *ast.File, fd *ast.FuncDecl) ([]Param, error) {
	imports := map[string]string{}
	for _, im := range file.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", im.Path.Value, err)
		}
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	var params []Param
	for _, field := range fd.Type.Params.List {
		var p Param
		expr := field.Type
		if star, ok := expr.(*ast.StarExpr); ok {
			p.Pointer, expr = true, star.X
		}
		sel, ok := expr.(*ast.SelectorExpr)
		var qual *ast.Ident
		if ok {
			qual, ok = sel.X.(*ast.Ident)
		}
		if !ok || imports[qual.Name] == "" {
			return nil, errors.New("a parameter's type is not an imported package's type (context.Context, function.Env, *s3.Client...)")
		}
		p.Path, p.Name = imports[qual.Name], sel.Sel.Name
		n := max(len(field.Names), 1)
		for range n {
			params = append(params, p)
		}
	}
	return params, nil
}
