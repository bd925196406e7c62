package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/benchmarks/corpus"
	"github.com/readalike/readalike/recommend"
)

var (
	loadDuration = flag.Duration("load.duration", 60*time.Second, "how long BenchmarkLoadMixed's load runs")
	loadBin      = flag.String("load.bin", "", "readalike binary BenchmarkLoadMixed serves with (default: built from this tree)")
	loadCluster  = flag.Int("load.cluster", 1000, "near-duplicate articles in the collection of BenchmarkLoadMixed/cluster")
)

// The mix of BenchmarkLoadMixed, in shares of requests.
const (
	loadShareID   = 0.90 // GET /v1/articles/{id}/similar
	loadShareText = 0.05 // POST /v1/similar with an article's text
	// the rest: POST /v1/articles of one article replacing an existing id
)

// BenchmarkLoadMixed runs a real `readalike serve` (the binary, as a child
// process, so its memory is its own) over -http.n synthetic articles and
// loads it for -load.duration from -http.conns keep-alive connections: 90%
// similar by id, 5% similar by text, 5% upserts replacing an article. It
// reports requests/s, the errors (any answer but 2xx, and any transport
// error), p50/p99/p99.9 per route and the server's RSS at 10 s and at the
// end. The cluster variant adds -load.cluster near-duplicates of one
// article to the collection (issue 10, item 4) and reports the queries
// for them apart. serve runs with its defaults but --rate 0 (every client
// is 127.0.0.1); automatic refits stay on, as deployed. Server and load
// generator share the machine's cores. The stores are built once per
// -http.dir (DIR and DIR-cluster), and the upserts change them a little.
//
//	go test ./benchmarks -run XXX -bench LoadMixed -timeout 1h -http.dir /tmp/readalike-load
func BenchmarkLoadMixed(b *testing.B) {
	if testing.Short() {
		b.Skip("load benchmark skipped in -short mode: it builds a large collection and runs for minutes")
	}
	bin := readalikeBinary(b)
	for _, v := range []struct {
		name    string
		cluster int
	}{{"plain", 0}, {"cluster", *loadCluster}} {
		b.Run(fmt.Sprintf("%s/n=%d/conns=%d", v.name, *httpN, *httpConns), func(b *testing.B) {
			dir := *httpDir
			if dir != "" && v.cluster > 0 {
				dir += "-cluster"
			} else if dir == "" {
				dir = filepath.Join(b.TempDir(), "store")
			}
			w := newLoadWork(b, dir, *httpN, v.cluster)
			srv := startReadalike(b, bin, dir)
			defer srv.stop(b)
			var res loadRun
			for b.Loop() {
				res = w.run(b, srv, *httpConns, *loadDuration)
			}
			res.report(b)
		})
	}
}

// loadWork is what the load generator sends: the ids to ask about, the
// texts to ask with and to write, and the cluster's ids.
type loadWork struct {
	ids     []string            // every article's, the cluster's included
	cluster map[string]bool     // ids of the near-duplicates
	sample  []recommend.Article // every 20th corpus article: texts and upserts
}

// newLoadWork builds (or reuses) the store in dir with n corpus articles
// and cluster near-duplicates, and returns the work over it. The store is
// closed again, for serve to open.
func newLoadWork(b *testing.B, dir string, n, cluster int) *loadWork {
	b.Helper()
	w := &loadWork{cluster: map[string]bool{}}
	keep := func(a corpus.Article) {
		if len(w.ids)%20 == 0 { // called before ids grows: index of a
			w.sample = append(w.sample, a.Article())
		}
		w.ids = append(w.ids, a.ID)
	}
	// The cluster: one story told 1,000 times, a word changed in each, so
	// every pair is far above the near-duplicate threshold.
	var extra []recommend.Article
	if cluster > 0 {
		var base corpus.Article
		corpus.New(corpus.Options{Seed: 7}).Generate(1, 0, func(a corpus.Article) error { base = a; return nil })
		for i := range cluster {
			id := fmt.Sprintf("dup-%04d", i)
			extra = append(extra, recommend.Article{ID: id, Title: base.Title,
				Body: fmt.Sprintf("%s Update %d: witnesses%d.", base.Body, i, i), Category: "topic-dup"})
			w.cluster[id] = true
		}
	}
	_, _, closeStore := httpStore(b, dir, n, extra, keep)
	closeStore()
	for _, a := range extra {
		w.ids = append(w.ids, a.ID)
	}
	return w
}

// loadRoute names the routes of the mix, as reported.
type loadRoute int

const (
	routeID loadRoute = iota
	routeIDCluster
	routeText
	routeUpsert
	nRoutes
)

var routeNames = [nRoutes]string{"similar-id", "similar-id-cluster", "similar-text", "upsert"}

// loadRun is what one run of the load saw.
type loadRun struct {
	elapsed       time.Duration
	lat           [nRoutes][]time.Duration // sorted
	errs          [nRoutes]int
	firstErrs     []string
	rss10, rssEnd int64 // server's VmRSS, kB
	hwm           int64 // server's VmHWM, kB
	stats         [2]map[string]any
}

// run loads srv from conns clients for d.
func (w *loadWork) run(b *testing.B, srv *readalikeProc, conns int, d time.Duration) loadRun {
	b.Helper()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	var res loadRun
	res.stats[0] = srv.stats(b, client)

	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		stopRSS = make(chan struct{})
	)
	start := time.Now()
	end := start.Add(d)
	go func() { // the server's memory at 10 s
		select {
		case <-time.After(10 * time.Second):
			res.rss10, _ = procStatus(srv.cmd.Process.Pid, "VmRSS")
		case <-stopRSS:
		}
	}()
	for c := range conns {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 42))
			var lat [nRoutes][]time.Duration
			var errs [nRoutes]int
			var msgs []string
			for n := 0; time.Now().Before(end); n++ {
				route, took, err := w.request(client, srv.url, r, c, n)
				if err != nil {
					errs[route]++
					if len(msgs) < 10 {
						msgs = append(msgs, fmt.Sprintf("%s: %v", routeNames[route], err))
					}
					continue
				}
				lat[route] = append(lat[route], took)
			}
			mu.Lock()
			for i := range lat {
				res.lat[i] = append(res.lat[i], lat[i]...)
				res.errs[i] += errs[i]
			}
			res.firstErrs = append(res.firstErrs, msgs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stopRSS)
	res.rssEnd, _ = procStatus(srv.cmd.Process.Pid, "VmRSS")
	res.hwm, _ = procStatus(srv.cmd.Process.Pid, "VmHWM")
	for i := range res.lat {
		slices.Sort(res.lat[i])
	}
	res.stats[1] = srv.stats(b, client)
	return res
}

// request sends one request of the mix, chosen with r, and returns its
// route, how long the answer took to arrive whole, and why it failed when
// it did. Worker c's n-th upsert writes a text of its own, so that every
// upsert changes the article.
func (w *loadWork) request(client *http.Client, base string, r *rand.Rand, c, n int) (loadRoute, time.Duration, error) {
	var (
		route  loadRoute
		method = http.MethodPost
		path   string
		body   []byte
	)
	switch x := r.Float64(); {
	case x < loadShareID:
		id := w.ids[r.IntN(len(w.ids))]
		route, method, path = routeID, http.MethodGet, "/v1/articles/"+id+"/similar"
		if w.cluster[id] {
			route = routeIDCluster
		}
	case x < loadShareID+loadShareText:
		a := w.sample[r.IntN(len(w.sample))]
		route, path = routeText, "/v1/similar"
		body, _ = json.Marshal(map[string]string{"title": a.Title, "body": a.Body})
	default:
		a := w.sample[r.IntN(len(w.sample))]
		route, path = routeUpsert, "/v1/articles"
		body, _ = json.Marshal(map[string]string{"id": a.ID, "title": a.Title, "category": a.Category,
			"body": a.Body + fmt.Sprintf(" Revised by client %d, edit %d.", c, n)})
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		return route, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return route, 0, err
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	switch {
	case err != nil:
		return route, 0, err
	case res.StatusCode != http.StatusOK:
		return route, 0, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(answer))
	}
	return route, took, nil
}

// report prints the run: the figures as benchmark metrics, and on
// standard output (a benchmark's log keeps 10 lines) a table with the
// counts, the maxima, the errors and the engine's refits.
func (res loadRun) report(b *testing.B) {
	var total, errs int
	for i := range res.lat {
		total += len(res.lat[i])
		errs += res.errs[i]
	}
	b.ReportMetric(float64(total+errs)/res.elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(errs), "errors")
	short := [nRoutes]string{"id", "cluster", "text", "upsert"}
	for i, lat := range res.lat {
		if len(lat) == 0 {
			continue
		}
		b.ReportMetric(ms(lat, 0.50), short[i]+"-p50-ms")
		b.ReportMetric(ms(lat, 0.99), short[i]+"-p99-ms")
		b.ReportMetric(ms(lat, 0.999), short[i]+"-p99.9-ms")
	}
	b.ReportMetric(float64(res.rss10)/1024, "rss10s-MB")
	b.ReportMetric(float64(res.rssEnd)/1024, "rss-end-MB")

	var t strings.Builder
	fmt.Fprintf(&t, "%s: %d requests in %v, %.0f/s, %d errors; server RSS %.0f MB at 10 s, %.0f MB at the end, peak %.0f MB\n",
		b.Name(), total+errs, res.elapsed.Round(time.Millisecond), float64(total+errs)/res.elapsed.Seconds(), errs,
		float64(res.rss10)/1024, float64(res.rssEnd)/1024, float64(res.hwm)/1024)
	fmt.Fprintf(&t, "%-20s %8s %7s %9s %9s %9s %9s\n", "route", "answers", "errors", "p50 ms", "p99 ms", "p99.9 ms", "max ms")
	for i, lat := range res.lat {
		if len(lat) == 0 && res.errs[i] == 0 {
			continue
		}
		fmt.Fprintf(&t, "%-20s %8d %7d %9.2f %9.2f %9.2f %9.2f\n", routeNames[i], len(lat), res.errs[i],
			ms(lat, 0.5), ms(lat, 0.99), ms(lat, 0.999), ms(lat, 1))
	}
	for _, k := range []string{"articles", "generation", "refits", "tombstones", "queries"} {
		fmt.Fprintf(&t, "%s %v -> %v; ", k, res.stats[0][k], res.stats[1][k])
	}
	for _, m := range res.firstErrs {
		fmt.Fprintf(&t, "\nerror: %s", m)
	}
	fmt.Println(t.String())
}

// ms returns the latency at quantile p of sorted lat, in milliseconds.
func ms(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	return float64(lat[int(p*float64(len(lat)-1))]) / 1e6
}

// procStatus returns a field of /proc/PID/status in kB (VmRSS, VmHWM), or
// an error where there is no /proc.
func procStatus(pid int, field string) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// readalikeBinary returns -load.bin, or builds readalike from this tree.
func readalikeBinary(b *testing.B) string {
	b.Helper()
	if *loadBin != "" {
		return *loadBin
	}
	bin := filepath.Join(b.TempDir(), "readalike")
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "../cmd/readalike").CombinedOutput()
	if err != nil {
		b.Fatalf("build readalike: %v\n%s", err, out)
	}
	return bin
}

// readalikeProc is a `readalike serve` child process.
type readalikeProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncLines
}

// servingRE is the line serve prints once it answers queries.
var servingRE = regexp.MustCompile(`readalike is serving \d+ articles on (http://\S+)`)

// startReadalike starts bin serving the store in dir on a free port and
// returns once it answers queries.
func startReadalike(b *testing.B, bin, dir string) *readalikeProc {
	b.Helper()
	p := &readalikeProc{stderr: &syncLines{}}
	p.cmd = exec.Command(bin, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--rate", "0", "--log-level", "warn")
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.stderr.add(sc.Text())
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p.url = <-ready:
		return p
	case <-time.After(5 * time.Minute):
		p.cmd.Process.Kill()
		b.Fatalf("serve did not start in 5 minutes:\n%s", p.stderr)
	}
	return nil
}

// stop sends the server SIGINT (on Windows, kills it) and waits for it.
func (p *readalikeProc) stop(b *testing.B) {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.cmd.Process.Kill()
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Logf("serve exited: %v\n%s", err, p.stderr)
		}
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		b.Errorf("serve did not stop within a minute of SIGINT:\n%s", p.stderr)
	}
}

// stats returns GET /v1/stats.
func (p *readalikeProc) stats(b *testing.B, client *http.Client) map[string]any {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/v1/stats", nil)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var st map[string]any
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	return st
}

// syncLines keeps the last lines written by a child, for failure reports.
type syncLines struct {
	mu    sync.Mutex
	lines []string
}

func (s *syncLines) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lines = append(s.lines, line); len(s.lines) > 50 {
		s.lines = s.lines[1:]
	}
}

func (s *syncLines) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}
