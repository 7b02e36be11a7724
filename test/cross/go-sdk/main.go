// Cross-check of the local OSS server with an official Alibaba OSS client other than ali-oss:
// the OSS Go SDK as packaged by Debian (golang-github-aliyun-aliyun-oss-go-sdk-dev, code version
// 1.4.0: V1 signing only, path style when the endpoint is an IP, CRC-64 checks on by default).
//
// Build (GOPATH mode, offline):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-sdk-check main.go
//
// Run:
//
//	go-sdk-check -endpoint http://127.0.0.1:PORT -ak ID -sk SECRET -bucket NAME
//
// (or OSS_ENDPOINT / OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_BUCKET). Every check prints
// "PASS name" or "FAIL name: details"; the last line is "N passed, M failed"; the exit code is 1
// when a check failed and 2 on a usage error.
//
// The SDK talks to the server through a small in-process logging reverse proxy that forwards each
// request byte for byte (same request target, same headers, same body). When a check fails, the
// exchanges it made are printed under the FAIL line: method, request target, request headers, status,
// response headers and, for errors and XML, the body. -trace prints them for every check, -direct
// disables the proxy.
//
// Operations this SDK version has no API for (ListObjectsV2, object tagging) are sent as hand-built
// requests through the SDK's own transport and V1 signer (Client.Conn.Do); their check names start
// with "raw".
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"io/ioutil"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// ---- exchange recording proxy ---------------------------------------------------------------

type exchange struct {
	Method     string
	Target     string
	ReqHeader  http.Header
	ReqBody    string
	Status     int
	RespHeader http.Header
	RespBody   string
	Err        string
}

type tracer struct {
	mu sync.Mutex
	ex []exchange
}

func (t *tracer) reset() {
	t.mu.Lock()
	t.ex = nil
	t.mu.Unlock()
}

func (t *tracer) add(e exchange) {
	t.mu.Lock()
	t.ex = append(t.ex, e)
	t.mu.Unlock()
}

func (t *tracer) snapshot() []exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]exchange(nil), t.ex...)
}

// find returns the recorded exchanges whose method matches and whose request target contains sub.
func (t *tracer) find(method, sub string) []exchange {
	var out []exchange
	for _, e := range t.snapshot() {
		if (method == "" || e.Method == method) && strings.Contains(e.Target, sub) {
			out = append(out, e)
		}
	}
	return out
}

const maxShownExchanges = 12

func (t *tracer) dump(w io.Writer, indent string) {
	ex := t.snapshot()
	if len(ex) == 0 {
		return
	}
	start := 0
	if len(ex) > maxShownExchanges {
		start = len(ex) - maxShownExchanges
		fmt.Fprintf(w, "%s(%d earlier exchanges not shown)\n", indent, start)
	}
	for _, e := range ex[start:] {
		fmt.Fprintf(w, "%s> %s %s\n", indent, e.Method, e.Target)
		writeHeaders(w, indent+">   ", e.ReqHeader)
		if e.ReqBody != "" {
			fmt.Fprintf(w, "%s>   body: %s\n", indent, oneLine(e.ReqBody))
		}
		if e.Err != "" {
			fmt.Fprintf(w, "%s< proxy error: %s\n", indent, e.Err)
			continue
		}
		fmt.Fprintf(w, "%s< %d\n", indent, e.Status)
		writeHeaders(w, indent+"<   ", e.RespHeader)
		if e.RespBody != "" {
			fmt.Fprintf(w, "%s<   body: %s\n", indent, oneLine(e.RespBody))
		}
	}
}

func writeHeaders(w io.Writer, indent string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch k {
		case "User-Agent", "X-Forwarded-For", "Accept-Encoding", "Server", "Connection":
			continue
		}
		fmt.Fprintf(w, "%s%s: %s\n", indent, k, strings.Join(h[k], ", "))
	}
}

func oneLine(s string) string {
	s = strings.Replace(s, "\r", "", -1)
	s = strings.Replace(s, "\n", "\\n", -1)
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

func isXML(h http.Header) bool {
	ct := strings.ToLower(h.Get("Content-Type"))
	return strings.Contains(ct, "xml")
}

// startProxy starts a reverse proxy on 127.0.0.1:0 that forwards every request to target unchanged
// (the raw request target is kept, so escaping such as %2F survives) and records the exchange.
func startProxy(target *url.URL, tr *tracer) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	rp := &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			raw := r.RequestURI
			path, query := raw, ""
			if i := strings.IndexByte(raw, '?'); i >= 0 {
				path, query = raw[:i], raw[i+1:]
			}
			r.URL.Scheme = target.Scheme
			r.URL.Host = target.Host
			r.URL.Opaque = path
			r.URL.Path = ""
			r.URL.RawPath = ""
			r.URL.RawQuery = query
			r.URL.ForceQuery = strings.HasSuffix(raw, "?")
			r.Host = target.Host
			// Keep small XML bodies for the report (Complete, DeleteObjects, lifecycle, tagging).
			if r.Body != nil && r.ContentLength > 0 && r.ContentLength <= 64*1024 && (r.Method == "POST" || isXML(r.Header)) {
				b, _ := ioutil.ReadAll(r.Body)
				r.Body.Close()
				r.Body = ioutil.NopCloser(bytes.NewReader(b))
				r.Header.Set("X-Trace-Body", base64.StdEncoding.EncodeToString(b))
			}
		},
		Transport: &http.Transport{
			DisableCompression:  true,
			MaxIdleConnsPerHost: 16,
			Proxy:               nil,
		},
		ModifyResponse: func(resp *http.Response) error {
			req := resp.Request
			e := exchange{Method: req.Method, Target: req.URL.RequestURI(), Status: resp.StatusCode}
			if b64 := req.Header.Get("X-Trace-Body"); b64 != "" {
				b, _ := base64.StdEncoding.DecodeString(b64)
				e.ReqBody = string(b)
			}
			e.ReqHeader = req.Header.Clone()
			e.ReqHeader.Del("X-Trace-Body")
			e.RespHeader = resp.Header.Clone()
			if resp.Body != nil && (resp.StatusCode >= 300 || isXML(resp.Header)) && resp.ContentLength <= 256*1024 {
				b, _ := ioutil.ReadAll(resp.Body)
				resp.Body.Close()
				resp.Body = ioutil.NopCloser(bytes.NewReader(b))
				e.RespBody = string(b)
			}
			tr.add(e)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			tr.add(exchange{Method: r.Method, Target: r.URL.RequestURI(), ReqHeader: r.Header.Clone(), Err: err.Error()})
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	// The trace body header must not reach the server: it is removed after Director runs, by a
	// wrapping RoundTripper.
	inner := rp.Transport
	rp.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b64 := r.Header.Get("X-Trace-Body")
		r.Header.Del("X-Trace-Body")
		resp, err := inner.RoundTrip(r)
		if resp != nil && b64 != "" {
			resp.Request.Header.Set("X-Trace-Body", b64)
		}
		return resp, err
	})
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ---- check runner ---------------------------------------------------------------------------

type runner struct {
	tr      *tracer
	trace   bool
	passed  int
	failed  int
	failing []string
}

func (r *runner) check(name string, fn func() error) bool {
	r.tr.reset()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return fn()
	}()
	if err == nil {
		r.passed++
		fmt.Printf("PASS %s\n", name)
		if r.trace {
			r.tr.dump(os.Stdout, "    ")
		}
		return true
	}
	r.failed++
	r.failing = append(r.failing, name)
	fmt.Printf("FAIL %s: %s\n", name, oneLine(err.Error()))
	r.tr.dump(os.Stdout, "    ")
	return false
}

// ---- helpers --------------------------------------------------------------------------------

var crcTable = crc64.MakeTable(crc64.ECMA)

func crcOf(b []byte) uint64 { return crc64.Checksum(b, crcTable) }

func crcStr(b []byte) string { return strconv.FormatUint(crcOf(b), 10) }

func md5Etag(b []byte) string {
	s := md5.Sum(b)
	return `"` + strings.ToUpper(hex.EncodeToString(s[:])) + `"`
}

func md5B64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func errf(format string, a ...interface{}) error { return fmt.Errorf(format, a...) }

// svcErr checks that err is an OSS ServiceError with the given code and HTTP status.
func svcErr(err error, code string, status int) error {
	if err == nil {
		return errf("expected error %s (%d), got success", code, status)
	}
	var se oss.ServiceError
	if !errors.As(err, &se) {
		return errf("expected ServiceError %s (%d), got %T: %v", code, status, err, err)
	}
	if se.Code != code || se.StatusCode != status {
		return errf("expected %s (%d), got %s (%d): %s", code, status, se.Code, se.StatusCode, se.Message)
	}
	if se.RequestID == "" {
		return errf("%s error carries no x-oss-request-id", code)
	}
	return nil
}

func expectHeader(h http.Header, name, want string) error {
	if got := h.Get(name); got != want {
		return errf("header %s = %q, want %q", name, got, want)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func readAllClose(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	return ioutil.ReadAll(rc)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fileCRC(path string) (uint64, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc64.New(crcTable)
	n, err := io.Copy(h, f)
	return h.Sum64(), n, err
}

// rawDo sends a hand-built request through the SDK's transport and V1 signer.
func rawDo(b *oss.Bucket, method, key, params, subResource string, headers map[string]string, body []byte) (*oss.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if headers == nil {
		headers = map[string]string{}
	}
	resp, err := b.Client.Conn.Do(method, b.BucketName, key, params, subResource, headers, rd, 0, nil)
	if err != nil {
		return resp, nil, err
	}
	data, rerr := readAllClose(resp.Body)
	return resp, data, rerr
}

// ---- admin API of the local server (fault injection), optional --------------------------------

type admin struct{ base string }

func (a *admin) available() bool {
	resp, err := http.Get(a.base + "/_argo-oss/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(ioutil.Discard, resp.Body)
	return resp.StatusCode == 200
}

func (a *admin) addFault(spec map[string]interface{}) (string, error) {
	body, _ := json.Marshal(spec)
	resp, err := http.Post(a.base+"/_argo-oss/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := ioutil.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		return "", errf("adding fault: %d %s", resp.StatusCode, data)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

func (a *admin) removeFault(id string) {
	req, _ := http.NewRequest("DELETE", a.base+"/_argo-oss/faults/"+url.PathEscape(id), nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(ioutil.Discard, resp.Body)
		resp.Body.Close()
	}
}

// progressHook calls fn once, after the n-th TransferDataEvent.
type progressHook struct {
	mu    sync.Mutex
	n     int
	seen  int
	fired bool
	fn    func()
}

func (p *progressHook) ProgressChanged(e *oss.ProgressEvent) {
	if e.EventType != oss.TransferDataEvent {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen++
	if !p.fired && p.seen >= p.n {
		p.fired = true
		p.fn()
	}
}

// ---- raw XML models for operations this SDK version lacks ------------------------------------

type listV2Result struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Name                  string   `xml:"Name"`
	Prefix                string   `xml:"Prefix"`
	MaxKeys               int      `xml:"MaxKeys"`
	Delimiter             string   `xml:"Delimiter"`
	EncodingType          string   `xml:"EncodingType"`
	IsTruncated           bool     `xml:"IsTruncated"`
	KeyCount              int      `xml:"KeyCount"`
	ContinuationToken     string   `xml:"ContinuationToken"`
	NextContinuationToken string   `xml:"NextContinuationToken"`
	Contents              []struct {
		Key  string `xml:"Key"`
		Size int64  `xml:"Size"`
		ETag string `xml:"ETag"`
	} `xml:"Contents"`
	CommonPrefixes []string `xml:"CommonPrefixes>Prefix"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// ---- main -----------------------------------------------------------------------------------

func envOr(name, dflt string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return dflt
}

func main() {
	endpoint := flag.String("endpoint", envOr("OSS_ENDPOINT", ""), "server endpoint, e.g. http://127.0.0.1:9100 (env OSS_ENDPOINT)")
	ak := flag.String("ak", envOr("OSS_ACCESS_KEY_ID", ""), "access key id (env OSS_ACCESS_KEY_ID)")
	sk := flag.String("sk", envOr("OSS_ACCESS_KEY_SECRET", ""), "access key secret (env OSS_ACCESS_KEY_SECRET)")
	bucketName := flag.String("bucket", envOr("OSS_BUCKET", ""), "bucket (must exist; env OSS_BUCKET)")
	workDir := flag.String("workdir", "", "directory for local files (default: a new temp dir, removed at the end)")
	direct := flag.Bool("direct", false, "talk to the endpoint directly instead of through the recording proxy")
	trace := flag.Bool("trace", false, "print the recorded HTTP exchanges of every check, not only of failures")
	useAdmin := flag.Bool("admin", true, "use the local server's /_argo-oss admin API (fault injection) when it answers")
	flag.Parse()
	if *endpoint == "" || *ak == "" || *sk == "" || *bucketName == "" {
		fmt.Fprintln(os.Stderr, "usage: go-sdk-check -endpoint http://127.0.0.1:PORT -ak ID -sk SECRET -bucket NAME")
		os.Exit(2)
	}
	target, err := url.Parse(*endpoint)
	if err != nil || target.Host == "" {
		fmt.Fprintf(os.Stderr, "bad -endpoint %q\n", *endpoint)
		os.Exit(2)
	}

	tr := &tracer{}
	sdkEndpoint := *endpoint
	if !*direct {
		u, stop, err := startProxy(target, tr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "starting the recording proxy: %v\n", err)
			os.Exit(2)
		}
		defer stop()
		sdkEndpoint = u
	}

	dir := *workDir
	if dir == "" {
		d, err := ioutil.TempDir("", "oss-go-sdk-check-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
			os.Exit(2)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "workdir: %v\n", err)
		os.Exit(2)
	}

	fmt.Printf("# OSS Go SDK %s against %s (bucket %s)%s\n", oss.Version, *endpoint, *bucketName,
		map[bool]string{true: "", false: " via recording proxy " + sdkEndpoint}[*direct])

	r := &runner{tr: tr, trace: *trace}
	adm := &admin{base: strings.TrimRight(*endpoint, "/")}
	s := &suite{
		r:        r,
		tr:       tr,
		endpoint: sdkEndpoint,
		ak:       *ak,
		sk:       *sk,
		bucket:   *bucketName,
		dir:      dir,
		rng:      rand.New(rand.NewSource(time.Now().UnixNano())),
		admin:    adm,
		hasAdmin: *useAdmin && adm.available(),
	}
	s.pfx = fmt.Sprintf("go-sdk-%d/", time.Now().UnixNano())
	s.run()

	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		os.Exit(1)
	}
}

type suite struct {
	r        *runner
	tr       *tracer
	endpoint string
	ak, sk   string
	bucket   string
	dir      string
	rng      *rand.Rand
	admin    *admin
	hasAdmin bool
	pfx      string

	client *oss.Client
	b      *oss.Bucket
}

func (s *suite) newBucket(ak, sk, bucket string, opts ...oss.ClientOption) *oss.Bucket {
	c, err := oss.New(s.endpoint, ak, sk, opts...)
	if err != nil {
		panic(err)
	}
	b, _ := c.Bucket(bucket)
	return b
}

// exists tells whether key exists using HEAD (GetObjectDetailedMeta), independently of the SDK's
// IsObjectExist, which goes through GetObjectMeta ("GET key??objectMeta").
func (s *suite) exists(key string) (bool, error) {
	_, err := s.b.GetObjectDetailedMeta(key)
	if err == nil {
		return true, nil
	}
	if strings.Contains(err.Error(), "404") {
		return false, nil
	}
	return false, err
}

func (s *suite) run() {
	c, err := oss.New(s.endpoint, s.ak, s.sk) // CRC checking is on by default
	if err != nil {
		fmt.Printf("FAIL oss.New: %v\n", err)
		s.r.failed++
		return
	}
	s.client = c
	s.b, _ = c.Bucket(s.bucket)
	if !c.Config.IsEnableCRC {
		fmt.Println("FAIL sdk default: CRC checking is not enabled by default")
		s.r.failed++
	}

	s.bucketChecks()
	s.objectChecks()
	s.listChecks()
	s.deleteChecks()
	s.multipartChecks()
	s.multipartErrorChecks()
	s.listUploadsChecks()
	s.fileChecks()
	s.errorChecks()
	s.lifecycleChecks()
	s.taggingChecks()
	s.cleanup()
}

// ---- service / bucket -------------------------------------------------------------------------

func (s *suite) bucketChecks() {
	s.r.check("ListBuckets / IsBucketExist", func() error {
		res, err := s.client.ListBuckets()
		if err != nil {
			return err
		}
		found := false
		for _, b := range res.Buckets {
			if b.Name == s.bucket {
				found = true
			}
		}
		if !found {
			return errf("bucket %s not in ListBuckets result %+v", s.bucket, res.Buckets)
		}
		ok, err := s.client.IsBucketExist(s.bucket)
		if err != nil || !ok {
			return errf("IsBucketExist(%s) = %v, %v", s.bucket, ok, err)
		}
		ok, err = s.client.IsBucketExist(s.bucket + "-missing-x")
		if err != nil || ok {
			return errf("IsBucketExist(missing) = %v, %v", ok, err)
		}
		return nil
	})
	s.r.check("GetBucketInfo", func() error {
		res, err := s.client.GetBucketInfo(s.bucket)
		if err != nil {
			return err
		}
		if res.BucketInfo.Name != s.bucket {
			return errf("Name = %q", res.BucketInfo.Name)
		}
		return nil
	})
}

// ---- single objects -----------------------------------------------------------------------------

func (s *suite) objectChecks() {
	key := s.pfx + "obj/hello+ü&=%.bin"
	data := randBytes(s.rng, 64*1024+3)
	etag := md5Etag(data)
	size := int64(len(data))

	ok := s.r.check("PutObject (meta, content-type; ETag and CRC-64 headers)", func() error {
		resp, err := s.b.DoPutObject(&oss.PutObjectRequest{ObjectKey: key, Reader: bytes.NewReader(data)}, []oss.Option{
			oss.ContentType("application/x-go-sdk-test"),
			oss.Meta("Author", "go-sdk"),
			oss.Meta("Mixed-Case", "Some Value"),
			oss.CacheControl("no-cache"),
			oss.ContentDisposition(`attachment; filename="x.bin"`),
		})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return errf("status %d", resp.StatusCode)
		}
		if resp.Headers.Get(oss.HTTPHeaderOssCRC64) == "" {
			return errf("no x-oss-hash-crc64ecma header: the SDK's CRC check was skipped")
		}
		return firstErr(
			expectHeader(resp.Headers, "ETag", etag),
			expectHeader(resp.Headers, oss.HTTPHeaderOssCRC64, crcStr(data)),
		)
	})
	if !ok {
		return
	}

	s.r.check("PutObject default content type from the key extension", func() error {
		k := s.pfx + "obj/page.html"
		if err := s.b.PutObject(k, strings.NewReader("<html></html>")); err != nil {
			return err
		}
		h, err := s.b.GetObjectDetailedMeta(k)
		if err != nil {
			return err
		}
		// The SDK derives it with Go's mime table: "text/html; charset=utf-8".
		want := oss.TypeByExtension(k)
		if want == "" || !strings.HasPrefix(want, "text/html") {
			return errf("unexpected SDK type for .html: %q", want)
		}
		return expectHeader(h, "Content-Type", want)
	})

	s.r.check("PutObject with EnableMD5 (SDK sends Content-MD5)", func() error {
		b := s.newBucket(s.ak, s.sk, s.bucket, oss.EnableMD5(true))
		body := []byte("md5 protected body")
		if err := b.PutObject(s.pfx+"obj/md5.txt", bytes.NewReader(body)); err != nil {
			return err
		}
		puts := s.tr.find("PUT", "md5.txt")
		if len(puts) > 0 && puts[0].ReqHeader.Get("Content-MD5") != md5B64(body) {
			return errf("the SDK did not send the expected Content-MD5 (%q)", puts[0].ReqHeader.Get("Content-MD5"))
		}
		return nil
	})

	s.r.check("GetObject whole (body, headers, CRC-64)", func() error {
		res, err := s.b.DoGetObject(&oss.GetObjectRequest{ObjectKey: key}, nil)
		if err != nil {
			return err
		}
		got, err := readAllClose(res.Response.Body)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return errf("body differs (%d bytes, want %d)", len(got), len(data))
		}
		if res.Response.StatusCode != 200 {
			return errf("status %d", res.Response.StatusCode)
		}
		if res.ClientCRC == nil || res.ClientCRC.Sum64() != res.ServerCRC || res.ServerCRC != crcOf(data) {
			return errf("CRC: server %d, client %v, want %d", res.ServerCRC, res.ClientCRC, crcOf(data))
		}
		h := res.Response.Headers
		return firstErr(
			expectHeader(h, "Content-Type", "application/x-go-sdk-test"),
			expectHeader(h, "Content-Length", strconv.FormatInt(size, 10)),
			expectHeader(h, "ETag", etag),
			expectHeader(h, "X-Oss-Meta-Author", "go-sdk"),
			expectHeader(h, "X-Oss-Meta-Mixed-Case", "Some Value"),
			expectHeader(h, "Cache-Control", "no-cache"),
			expectHeader(h, "Content-Disposition", `attachment; filename="x.bin"`),
		)
	})

	s.r.check("GetObjectToFile (SDK whole-object CRC check)", func() error {
		p := filepath.Join(s.dir, "get-to-file.bin")
		if err := s.b.GetObjectToFile(key, p); err != nil {
			return err
		}
		got, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return errf("file differs")
		}
		return nil
	})

	rangeCheck := func(name string, opt oss.Option, start, end int64) {
		s.r.check(name, func() error {
			res, err := s.b.DoGetObject(&oss.GetObjectRequest{ObjectKey: key}, []oss.Option{opt})
			if err != nil {
				return err
			}
			got, err := readAllClose(res.Response.Body)
			if err != nil {
				return err
			}
			if res.Response.StatusCode != 206 {
				return errf("status %d, want 206", res.Response.StatusCode)
			}
			if !bytes.Equal(got, data[start:end+1]) {
				return errf("body is %d bytes, want bytes %d-%d", len(got), start, end)
			}
			return firstErr(
				expectHeader(res.Response.Headers, "Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size)),
				expectHeader(res.Response.Headers, "Content-Length", strconv.FormatInt(end-start+1, 10)),
				// A ranged GET still carries the whole object's CRC-64.
				expectHeader(res.Response.Headers, oss.HTTPHeaderOssCRC64, crcStr(data)),
			)
		})
	}
	rangeCheck("GetObject Range(10, 1033)", oss.Range(10, 1033), 10, 1033)
	rangeCheck("GetObject NormalizedRange(\"-100\") (suffix)", oss.NormalizedRange("-100"), size-100, size-1)
	rangeCheck("GetObject NormalizedRange(\"65000-\") (open end)", oss.NormalizedRange("65000-"), 65000, size-1)

	s.r.check("GetObject Range past EOF is ignored (200, whole body)", func() error {
		res, err := s.b.DoGetObject(&oss.GetObjectRequest{ObjectKey: key}, []oss.Option{oss.Range(size+10, size+20)})
		if err != nil {
			return err
		}
		got, err := readAllClose(res.Response.Body)
		if err != nil {
			return err
		}
		if res.Response.StatusCode != 200 || !bytes.Equal(got, data) {
			return errf("status %d, %d bytes; want 200 and the whole object", res.Response.StatusCode, len(got))
		}
		return nil
	})

	s.r.check("GetObjectDetailedMeta (HEAD)", func() error {
		h, err := s.b.GetObjectDetailedMeta(key)
		if err != nil {
			return err
		}
		if _, err := http.ParseTime(h.Get("Last-Modified")); err != nil {
			return errf("Last-Modified %q: %v", h.Get("Last-Modified"), err)
		}
		return firstErr(
			expectHeader(h, "Content-Length", strconv.FormatInt(size, 10)),
			expectHeader(h, "ETag", etag),
			expectHeader(h, "Content-Type", "application/x-go-sdk-test"),
			expectHeader(h, "X-Oss-Meta-Author", "go-sdk"),
			expectHeader(h, "X-Oss-Meta-Mixed-Case", "Some Value"),
			expectHeader(h, oss.HTTPHeaderOssCRC64, crcStr(data)),
			expectHeader(h, "X-Oss-Object-Type", "Normal"),
			expectHeader(h, "X-Oss-Storage-Class", "Standard"),
		)
	})

	s.r.check("GetObjectMeta", func() error {
		// This SDK version sends it as "GET /bucket/key??objectMeta" signed without the
		// sub-resource; the server must still answer with the object's metadata.
		h, err := s.b.GetObjectMeta(key)
		if err != nil {
			return err
		}
		return firstErr(
			expectHeader(h, "ETag", etag),
			expectHeader(h, "Content-Length", strconv.FormatInt(size, 10)),
		)
	})

	s.r.check("IsObjectExist (existing and missing)", func() error {
		ok, err := s.b.IsObjectExist(key)
		if err != nil || !ok {
			return errf("IsObjectExist(existing) = %v, %v", ok, err)
		}
		ok, err = s.b.IsObjectExist(s.pfx + "obj/missing")
		if err != nil || ok {
			return errf("IsObjectExist(missing) = %v, %v", ok, err)
		}
		return nil
	})

	s.r.check("HEAD If-None-Match: current ETag → 304", func() error {
		_, err := s.b.GetObjectDetailedMeta(key, oss.IfNoneMatch(etag))
		if err == nil || !strings.Contains(err.Error(), "304") {
			return errf("want the SDK's 304 error, got %v", err)
		}
		return nil
	})

	s.r.check("GetObject If-Match: other ETag → PreconditionFailed 412", func() error {
		_, err := s.b.GetObject(key, oss.IfMatch(`"00000000000000000000000000000000"`))
		return svcErr(err, "PreconditionFailed", 412)
	})

	s.r.check("GetObject If-Modified-Since: now → 304, a day ago → 200", func() error {
		// UTC times: the SDK formats them with http.TimeFormat ("GMT") without converting.
		_, err := s.b.GetObject(key, oss.IfModifiedSince(time.Now().UTC()))
		if err == nil || !strings.Contains(err.Error(), "304") {
			return errf("If-Modified-Since now: want the SDK's 304 error, got %v", err)
		}
		rc, err := s.b.GetObject(key, oss.IfModifiedSince(time.Now().UTC().Add(-24*time.Hour)))
		if err != nil {
			return errf("past If-Modified-Since: %v", err)
		}
		got, err := readAllClose(rc)
		if err != nil || !bytes.Equal(got, data) {
			return errf("past If-Modified-Since: body differs (%v)", err)
		}
		return nil
	})
}

// ---- listing --------------------------------------------------------------------------------

func (s *suite) listKeys() (prefix string, all, files, dirs []string) {
	prefix = s.pfx + "list/"
	names := []string{"a.txt", "b+c.txt", "dir1/x.txt", "dir1/y.txt", "dir2/z.txt", "e&f=g%h.txt", "zz.txt", "ü.txt"}
	for _, n := range names {
		all = append(all, prefix+n)
		if i := strings.IndexByte(n, '/'); i >= 0 {
			d := prefix + n[:i+1]
			if len(dirs) == 0 || dirs[len(dirs)-1] != d {
				dirs = append(dirs, d)
			}
		} else {
			files = append(files, prefix+n)
		}
	}
	sort.Strings(all)
	sort.Strings(files)
	sort.Strings(dirs)
	return
}

func objectKeys(objs []oss.ObjectProperties) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func (s *suite) listChecks() {
	prefix, all, files, dirs := s.listKeys()

	ok := s.r.check("PutObject listing fixtures (keys with + & = % ü)", func() error {
		for _, k := range all {
			if err := s.b.PutObject(k, strings.NewReader("x:"+k)); err != nil {
				return errf("%s: %v", k, err)
			}
		}
		return nil
	})
	if !ok {
		return
	}

	s.r.check("ListObjects Prefix (encoding-type=url, keys decoded by the SDK)", func() error {
		res, err := s.b.ListObjects(oss.Prefix(prefix), oss.MaxKeys(1000))
		if err != nil {
			return err
		}
		if got := objectKeys(res.Objects); !equalStrings(got, all) {
			return errf("keys %q, want %q", got, all)
		}
		if res.Prefix != prefix || res.IsTruncated || len(res.CommonPrefixes) != 0 {
			return errf("Prefix %q IsTruncated %v CommonPrefixes %q", res.Prefix, res.IsTruncated, res.CommonPrefixes)
		}
		for _, o := range res.Objects {
			content := "x:" + o.Key
			if o.Size != int64(len(content)) || o.ETag != md5Etag([]byte(content)) || o.LastModified.IsZero() || o.Type != "Normal" || o.StorageClass != "Standard" {
				return errf("object %q: size %d etag %s type %q class %q modified %v", o.Key, o.Size, o.ETag, o.Type, o.StorageClass, o.LastModified)
			}
		}
		return nil
	})

	s.r.check("ListObjects Delimiter \"/\" (CommonPrefixes)", func() error {
		res, err := s.b.ListObjects(oss.Prefix(prefix), oss.Delimiter("/"))
		if err != nil {
			return err
		}
		if got := objectKeys(res.Objects); !equalStrings(got, files) {
			return errf("keys %q, want %q", got, files)
		}
		if !equalStrings(res.CommonPrefixes, dirs) {
			return errf("CommonPrefixes %q, want %q", res.CommonPrefixes, dirs)
		}
		if res.Delimiter != "/" {
			return errf("Delimiter %q", res.Delimiter)
		}
		return nil
	})

	s.r.check("ListObjects paging MaxKeys(3) + Marker", func() error {
		var got []string
		marker := ""
		for page := 0; page < 20; page++ {
			res, err := s.b.ListObjects(oss.Prefix(prefix), oss.MaxKeys(3), oss.Marker(marker))
			if err != nil {
				return err
			}
			if len(res.Objects) > 3 || res.MaxKeys != 3 || res.Marker != marker {
				return errf("page %d: %d keys, MaxKeys %d, Marker %q (sent %q)", page, len(res.Objects), res.MaxKeys, res.Marker, marker)
			}
			got = append(got, objectKeys(res.Objects)...)
			if !res.IsTruncated {
				if !equalStrings(got, all) {
					return errf("paged keys %q, want %q", got, all)
				}
				return nil
			}
			if res.NextMarker == "" {
				return errf("page %d truncated without NextMarker", page)
			}
			marker = res.NextMarker
		}
		return errf("no end after 20 pages")
	})

	s.r.check("ListObjects paging MaxKeys(2) + Delimiter", func() error {
		var gotFiles, gotDirs []string
		marker := ""
		for page := 0; page < 20; page++ {
			res, err := s.b.ListObjects(oss.Prefix(prefix), oss.Delimiter("/"), oss.MaxKeys(2), oss.Marker(marker))
			if err != nil {
				return err
			}
			if len(res.Objects)+len(res.CommonPrefixes) > 2 {
				return errf("page %d: %d entries > MaxKeys 2", page, len(res.Objects)+len(res.CommonPrefixes))
			}
			gotFiles = append(gotFiles, objectKeys(res.Objects)...)
			gotDirs = append(gotDirs, res.CommonPrefixes...)
			if !res.IsTruncated {
				if !equalStrings(gotFiles, files) || !equalStrings(gotDirs, dirs) {
					return errf("paged files %q dirs %q, want %q %q", gotFiles, gotDirs, files, dirs)
				}
				return nil
			}
			if res.NextMarker == "" {
				return errf("page %d truncated without NextMarker", page)
			}
			marker = res.NextMarker
		}
		return errf("no end after 20 pages")
	})

	s.r.check("ListObjects Marker (start after a key)", func() error {
		res, err := s.b.ListObjects(oss.Prefix(prefix), oss.Marker(prefix+"dir1/y.txt"))
		if err != nil {
			return err
		}
		var want []string
		for _, k := range all {
			if k > prefix+"dir1/y.txt" {
				want = append(want, k)
			}
		}
		if got := objectKeys(res.Objects); !equalStrings(got, want) {
			return errf("keys %q, want %q", got, want)
		}
		return nil
	})

	s.r.check("ListObjects empty result", func() error {
		res, err := s.b.ListObjects(oss.Prefix(s.pfx + "nothing-here/"))
		if err != nil {
			return err
		}
		if len(res.Objects) != 0 || len(res.CommonPrefixes) != 0 || res.IsTruncated {
			return errf("got %d objects, %d prefixes, truncated %v", len(res.Objects), len(res.CommonPrefixes), res.IsTruncated)
		}
		return nil
	})

	s.r.check("key with a space: SDK 1.4.0 sends \"+\" but signs \" \" → SignatureDoesNotMatch (\"+\" in a path is literal)", func() error {
		// SDK 1.4.0 escapes the key in the path with url.QueryEscape, so "sp ace" goes out as
		// "sp+ace", while the canonical resource it signs has the raw key "sp ace". In a URL path
		// "+" is not a space, so OSS computes the signature over ".../sp+ace.txt" and rejects the
		// request; later SDK versions replace "+" with "%20" for this reason. A server that
		// decoded "+" in a path as a space would accept it (and misname keys with a real "+").
		k := s.pfx + "space/sp ace.txt"
		err := s.b.PutObject(k, strings.NewReader("s"))
		if e := svcErr(err, "SignatureDoesNotMatch", 403); e != nil {
			return e
		}
		var se oss.ServiceError
		errors.As(err, &se)
		if !strings.Contains(se.RawMessage, "/space/sp+ace.txt</StringToSign>") {
			return errf("StringToSign does not name the key with a literal \"+\": %s", se.RawMessage)
		}
		return nil
	})

	s.r.check("raw ListObjectsV2 paging (max-keys 4, continuation-token signed)", func() error {
		var got []string
		token := ""
		for page := 0; page < 20; page++ {
			q := url.Values{}
			q.Set("list-type", "2")
			q.Set("prefix", prefix)
			q.Set("max-keys", "4")
			q.Set("encoding-type", "url")
			sub := ""
			if token != "" {
				q.Set("continuation-token", token)
				sub = "continuation-token=" + token
			}
			resp, body, err := rawDo(s.b, "GET", "", q.Encode(), sub, nil, nil)
			if err != nil {
				return err
			}
			if resp.StatusCode != 200 {
				return errf("status %d", resp.StatusCode)
			}
			var res listV2Result
			if err := xml.Unmarshal(body, &res); err != nil {
				return errf("XML: %v", err)
			}
			if res.KeyCount != len(res.Contents)+len(res.CommonPrefixes) || res.KeyCount > 4 {
				return errf("page %d: KeyCount %d with %d contents", page, res.KeyCount, len(res.Contents))
			}
			if res.EncodingType != "url" {
				return errf("EncodingType %q", res.EncodingType)
			}
			for _, c := range res.Contents {
				k, err := url.QueryUnescape(c.Key)
				if err != nil {
					return errf("key %q: %v", c.Key, err)
				}
				got = append(got, k)
			}
			if !res.IsTruncated {
				if !equalStrings(got, all) {
					return errf("paged keys %q, want %q", got, all)
				}
				return nil
			}
			if res.NextContinuationToken == "" {
				return errf("page %d truncated without NextContinuationToken", page)
			}
			token = res.NextContinuationToken
		}
		return errf("no end after 20 pages")
	})

	s.r.check("raw ListObjectsV2 Delimiter + start-after", func() error {
		q := url.Values{}
		q.Set("list-type", "2")
		q.Set("prefix", prefix)
		q.Set("delimiter", "/")
		q.Set("start-after", prefix+"b+c.txt")
		resp, body, err := rawDo(s.b, "GET", "", q.Encode(), "", nil, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return errf("status %d", resp.StatusCode)
		}
		var res listV2Result
		if err := xml.Unmarshal(body, &res); err != nil {
			return errf("XML: %v", err)
		}
		var gotFiles []string
		for _, c := range res.Contents {
			gotFiles = append(gotFiles, c.Key)
		}
		var wantFiles []string
		for _, f := range files {
			if f > prefix+"b+c.txt" {
				wantFiles = append(wantFiles, f)
			}
		}
		if !equalStrings(gotFiles, wantFiles) || !equalStrings(res.CommonPrefixes, dirs) {
			return errf("files %q prefixes %q, want %q %q", gotFiles, res.CommonPrefixes, wantFiles, dirs)
		}
		return nil
	})
}

// ---- delete ---------------------------------------------------------------------------------

func (s *suite) deleteChecks() {
	prefix, all, _, _ := s.listKeys()

	s.r.check("DeleteObject existing → 204, then gone", func() error {
		k := s.pfx + "obj/page.html"
		if err := s.b.DeleteObject(k); err != nil {
			return err
		}
		ok, err := s.exists(k)
		if err != nil || ok {
			return errf("after delete: HEAD says exists=%v (%v)", ok, err)
		}
		return nil
	})

	s.r.check("DeleteObject missing key → 204", func() error {
		return s.b.DeleteObject(s.pfx + "obj/never-existed")
	})

	s.r.check("DeleteObjects verbose (special-character keys, one missing key)", func() error {
		keys := []string{prefix + "a.txt", prefix + "b+c.txt", prefix + "e&f=g%h.txt", prefix + "ü.txt", prefix + "missing.txt"}
		res, err := s.b.DeleteObjects(keys)
		if err != nil {
			return err
		}
		got := append([]string(nil), res.DeletedObjects...)
		want := append([]string(nil), keys...)
		sort.Strings(got)
		sort.Strings(want)
		if !equalStrings(got, want) {
			return errf("Deleted %q, want %q", got, want)
		}
		lst, err := s.b.ListObjects(oss.Prefix(prefix))
		if err != nil {
			return err
		}
		for _, o := range lst.Objects {
			for _, k := range keys {
				if o.Key == k {
					return errf("%q still listed after DeleteObjects", k)
				}
			}
		}
		return nil
	})

	s.r.check("DeleteObjects quiet (empty result, objects gone)", func() error {
		var rest []string
		for _, k := range all {
			switch strings.TrimPrefix(k, prefix) {
			case "a.txt", "b+c.txt", "e&f=g%h.txt", "ü.txt":
				continue
			}
			rest = append(rest, k)
		}
		res, err := s.b.DeleteObjects(rest, oss.DeleteObjectsQuiet(true))
		if err != nil {
			return err
		}
		if len(res.DeletedObjects) != 0 {
			return errf("quiet mode listed %q", res.DeletedObjects)
		}
		lst, err := s.b.ListObjects(oss.Prefix(prefix))
		if err != nil {
			return err
		}
		if len(lst.Objects) != 0 {
			return errf("still listed: %q", objectKeys(lst.Objects))
		}
		return nil
	})
}

// ---- multipart by hand --------------------------------------------------------------------------

func (s *suite) multipartChecks() {
	key := s.pfx + "mp/manual+ü.bin"
	sizes := []int{100 * 1024, 150*1024 + 7, 1234}
	var parts [][]byte
	var whole []byte
	for _, n := range sizes {
		p := randBytes(s.rng, n)
		parts = append(parts, p)
		whole = append(whole, p...)
	}
	var imur oss.InitiateMultipartUploadResult
	var uploaded []oss.UploadPart

	if !s.r.check("InitiateMultipartUpload (content-type, meta)", func() error {
		var err error
		imur, err = s.b.InitiateMultipartUpload(key, oss.ContentType("application/x-mp-test"), oss.Meta("Stage", "manual"))
		if err != nil {
			return err
		}
		if imur.UploadID == "" || imur.Key != key || imur.Bucket != s.bucket {
			return errf("result %+v", imur)
		}
		return nil
	}) {
		return
	}

	if !s.r.check("UploadPart x3 (≥100 KB except the last; per-part CRC-64 checked)", func() error {
		for i, p := range parts {
			part, err := s.b.UploadPart(imur, bytes.NewReader(p), int64(len(p)), i+1)
			if err != nil {
				return errf("part %d: %v", i+1, err)
			}
			if part.ETag != md5Etag(p) || part.PartNumber != i+1 {
				return errf("part %d: ETag %s, want %s", i+1, part.ETag, md5Etag(p))
			}
			uploaded = append(uploaded, part)
		}
		ups := s.tr.find("PUT", "uploadId=")
		if len(ups) != 3 && len(ups) != 0 { // 0 when -direct
			return errf("recorded %d UploadPart exchanges", len(ups))
		}
		for i, e := range ups {
			if got := e.RespHeader.Get(oss.HTTPHeaderOssCRC64); got != crcStr(parts[i]) {
				return errf("part %d: x-oss-hash-crc64ecma %q, want %s (the SDK skips its check when absent)", i+1, got, crcStr(parts[i]))
			}
		}
		return nil
	}) {
		s.b.AbortMultipartUpload(imur)
		return
	}

	s.r.check("ListUploadedParts", func() error {
		res, err := s.b.ListUploadedParts(imur)
		if err != nil {
			return err
		}
		if res.UploadID != imur.UploadID || res.Key != key || res.Bucket != s.bucket {
			return errf("UploadId %q Key %q Bucket %q", res.UploadID, res.Key, res.Bucket)
		}
		if len(res.UploadedParts) != 3 {
			return errf("%d parts listed", len(res.UploadedParts))
		}
		for i, p := range res.UploadedParts {
			if p.PartNumber != i+1 || p.Size != sizes[i] || p.ETag != uploaded[i].ETag || p.LastModified.IsZero() {
				return errf("part %d: %+v", i+1, p)
			}
		}
		return nil
	})

	s.r.check("ListMultipartUploads Prefix (lists the open upload)", func() error {
		res, err := s.b.ListMultipartUploads(oss.Prefix(s.pfx + "mp/"))
		if err != nil {
			return err
		}
		for _, u := range res.Uploads {
			if u.UploadID == imur.UploadID {
				if u.Key != key || u.Initiated.IsZero() {
					return errf("upload %+v", u)
				}
				return nil
			}
		}
		return errf("upload %s not listed: %+v", imur.UploadID, res.Uploads)
	})

	if !s.r.check("CompleteMultipartUpload (parts given out of order; SDK sorts)", func() error {
		rev := []oss.UploadPart{uploaded[2], uploaded[0], uploaded[1]}
		res, err := s.b.CompleteMultipartUpload(imur, rev)
		if err != nil {
			return err
		}
		if res.ETag == "" || res.Key != key || res.Bucket != s.bucket {
			return errf("result %+v", res)
		}
		if cs := s.tr.find("POST", "uploadId="); len(cs) == 1 {
			if got := cs[0].RespHeader.Get(oss.HTTPHeaderOssCRC64); got != crcStr(whole) {
				return errf("Complete x-oss-hash-crc64ecma %q, want %s (combined CRC of the parts)", got, crcStr(whole))
			}
		}
		return nil
	}) {
		s.b.AbortMultipartUpload(imur)
		return
	}

	s.r.check("multipart object: HEAD (type, size, CRC, init headers) and GetObjectToFile", func() error {
		h, err := s.b.GetObjectDetailedMeta(key)
		if err != nil {
			return err
		}
		if err := firstErr(
			expectHeader(h, "Content-Length", strconv.Itoa(len(whole))),
			expectHeader(h, "X-Oss-Object-Type", "Multipart"),
			expectHeader(h, "Content-Type", "application/x-mp-test"),
			expectHeader(h, "X-Oss-Meta-Stage", "manual"),
			expectHeader(h, oss.HTTPHeaderOssCRC64, crcStr(whole)),
		); err != nil {
			return err
		}
		p := filepath.Join(s.dir, "mp-manual.bin")
		if err := s.b.GetObjectToFile(key, p); err != nil {
			return err
		}
		got, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, whole) {
			return errf("downloaded content differs")
		}
		return nil
	})

	s.r.check("ListUploadedParts after Complete → NoSuchUpload", func() error {
		_, err := s.b.ListUploadedParts(imur)
		return svcErr(err, "NoSuchUpload", 404)
	})
}

func (s *suite) multipartErrorChecks() {
	s.r.check("CompleteMultipartUpload with a small non-last part → EntityTooSmall", func() error {
		imur, err := s.b.InitiateMultipartUpload(s.pfx + "mp/too-small")
		if err != nil {
			return err
		}
		defer s.b.AbortMultipartUpload(imur)
		var parts []oss.UploadPart
		for i := 1; i <= 2; i++ {
			p, err := s.b.UploadPart(imur, bytes.NewReader(randBytes(s.rng, 1000)), 1000, i)
			if err != nil {
				return err
			}
			parts = append(parts, p)
		}
		_, err = s.b.CompleteMultipartUpload(imur, parts)
		return svcErr(err, "EntityTooSmall", 400)
	})

	s.r.check("CompleteMultipartUpload with a wrong ETag / unknown part → InvalidPart", func() error {
		imur, err := s.b.InitiateMultipartUpload(s.pfx + "mp/invalid-part")
		if err != nil {
			return err
		}
		defer s.b.AbortMultipartUpload(imur)
		p, err := s.b.UploadPart(imur, bytes.NewReader(randBytes(s.rng, 500)), 500, 1)
		if err != nil {
			return err
		}
		_, err = s.b.CompleteMultipartUpload(imur, []oss.UploadPart{{PartNumber: 1, ETag: `"0123456789ABCDEF0123456789ABCDEF"`}})
		if e := svcErr(err, "InvalidPart", 400); e != nil {
			return errf("wrong ETag: %v", e)
		}
		_, err = s.b.CompleteMultipartUpload(imur, []oss.UploadPart{p, {PartNumber: 7, ETag: p.ETag}})
		if e := svcErr(err, "InvalidPart", 400); e != nil {
			return errf("unknown part number: %v", e)
		}
		return nil
	})

	s.r.check("AbortMultipartUpload → 204; afterwards NoSuchUpload everywhere", func() error {
		key := s.pfx + "mp/aborted"
		imur, err := s.b.InitiateMultipartUpload(key)
		if err != nil {
			return err
		}
		p, err := s.b.UploadPart(imur, bytes.NewReader(randBytes(s.rng, 2048)), 2048, 1)
		if err != nil {
			return err
		}
		if err := s.b.AbortMultipartUpload(imur); err != nil {
			return errf("abort: %v", err)
		}
		if _, err := s.b.ListUploadedParts(imur); svcErr(err, "NoSuchUpload", 404) != nil {
			return errf("ListParts after abort: %v", svcErr(err, "NoSuchUpload", 404))
		}
		if _, err := s.b.UploadPart(imur, bytes.NewReader([]byte("x")), 1, 2); svcErr(err, "NoSuchUpload", 404) != nil {
			return errf("UploadPart after abort: %v", svcErr(err, "NoSuchUpload", 404))
		}
		if _, err := s.b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); svcErr(err, "NoSuchUpload", 404) != nil {
			return errf("Complete after abort: %v", svcErr(err, "NoSuchUpload", 404))
		}
		if err := s.b.AbortMultipartUpload(imur); svcErr(err, "NoSuchUpload", 404) != nil {
			return errf("second abort: %v", svcErr(err, "NoSuchUpload", 404))
		}
		res, err := s.b.ListMultipartUploads(oss.Prefix(key))
		if err != nil {
			return err
		}
		for _, u := range res.Uploads {
			if u.UploadID == imur.UploadID {
				return errf("aborted upload still listed")
			}
		}
		if ok, err := s.exists(key); ok || err != nil {
			return errf("aborted upload created an object (exists=%v, %v)", ok, err)
		}
		return nil
	})
}

func (s *suite) listUploadsChecks() {
	base := s.pfx + "mpl/"
	keys := []string{base + "a", base + "a", base + "b", base + "sub/c"}
	var imurs []oss.InitiateMultipartUploadResult
	defer func() {
		for _, im := range imurs {
			s.b.AbortMultipartUpload(im)
		}
	}()
	if !s.r.check("InitiateMultipartUpload x4 (two on one key)", func() error {
		for _, k := range keys {
			im, err := s.b.InitiateMultipartUpload(k)
			if err != nil {
				return err
			}
			imurs = append(imurs, im)
		}
		return nil
	}) {
		return
	}

	s.r.check("ListMultipartUploads paging MaxUploads(1) + KeyMarker/UploadIDMarker", func() error {
		type pair struct{ k, id string }
		var got []pair
		keyMarker, idMarker := "", ""
		for page := 0; page < 10; page++ {
			opts := []oss.Option{oss.Prefix(base), oss.MaxUploads(1)}
			if keyMarker != "" {
				opts = append(opts, oss.KeyMarker(keyMarker), oss.UploadIDMarker(idMarker))
			}
			res, err := s.b.ListMultipartUploads(opts...)
			if err != nil {
				return err
			}
			if len(res.Uploads) > 1 {
				return errf("page %d: %d uploads > MaxUploads 1", page, len(res.Uploads))
			}
			for _, u := range res.Uploads {
				got = append(got, pair{u.Key, u.UploadID})
			}
			if !res.IsTruncated {
				break
			}
			if res.NextKeyMarker == "" {
				return errf("page %d truncated without NextKeyMarker", page)
			}
			keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		if len(got) != len(imurs) {
			return errf("listed %d uploads, want %d: %+v", len(got), len(imurs), got)
		}
		seen := map[string]bool{}
		for i, p := range got {
			if seen[p.id] {
				return errf("upload %s listed twice", p.id)
			}
			seen[p.id] = true
			if i > 0 && got[i-1].k > p.k {
				return errf("uploads not in key order: %+v", got)
			}
		}
		for _, im := range imurs {
			if !seen[im.UploadID] {
				return errf("upload %s (%s) missing", im.UploadID, im.Key)
			}
		}
		return nil
	})

	s.r.check("ListMultipartUploads Delimiter \"/\" (CommonPrefixes)", func() error {
		res, err := s.b.ListMultipartUploads(oss.Prefix(base), oss.Delimiter("/"))
		if err != nil {
			return err
		}
		var ks []string
		for _, u := range res.Uploads {
			ks = append(ks, u.Key)
		}
		want := []string{base + "a", base + "a", base + "b"}
		if !equalStrings(ks, want) || !equalStrings(res.CommonPrefixes, []string{base + "sub/"}) {
			return errf("keys %q prefixes %q, want %q [%s]", ks, res.CommonPrefixes, want, base+"sub/")
		}
		return nil
	})
}

// ---- UploadFile / DownloadFile ----------------------------------------------------------------

func (s *suite) fileChecks() {
	src := filepath.Join(s.dir, "upload-src.bin")
	data := randBytes(s.rng, 3*1024*1024+12345)
	if err := ioutil.WriteFile(src, data, 0o644); err != nil {
		s.r.check("write the 3 MiB source file", func() error { return err })
		return
	}
	const partSize = 256 * 1024
	nParts := (len(data) + partSize - 1) / partSize
	key := s.pfx + "file/upload-cp.bin"

	verify := func(k string) error {
		h, err := s.b.GetObjectDetailedMeta(k)
		if err != nil {
			return err
		}
		return firstErr(
			expectHeader(h, "Content-Length", strconv.Itoa(len(data))),
			expectHeader(h, oss.HTTPHeaderOssCRC64, crcStr(data)),
			expectHeader(h, "X-Oss-Object-Type", "Multipart"),
		)
	}

	uploaded := s.r.check(fmt.Sprintf("UploadFile Routines(3) Checkpoint (256 KiB parts, %d parts)", nParts), func() error {
		cp := filepath.Join(s.dir, "upload.cp")
		if err := s.b.UploadFile(key, src, partSize, oss.Routines(3), oss.Checkpoint(true, cp)); err != nil {
			return err
		}
		if _, err := os.Stat(cp); !os.IsNotExist(err) {
			return errf("checkpoint file left behind after success")
		}
		if n := len(s.tr.find("PUT", "partNumber=")); n != 0 && n != nParts {
			return errf("%d UploadPart requests, want %d", n, nParts)
		}
		return verify(key)
	})

	s.r.check("UploadFile Routines(3) without checkpoint", func() error {
		k := s.pfx + "file/upload-nocp.bin"
		if err := s.b.UploadFile(k, src, partSize, oss.Routines(3)); err != nil {
			return err
		}
		return verify(k)
	})

	s.r.check("UploadFile rejects partSize < 100 KiB (SDK-side)", func() error {
		if err := s.b.UploadFile(s.pfx+"file/never", src, 50*1024, oss.Routines(3)); err == nil {
			return errf("accepted a 50 KiB part size")
		}
		return nil
	})

	if s.hasAdmin {
		s.r.check("UploadFile resumes from its checkpoint after a failed part (fault injected)", func() error {
			// SDK 1.4.0 bug: uploadCheckpoint.isValid compares the file's ModTime with the one
			// read back from the JSON checkpoint using "!=" on time.Time. In a UTC local zone the
			// round trip turns the Local location into UTC, the comparison fails and the SDK
			// silently starts a new upload instead of resuming. A non-UTC local zone avoids it.
			savedLocal := time.Local
			time.Local = time.FixedZone("UTC+8", 8*3600)
			defer func() { time.Local = savedLocal }()

			k := s.pfx + "file/upload-resume.bin"
			cp := filepath.Join(s.dir, "resume.cp")
			var faultID string
			var faultErr error
			hook := &progressHook{n: 4, fn: func() {
				faultID, faultErr = s.admin.addFault(map[string]interface{}{
					"match":   map[string]string{"operation": "UploadPart", "key": k},
					"count":   1,
					"status":  503,
					"code":    "ServiceUnavailable",
					"message": "injected by the go-sdk cross-check",
				})
			}}
			err := s.b.UploadFile(k, src, partSize, oss.Routines(3), oss.Checkpoint(true, cp), oss.Progress(hook))
			if faultID != "" {
				defer s.admin.removeFault(faultID)
			}
			if faultErr != nil {
				return errf("fault injection: %v", faultErr)
			}
			if e := svcErr(err, "ServiceUnavailable", 503); e != nil {
				return errf("first attempt: %v", e)
			}
			if _, err := os.Stat(cp); err != nil {
				return errf("no checkpoint file after the failed attempt: %v", err)
			}
			time.Sleep(300 * time.Millisecond) // let the SDK's leftover workers finish their parts
			s.tr.reset()
			if err := s.b.UploadFile(k, src, partSize, oss.Routines(3), oss.Checkpoint(true, cp)); err != nil {
				return errf("resume: %v", err)
			}
			if n := len(s.tr.find("POST", "uploads")); n != 0 {
				return errf("the resume initiated a new upload instead of continuing")
			}
			if n := len(s.tr.find("PUT", "partNumber=")); n >= nParts {
				return errf("the resume uploaded %d parts of %d: nothing was reused", n, nParts)
			}
			return verify(k)
		})
	}

	if !uploaded {
		return
	}

	download := func(name string, path string, opts ...oss.Option) {
		s.r.check(name, func() error {
			if err := s.b.DownloadFile(key, path, 300*1024, opts...); err != nil {
				return err
			}
			// This SDK version does not check CRC-64 in DownloadFile (its parts are ranged GETs):
			// compare the file's CRC with the object's x-oss-hash-crc64ecma ourselves.
			h, err := s.b.GetObjectDetailedMeta(key)
			if err != nil {
				return err
			}
			c, n, err := fileCRC(path)
			if err != nil {
				return err
			}
			if n != int64(len(data)) || strconv.FormatUint(c, 10) != h.Get(oss.HTTPHeaderOssCRC64) || c != crcOf(data) {
				return errf("downloaded %d bytes with CRC %d; object CRC %s, source CRC %d", n, c, h.Get(oss.HTTPHeaderOssCRC64), crcOf(data))
			}
			return nil
		})
	}
	download("DownloadFile Routines(3) (CRC-64 of the file vs. server)", filepath.Join(s.dir, "dl.bin"), oss.Routines(3))
	cp := filepath.Join(s.dir, "dl.cp")
	download("DownloadFile Routines(3) Checkpoint (CRC-64 of the file vs. server)", filepath.Join(s.dir, "dl-cp.bin"), oss.Routines(3), oss.Checkpoint(true, cp))
	s.r.check("DownloadFile checkpoint file removed after success", func() error {
		if _, err := os.Stat(cp); !os.IsNotExist(err) {
			return errf("checkpoint file left behind")
		}
		return nil
	})

	s.r.check("DownloadFile with Range(1000, 700000)", func() error {
		p := filepath.Join(s.dir, "dl-range.bin")
		if err := s.b.DownloadFile(key, p, 200*1024, oss.Routines(3), oss.Range(1000, 700000)); err != nil {
			return err
		}
		got, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data[1000:700001]) {
			return errf("got %d bytes, want bytes 1000-700000", len(got))
		}
		return nil
	})
}

// ---- errors ---------------------------------------------------------------------------------

func (s *suite) errorChecks() {
	existing := s.pfx + "obj/hello+ü&=%.bin"

	s.r.check("GetObject missing key → NoSuchKey 404", func() error {
		_, err := s.b.GetObject(s.pfx + "obj/missing-key")
		if e := svcErr(err, "NoSuchKey", 404); e != nil {
			return e
		}
		var se oss.ServiceError
		errors.As(err, &se)
		if ex := s.tr.find("GET", "missing-key"); len(ex) == 1 && ex[0].RespHeader.Get("X-Oss-Request-Id") != se.RequestID {
			return errf("RequestId %q differs from x-oss-request-id %q", se.RequestID, ex[0].RespHeader.Get("X-Oss-Request-Id"))
		}
		return nil
	})

	s.r.check("HEAD missing key → 404 without a body", func() error {
		_, err := s.b.GetObjectDetailedMeta(s.pfx + "obj/missing-key")
		if err == nil || !strings.Contains(err.Error(), "404") {
			return errf("want a 404 error, got %v", err)
		}
		return nil
	})

	s.r.check("wrong secret → SignatureDoesNotMatch 403 (GET and PUT)", func() error {
		bad := s.newBucket(s.ak, s.sk+"-wrong", s.bucket)
		_, err := bad.GetObject(existing)
		if e := svcErr(err, "SignatureDoesNotMatch", 403); e != nil {
			return errf("GET: %v", e)
		}
		k := s.pfx + "obj/bad-sig"
		err = bad.PutObject(k, strings.NewReader("nope"))
		if e := svcErr(err, "SignatureDoesNotMatch", 403); e != nil {
			return errf("PUT: %v", e)
		}
		if ok, err := s.exists(k); ok || err != nil {
			return errf("object created despite the bad signature (exists=%v, %v)", ok, err)
		}
		return nil
	})

	s.r.check("unknown AccessKeyId → InvalidAccessKeyId 403", func() error {
		bad := s.newBucket("no-such-access-key-id", s.sk, s.bucket)
		_, err := bad.GetObject(existing)
		return svcErr(err, "InvalidAccessKeyId", 403)
	})

	s.r.check("PutObject with a mismatching Content-MD5 → InvalidDigest 400", func() error {
		k := s.pfx + "obj/bad-md5"
		err := s.b.PutObject(k, strings.NewReader("actual body"), oss.ContentMD5(md5B64([]byte("another body"))))
		if e := svcErr(err, "InvalidDigest", 400); e != nil {
			return e
		}
		if ok, err := s.exists(k); ok || err != nil {
			return errf("object created despite InvalidDigest (exists=%v, %v)", ok, err)
		}
		return nil
	})

	s.r.check("PutObject with a malformed Content-MD5 → InvalidDigest 400", func() error {
		err := s.b.PutObject(s.pfx+"obj/bad-md5-2", strings.NewReader("actual body"), oss.ContentMD5("not-base64-md5"))
		return svcErr(err, "InvalidDigest", 400)
	})

	s.r.check("missing bucket → NoSuchBucket 404", func() error {
		nb := s.newBucket(s.ak, s.sk, "go-sdk-no-such-bucket")
		_, err := nb.GetObject("k")
		if e := svcErr(err, "NoSuchBucket", 404); e != nil {
			return errf("GetObject: %v", e)
		}
		_, err = nb.ListObjects()
		if e := svcErr(err, "NoSuchBucket", 404); e != nil {
			return errf("ListObjects: %v", e)
		}
		return nil
	})
}

// ---- lifecycle ------------------------------------------------------------------------------

func (s *suite) lifecycleChecks() {
	s.r.check("SetBucketLifecycle / GetBucketLifecycle (Days rules)", func() error {
		rules := []oss.LifecycleRule{
			oss.BuildLifecycleRuleByDays("go-sdk-tmp", s.pfx+"tmp/", true, 7),
			oss.BuildLifecycleRuleByDays("go-sdk-logs", s.pfx+"logs/", false, 30),
		}
		if err := s.client.SetBucketLifecycle(s.bucket, rules); err != nil {
			return err
		}
		res, err := s.client.GetBucketLifecycle(s.bucket)
		if err != nil {
			return err
		}
		if len(res.Rules) != 2 {
			return errf("%d rules returned: %+v", len(res.Rules), res.Rules)
		}
		for i, want := range rules {
			got := res.Rules[i]
			if got.ID != want.ID || got.Prefix != want.Prefix || got.Status != want.Status || got.Expiration.Days != want.Expiration.Days {
				return errf("rule %d = {%s %s %s %d}, want {%s %s %s %d}", i, got.ID, got.Prefix, got.Status, got.Expiration.Days,
					want.ID, want.Prefix, want.Status, want.Expiration.Days)
			}
		}
		return nil
	})

	s.r.check("SetBucketLifecycle replaces the whole configuration", func() error {
		rules := []oss.LifecycleRule{oss.BuildLifecycleRuleByDays("go-sdk-only", s.pfx+"only/", true, 1)}
		if err := s.client.SetBucketLifecycle(s.bucket, rules); err != nil {
			return err
		}
		res, err := s.client.GetBucketLifecycle(s.bucket)
		if err != nil {
			return err
		}
		if len(res.Rules) != 1 || res.Rules[0].ID != "go-sdk-only" || res.Rules[0].Expiration.Days != 1 {
			return errf("rules %+v", res.Rules)
		}
		return nil
	})

	s.r.check("SetBucketLifecycle legacy <Expiration><Date> (SDK BuildLifecycleRuleByDate) → 400", func() error {
		// This SDK version writes a date rule as <Expiration><Date>…</Date>, an element current OSS
		// documents no more: Expiration needs Days or CreatedBeforeDate (EC 0014-00000060).
		rules := []oss.LifecycleRule{oss.BuildLifecycleRuleByDate("go-sdk-date", s.pfx+"old/", true, 2020, 1, 1)}
		err := s.client.SetBucketLifecycle(s.bucket, rules)
		var se oss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != 400 {
			return errf("want a 400 error, got %v", err)
		}
		res, err := s.client.GetBucketLifecycle(s.bucket)
		if err != nil {
			return err
		}
		if len(res.Rules) != 1 || res.Rules[0].ID != "go-sdk-only" {
			return errf("a rejected configuration changed the stored one: %+v", res.Rules)
		}
		return nil
	})

	s.r.check("DeleteBucketLifecycle → 204; GetBucketLifecycle → NoSuchLifecycle 404", func() error {
		if err := s.client.DeleteBucketLifecycle(s.bucket); err != nil {
			return err
		}
		_, err := s.client.GetBucketLifecycle(s.bucket)
		return svcErr(err, "NoSuchLifecycle", 404)
	})
}

// ---- tagging (not in this SDK version: raw requests through its signer) -----------------------

func (s *suite) taggingChecks() {
	key := s.pfx + "obj/tagged+ü.txt"
	s.r.check("raw PutObjectTagging / GetObjectTagging / DeleteObjectTagging", func() error {
		if err := s.b.PutObject(key, strings.NewReader("tag me")); err != nil {
			return err
		}
		body, _ := xml.Marshal(tagging{Tags: []tag{{"gc", "true"}, {"owner", "go sdk"}}})
		resp, _, err := rawDo(s.b, "PUT", key, "tagging", "tagging", map[string]string{"Content-Type": "application/xml"}, body)
		if err != nil {
			return errf("put: %v", err)
		}
		if resp.StatusCode != 200 {
			return errf("put: status %d", resp.StatusCode)
		}
		resp, data, err := rawDo(s.b, "GET", key, "tagging", "tagging", nil, nil)
		if err != nil {
			return errf("get: %v", err)
		}
		var t tagging
		if err := xml.Unmarshal(data, &t); err != nil {
			return errf("get: XML %v: %s", err, data)
		}
		got := map[string]string{}
		for _, tg := range t.Tags {
			got[tg.Key] = tg.Value
		}
		if len(got) != 2 || got["gc"] != "true" || got["owner"] != "go sdk" {
			return errf("tags %+v", t.Tags)
		}
		h, err := s.b.GetObjectDetailedMeta(key)
		if err != nil {
			return err
		}
		if err := expectHeader(h, "X-Oss-Tagging-Count", "2"); err != nil {
			return err
		}
		resp, _, err = rawDo(s.b, "DELETE", key, "tagging", "tagging", nil, nil)
		if err != nil {
			return errf("delete: %v", err)
		}
		if resp.StatusCode != 204 {
			return errf("delete: status %d", resp.StatusCode)
		}
		_, data, err = rawDo(s.b, "GET", key, "tagging", "tagging", nil, nil)
		if err != nil {
			return errf("get after delete: %v", err)
		}
		t = tagging{}
		if err := xml.Unmarshal(data, &t); err != nil || len(t.Tags) != 0 {
			return errf("tags after delete: %+v (%v)", t.Tags, err)
		}
		return nil
	})

	s.r.check("raw PutObject with x-oss-tagging header (signed as an x-oss- header)", func() error {
		k := s.pfx + "obj/tagged-at-put.txt"
		resp, _, err := rawDo(s.b, "PUT", k, "", "", map[string]string{"x-oss-tagging": "a=1&b=two%20words", "Content-Type": "text/plain"}, []byte("tagged at put"))
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return errf("status %d", resp.StatusCode)
		}
		_, data, err := rawDo(s.b, "GET", k, "tagging", "tagging", nil, nil)
		if err != nil {
			return err
		}
		var t tagging
		if err := xml.Unmarshal(data, &t); err != nil {
			return errf("XML %v: %s", err, data)
		}
		got := map[string]string{}
		for _, tg := range t.Tags {
			got[tg.Key] = tg.Value
		}
		if len(got) != 2 || got["a"] != "1" || got["b"] != "two words" {
			return errf("tags %+v", t.Tags)
		}
		return nil
	})
}

// ---- cleanup --------------------------------------------------------------------------------

func (s *suite) cleanup() {
	s.r.check("cleanup (delete test objects, abort test uploads)", func() error {
		for {
			res, err := s.b.ListMultipartUploads(oss.Prefix(s.pfx))
			if err != nil {
				return err
			}
			for _, u := range res.Uploads {
				if err := s.b.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: s.bucket, Key: u.Key, UploadID: u.UploadID}); err != nil {
					return errf("abort %s: %v", u.Key, err)
				}
			}
			if !res.IsTruncated || len(res.Uploads) == 0 {
				break
			}
		}
		for {
			res, err := s.b.ListObjects(oss.Prefix(s.pfx), oss.MaxKeys(1000))
			if err != nil {
				return err
			}
			if len(res.Objects) == 0 {
				return nil
			}
			if _, err := s.b.DeleteObjects(objectKeys(res.Objects), oss.DeleteObjectsQuiet(true)); err != nil {
				return err
			}
		}
	})
}
