package prompts

import "regexp"

// Instructions shared by several families.
const (
	bgeQuery   = "Represent this sentence for searching relevant passages: "
	qwen3Query = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
	gemmaQuery = "task: search result | query: "
	gemmaDoc   = "title: none | text: "
	nomicQuery = "search_query: "
	nomicDoc   = "search_document: "
	e5Query    = "query: "
	e5Passage  = "passage: "
)

// Builtin returns the table of known families, first match wins. Each
// entry's Source names the model card that documents its prompts; a
// family whose documents take no prefix has no document prompt.
func Builtin() []Family {
	return []Family{
		{
			Name: "embeddinggemma", Architectures: []string{"gemma-embedding", "gemma3"},
			Pattern: regexp.MustCompile(`embedding-?gemma`),
			Prompts: map[string]string{Query: gemmaQuery, Document: gemmaDoc},
			Source:  "model card of google/embeddinggemma-300m (prompts: query, document)",
		},
		{
			Name: "qwen3-embedding", Architectures: []string{"qwen3"},
			Pattern: regexp.MustCompile(`qwen3.*embedding`),
			Prompts: map[string]string{Query: qwen3Query},
			Source:  "model card of Qwen/Qwen3-Embedding-0.6B (Instruct: {task}\\nQuery:{query}; documents without instruction)",
		},
		{
			Name: "nomic-embed", Architectures: []string{"nomic-bert", "nomic-bert-moe"},
			Prompts: map[string]string{Query: nomicQuery, Document: nomicDoc, "classification": "classification: ", "clustering": "clustering: "},
			Source:  "model card of nomic-ai/nomic-embed-text-v1.5 (task instruction prefixes)",
		},
		{
			Name:    "e5-mistral",
			Pattern: regexp.MustCompile(`e5-mistral`),
			Prompts: map[string]string{Query: qwen3Query[:len(qwen3Query)-len("Query:")] + "Query: "},
			Source:  "model card of intfloat/e5-mistral-7b-instruct (Instruct: {task}\\nQuery: {query}; documents without instruction)",
		},
		{
			Name:    "e5",
			Pattern: regexp.MustCompile(`(^|[^a-z0-9])(multilingual-)?e5([^a-z0-9]|$)`),
			Prompts: map[string]string{Query: e5Query, Document: e5Passage},
			Source:  "model card of intfloat/e5-base-v2 (\"query: \" and \"passage: \" prefixes)",
		},
		{
			Name:    "mxbai-embed",
			Pattern: regexp.MustCompile(`mxbai-embed`),
			Prompts: map[string]string{Query: bgeQuery},
			Source:  "model card of mixedbread-ai/mxbai-embed-large-v1 (query prompt; documents without)",
		},
		{
			Name:    "snowflake-arctic-embed",
			Pattern: regexp.MustCompile(`arctic-embed`),
			Prompts: map[string]string{Query: bgeQuery},
			Source:  "model card of Snowflake/snowflake-arctic-embed-m-v1.5 (query prefix; documents without)",
		},
		{
			Name:    "bge-en",
			Pattern: regexp.MustCompile(`bge-(small|base|large)-en`),
			Prompts: map[string]string{Query: bgeQuery},
			Source:  "model card of BAAI/bge-base-en-v1.5 (instruction for short queries; passages without)",
		},
	}
}
