package embed_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/embellama/embellama/embed"
)

// modelPath returns a model of $EMBELLAMA_MODELS.
func modelPath(name string) string {
	return filepath.Join(os.Getenv("EMBELLAMA_MODELS"), name)
}

func ExampleOpen() {
	ctx := context.Background()
	e, err := embed.Open(ctx, modelPath("bert-mean.gguf"))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	v, err := e.Embed(ctx, "", "The quick brown fox jumps over the lazy dog.")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(v), "dimensions")
	// Output: 128 dimensions
}

func ExampleEngine_EmbedBatch() {
	ctx := context.Background()
	e, err := embed.Open(ctx, modelPath("bert-mean.gguf"))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	texts := []string{"first document", "", "third document"}
	r, err := e.EmbedBatch(ctx, "", texts,
		embed.WithDimensions(64),                   // Matryoshka: keep 64 components, renormalize
		embed.WithTruncation(embed.TruncateEnd),    // cut over-long texts instead of failing them
		embed.WithNormalization(embed.NormalizeL2)) // the default, spelled out
	if err != nil {
		log.Fatal(err) // the call failed as a whole
	}
	for i := range texts {
		if errors.Is(r.Errors[i], embed.ErrEmptyInput) {
			fmt.Printf("text %d: empty\n", i)
			continue
		}
		fmt.Printf("text %d: %d dimensions, %d tokens\n", i, len(r.Vectors[i]), r.Tokens[i])
	}
	// Output:
	// text 0: 64 dimensions, 4 tokens
	// text 1: empty
	// text 2: 64 dimensions, 4 tokens
}

func ExampleEngine_LoadModel() {
	ctx := context.Background()
	e, err := embed.New(ctx, embed.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	if err := e.LoadModel(ctx, "bert", embed.ModelConfig{ModelPath: modelPath("bert-mean.gguf")}); err != nil {
		log.Fatal(err)
	}
	if err := e.LoadModel(ctx, "qwen", embed.ModelConfig{ModelPath: modelPath("qwen3-last.gguf"), ContextSize: 2048}); err != nil {
		log.Fatal(err)
	}
	for _, name := range e.Models() {
		info, _ := e.ModelInfo(name)
		fmt.Printf("%s: %s, %d dimensions, %s pooling\n", name, info.Architecture, info.Dim, info.Pooling)
	}
	if err := e.UnloadModel("qwen"); err != nil {
		log.Fatal(err)
	}
	_, err = e.Embed(ctx, "qwen", "hello")
	fmt.Println(errors.Is(err, embed.ErrUnknownModel))
	// Output:
	// bert: bert, 128 dimensions, mean pooling
	// qwen: qwen3, 64 dimensions, last pooling
	// true
}

// Compact encodings of a vector: bytes on a fixed scale (127 times the
// unit vector) and packed sign bits.
func ExampleQuantizeInt8() {
	v := []float32{0.6, -0.8, 0, 0.1, 0, 0, 0, 0, -1}
	i8, err := embed.QuantizeInt8(v)
	if err != nil {
		log.Fatal(err)
	}
	u8, _ := embed.QuantizeUint8(v)
	fmt.Println(i8)
	fmt.Println(u8)
	fmt.Println(embed.PackUbinary(v), embed.PackBinary(v))
	// Output:
	// [54 -72 0 9 0 0 0 0 -90]
	// [182 56 128 137 128 128 128 128 38]
	// [144 0] [16 -128]
}
