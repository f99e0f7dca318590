package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// envModels names the directories searched for models, separated like
// PATH. The repository's Makefile points it at ../shared/models, its test
// layout; users get only what is below.
const envModels = "EMBELLAMA_MODELS"

// pullDir returns where `embellama pull` stores models by default: the
// user cache directory's embellama/models.
func pullDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "embellama", "models"), nil
}

// modelSearch is one place the default model is looked for.
type modelSearch struct {
	dir    string // "" when the source gives none
	source string // what put it on the list, for messages
}

// modelSearchPath returns where the default model is looked for, in
// order: each directory of $EMBELLAMA_MODELS, then the pull directory.
func modelSearchPath() []modelSearch {
	var path []modelSearch
	if v := os.Getenv(envModels); v != "" {
		for _, d := range filepath.SplitList(v) {
			if d != "" {
				path = append(path, modelSearch{d, "$" + envModels})
			}
		}
	} else {
		path = append(path, modelSearch{"", "$" + envModels + " (unset)"})
	}
	if d, err := pullDir(); err == nil {
		path = append(path, modelSearch{d, "embellama pull's directory"})
	}
	return path
}

// describeModelSearch says where the default model is looked for, from
// modelSearchPath itself: the help of -model.
func describeModelSearch() string {
	places := make([]string, 0, 2)
	for _, s := range modelSearchPath() {
		if s.dir == "" {
			places = append(places, s.source)
		} else {
			places = append(places, s.dir+" ("+s.source+")")
		}
	}
	return "the first embedding model, by file name, in " + strings.Join(places, ", then ")
}

// modelDirs returns the directories of modelSearchPath that exist.
func modelDirs() []string {
	var dirs []string
	for _, s := range modelSearchPath() {
		if s.dir == "" {
			continue
		}
		if fi, err := os.Stat(s.dir); err == nil && fi.IsDir() {
			dirs = append(dirs, s.dir)
		}
	}
	return dirs
}

// defaultModel returns the first embedding model (one that declares a
// pooling type), by file name, in the first directory of
// modelSearchPath that has one.
func defaultModel() (string, error) {
	var tried []string
	for _, s := range modelSearchPath() {
		if s.dir == "" {
			tried = append(tried, s.source)
			continue
		}
		models, err := scanModels(s.dir)
		if err != nil {
			return "", err
		}
		for _, m := range models {
			if m.err == nil && m.file.IsEmbeddingModel() {
				return m.path, nil
			}
		}
		what := "no embedding model"
		if len(models) == 0 {
			what = "no .gguf file"
		}
		tried = append(tried, fmt.Sprintf("%s (%s: %s)", s.dir, s.source, what))
	}
	return "", usageError{fmt.Errorf("no model given, and none found in %s: pass -model FILE, set %s to a directory of GGUF models, or run embellama pull",
		strings.Join(tried, ", "), envModels)}
}

// absPath returns p made absolute, or p when that fails: the path to show
// of a model given relative to the working directory.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
