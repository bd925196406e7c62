package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve's connection flags reach the server: the connections per address,
// the header limit (431 in the JSON shape) and the idle timeout.
func TestServeConnectionFlags(t *testing.T) {
	s := startServe(t, "--demo", "--max-header", "1024", "--idle-timeout", "300ms", "--max-conns-per-ip", "2")
	addr := strings.TrimPrefix(s.url, "http://")
	dial := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	answer := func(br *bufio.Reader) (int, string) {
		t.Helper()
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var eb struct{ Error struct{ Code string } }
		b, _ := io.ReadAll(res.Body)
		json.Unmarshal(b, &eb)
		return res.StatusCode, eb.Error.Code
	}

	a, abr := dial()
	b, bbr := dial()
	for _, p := range []struct {
		c  net.Conn
		br *bufio.Reader
	}{{a, abr}, {b, bbr}} {
		io.WriteString(p.c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if status, _ := answer(p.br); status != 200 {
			t.Fatalf("healthz: %d", status)
		}
	}
	_, br := dial()
	if status, code := answer(br); status != 503 || code != "too_many_connections" {
		t.Errorf("a third connection: got %d %q, want 503 too_many_connections", status, code)
	}
	a.Close()
	b.Close()
	// Wait for the server to see them closed.
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, br := dial()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		status, _ := answer(br)
		c.Close()
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still refused 10 s after the others closed")
		}
		time.Sleep(50 * time.Millisecond)
	}

	c, br := dial()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("x", 8<<10)+"\r\n\r\n")
	if status, code := answer(br); status != 431 || code != "headers_too_large" {
		t.Errorf("large headers: got %d %q, want 431 headers_too_large", status, code)
	}
	c.Close()

	// The server may not have seen the refused connection close yet.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, br = dial()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		status, code := answer(br)
		if status == 200 {
			break
		}
		c.Close()
		if code != "too_many_connections" || time.Now().After(deadline) {
			t.Fatalf("healthz: %d %s", status, code)
		}
	}
	start := time.Now()
	if _, err := br.ReadByte(); err == nil {
		t.Errorf("the idle connection sent more")
	} else if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the idle connection was closed after %v, want about 300ms", took)
	}
}
