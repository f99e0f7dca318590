package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// shortName is one model `embellama pull NAME` knows by a short name:
// where its GGUF file is published. Every entry was read from a source
// (Source), none guessed. SHA256 is the file's checksum where a source
// gave one we could read; where it is empty the download is verified
// against the sha256 the hub announces for the file (its LFS ETag) and by
// the GGUF validator, as for any OWNER/REPO/FILE.
type shortName struct {
	Name    string   // what the user types
	Aliases []string // other names for it
	Kind    string   // embedding or reranker
	Repo    string   // OWNER/REPO on the hub
	File    string   // the GGUF file in the repository
	Quant   string   // its weight format
	SHA256  string   // "" where no source gave it
	Source  string   // where repository and file were read
}

// ref is the entry as pull's OWNER/REPO/FILE reference.
func (s shortName) ref() string { return s.Repo + "/" + s.File }

// shortNames are the models people ask for by name. The sources were read
// on 2026-12-03; none of them published a sha256 of the file in the text
// that could be read here, so SHA256 is empty throughout (see shortName).
var shortNames = []shortName{
	{Name: "all-MiniLM-L6-v2", Aliases: []string{"all-minilm"}, Kind: "embedding",
		Repo: "second-state/All-MiniLM-L6-v2-Embedding-GGUF", File: "all-MiniLM-L6-v2-Q8_0.gguf", Quant: "Q8_0",
		Source: "the file list of the repository, as linked from projects that download it (resolve/main/all-MiniLM-L6-v2-Q8_0.gguf); embellama's default pull"},
	{Name: "nomic-embed-text", Aliases: []string{"nomic-embed-text-v1.5"}, Kind: "embedding",
		Repo: "nomic-ai/nomic-embed-text-v1.5-GGUF", File: "nomic-embed-text-v1.5.Q8_0.gguf", Quant: "Q8_0",
		Source: "the publisher's (Nomic AI) GGUF repository; the file as listed with its size (146,146,432 bytes) by projects that pin it"},
	{Name: "bge-small-en-v1.5", Aliases: []string{"bge-small"}, Kind: "embedding",
		Repo: "CompendiumLabs/bge-small-en-v1.5-gguf", File: "bge-small-en-v1.5-q8_0.gguf", Quant: "Q8_0",
		Source: "the model card of CompendiumLabs/bge-small-en-v1.5-gguf (its files table: f32, f16, q8_0, q4_k_m)"},
	{Name: "bge-base-en-v1.5", Aliases: []string{"bge-base"}, Kind: "embedding",
		Repo: "CompendiumLabs/bge-base-en-v1.5-gguf", File: "bge-base-en-v1.5-q8_0.gguf", Quant: "Q8_0",
		Source: "the model card of CompendiumLabs/bge-base-en-v1.5-gguf (its files table: bge-base-en-v1.5-q8_0.gguf, Q8_0, 113 MB)"},
	{Name: "bge-large-en-v1.5", Aliases: []string{"bge-large"}, Kind: "embedding",
		Repo: "CompendiumLabs/bge-large-en-v1.5-gguf", File: "bge-large-en-v1.5-q8_0.gguf", Quant: "Q8_0",
		Source: "the same publisher's bge-large repository, as downloaded by projects (resolve/main/bge-large-en-v1.5-q8_0.gguf)"},
	{Name: "bge-m3", Kind: "embedding",
		Repo: "gpustack/bge-m3-GGUF", File: "bge-m3-Q8_0.gguf", Quant: "Q8_0",
		Source: "gpustack's GGUF conversion, as downloaded by several projects (resolve/main/bge-m3-Q8_0.gguf)"},
	{Name: "mxbai-embed-large", Aliases: []string{"mxbai-embed-large-v1"}, Kind: "embedding",
		Repo: "ChristianAzinn/mxbai-embed-large-v1-gguf", File: "mxbai-embed-large-v1.Q8_0.gguf", Quant: "Q8_0",
		Source: "a GGUF collection of embedding models on the hub (ChristianAzinn, 'embedding ggufs'), as downloaded by projects (resolve/main/mxbai-embed-large-v1.Q8_0.gguf)"},
	{Name: "snowflake-arctic-embed", Aliases: []string{"snowflake-arctic-embed-m-v1.5"}, Kind: "embedding",
		Repo: "Snowflake/snowflake-arctic-embed-m-v1.5-GGUF", File: "snowflake-arctic-embed-m-v1.5.Q4_K_M.gguf", Quant: "Q4_K_M",
		Source: "the publisher's (Snowflake) GGUF repository, as downloaded by a project (resolve/main/snowflake-arctic-embed-m-v1.5.Q4_K_M.gguf); no Q8_0 was found"},
	{Name: "jina-embeddings-v2", Aliases: []string{"jina-embeddings-v2-base-en"}, Kind: "embedding",
		Repo: "gpustack/jina-embeddings-v2-base-en-GGUF", File: "jina-embeddings-v2-base-en-Q8_0.gguf", Quant: "Q8_0",
		Source: "gpustack's GGUF conversion, named as the GGUF source (file jina-embeddings-v2-base-en-Q8_0.gguf) in a project's model notes"},
	{Name: "Qwen3-Embedding-0.6B", Aliases: []string{"qwen3-embedding"}, Kind: "embedding",
		Repo: "Qwen/Qwen3-Embedding-0.6B-GGUF", File: "Qwen3-Embedding-0.6B-Q8_0.gguf", Quant: "Q8_0",
		Source: "the publisher's (Qwen) GGUF repository, as downloaded by projects (resolve/main/Qwen3-Embedding-0.6B-Q8_0.gguf)"},
	{Name: "EmbeddingGemma", Aliases: []string{"embeddinggemma", "embeddinggemma-300m"}, Kind: "embedding",
		Repo: "ggml-org/embeddinggemma-300M-GGUF", File: "embeddinggemma-300M-Q8_0.gguf", Quant: "Q8_0",
		Source: "ggml-org's (llama.cpp's) GGUF repository, the default embedding model of qmd (hf:ggml-org/embeddinggemma-300M-GGUF/embeddinggemma-300M-Q8_0.gguf); Gemma terms: a gated copy needs HF_TOKEN"},
	{Name: "bge-reranker-v2-m3", Kind: "reranker",
		Repo: "gpustack/bge-reranker-v2-m3-GGUF", File: "bge-reranker-v2-m3-Q8_0.gguf", Quant: "Q8_0",
		Source: "gpustack's GGUF conversion, as downloaded by projects (resolve/main/bge-reranker-v2-m3-Q8_0.gguf)"},
	{Name: "Qwen3-Reranker-0.6B", Aliases: []string{"qwen3-reranker"}, Kind: "reranker",
		Repo: "ggml-org/Qwen3-Reranker-0.6B-Q8_0-GGUF", File: "qwen3-reranker-0.6b-q8_0.gguf", Quant: "Q8_0",
		Source: "ggml-org's (llama.cpp's) GGUF repository, the default reranker of qmd (hf:ggml-org/Qwen3-Reranker-0.6B-Q8_0-GGUF/qwen3-reranker-0.6b-q8_0.gguf)"},
}

// lookupShortName returns the entry named name (or one of its aliases),
// compared without case.
func lookupShortName(name string) (shortName, bool) {
	for _, s := range shortNames {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
		for _, a := range s.Aliases {
			if strings.EqualFold(a, name) {
				return s, true
			}
		}
	}
	return shortName{}, false
}

// printShortNames writes the table, for pull -list.
func printShortNames(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tQUANT\tREPOSITORY/FILE\tSHA256")
	for _, s := range shortNames {
		sum := s.SHA256
		if sum == "" {
			sum = "(the hub's)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Quant, s.ref(), sum)
	}
	return tw.Flush()
}
