package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The demo server of TestBrowser and the API it checks the page against:
// starting the built binary, calling the API, and probing which routes of
// the reading-app API (issue 11) the server has.

// binaryServer is the built binary serving the demo collection.
type binaryServer struct {
	url string
	cmd *exec.Cmd
	log *syncBuffer
}

// startBinary starts bin serve --demo on a free port (never 8080, which the
// README's test uses) and returns once /readyz answers 200. It is stopped
// with SIGTERM when the test ends. On failure it marks t failed and
// returns nil, so it may run in a goroutine.
func startBinary(t *testing.T, bin string, args ...string) *binaryServer {
	addr, err := freeAddr()
	if err != nil {
		t.Error(err)
		return nil
	}
	s := &binaryServer{url: "http://" + addr, log: &syncBuffer{}}
	s.cmd = exec.Command(bin, append([]string{"serve", "--demo", "--addr", addr, "--log-level", "warn", "--shutdown-grace", "5s"}, args...)...)
	s.cmd.Env = cleanEnviron()
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	exited := make(chan struct{})
	go func() { s.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-exited
		}
	})
	if !waitFor(time.Minute, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}) {
		t.Errorf("%s never answered /readyz:\n%s", s.url, s.log.String())
		return nil
	}
	select {
	case <-exited:
		t.Errorf("serve exited:\n%s", s.log.String())
		return nil
	default:
	}
	return s
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := ln.Addr().String()
		ln.Close()
		if !strings.HasSuffix(addr, ":8080") {
			return addr, nil
		}
	}
	return "", fmt.Errorf("no free port")
}

// apiClient calls the JSON API of a server, failing the test on errors of
// transport or decoding.
type apiClient struct {
	t    *testing.T
	base string
}

type errorOut struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// call makes a request and decodes a 2xx answer into out; it returns the
// status and, for an error, its body.
func (a apiClient) call(method, path string, body, out any) (int, errorOut) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	var eo errorOut
	if resp.StatusCode >= 300 {
		json.Unmarshal(raw, &eo)
		return resp.StatusCode, eo
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return resp.StatusCode, eo
}

func (a apiClient) get(path string, out any) {
	a.t.Helper()
	if code, e := a.call("GET", path, nil, out); code != http.StatusOK {
		a.t.Fatalf("GET %s: %d %+v", path, code, e.Error)
	}
}

func (a apiClient) post(path string, body, out any) {
	a.t.Helper()
	if code, e := a.call("POST", path, body, out); code != http.StatusOK {
		a.t.Fatalf("POST %s: %d %+v", path, code, e.Error)
	}
}

// settle waits until no refit runs and none is due, and the generation
// has stayed the same for a moment (an automatic refit started while the
// demo loaded may wait for the demo's own refit and run just after it), so
// the page and the test see the same generation.
func (a apiClient) settle() {
	a.t.Helper()
	var st, again statsOut
	idle := func(s statsOut) bool { return !s.Refitting && s.ChangedSinceFit == 0 }
	if !waitFor(30*time.Second, func() bool {
		a.get("/v1/stats", &st)
		if !idle(st) {
			return false
		}
		time.Sleep(300 * time.Millisecond)
		a.get("/v1/stats", &again)
		return idle(again) && again.Generation == st.Generation
	}) {
		a.t.Fatalf("the demo server is still refitting: %+v", again)
	}
}

// absent reports whether an answer says the route is not there: 404 "no
// route", or 405 where the path has a route for another method only.
func absent(code int, e errorOut) bool {
	return code == http.StatusNotFound && e.Error.Code == "not_found" && strings.HasPrefix(e.Error.Message, "no route") ||
		code == http.StatusMethodNotAllowed
}

// backEnd is what the server has of the reading-app API (issue 11).
type backEnd struct {
	list, reads, explain, recommend, config, summary, statsCounts bool
}

func (b backEnd) String() string {
	var have, lack []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"GET /v1/articles", b.list}, {"reads", b.reads}, {"explain", b.explain}, {"recommend", b.recommend},
		{"config", b.config}, {"summary", b.summary}, {"stats counts", b.statsCounts}} {
		if f.ok {
			have = append(have, f.name)
		} else {
			lack = append(lack, f.name)
		}
	}
	return fmt.Sprintf("has [%s], lacks [%s]", strings.Join(have, ", "), strings.Join(lack, ", "))
}

// probeBackEnd asks the server, without changing anything, which routes
// and fields it has.
func probeBackEnd(a apiClient) backEnd {
	var b backEnd
	code, e := a.call("GET", "/v1/articles?limit=1", nil, nil)
	b.list = !absent(code, e)
	code, e = a.call("POST", "/v1/articles/"+missingID+"/reads", nil, nil) // an unknown id: 404 not_found, nothing counted
	b.reads = !absent(code, e)
	code, _ = a.call("GET", "/v1/articles/sci-lunar-lander-001/similar?k=1&explain=true", nil, nil)
	b.explain = code == http.StatusOK
	code, e = a.call("POST", "/v1/recommend", map[string]any{"history": []string{"sci-lunar-lander-001"}, "k": 1}, nil)
	b.recommend = !absent(code, e)
	code, e = a.call("GET", "/v1/config", nil, nil)
	b.config = !absent(code, e)
	var art article
	a.get("/v1/articles/sci-lunar-lander-001", &art)
	b.summary = art.Summary != ""
	var st statsOut
	a.get("/v1/stats", &st)
	b.statsCounts = st.Categories != nil
	return b
}

type article struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Category  string    `json:"category"`
	Published time.Time `json:"published"`
	Words     int       `json:"words"`
	ReadCount uint64    `json:"read_count"`
	LastRead  time.Time `json:"last_read"`
	Summary   string    `json:"summary"`
}

type listPage struct {
	Total    int       `json:"total"`
	Articles []article `json:"articles"`
}

func (l listPage) ids() []string {
	ids := make([]string, len(l.Articles))
	for i, a := range l.Articles {
		ids[i] = a.ID
	}
	return ids
}

type neighborOut struct {
	ID          string  `json:"id"`
	Score       float64 `json:"score"`
	Explanation *struct {
		Terms []struct {
			Word         string  `json:"word"`
			Contribution float64 `json:"contribution"`
		} `json:"terms"`
		Other float64 `json:"other"`
	} `json:"explanation"`
}

type similarAnswer struct {
	Generation uint64        `json:"generation"`
	Neighbors  []neighborOut `json:"neighbors"`
	Missing    []string      `json:"missing"`
}

type statsOut struct {
	Articles        int            `json:"articles"`
	Generation      uint64         `json:"generation"`
	ChangedSinceFit int            `json:"changed_since_fit"`
	Refitting       bool           `json:"refitting"`
	Categories      map[string]int `json:"categories"`
	Languages       map[string]int `json:"languages"`
}
