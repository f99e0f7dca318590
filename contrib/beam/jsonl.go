package embedbeam

import (
	"encoding/json"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	// Local paths; import the gcs or s3 filesystem for cloud storage.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// JSONL returns a pipeline that reads JSON lines of [Text]
// ({"id":"a","text":"..."}) from the files matching input, embeds them
// with fn, and writes JSON lines of [Vector] to output and of [Failure]
// to deadLetter: the texts the engine rejected, and the lines that are
// not a JSON object with a string "text" (their ID is empty and Text is
// the line). Paths may use any filesystem the Beam SDK has registered:
// local files, and gs:// or s3:// once the program imports Beam's gcs or
// s3 filesystem package.
func JSONL(fn EmbedFn, input, output, deadLetter string) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	lines := textio.Read(s.Scope("read"), input)
	texts, bad := beam.ParDo2(s.Scope("parse"), parseText, lines)
	vectors, failed := Embed(s, fn, texts)
	textio.Write(s.Scope("write"), output, beam.ParDo(s.Scope("format"), formatVector, vectors))
	failures := beam.Flatten(s, bad, failed)
	textio.Write(s.Scope("dead-letter"), deadLetter, beam.ParDo(s.Scope("format-failure"), formatFailure, failures))
	return p
}

func parseText(line string, emit func(Text), dead func(Failure)) {
	var in struct {
		ID   string  `json:"id"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal([]byte(line), &in); err != nil || in.Text == nil {
		if err == nil {
			err = fmt.Errorf("no string field \"text\"")
		}
		dead(Failure{Text: line, Error: "embedbeam: bad JSON line: " + err.Error()})
		return
	}
	emit(Text{ID: in.ID, Text: *in.Text})
}

func formatVector(v Vector) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func formatFailure(f Failure) (string, error) {
	b, err := json.Marshal(f)
	return string(b), err
}

func init() {
	register.Function3x0(parseText)
	register.Function1x2(formatVector)
	register.Function1x2(formatFailure)
}
