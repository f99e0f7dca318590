// Command pgvector embeds a directory of text files into PostgreSQL and
// answers queries by cosine similarity: the end-to-end path from files to
// a vector store that Go teams already run.
//
//	pgvector -dsn "$DSN" -model model.gguf index ./docs     # chunk, embed, store every *.txt and *.md
//	pgvector -dsn "$DSN" -model model.gguf query "how do I reset it?"
//
// Each file is cut into windows of -chunk bytes overlapping by -overlap,
// embedded with the engine (EmbedBatch per file), and stored with its
// path and byte offsets; query prints the -k best chunks as JSON lines.
// The DSN is anything pgx accepts ("postgres://user@host/db",
// "host=/run/postgresql dbname=app"). See store.go for using pgvector's
// vector type instead of real[].
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/embellama/embellama/embed"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pgvector:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	dsn, model, lib string
	size, overlap   int
	k               int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fl := flag.NewFlagSet("pgvector", flag.ContinueOnError)
	fl.StringVar(&o.dsn, "dsn", os.Getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
	fl.StringVar(&o.model, "model", "", "GGUF embedding model (required)")
	fl.StringVar(&o.lib, "lib", "", "llama library file or directory (default: $EMBELLAMA_LIB_DIR, then the engine's search)")
	fl.IntVar(&o.size, "chunk", 800, "chunk size in bytes")
	fl.IntVar(&o.overlap, "overlap", 100, "overlap of consecutive chunks in bytes")
	fl.IntVar(&o.k, "k", 5, "results per query")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 2 || (fl.Arg(0) != "index" && fl.Arg(0) != "query") {
		return errors.New("usage: pgvector [flags] index DIR | query TEXT")
	}
	if o.model == "" || o.size <= 0 || o.overlap < 0 || o.overlap >= o.size || o.k <= 0 {
		return errors.New("-model is required; -chunk > -overlap >= 0; -k > 0")
	}
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: o.lib}, ModelConfig: embed.ModelConfig{ModelPath: o.model}})
	if err != nil {
		return err
	}
	defer e.Close()
	db, err := pgx.Connect(ctx, o.dsn)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer db.Close(ctx)
	if err := migrate(ctx, db); err != nil {
		return err
	}
	if fl.Arg(0) == "index" {
		return index(ctx, e, db, fl.Arg(1), o, stdout)
	}
	return query(ctx, e, db, fl.Arg(1), o.k, stdout)
}

// index chunks, embeds and stores every .txt and .md file under dir.
func index(ctx context.Context, e *embed.Engine, db *pgx.Conn, dir string, o options, stdout io.Writer) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".txt") || strings.HasSuffix(path, ".md")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		chunks := chunkText(string(b), o.size, o.overlap)
		if len(chunks) == 0 {
			return nil
		}
		texts := make([]string, len(chunks))
		for i, c := range chunks {
			texts[i] = c.Text
		}
		// Chunks are the document side of a retrieval. (When the engine
		// applies a model's document prompt, call its document path here.)
		r, err := e.EmbedBatch(ctx, "", texts, embed.WithTruncation(embed.TruncateEnd))
		if err != nil {
			return err
		}
		if err := r.Err(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		if err := store(ctx, db, filepath.ToSlash(rel), chunks, r.Vectors); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s: %d chunks\n", rel, len(chunks))
		return err
	})
}

// query prints the k chunks most similar to text, as JSON lines.
func query(ctx context.Context, e *embed.Engine, db *pgx.Conn, text string, k int, stdout io.Writer) error {
	// The query side of a retrieval. (When the engine applies a model's
	// query prompt, call its query path here.)
	v, err := e.Embed(ctx, "", text, embed.WithTruncation(embed.TruncateEnd))
	if err != nil {
		return err
	}
	hits, err := search(ctx, db, v, k)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, h := range hits {
		if err := enc.Encode(h); err != nil {
			return err
		}
	}
	return nil
}
