// Peer of `npm run bench -- plugin`: the official OSS Go SDK's Bucket.UploadFile (the SDK Argo's own
// OSS artifact driver is built on), as Debian packages it (golang-github-aliyun-aliyun-oss-go-sdk-dev),
// uploading one file in parts of -part-size with -routines goroutines. Prints one JSON line:
// {"seconds":…,"cpuSeconds":…,"maxRssBytes":…}. Build in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o oss-upload-file oss-upload-file.go
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func main() {
	endpoint := flag.String("endpoint", "", "OSS endpoint, e.g. http://127.0.0.1:9100")
	ak := flag.String("ak", "", "access key id")
	sk := flag.String("sk", "", "access key secret")
	bucketName := flag.String("bucket", "", "bucket")
	key := flag.String("key", "", "object key")
	file := flag.String("file", "", "file to upload")
	partSize := flag.Int64("part-size", 16<<20, "bytes per part")
	routines := flag.Int("routines", 4, "parts in flight")
	flag.Parse()

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	if err := bucket.UploadFile(*key, *file, *partSize, oss.Routines(*routines)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	seconds := time.Since(start).Seconds()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	out, _ := json.Marshal(map[string]float64{"seconds": seconds, "cpuSeconds": cpu, "maxRssBytes": float64(ru.Maxrss * 1024)})
	fmt.Println(string(out))
}
