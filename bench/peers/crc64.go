// Peer for `npm run bench -- crc64`: Go's hash/crc64 (ECMA table, which is CRC-64/XZ with
// crc64.Update) over one random buffer of the same size, timed per repetition.
// Prints one JSON line: {"check": "<crc of 123456789>", "mbps": [..]}.
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"hash/crc64"
	"os"
	"strconv"
	"time"
)

func main() {
	mib := flag.Int("mib", 256, "buffer size in MiB")
	reps := flag.Int("reps", 5, "repetitions")
	flag.Parse()
	table := crc64.MakeTable(crc64.ECMA)
	data := make([]byte, *mib<<20)
	if _, err := rand.Read(data); err != nil {
		panic(err)
	}
	crc64.Checksum(data[:16<<20], table) // warm up
	mbps := make([]float64, 0, *reps)
	for r := 0; r < *reps; r++ {
		t0 := time.Now()
		crc64.Checksum(data, table)
		mbps = append(mbps, float64(len(data))/1e6/time.Since(t0).Seconds())
	}
	check := strconv.FormatUint(crc64.Checksum([]byte("123456789"), table), 10)
	json.NewEncoder(os.Stdout).Encode(map[string]any{"check": check, "mbps": mbps})
}
