package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"strconv"
	"strings"
)

// cutFile replaces the body of every function of src marked for level
// with a stub that compiles whatever the function's signature — a panic
// that says which step is missing — and drops the imports only those
// bodies used, so that the file still builds. It returns the new source
// and the regions it cut.
func cutFile(name string, src []byte, level string) ([]byte, []region, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	var cut []region
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		r, ok := regionOf(fn)
		if !ok || !cuts(level, r) {
			continue
		}
		fn.Body = stub(r)
		cut = append(cut, r)
	}
	if len(cut) == 0 {
		return src, nil, nil
	}
	dropUnusedImports(f)
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), cut, nil
}

// stub is the body of a function to write: panic("TODO LAB 3.2: hint").
// A panic fits any signature, and names the step when the tests meet it.
func stub(r region) *ast.BlockStmt {
	msg := fmt.Sprintf("TODO LAB %s: %s", r.ID, r.Hint)
	return &ast.BlockStmt{List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{
		Fun:  ast.NewIdent("panic"),
		Args: []ast.Expr{&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(msg)}},
	}}}}
}

// dropUnusedImports removes the imports that no identifier of the file
// refers to any more (blank and dot imports stay).
func dropUnusedImports(f *ast.File) {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var kept []*ast.ImportSpec
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := importName(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "_" || name == "." || used[name] {
			kept = append(kept, imp)
			continue
		}
		removeImport(f, imp)
	}
	f.Imports = kept
}

// importName is the name a package is used by, from its path.
func importName(p string) string {
	base := path.Base(p)
	if strings.HasPrefix(base, "v") && len(base) > 1 && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p))
	}
	return base
}

// removeImport takes one import spec out of the file's import blocks.
func removeImport(f *ast.File, imp *ast.ImportSpec) {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		for i, s := range g.Specs {
			if s == imp {
				g.Specs = append(g.Specs[:i], g.Specs[i+1:]...)
				return
			}
		}
	}
}
