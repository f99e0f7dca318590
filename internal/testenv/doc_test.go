package testenv_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestExportedNamesDocumented walks every package of the module and
// reports exported declarations without a doc comment, and packages
// without a package comment.
func TestExportedNamesDocumented(t *testing.T) {
	root := testenv.RepoRoot(t)
	var missing []string
	dirs := map[string]bool{}
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if d != nil && d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "build" || d.Name() == "lib" || d.Name() == "dist" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d != nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	for dir := range dirs {
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		hasDoc := map[string]bool{}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			require.NoError(t, err)
			hasDoc[f.Name.Name] = hasDoc[f.Name.Name] || f.Doc != nil
			for _, decl := range f.Decls {
				missing = append(missing, undocumented(fset, decl)...)
			}
		}
		rel, _ := filepath.Rel(root, dir)
		for name, ok := range hasDoc {
			if !ok {
				missing = append(missing, rel+": package "+name+" has no package comment")
			}
		}
	}
	assert.Empty(t, missing, "exported names need doc comments")
}

func undocumented(fset *token.FileSet, decl ast.Decl) []string {
	var out []string
	at := func(n ast.Node, what string) string { return fset.Position(n.Pos()).String() + ": " + what }
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedRecv(d.Recv)) {
			// Methods that implement well-known interfaces document themselves.
			switch d.Name.Name {
			case "Error", "Unwrap", "String", "ServeHTTP", "MarshalText", "UnmarshalText", "Is":
				return nil
			}
			out = append(out, at(d, "func "+d.Name.Name))
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
					out = append(out, at(s, "type "+s.Name.Name))
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
						out = append(out, at(n, n.Name))
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	t := fl.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.IsExported()
	}
	return true
}
