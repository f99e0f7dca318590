package autorecord_test

import "encoding/json"

// jsonMarshal encodes a record without Encode's validation, to write
// records Encode refuses.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
