package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// schema is the table of chunks. The vectors are a plain real[] column
// and the similarity is computed in SQL: Debian 12's archive has no
// pgvector package. With pgvector installed, use `embedding vector(DIM)`,
// `CREATE EXTENSION vector`, github.com/pgvector/pgvector-go's
// pgvector.NewVector for the parameter, and `ORDER BY embedding <=> $1`
// (with an HNSW index) instead of cosine_similarity.
const schema = `
CREATE TABLE IF NOT EXISTS chunks (
	id           bigserial PRIMARY KEY,
	path         text    NOT NULL,
	start_offset integer NOT NULL,
	end_offset   integer NOT NULL,
	content      text    NOT NULL,
	embedding    real[]  NOT NULL,
	UNIQUE (path, start_offset)
);
CREATE OR REPLACE FUNCTION cosine_similarity(a real[], b real[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT sum(x::float8 * y) / nullif(sqrt(sum(x::float8 * x)) * sqrt(sum(y::float8 * y)), 0)
	FROM unnest(a, b) AS t(x, y)
$$;`

// hit is one answer to a query.
type hit struct {
	Path    string  `json:"path"`
	Start   int     `json:"start"`
	End     int     `json:"end"`
	Content string  `json:"content"`
	Score   float64 `json:"score"`
}

func migrate(ctx context.Context, db *pgx.Conn) error {
	if _, err := db.Exec(ctx, schema); err != nil {
		return fmt.Errorf("creating the schema: %w", err)
	}
	return nil
}

// store replaces the chunks of path with chunks and their vectors, in one
// transaction.
func store(ctx context.Context, db *pgx.Conn, path string, chunks []chunk, vectors [][]float32) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM chunks WHERE path = $1`, path); err != nil {
		return err
	}
	rows := make([][]any, len(chunks))
	for i, c := range chunks {
		rows[i] = []any{path, c.Start, c.End, c.Text, vectors[i]}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
		[]string{"path", "start_offset", "end_offset", "content", "embedding"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("storing %d chunks of %s: %w", len(chunks), path, err)
	}
	return tx.Commit(ctx)
}

// search returns the k chunks most similar to v, best first.
func search(ctx context.Context, db *pgx.Conn, v []float32, k int) ([]hit, error) {
	rows, err := db.Query(ctx, `
		SELECT path, start_offset, end_offset, content, cosine_similarity(embedding, $1) AS score
		FROM chunks ORDER BY score DESC NULLS LAST, id LIMIT $2`, v, k)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (hit, error) {
		var h hit
		err := r.Scan(&h.Path, &h.Start, &h.End, &h.Content, &h.Score)
		return h, err
	})
}
