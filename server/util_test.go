package server_test

import "os"

var osReadFile = os.ReadFile
